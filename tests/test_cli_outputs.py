"""The command line's outputs: every command run twice in a row replaces its files; a failure midway keeps the
old ones; ``sample --out F.png`` draws a grid; ``GANLIB_FAST=1`` shrinks ``train`` and ``evaluate``."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from ganlib.cli import main
from ganlib.cli.options import TRAIN_OUTPUTS

TINY = ["--g-hidden", "16", "--d-hidden", "16", "--batch-size", "50", "--limit", "100", "--no-progress"]


def stamps(paths) -> dict:
    """Each file's inode and bytes: os.replace gives a replaced file a new inode."""
    return {Path(p).name: (os.stat(p).st_ino, Path(p).read_bytes()) for p in paths}


def assert_replaced(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for name in before:
        assert after[name][0] != before[name][0], f"{name} was not replaced"


def only_files(folder: Path) -> set:
    """The names in ``folder``: no temporary (.partial, .staged) file may be left behind."""
    return {p.name for p in folder.iterdir()}


@pytest.fixture
def fail_replacing(monkeypatch):
    """``fail_replacing(path)``: from now on, renaming a finished temporary file over ``path`` fails (a full disk,
    as late as it can happen: after the new data were written)."""
    real_replace = os.replace

    def start(target: Path):
        def replace(src, dst, **kwargs):
            if Path(dst) == target:
                raise OSError(28, "No space left on device")
            return real_replace(src, dst, **kwargs)

        monkeypatch.setattr(os, "replace", replace)

    return start


# -- train ------------------------------------------------------------------------------------------------
def test_train_twice_into_the_same_folder_replaces_every_output(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--epochs", "1", "--seed", "1", *TINY]) == 0
    first = stamps(out / name for name in TRAIN_OUTPUTS)
    assert main(["train", "--out", str(out), "--epochs", "1", "--seed", "2", *TINY]) == 0
    second = stamps(out / name for name in TRAIN_OUTPUTS)
    assert_replaced(first, second)
    assert json.loads((out / "history.json").read_text())["config"]["seed"] == 2
    assert first["checkpoint.npz"][1] != second["checkpoint.npz"][1]
    assert only_files(out) == set(TRAIN_OUTPUTS)


def test_resume_twice_into_the_checkpoint_s_own_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--epochs", "1", *TINY]) == 0
    for iterations in (4, 6):  # no --out: the checkpoint's folder
        before = stamps(out / name for name in TRAIN_OUTPUTS)
        assert main(["train", "--resume", str(out / "checkpoint.npz"), "--epochs", "1", "--limit", "100"]) == 0
        assert_replaced(before, stamps(out / name for name in TRAIN_OUTPUTS))
        assert json.loads((out / "history.json").read_text())["iterations"] == iterations
    assert f"writing to {out}/" in capsys.readouterr().out


def test_a_new_run_defaults_to_runs_config(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--config", "original_post", "--epochs", "1", *TINY]) == 0
    assert sorted(only_files(tmp_path / "runs" / "original_post")) == sorted(TRAIN_OUTPUTS)


def test_train_failing_midway_keeps_the_old_files_and_says_how_to_finish(tmp_path, capsys, fail_replacing):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--epochs", "1", "--seed", "1", *TINY]) == 0
    first = stamps(out / name for name in TRAIN_OUTPUTS)
    fail_replacing(out / "samples.png")
    assert main(["train", "--out", str(out), "--epochs", "1", "--seed", "2", *TINY]) == 2
    err = capsys.readouterr().err
    assert f"could not write {out / 'samples.png'} ([Errno 28] No space left on device)" in err
    assert f"samples.png, progress.gif and history.json in {out} are as before this run" in err
    command = err.split("`")[1]
    assert command == f"python -m ganlib train --resume {out / 'checkpoint.npz'} --epochs 0 --out {out}"
    second = stamps(out / name for name in TRAIN_OUTPUTS)
    for name in ("samples.png", "progress.gif", "history.json"):
        assert second[name] == first[name], name
    for name in ("checkpoint.npz", "generator.npz"):
        assert second[name][0] != first[name][0], name
    assert only_files(out) == set(TRAIN_OUTPUTS)


def test_the_command_that_finishes_a_failed_write_works(tmp_path, capsys, monkeypatch):
    """What the message above says to run: a resumed run of 0 epochs writes the outputs again."""
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--epochs", "1", "--seed", "2", *TINY]) == 0
    (out / "samples.png").unlink()
    history = json.loads((out / "history.json").read_text())
    assert main(["train", "--resume", str(out / "checkpoint.npz"), "--epochs", "0", "--out", str(out)]) == 0
    assert only_files(out) == set(TRAIN_OUTPUTS)
    assert json.loads((out / "history.json").read_text())["iterations"] == history["iterations"]


# -- sample -----------------------------------------------------------------------------------------------
def test_sample_npy_twice_replaces_it(tmp_path, capsys):
    from ganlib.io.generator import load_generator, sample_generator

    out = tmp_path / "samples.npy"
    assert main(["sample", "--n", "20", "--out", str(out)]) == 0
    first = stamps([out])
    assert main(["sample", "--n", "20", "--seed", "1", "--out", str(out)]) == 0
    assert_replaced(first, stamps([out]))
    np.testing.assert_array_equal(np.load(out), sample_generator(*load_generator(), 20, seed=1))
    assert only_files(tmp_path) == {"samples.npy"}


def test_sample_with_labels_twice_then_one_digit(tmp_path, capsys):
    from ganlib.data.paths import default_conditional_generator_path

    out, labels = tmp_path / "digits.npy", tmp_path / "digits.labels.npy"
    conditional = ["--checkpoint", str(default_conditional_generator_path())]
    assert main(["sample", *conditional, "--n", "30", "--out", str(out)]) == 0
    first = stamps([out, labels])
    assert main(["sample", *conditional, "--n", "20", "--out", str(out)]) == 0  # fewer: both files change together
    assert_replaced(first, stamps([out, labels]))
    assert len(np.load(out)) == len(np.load(labels)) == 20
    capsys.readouterr()
    # all of one digit: the labels of the images the file held before no longer belong beside it
    assert main(["sample", *conditional, "--n", "20", "--digit", "3", "--out", str(out)]) == 0
    assert f"removed {labels}: the labels of the images {out} held before" in capsys.readouterr().out
    assert only_files(tmp_path) == {"digits.npy"}


def test_sample_failing_midway_keeps_the_old_files(tmp_path, capsys, monkeypatch):
    from ganlib.data.paths import default_conditional_generator_path
    from ganlib.io import generator as checkpoint

    out, labels = tmp_path / "digits.npy", tmp_path / "digits.labels.npy"
    conditional = ["--checkpoint", str(default_conditional_generator_path())]
    assert main(["sample", *conditional, "--n", "3000", "--out", str(out)]) == 0
    first = stamps([out, labels])
    real_iter = checkpoint.iter_samples

    def disk_full_after_one_chunk(*args, **kwargs):
        chunks = real_iter(*args, **kwargs)
        yield next(chunks)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint, "iter_samples", disk_full_after_one_chunk)
    assert main(["sample", *conditional, "--n", "3000", "--seed", "5", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"could not write {out} ([Errno 28] No space left on device); {out} and {labels} are as they were" in err
    assert stamps([out, labels]) == first
    assert only_files(tmp_path) == {"digits.npy", "digits.labels.npy"}


# -- evaluate and train-classifier ------------------------------------------------------------------------
def test_evaluate_json_twice_replaces_it_and_a_failed_write_keeps_it(tmp_path, capsys, fail_replacing):
    report = tmp_path / "e.json"
    assert main(["evaluate", "--n", "50", "--no-parzen", "--json", str(report)]) == 0
    first = stamps([report])
    assert main(["evaluate", "--n", "60", "--no-parzen", "--json", str(report)]) == 0
    assert_replaced(first, stamps([report]))
    assert json.loads(report.read_text())["n_samples"] == 60
    second = stamps([report])
    fail_replacing(report)
    assert main(["evaluate", "--n", "70", "--no-parzen", "--json", str(report)]) == 2
    assert "it is as it was, the figures are above" in capsys.readouterr().err
    assert stamps([report]) == second and only_files(tmp_path) == {"e.json"}


@pytest.fixture
def quick_classifier(monkeypatch):
    """train_classifier replaced by a tiny untrained classifier, reported as 99% accurate."""
    from ganlib.evaluation import classifier

    def train(epochs, seed, batch_size, progress, command):
        net = classifier.build_classifier_network((784, 8, 10), seed=seed)
        return classifier.Classifier(net, {"command": command, "seed": seed}), 0.99

    monkeypatch.setattr(classifier, "train_classifier", train)


def test_train_classifier_twice_replaces_the_weights(tmp_path, capsys, quick_classifier, fail_replacing):
    from ganlib.evaluation.classifier import Classifier

    out = tmp_path / "c.npz"
    assert main(["train-classifier", "--seed", "1", "--out", str(out)]) == 0
    first = stamps([out])
    assert main(["train-classifier", "--seed", "2", "--out", str(out)]) == 0
    assert_replaced(first, stamps([out]))
    assert Classifier.load(out).metadata["seed"] == 2
    second = stamps([out])
    fail_replacing(out)
    assert main(["train-classifier", "--seed", "3", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"could not write {out} ([Errno 28] No space left on device); it is as it was" in err
    rescued = Path(err.split("the trained classifier is in ")[1].strip())
    assert Classifier.load(rescued).metadata["seed"] == 3
    assert stamps([out]) == second and only_files(tmp_path) == {"c.npz"}


# -- sample --out F.png: a grid ---------------------------------------------------------------------------
def read_png(path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "PNG" and image.mode == "L"
        return np.asarray(image)


def grid_side(tiles: int) -> int:
    """Pixels along a grid of ``tiles`` 28-pixel images with 2-pixel lines, enlarged twice (save_grid_png)."""
    return (tiles * 30 + 2) * 2


def test_sample_png_is_a_grid_of_the_samples(tmp_path, capsys):
    from ganlib.io.generator import load_generator, sample_generator
    from ganlib.viz.images import image_grid, upscale

    out = tmp_path / "grid.png"
    assert main(["sample", "--n", "100", "--seed", "4", "--out", str(out)]) == 0
    assert f"wrote {out}: 100 images in a grid of 10 x 10" in capsys.readouterr().out
    pixels = read_png(out)
    assert pixels.shape == (grid_side(10), grid_side(10))
    np.testing.assert_array_equal(pixels, upscale(image_grid(sample_generator(*load_generator(), 100, seed=4)), 2))
    first = stamps([out])
    assert main(["sample", "--n", "7", "--out", str(out)]) == 0  # again: replaced, 3 x 3 with two empty places
    assert_replaced(first, stamps([out]))
    assert read_png(out).shape == (grid_side(3), grid_side(3)) and only_files(tmp_path) == {"grid.png"}


def test_a_conditional_png_has_a_column_per_digit(tmp_path, capsys):
    from ganlib.condition import balanced_labels
    from ganlib.data.paths import default_conditional_generator_path
    from ganlib.io.generator import load_generator, sample_generator
    from ganlib.viz.images import image_grid, upscale

    out = tmp_path / "digits.png"
    assert (
        main(["sample", "--n", "25", "--out", str(out), "--checkpoint", str(default_conditional_generator_path())]) == 0
    )
    assert "25 images in a grid of 3 x 10, a column per digit (0 to 9)" in capsys.readouterr().out
    pixels = read_png(out)
    assert pixels.shape == (grid_side(3), grid_side(10))
    samples = sample_generator(
        *load_generator(default_conditional_generator_path()), 25, digits=balanced_labels(25, 10)
    )
    np.testing.assert_array_equal(pixels, upscale(image_grid(samples, nrow=10), 2))
    assert not (tmp_path / "digits.labels.npy").exists()  # the columns say which digit is which
    assert main(["sample", "--n", "9", "--digit", "3", "--out", str(out)]) == 0
    assert "9 images in a grid of 3 x 3, all of digit 3" in capsys.readouterr().out
    assert read_png(out).shape == (grid_side(3), grid_side(3))


def test_png_bounds_and_other_suffixes(tmp_path, capsys):
    from ganlib.config import CONFIGS
    from ganlib.gan import GAN
    from ganlib.io.generator import save_generator

    for args, message in [
        (
            ["--n", "10001", "--out", "g.png"],
            "--n must be from 1 to 10,000, got 10,001; a .png grid holds at most 10,000 images, a .npy file up to 10,000,000",
        ),
        (["--n", "0", "--out", "g.png"], "--n must be from 1 to 10,000, got 0"),
        (
            ["--n", "5", "--out", "g.jpg"],
            "give a .npy file (the array of images) or a .png file (a grid of them), not '.jpg'",
        ),
        (["--n", "5", "--out", "samples"], "or a .png file (a grid of them), not a name without a suffix"),
    ]:
        assert main(["sample", *args[:2], "--out", str(tmp_path / args[3])]) == 2
        assert message in capsys.readouterr().err
    toy = CONFIGS["default"].replace(data_dim=1, g_output="linear", g_hidden=(8,), d_hidden=(8,))
    path = save_generator(GAN(toy), tmp_path / "toy.npz")
    assert main(["sample", "--checkpoint", str(path), "--n", "5", "--out", str(tmp_path / "toy.png")]) == 2
    assert "makes 1-dimensional data, not 28x28 images, so there is no picture to draw" in capsys.readouterr().err
    assert only_files(tmp_path) == {"toy.npz"}


def test_the_largest_png(tmp_path, capsys):
    out = tmp_path / "big.png"
    assert main(["sample", "--n", "10000", "--out", str(out)]) == 0
    assert read_png(out).shape == (grid_side(100), grid_side(100))


# -- GANLIB_FAST=1 ----------------------------------------------------------------------------------------
def test_fast_train_is_a_shrunk_run_that_writes_everything(tmp_path, capsys, monkeypatch):
    """The README's `python -m ganlib train --out runs/default`, twice, as its test runs it."""
    monkeypatch.setenv("GANLIB_FAST", "1")
    out = tmp_path / "runs" / "default"
    for _ in range(2):
        assert main(["train", "--out", str(out), "--no-progress"]) == 0
        printed = capsys.readouterr().out
        assert "GANLIB_FAST=1: a shrunk run of 2,560 images, 1 epoch(s); unset it to train in full\n" in printed
        summary = json.loads((out / "history.json").read_text())
        assert summary["iterations"] == 20 and summary["config"]["epochs"] == 37  # the configuration is the default's
        assert only_files(out) == set(TRAIN_OUTPUTS)


def test_fast_train_obeys_what_is_given(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GANLIB_FAST", "1")
    small = ["--g-hidden", "16", "--d-hidden", "16", "--no-progress"]
    assert main(["train", "--out", str(tmp_path / "a"), "--epochs", "2", *small]) == 0
    assert "a shrunk run of 2,560 images, 2 epoch(s)" in capsys.readouterr().out
    assert json.loads((tmp_path / "a" / "history.json").read_text())["iterations"] == 40
    assert main(["train", "--out", str(tmp_path / "b"), "--limit", "300", "--batch-size", "100", *small]) == 0
    assert "a shrunk run of 300 images, 1 epoch(s)" in capsys.readouterr().out
    assert main(["train", "--out", str(tmp_path / "c"), "--limit", "300", "--epochs", "1", *small]) == 0
    assert "GANLIB_FAST" not in capsys.readouterr().out  # nothing left to shrink
    assert main(["train", "--out", str(tmp_path / "d"), "--batch-size", "3000", *small]) == 0
    assert "a shrunk run of 3,000 images, 1 epoch(s)" in capsys.readouterr().out  # one iteration at least
    assert main(["train", "--resume", str(tmp_path / "b" / "checkpoint.npz"), "--no-progress"]) == 0
    assert "a shrunk run of 2,560 images, 1 epoch(s)" in capsys.readouterr().out  # 1 of the 36 epochs left
    assert json.loads((tmp_path / "b" / "history.json").read_text())["epochs"] == 2


def test_without_fast_nothing_is_shrunk(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GANLIB_FAST")
    assert main(["train", "--out", str(tmp_path / "r"), "--epochs", "1", *TINY]) == 0
    assert "GANLIB_FAST" not in capsys.readouterr().out
    from ganlib.cli import evaluate

    assert evaluate._default_n() == 10_000 and capsys.readouterr().out == ""


def test_fast_evaluate_measures_1000_samples_unless_told(capsys, monkeypatch):
    monkeypatch.setenv("GANLIB_FAST", "1")
    assert main(["evaluate", "--no-parzen"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("GANLIB_FAST=1: 1,000 samples, not 10,000; unset it (or give --n) to measure in full\n")
    assert "samples: 1000\n" in printed
    assert main(["evaluate", "--n", "200", "--no-parzen"]) == 0
    printed = capsys.readouterr().out
    assert "GANLIB_FAST" not in printed and "samples: 200\n" in printed


def test_fast_mode_is_documented_in_the_help(capsys):
    from ganlib.cli.options import build_parser

    for command in ("train", "evaluate"):
        with pytest.raises(SystemExit):
            build_parser().parse_args([command, "--help"])
        assert "GANLIB_FAST=1" in capsys.readouterr().out.replace("\n", " "), command
