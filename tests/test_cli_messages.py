"""Every error the command line prints, provoked: each says what really happened and how to fix it, in one line.

(The fuzz tests, tests/test_fuzz.py, feed bad values to every option and check the form: exit 2, one line,
the option named, no file changed. These check the words.)
"""

import json
import os
from pathlib import Path

import pytest

from ganlib.cli import main

TINY = ["--g-hidden", "16", "--d-hidden", "16", "--batch-size", "50", "--limit", "100", "--no-progress"]


def error_of(argv, capsys, status=2) -> str:
    """Run the command line; it must exit with ``status`` and print exactly one ``error:`` line."""
    capsys.readouterr()
    assert main(argv) == status
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    return err[len("error: ") :]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A tiny trained run: checkpoint.npz, generator.npz, ..."""
    out = tmp_path_factory.mktemp("run") / "run"
    assert main(["train", "--out", str(out), "--epochs", "1", *TINY]) == 0
    return out


@pytest.fixture
def no_training(monkeypatch):
    from ganlib.gan import GAN

    def train(*args, **kwargs):
        raise AssertionError("training started although the command line was wrong")

    monkeypatch.setattr(GAN, "train", train)


def read_only_folder(tmp_path) -> Path:
    """A folder no file can be created in: a folder without write permission as a normal user, /sys as root."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir(mode=0o500)
        return folder
    return Path("/sys")


# -- train --resume ---------------------------------------------------------------------------------------
def test_resume_with_configuration_options(run_folder, capsys, no_training):
    checkpoint = str(run_folder / "checkpoint.npz")
    assert error_of(["train", "--resume", checkpoint, "--lr-g", "0.1"], capsys) == (
        "--resume continues with the checkpoint's own configuration, so --lr-g cannot be given with it "
        "(only --epochs can): drop it, or start a new run without --resume"
    )
    err = error_of(["train", "--resume", checkpoint, "--seed", "3", "--no-ema-bias-correction"], capsys)
    assert "so --ema-bias-correction and --seed cannot be given with it (only --epochs can): drop them" in err
    # --config used to be ignored without a word: the run went on with the checkpoint's configuration
    err = error_of(["train", "--resume", checkpoint, "--config", "original_post"], capsys)
    assert "so --config cannot be given with it" in err


def test_resume_from_a_file_that_is_not_a_checkpoint(run_folder, tmp_path, capsys, no_training):
    from ganlib.evaluation.classifier import Classifier, build_classifier_network

    err = error_of(["train", "--resume", str(run_folder / "generator.npz")], capsys)
    assert err == (
        f"--resume {run_folder / 'generator.npz'}: this is a generator file, for sampling, not a training "
        "checkpoint; it holds no discriminator or optimizer state to continue from: give the run's checkpoint.npz"
    )  # it said "use load_generator() for sampling", a Python function, to someone at a shell
    classifier = Classifier(build_classifier_network((784, 4, 10))).save(tmp_path / "c.npz")
    assert "this is a 'classifier' file, not a training checkpoint" in error_of(
        ["train", "--resume", str(classifier)], capsys
    )
    assert f"no checkpoint at {tmp_path / 'none.npz'}: check the path" in error_of(
        ["train", "--resume", str(tmp_path / "none.npz")], capsys
    )


def test_resume_of_a_finished_run_says_how_to_train_more(run_folder, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(run_folder, run)
    assert main(["train", "--resume", str(run / "checkpoint.npz"), "--limit", "100", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "the checkpoint has trained all 1 epochs of its configuration; --epochs N trains N more" in printed
    assert "training 0 epoch(s)" in printed


def test_resume_epochs_out_of_range(run_folder, capsys, no_training):
    err = error_of(["train", "--resume", str(run_folder / "checkpoint.npz"), "--epochs", "-1"], capsys)
    assert err == "--epochs must be in [0, 1_000_000], got -1 (int)"


# -- train: values, sizes, images ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, message",
    [
        (["--limit", "0"], "--limit must be >= 1, got 0"),
        (["--snapshot-every", "0"], "--snapshot-every must be >= 1, got 0"),
        (["--lr-g", "-1"], "--lr-g must be in (0, inf), got -1.0 (float)"),
        (["--real-label", "1.5"], "--real-label must be in (0, 1], got 1.5 (float)"),
        (["--g-hidden", "16", "0"], "each width in --g-hidden must be in [1, inf), got 0 (int)"),
        (["--k", "0"], "--k must be in [1, 1000], got 0 (int)"),
        (
            ["--init", "tiny"],
            "--init must be one of 'glorot', 'he', '1/fan_in' or a positive standard deviation, got 'tiny' (str)",
        ),
        (
            ["--g-hidden", "100000", "100000"],
            "the generator would have 10,088,600,784 parameters and the discriminator 533,505; each may have at most "
            "20,000,000 (ganlib.config.MAX_NETWORK_PARAMS): choose smaller --latent-dim, --g-hidden or --d-hidden",
        ),
    ],
)
def test_train_option_values(args, message, tmp_path, capsys, no_training):
    assert error_of(["train", "--out", str(tmp_path / "run"), *args], capsys) == message
    assert not (tmp_path / "run").exists()


def test_too_few_images_for_one_iteration(tmp_path, capsys, no_training, monkeypatch):
    err = error_of(["train", "--out", str(tmp_path / "r"), "--limit", "49", "--no-progress"], capsys)
    assert err == "one iteration needs batch_size * k = 128 * 1 = 128 images, but --limit leaves 49: raise --limit"
    for fast in ("1", "0"):  # with GANLIB_FAST=1 too: it shrinks the data, never below one iteration
        monkeypatch.setenv("GANLIB_FAST", fast)
        err = error_of(["train", "--out", str(tmp_path / "r"), "--batch-size", "60000", "--no-progress"], capsys)
        assert err.endswith("60,000 images, but the training set has 50,000: choose a smaller --batch-size or --k")


# -- output places -----------------------------------------------------------------------------------------
def test_output_places(tmp_path, capsys, no_training):
    (tmp_path / "file").write_text("keep me")
    (tmp_path / "folder.npy").mkdir()
    (tmp_path / "run" / "history.json").mkdir(parents=True)
    readonly = read_only_folder(tmp_path)
    cases = [
        (["train", "--out", str(tmp_path / "file")], f"--out {tmp_path / 'file'}: is a file; give a folder"),
        (
            ["train", "--out", str(tmp_path / "file" / "run")],
            f"{tmp_path / 'file'} is not a folder, so nothing can be made in it; choose another path",
        ),
        (
            ["train", "--out", str(readonly / "run")],
            f"cannot write there (no file can be created in {readonly}: Permission denied); choose a folder you can write to",
        ),
        (
            ["train", "--out", str(readonly)],
            f"--out {readonly}: cannot write there (no file can be created in {readonly}: Permission denied)",
        ),
        (
            ["train", "--out", str(tmp_path / "run")],
            f"{tmp_path / 'run' / 'history.json'} is a folder, where the file history.json would go: remove it, or choose another --out",
        ),
        (
            ["train", "--out", str(tmp_path / ("x" * 300))],
            "cannot write there (File name too long); choose another path",
        ),
        (
            ["sample", "--n", "3", "--out", str(tmp_path / "folder.npy")],
            f"--out {tmp_path / 'folder.npy'}: is a folder; give a file name",
        ),
        (
            ["sample", "--n", "3", "--out", str(tmp_path / "file" / "s.npy")],
            "is not a folder, so nothing can be made in it",
        ),
        (["evaluate", "--json", str(readonly / "e.json")], "cannot write there (no file can be created in"),
        (
            ["train-classifier", "--out", str(tmp_path / "c.txt")],
            f"--out {tmp_path / 'c.txt'}: the weights file must end in .npz (ganlib's archive format)",
        ),
        (
            ["sample", "--n", "3", "--out", str(tmp_path / ("x" * 300 + ".npy"))],
            "cannot write there (File name too long)",
        ),
    ]
    for argv, message in cases:
        assert message in error_of(argv, capsys), argv
    assert (tmp_path / "file").read_text() == "keep me"


def test_an_existing_file_in_a_read_only_folder(tmp_path, capsys):
    """Replacing a file means creating its successor beside it: a folder that refuses new files is an error."""
    if os.geteuid() == 0:
        target = Path("/proc/version")  # a regular file in a folder where root cannot create one either
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        (folder / "e.json").write_text("{}")
        folder.chmod(0o500)
        target = folder / "e.json"
    err = error_of(["evaluate", "--n", "10", "--json", str(target)], capsys)
    assert err.startswith(f"--json {target}: cannot write there (no file can be created in {target.parent}: ")
    assert err.endswith("); choose a folder you can write to")


def test_the_labels_file_beside_a_sample_is_a_folder(tmp_path, capsys):
    from ganlib.data.paths import default_conditional_generator_path

    (tmp_path / "digits.labels.npy").mkdir()
    out = tmp_path / "digits.npy"
    err = error_of(
        ["sample", "--checkpoint", str(default_conditional_generator_path()), "--n", "3", "--out", str(out)], capsys
    )
    assert err == (
        f"--out {out}: {tmp_path / 'digits.labels.npy'}, where its labels would go, is not a file (a folder?): "
        "remove it, or choose another --out"
    )
    assert not out.exists()
    assert main(["sample", "--n", "3", "--digit", "2", "--out", str(out)]) == 0  # one digit: no labels file needed
    assert (tmp_path / "digits.labels.npy").is_dir()


def test_not_enough_disk_space_gives_sizes_that_differ(tmp_path, capsys, monkeypatch):
    import shutil

    monkeypatch.setattr(
        shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**12, 10**12 - 2_500_000, 2_500_000)
    )
    err = error_of(["sample", "--n", "1000", "--out", str(tmp_path / "s.npy")], capsys)
    assert err == (
        f"--out {tmp_path / 's.npy'} would take 3.1 MB, but its disk has 2.5 MB free: free some space, write "
        "elsewhere, or ask for fewer images"
    )  # it said "would take 0.00 GB, but its disk has 0.00 GB free"


# -- counts and seeds, by ganlib.checks ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv, message",
    [
        (["sample", "--n", "0", "--out", "s.npy"], "--n must be from 1 to 10,000,000, got 0"),
        (["sample", "--n", "10000001", "--out", "s.npy"], "--n must be from 1 to 10,000,000, got 10,000,001"),
        (
            ["sample", "--n", "3", "--seed", "-1", "--out", "s.npy"],
            "--seed must be a whole number from 0 to 2**64 - 1, got -1 (int)",
        ),
        (["evaluate", "--n", "1"], "--n must be from 2 to 100,000, got 1"),
        (
            ["evaluate", "--seed", str(2**64)],
            "--seed must be a whole number from 0 to 2**64 - 1, got 18446744073709551616 (int)",
        ),
        (["train-classifier", "--epochs", "0"], "--epochs must be >= 1, got 0"),
        (["train-classifier", "--batch-size", "-3"], "--batch-size must be >= 1, got -3"),
        (["train-classifier", "--min-accuracy", "nan"], "--min-accuracy must be in [0, 1], got nan (float)"),
    ],
)
def test_counts_and_seeds(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert error_of(argv, capsys) == message
    assert not list(tmp_path.iterdir())


# -- digits, generators ---------------------------------------------------------------------------------------
def test_digit_messages(run_folder, capsys):
    from ganlib.data.paths import default_conditional_generator_path

    generator = run_folder / "generator.npz"
    err = error_of(["sample", "--checkpoint", str(generator), "--n", "3", "--digit", "3", "--out", "s.npy"], capsys)
    assert err == (
        f"--digit 3: {generator} is an unconditional generator (it draws digits of its own choosing); drop --digit, "
        "or leave out --checkpoint for the shipped conditional generator"
    )  # it said "train a conditional one", though one is shipped and used when --checkpoint is left out
    conditional = ["--checkpoint", str(default_conditional_generator_path())]
    for digit in ("10", "-1"):
        err = error_of(["sample", *conditional, "--n", "3", "--digit", digit, "--out", "s.npy"], capsys)
        assert err.startswith(f"--digit: label {digit} is out of range: this model has 10 classes, 0 to 9"), err


def test_evaluate_a_generator_of_other_data(tmp_path, capsys):
    from ganlib.config import CONFIGS
    from ganlib.gan import GAN
    from ganlib.io.generator import save_generator

    toy = save_generator(
        GAN(CONFIGS["default"].replace(data_dim=1, g_output="linear", g_hidden=(4,), d_hidden=(4,))),
        tmp_path / "toy.npz",
    )
    err = error_of(["evaluate", "--checkpoint", str(toy), "--n", "10"], capsys)
    assert err == f"{toy} makes 1-dimensional data, not 28x28 images: evaluate measures generators of MNIST images"


# -- after training: saving ----------------------------------------------------------------------------------
def test_a_model_that_cannot_be_saved_anywhere(tmp_path, capsys, monkeypatch):
    from ganlib.io import checkpoint

    def save(gan, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint, "save_checkpoint", save)
    capsys.readouterr()
    assert main(["train", "--out", str(tmp_path / "run"), "--epochs", "1", *TINY]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith(
        f"error: could not write {tmp_path / 'run' / 'checkpoint.npz'} ([Errno 28] No space left on device); writing "
    )
    assert lines[1] == (
        f"error: could not write {tmp_path / 'run' / 'checkpoint.npz'} ([Errno 28] No space left on device), nor a copy "
        "in the temporary folder ([Errno 28] No space left on device): the model is lost; free some disk space "
        "before training again"
    )  # it was a traceback


def test_an_interrupted_run_saves_and_exits_130(tmp_path, capsys, monkeypatch):
    from ganlib.gan import GAN

    real_train = GAN.train

    def train(self, *args, **kwargs):
        history = real_train(self, *args, **kwargs)
        history.interrupted = True  # as Ctrl-C does, after the current iteration
        return history

    monkeypatch.setattr(GAN, "train", train)
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--epochs", "1", *TINY]) == 130
    assert "interrupted; saved what was trained so far after 2 iterations" in capsys.readouterr().out
    assert json.loads((out / "history.json").read_text())["iterations"] == 2


def test_ctrl_c_outside_training_exits_130(tmp_path, capsys, monkeypatch):
    from ganlib.io import generator as checkpoint

    def load(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "load_generator", load)
    assert main(["sample", "--n", "3", "--out", str(tmp_path / "s.npy")]) == 130
    assert capsys.readouterr().err == "interrupted\n"
    assert not list(tmp_path.iterdir())


def test_below_min_accuracy_saves_nothing_and_exits_1(tmp_path, capsys, monkeypatch):
    from ganlib.evaluation import classifier

    monkeypatch.setattr(classifier, "train_classifier", lambda *a, **k: (None, 0.5))
    assert main(["train-classifier", "--out", str(tmp_path / "c.npz")]) == 1
    assert capsys.readouterr().err == "test accuracy 0.5000 is below --min-accuracy 0.99; weights not saved\n"
    assert not list(tmp_path.iterdir())
