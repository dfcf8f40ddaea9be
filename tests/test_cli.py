"""``python -m ganlib``: help, option errors, and train -> sample -> evaluate end to end."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ganlib.cli import main


def run(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "ganlib", *args], capture_output=True, text=True, **kwargs)


@pytest.mark.parametrize("command", ["train", "sample", "evaluate"])
def test_help_explains_every_option(command):
    result = run(command, "--help")
    assert result.returncode == 0
    for option in {
        "train": [
            "--config",
            "--out",
            "--resume",
            "--epochs",
            "--lr-g",
            "--generator-loss",
            "--ema-decay",
            "--g-step-updates-d",
        ],
        "sample": ["--checkpoint", "--n", "--out", "--seed", "--digit", "labels.npy"],
        "evaluate": ["--checkpoint", "--n", "--no-parzen", "--json"],
    }[command]:
        assert option in result.stdout


def test_top_level_help_lists_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("train", "sample", "evaluate", "train-classifier"):
        assert command in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--config", "nonsense"], "invalid choice"),
        (["train", "--epochs", "many"], "invalid int value"),
        (["train", "--limit", "0"], "--limit must be >= 1, got 0"),
        (["train", "--generator-loss", "hinge"], "invalid choice"),
        (["train", "--real-label", "1.5"], "--real-label must be in (0, 1], got 1.5"),
        (["sample", "--n", "3"], "required: --out"),
        (
            ["sample", "--checkpoint", "x.npz", "--n", "-1", "--out", "a.npy"],
            "--n must be from 1 to 10,000,000, got -1",
        ),
        (
            ["sample", "--checkpoint", "x.npz", "--n", "3", "--out", "a.txt"],
            "give a .npy file (the array of images)",
        ),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_options_give_clear_errors(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_original_posts_options_on_the_command_line():
    """Each deviation of the original post can be switched off (or on) from the command line."""
    from ganlib.cli.options import build_parser, config_overrides

    args = build_parser().parse_args(
        ["train", "--config", "original_post", "--no-g-step-updates-d", "--loss-gradient", "logit", "--init", "glorot"]
    )
    assert config_overrides(args) == {"g_step_updates_d": False, "loss_gradient": "logit", "init": "glorot"}
    args = build_parser().parse_args(
        ["train", "--d-split-update", "--lr-decay", "per_epoch_compounded", "--init", "0.02"]
    )
    assert config_overrides(args) == {"d_split_update": True, "lr_decay": "per_epoch_compounded", "init": 0.02}
    assert config_overrides(build_parser().parse_args(["train"])) == {}
    result = run("train", "--init", "tiny")
    assert result.returncode == 2 and "init must be" in result.stderr


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    result = run("sample", "--checkpoint", str(tmp_path / "none.npz"), "--n", "3", "--out", str(tmp_path / "s.npy"))
    assert result.returncode == 2
    assert "no checkpoint at" in result.stderr and "Traceback" not in result.stderr


def test_train_sample_evaluate_end_to_end(tmp_path, capsys):
    out = tmp_path / "run"
    tiny = ["--g-hidden", "32", "--d-hidden", "32", "--batch-size", "50", "--limit", "500", "--no-progress"]
    assert main(["train", "--epochs", "2", "--out", str(out), *tiny]) == 0
    for name in ("checkpoint.npz", "generator.npz", "samples.png", "progress.gif", "history.json"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "history.json").read_text())
    assert summary["iterations"] == 20 and summary["epochs"] == 2

    # resume for one more epoch: the counters go on
    assert (
        main(
            [
                "train",
                "--resume",
                str(out / "checkpoint.npz"),
                "--epochs",
                "1",
                "--out",
                str(out),
                "--limit",
                "500",
                "--no-progress",
            ]
        )
        == 0
    )
    assert json.loads((out / "history.json").read_text())["iterations"] == 30

    samples_path = tmp_path / "s.npy"
    assert main(["sample", "--checkpoint", str(out / "generator.npz"), "--n", "7", "--out", str(samples_path)]) == 0
    samples = np.load(samples_path)
    assert samples.shape == (7, 784) and samples.dtype == np.float32
    assert -1 <= samples.min() and samples.max() <= 1

    capsys.readouterr()
    assert (
        main(
            [
                "evaluate",
                "--checkpoint",
                str(out / "checkpoint.npz"),
                "--n",
                "200",
                "--no-parzen",
                "--json",
                str(tmp_path / "e.json"),
            ]
        )
        == 0
    )
    report = capsys.readouterr().out
    assert "class histogram" in report and "Frechet distance" in report
    figures = json.loads((tmp_path / "e.json").read_text())
    assert figures["n_samples"] == 200 and len(figures["class_histogram"]["fractions"]) == 10


def test_resume_refuses_config_changes(tmp_path):
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--epochs",
                "1",
                "--out",
                str(out),
                "--g-hidden",
                "16",
                "--d-hidden",
                "16",
                "--batch-size",
                "50",
                "--limit",
                "100",
                "--no-progress",
            ]
        )
        == 0
    )
    result = run("train", "--resume", str(out / "checkpoint.npz"), "--lr-g", "0.1", "--out", str(out))
    assert result.returncode == 2 and "cannot be given with it (only --epochs can)" in result.stderr


def test_sample_and_evaluate_default_to_the_shipped_generator(tmp_path, capsys):
    from ganlib.io.generator import load_generator, sample_generator

    out = tmp_path / "s.npy"
    assert main(["sample", "--n", "5", "--seed", "3", "--out", str(out)]) == 0
    G, meta = load_generator()  # the shipped one
    np.testing.assert_array_equal(np.load(out), sample_generator(G, meta, 5, seed=3))
    capsys.readouterr()
    assert main(["evaluate", "--n", "300", "--no-parzen"]) == 0
    assert "classes covered" in capsys.readouterr().out


def test_train_classifier_has_its_own_help():
    result = run("train-classifier", "--help")
    assert result.returncode == 0
    for option in ("--epochs", "--seed", "--batch-size", "--out", "--min-accuracy"):
        assert option in result.stdout


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory):
    """A tiny conditional GAN trained by the command line, as `--config conditional` does it."""
    out = tmp_path_factory.mktemp("cgan") / "run"
    tiny = ["--g-hidden", "32", "--d-hidden", "32", "--batch-size", "50", "--limit", "500", "--no-progress"]
    assert main(["train", "--config", "conditional", "--epochs", "1", "--out", str(out), *tiny]) == 0
    return out


def test_train_conditional_records_the_classes(conditional_run):
    from ganlib.io.generator import read_metadata

    for name in ("checkpoint.npz", "generator.npz"):
        assert read_metadata(conditional_run / name)["num_classes"] == 10
    summary = json.loads((conditional_run / "history.json").read_text())
    assert summary["config"]["num_classes"] == 10 and summary["iterations"] == 10


def test_sample_a_digit_from_a_conditional_generator(conditional_run, tmp_path, capsys):
    from ganlib.io.generator import load_generator, sample_generator

    out = tmp_path / "threes.npy"
    assert main(["sample", "--checkpoint", str(conditional_run / "generator.npz"), "--n", "6", "--digit", "3", "--seed", "1", "--out", str(out)]) == 0  # fmt: skip
    G, meta = load_generator(conditional_run / "generator.npz")
    np.testing.assert_array_equal(np.load(out), sample_generator(G, meta, 6, seed=1, digits=3))
    assert "all 6 of digit 3" in capsys.readouterr().out
    assert not (tmp_path / "threes.labels.npy").exists()


def test_sample_every_digit_writes_the_labels(conditional_run, tmp_path, capsys):
    from ganlib.io.generator import load_generator, sample_generator

    out = tmp_path / "mixed.npy"
    assert (
        main(["sample", "--checkpoint", str(conditional_run / "checkpoint.npz"), "--n", "25", "--out", str(out)]) == 0
    )
    labels = np.load(tmp_path / "mixed.labels.npy")
    assert labels.dtype == np.int64 and labels.tolist() == [i % 10 for i in range(25)]
    assert f"wrote {tmp_path / 'mixed.labels.npy'}" in capsys.readouterr().out
    G, meta = load_generator(conditional_run / "checkpoint.npz")
    np.testing.assert_array_equal(np.load(out), sample_generator(G, meta, 25, digits=labels))


def test_digit_errors_exit_2_and_write_nothing(conditional_run, tmp_path):
    out = tmp_path / "s.npy"
    result = run("sample", "--checkpoint", str(conditional_run / "generator.npz"), "--n", "3", "--digit", "10", "--out", str(out))  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "label 10 is out of range: this model has 10 classes, 0 to 9" in result.stderr
    from ganlib.data.paths import default_generator_path

    result = run("sample", "--checkpoint", str(default_generator_path()), "--n", "3", "--digit", "3", "--out", str(out))  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is an unconditional generator (it draws digits of its own choosing); drop --digit" in result.stderr
    assert not out.exists() and not (tmp_path / "s.labels.npy").exists()


def test_sample_a_digit_defaults_to_the_shipped_conditional_generator(tmp_path, capsys):
    from ganlib.data.paths import default_conditional_generator_path
    from ganlib.io.generator import load_generator, sample_generator

    out = tmp_path / "fours.npy"
    assert main(["sample", "--n", "4", "--digit", "4", "--out", str(out)]) == 0
    G, meta = load_generator(default_conditional_generator_path())
    np.testing.assert_array_equal(np.load(out), sample_generator(G, meta, 4, digits=4))


def test_evaluate_a_conditional_generator(conditional_run, capsys):
    """evaluate samples a conditional generator with every digit equally often."""
    assert main(["evaluate", "--checkpoint", str(conditional_run / "generator.npz"), "--n", "200", "--no-parzen"]) == 0
    assert "classes covered" in capsys.readouterr().out


# -- a failed command never loses a model, and never needs a traceback to explain itself ---------------
TINY = ["--g-hidden", "16", "--d-hidden", "16", "--batch-size", "50", "--limit", "100", "--no-progress"]


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if training starts: every problem must be found before."""
    from ganlib.gan import GAN

    def train(*args, **kwargs):
        raise AssertionError("training started although the command line was wrong")

    monkeypatch.setattr(GAN, "train", train)


def unwritable_folder(tmp_path):
    """A folder this process cannot write in: a read-only copy as a normal user; /sys (no new files) as root."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir(mode=0o500)
        return folder
    return Path("/sys")


def test_out_problems_are_found_before_training(tmp_path, capsys, no_training):
    (tmp_path / "file").write_text("keep me")
    (tmp_path / "run" / "checkpoint.npz").mkdir(parents=True)
    for out, message in [
        (tmp_path / "file", "is a file; give a folder"),
        (tmp_path / "file" / "sub", "is not a folder"),
        (unwritable_folder(tmp_path) / "run", "cannot write there"),
        (tmp_path / "run", "is a folder, where the file checkpoint.npz would go"),
        (tmp_path / ("x" * 300), "cannot write there"),
    ]:
        assert main(["train", "--out", str(out), "--epochs", "1", *TINY]) == 2
        err = capsys.readouterr().err
        assert message in err and "--out" in err and len(err.strip().splitlines()) == 1, err
    assert (tmp_path / "file").read_text() == "keep me"


def test_too_few_images_for_one_iteration(tmp_path, capsys, no_training):
    assert main(["train", "--out", str(tmp_path / "r"), "--k", "3", *TINY]) == 2
    assert "batch_size * k = 50 * 3 = 150 images, but --limit leaves 100" in capsys.readouterr().err


def test_a_checkpoint_that_cannot_be_written_is_saved_elsewhere(tmp_path, capsys, monkeypatch):
    from ganlib.io import checkpoint

    real_save = checkpoint.save_checkpoint

    def save(gan, path):
        if Path(path).parent == tmp_path / "run":
            raise OSError(28, "No space left on device")
        return real_save(gan, path)

    monkeypatch.setattr(checkpoint, "save_checkpoint", save)
    assert main(["train", "--out", str(tmp_path / "run"), "--epochs", "1", *TINY]) == 0
    err = capsys.readouterr().err
    assert "No space left on device" in err
    rescued = Path(err.split("writing ")[1].split(" instead")[0])
    assert checkpoint.load_checkpoint(rescued).iteration == 2
    rescued.unlink()
    rescued.parent.rmdir()


def test_a_diverged_run_keeps_the_model_before_the_bad_step(tmp_path, capsys, monkeypatch):
    from ganlib.gan import GAN, TrainingDiverged
    from ganlib.io.checkpoint import load_checkpoint

    real_train = GAN.train

    def train(self, *args, **kwargs):
        real_train(self, *args, **kwargs)
        raise TrainingDiverged("training diverged at iteration 2", self.history)

    monkeypatch.setattr(GAN, "train", train)
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--epochs", "1", *TINY]) == 1
    assert "diverged at iteration 2" in capsys.readouterr().err
    assert load_checkpoint(out / "checkpoint-diverged.npz").iteration == 2


def test_an_unexpected_error_saves_the_model_then_shows_itself(tmp_path, capsys, monkeypatch):
    from ganlib.gan import GAN
    from ganlib.io.checkpoint import load_checkpoint

    real_train = GAN.train

    def train(self, *args, **kwargs):
        real_train(self, *args, **kwargs)
        raise MemoryError("no memory left")

    monkeypatch.setattr(GAN, "train", train)
    out = tmp_path / "run"
    with pytest.raises(MemoryError):
        main(["train", "--out", str(out), "--epochs", "1", *TINY])
    assert "the model trained so far is in" in capsys.readouterr().err
    assert load_checkpoint(out / "checkpoint-rescued.npz").iteration == 2


def test_resume_refuses_a_checkpoint_it_could_not_save_again(tmp_path, capsys, no_training):
    """History stored as strings used to load, train, then fail to save: the whole run was lost."""
    from ganlib.config import CONFIGS
    from ganlib.gan import GAN
    from ganlib.io.checkpoint import save_checkpoint

    path = save_checkpoint(GAN(CONFIGS["default"].replace(g_hidden=(16,), d_hidden=(16,))), tmp_path / "c.npz")
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["history/loss_d"] = arrays["history/loss_d"].astype(str)
    np.savez(path, **arrays)
    assert main(["train", "--resume", str(path), "--out", str(tmp_path / "run"), "--limit", "100"]) == 2
    err = capsys.readouterr().err
    assert "history/loss_d" in err and "expected floats" in err and str(path) in err


def test_sample_streams_to_the_file(tmp_path, capsys):
    """50,000 images are 157 MB; writing them holds one chunk at a time in memory."""
    import tracemalloc

    from ganlib.io.generator import load_generator, sample_generator

    out = tmp_path / "s.npy"
    tracemalloc.start()
    try:
        assert main(["sample", "--n", "50000", "--seed", "2", "--out", str(out)]) == 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40_000_000, f"{peak:,} bytes"
    samples = np.load(out, mmap_mode="r")
    assert samples.shape == (50000, 784) and samples.dtype == np.float32
    G, meta = load_generator()
    np.testing.assert_array_equal(samples[-7:], sample_generator(G, meta, 50000, seed=2)[-7:])


def test_sample_checks_the_free_space_first(tmp_path, capsys, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))
    assert main(["sample", "--n", "10", "--out", str(tmp_path / "s.npy")]) == 2
    assert "would take 31.5 kB, but its disk has 1.0 kB free" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_evaluate_refuses_a_generator_of_non_images(tmp_path, capsys):
    from ganlib.config import CONFIGS
    from ganlib.gan import GAN
    from ganlib.io.generator import save_generator

    toy = CONFIGS["default"].replace(data_dim=1, g_output="linear", g_hidden=(8,), d_hidden=(8,))
    path = save_generator(GAN(toy), tmp_path / "toy.npz")
    assert main(["evaluate", "--checkpoint", str(path), "--n", "10"]) == 2
    assert "1-dimensional data, not 28x28 images" in capsys.readouterr().err
    assert main(["sample", "--checkpoint", str(path), "--n", "10", "--out", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (10, 1)


def test_mnist_problems_are_one_line(tmp_path, capsys, monkeypatch, no_training):
    monkeypatch.setenv("GANLIB_DATA_DIR", str(tmp_path / "nowhere"))
    assert main(["train", "--out", str(tmp_path / "r"), *TINY]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: MNIST file train-images-idx3-ubyte not found") and len(err.splitlines()) == 1
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    monkeypatch.setenv("GANLIB_DATA_DIR", str(tmp_path / "bad"))
    assert main(["train", "--out", str(tmp_path / "r"), *TINY]) == 2
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err


def test_boolean_fields_are_switches_and_omitted_ones_keep_the_config_s_value():
    from ganlib.cli.options import build_parser, config_overrides

    parser = build_parser()
    assert config_overrides(parser.parse_args(["train", "--no-ema-bias-correction"])) == {"ema_bias_correction": False}
    assert config_overrides(parser.parse_args(["train", "--ema-bias-correction"])) == {"ema_bias_correction": True}
    assert "ema_bias_correction" not in config_overrides(parser.parse_args(["train"]))


def test_the_command_line_is_small_modules_of_short_functions():
    import ast

    import ganlib.cli

    for path in sorted(Path(ganlib.cli.__file__).parent.glob("*.py")):
        text = path.read_text()
        assert len(text.splitlines()) <= 350, path.name
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno - node.lineno + 1 <= 60, f"{path.name}: {node.name}"


def test_train_s_configuration_options_are_written_from_the_field_rules():
    """Kind, choices, help and the cli flag of each rule make its option; nothing is repeated in the CLI."""
    import argparse

    from ganlib.cli.options import build_parser, option_name
    from ganlib.config import FIELD_RULES

    train = build_parser()._subparsers._group_actions[0].choices["train"]
    actions = {action.dest: action for action in train._actions}
    for name, rule in FIELD_RULES.items():
        if not rule.cli:
            assert name not in actions, name  # e.g. data_dim: a named configuration sets it
            continue
        action = actions[name]
        assert option_name(name) in action.option_strings and action.default is None
        assert action.help.replace("%%", "%").startswith(rule.help)
        if rule.kind == "bool":
            assert isinstance(action, argparse.BooleanOptionalAction)
        if rule.kind == "choice":
            assert action.choices == list(rule.choices)
