"""``python -m ganlib``: help, option errors, and train -> sample -> evaluate end to end."""

import json
import subprocess
import sys

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
        "train": ["--config", "--out", "--resume", "--epochs", "--lr-g", "--generator-loss", "--ema-decay"],
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
        (["train", "--limit", "0"], "--limit must be positive"),
        (["train", "--generator-loss", "hinge"], "invalid choice"),
        (["train", "--real-label", "1.5"], "real_label must be in"),
        (["sample", "--n", "3"], "required: --out"),
        (["sample", "--checkpoint", "x.npz", "--n", "-1", "--out", "a.npy"], "--n must be positive"),
        (["sample", "--checkpoint", "x.npz", "--n", "3", "--out", "a.txt"], "must end in .npy"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_options_give_clear_errors(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


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
    assert result.returncode == 2 and "only --epochs may be given" in result.stderr


def test_sample_and_evaluate_default_to_the_shipped_generator(tmp_path, capsys):
    from ganlib.checkpoint import load_generator, sample_generator

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
    from ganlib.checkpoint import read_metadata

    for name in ("checkpoint.npz", "generator.npz"):
        assert read_metadata(conditional_run / name)["num_classes"] == 10
    summary = json.loads((conditional_run / "history.json").read_text())
    assert summary["config"]["num_classes"] == 10 and summary["iterations"] == 10


def test_sample_a_digit_from_a_conditional_generator(conditional_run, tmp_path, capsys):
    from ganlib.checkpoint import load_generator, sample_generator

    out = tmp_path / "threes.npy"
    assert main(["sample", "--checkpoint", str(conditional_run / "generator.npz"), "--n", "6", "--digit", "3", "--seed", "1", "--out", str(out)]) == 0  # fmt: skip
    G, meta = load_generator(conditional_run / "generator.npz")
    np.testing.assert_array_equal(np.load(out), sample_generator(G, meta, 6, seed=1, digits=3))
    assert "all 6 of digit 3" in capsys.readouterr().out
    assert not (tmp_path / "threes.labels.npy").exists()


def test_sample_every_digit_writes_the_labels(conditional_run, tmp_path, capsys):
    from ganlib.checkpoint import load_generator, sample_generator

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
    from ganlib.paths import default_generator_path

    result = run("sample", "--checkpoint", str(default_generator_path()), "--n", "3", "--digit", "3", "--out", str(out))  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "unconditional: it draws digits of its own choosing" in result.stderr
    assert not out.exists() and not (tmp_path / "s.labels.npy").exists()


def test_sample_a_digit_defaults_to_the_shipped_conditional_generator(tmp_path, capsys):
    from ganlib.checkpoint import load_generator, sample_generator
    from ganlib.paths import default_conditional_generator_path

    out = tmp_path / "fours.npy"
    assert main(["sample", "--n", "4", "--digit", "4", "--out", str(out)]) == 0
    G, meta = load_generator(default_conditional_generator_path())
    np.testing.assert_array_equal(np.load(out), sample_generator(G, meta, 4, digits=4))


def test_evaluate_a_conditional_generator(conditional_run, capsys):
    """evaluate samples a conditional generator with every digit equally often."""
    assert main(["evaluate", "--checkpoint", str(conditional_run / "generator.npz"), "--n", "200", "--no-parzen"]) == 0
    assert "classes covered" in capsys.readouterr().out
