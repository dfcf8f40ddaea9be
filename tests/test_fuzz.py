"""Fuzz tests: damaged and hostile input to every entry point ends in ganlib's own clear error.

* The archive readers (``load_checkpoint``, ``load_generator``, ``read_metadata``,
  ``Classifier.load``) get thousands of mutated real files (see tests/fuzzing.py), in a child
  process whose address space is limited to what its set-up used plus 256 MiB.
* The command line gets every option with bad values, and random combinations of them: each
  must exit with status 2 and a message naming the option or the file, before any training,
  sampling or evaluation starts, without changing any file.

``GANLIB_FUZZ_CASES`` sets the number of random archive cases (default 600, about 20 s here;
the oversized declarations, about 330 cases, always run) and ``GANLIB_FUZZ_SEED`` the seed
(default 0). The command-line cases are all run, plus ``GANLIB_FUZZ_CASES // 4`` random
combinations.
"""

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ganlib.cli import main

CASES = int(os.environ.get("GANLIB_FUZZ_CASES", "600"))
SEED = int(os.environ.get("GANLIB_FUZZ_SEED", "0"))
HERE = Path(__file__).resolve().parent


def test_archive_readers_refuse_damaged_files_clearly():
    """Every mutated file is refused with a CheckpointError naming it, or loads exactly what it holds."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, str(HERE / "fuzzing.py"), "--cases", str(CASES), "--seed", str(SEED), "--extra-mib", "256"],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    assert result.stdout, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    print(json.dumps(summary, indent=1))  # shown with pytest -s: cases per entry point and outcome
    assert summary["failures"] == [], "\n".join(summary["failures"][:20])
    assert result.returncode == 0, result.stderr[-3000:]
    assert summary["cases"] >= CASES and summary["max_traced_bytes"] < 64 << 20
    outcomes = summary["outcomes"]
    for entry in ("load_checkpoint", "load_generator", "read_metadata", "Classifier.load"):
        assert sum(n for k, n in outcomes.items() if k.startswith(entry + " /")) > 0, entry


# -- the command line ---------------------------------------------------------------------------------
INT_BAD = ["x", "", "1.5", "1e3", "nan", "0x10"]
FLOAT_BAD = ["x", "", "nan", "inf", "-inf"]
CHOICE_BAD = ["bogus", ""]

# The bad values of each configuration option of `train` (the message names the option, or its
# GANConfig field: --lr-g or lr_g).
CONFIG_OPTIONS = {
    "--latent-dim": INT_BAD + ["0", "-1", "100000000"],
    "--g-hidden": ["0", "-5", "x", "1.5", "100000 100000", "inf"],
    "--d-hidden": ["0", "-5", "x", "1.5", "100000 100000"],
    "--leaky-slope": FLOAT_BAD + ["1", "5", "-0.1"],
    "--d-dropout": FLOAT_BAD + ["1", "-0.5"],
    "--lr-g": FLOAT_BAD + ["0", "-1"],
    "--lr-d": FLOAT_BAD + ["0", "-1"],
    "--beta1": FLOAT_BAD + ["1", "-0.1"],
    "--beta2": FLOAT_BAD + ["1", "-0.1"],
    "--momentum": FLOAT_BAD + ["1", "-1"],
    "--decay-rate": FLOAT_BAD + ["-1"],
    "--batch-size": INT_BAD + ["0", "-1", "2000000"],
    "--k": INT_BAD + ["0", "1001"],
    "--real-label": FLOAT_BAD + ["0", "1.5"],
    "--ema-decay": FLOAT_BAD + ["1", "-0.1"],
    "--epochs": INT_BAD + ["-1", "1000001"],
    "--seed": INT_BAD + ["-1", str(2**64)],
    "--latent-dist": CHOICE_BAD,
    "--optimizer": CHOICE_BAD,
    "--generator-loss": CHOICE_BAD,
}


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    """Paths with every kind of problem, and a few real files."""
    from ganlib.config import CONFIGS
    from ganlib.gan import GAN
    from ganlib.io.checkpoint import save_checkpoint
    from ganlib.io.generator import save_generator

    root = tmp_path_factory.mktemp("cli-fuzz")
    (root / "file").write_text("a file")
    (root / "folder").mkdir()
    (root / "folder.npy").mkdir()
    (root / "folder.npz").mkdir()
    (root / "folder.json").mkdir()
    (root / "text.npz").write_text("not a zip")
    np.save(root / "array.npy", np.zeros(3))
    (root / "loop.npz").symlink_to(root / "loop.npz")
    (root / "run-with-folders" / "generator.npz").mkdir(parents=True)
    real = save_checkpoint(GAN(CONFIGS["default"].replace(g_hidden=(8,), d_hidden=(8,))), root / "real.npz")
    damaged = root / "damaged.npz"
    damaged.write_bytes(real.read_bytes()[: real.stat().st_size // 2])
    toy = CONFIGS["default"].replace(data_dim=1, g_output="linear", g_hidden=(4,), d_hidden=(4,))
    save_generator(GAN(toy), root / "toy.npz")
    if os.geteuid() != 0:
        (root / "read-only").mkdir(mode=0o500)
        unwritable = root / "read-only"
    else:
        unwritable = Path("/sys")  # root may write anywhere chmod allows; not in /sys
    (root / "mnist-corrupt").mkdir()
    for name in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"):
        (root / "mnist-corrupt" / f"{name}.gz").write_bytes(b"\x1f\x8b\x08 not really gzip")
    (root / "mnist-folder" / "train-images-idx3-ubyte.gz").mkdir(parents=True)
    (root / "mnist-folder" / "t10k-images-idx3-ubyte.gz").mkdir()
    return {"root": root, "unwritable": unwritable, "long": "x" * 300}


def _bad_inputs(p):
    """Checkpoint paths that cannot be read, with what the message must contain."""
    root = p["root"]
    return {
        str(root / "missing.npz"): "no checkpoint at",
        str(root / "folder"): "is a folder",
        str(root / "text.npz"): "not a readable ganlib checkpoint",
        str(root / "array.npy"): "single .npy array",
        str(root / "damaged.npz"): "damaged.npz",
        str(root / "loop.npz"): "loop.npz",
        str(root / p["long"]): "cannot read",
    }


def _bad_outputs(p, suffix, folder=False):
    root, unwritable = p["root"], p["unwritable"]
    cases = {
        str(root / "file" / f"sub{suffix}"): "is not a folder",
        str(unwritable / f"x{suffix}"): "cannot write there",
        str(root / (p["long"] + suffix)): "cannot write there",
    }
    if folder:
        cases[str(root / "file")] = "is a file; give a folder"
        cases[str(root / "run-with-folders")] = "is a folder, where the file generator.npz would go"
    else:
        cases[str(root / f"folder{suffix}")] = "is a folder; give a file name"
    return cases


def cli_cases(p) -> list[tuple[list[str], list[str], str, dict]]:
    """(base command, extra arguments, text the error must contain, environment) for every bad option value."""
    root = p["root"]
    train = ["train", "--out", str(root / "runs" / "r"), "--epochs", "1", "--g-hidden", "8", "--d-hidden", "8"]
    train += ["--batch-size", "50", "--limit", "100", "--no-progress"]
    sample = ["sample", "--n", "3", "--out", str(root / "out" / "s.npy")]
    evaluate = ["evaluate", "--n", "20", "--no-parzen"]
    classifier = ["train-classifier", "--epochs", "1", "--out", str(root / "out" / "c.npz")]
    cases = []
    for option, values in CONFIG_OPTIONS.items():
        cases += [(train, [option, *v.split(" ")], option, {}) for v in values]
    cases += [(train, ["--config", v], "--config", {}) for v in CHOICE_BAD]
    cases += [(train, ["--limit", v], "--limit", {}) for v in [*INT_BAD, "0", "-1"]]
    cases += [(train, ["--limit", "49"], "batch_size * k = 50 * 1 = 50 images", {})]
    cases += [(train, ["--k", "3"], "batch_size * k = 50 * 3 = 150 images", {})]
    cases += [(train, ["--snapshot-every", v], "--snapshot-every", {}) for v in [*INT_BAD, "0", "-1"]]
    cases += [(train, ["--out", v], m, {}) for v, m in _bad_outputs(p, "", folder=True).items()]
    resume = ["train", "--out", str(root / "runs" / "r"), "--limit", "100", "--no-progress", "--resume"]
    cases += [(resume, [v], m, {}) for v, m in _bad_inputs(p).items()]
    cases += [(resume, [str(root / "real.npz"), "--lr-g", "0.1"], "cannot be given with it (only --epochs can)", {})]
    cases += [
        (resume, [str(root / "real.npz"), "--epochs", v], "--epochs must be in [0, 1_000_000]", {})
        for v in ("-1", "10000000")
    ]
    for command, base in (("sample", sample), ("evaluate", evaluate)):
        low, high = (1, 10_000_000) if command == "sample" else (2, 100_000)
        cases += [(base, ["--n", v], "--n", {}) for v in [*INT_BAD, str(low - 1), "-1", str(high + 1), "9" * 30]]
        cases += [(base, ["--seed", v], "--seed", {}) for v in [*INT_BAD, "-1", str(2**64)]]
        cases += [(base, ["--checkpoint", v], m, {}) for v, m in _bad_inputs(p).items()]
    cases += [(sample, ["--out", v], m, {}) for v, m in _bad_outputs(p, ".npy").items()]
    cases += [(sample, ["--out", str(root / "s.txt")], "give a .npy file (the array of images)", {})]
    cases += [(evaluate, ["--json", v], m, {}) for v, m in _bad_outputs(p, ".json").items()]
    cases += [(evaluate, ["--checkpoint", str(root / "toy.npz")], "not 28x28 images", {})]
    cases += [(classifier, ["--epochs", v], "--epochs", {}) for v in [*INT_BAD, "0", "-1"]]
    cases += [(classifier, ["--batch-size", v], "--batch-size", {}) for v in [*INT_BAD, "0", "-1"]]
    cases += [(classifier, ["--seed", v], "--seed", {}) for v in [*INT_BAD, "-1"]]
    cases += [(classifier, ["--min-accuracy", v], "--min-accuracy", {}) for v in [*FLOAT_BAD, "-0.1", "1.5"]]
    cases += [(classifier, ["--out", v], m, {}) for v, m in _bad_outputs(p, ".npz").items()]
    cases += [(classifier, ["--out", str(root / "c.txt")], "must end in .npz", {})]
    for folder, message in (("missing", "not found"), ("mnist-corrupt", "gzip"), ("mnist-folder", "not a regular")):
        env = {"GANLIB_DATA_DIR": str(root / folder)}
        cases += [(base, [], message, env) for base in (train, evaluate, classifier)]
    cases += [(train, ["--bogus"], "unrecognized arguments", {}), (evaluate, ["--bogus"], "unrecognized arguments", {})]
    cases += [(["sample"], ["--n", "3"], "the following arguments are required: --out", {})]
    cases += [(["frobnicate"], [], "invalid choice", {}), ([], [], "required", {})]
    return cases


@pytest.fixture
def no_work(monkeypatch):
    """Any training, sampling or evaluation that starts is a failure: problems must be found first."""
    import ganlib.evaluation.classifier
    import ganlib.evaluation.metrics
    import ganlib.io.generator
    from ganlib.gan import GAN

    def refuse(*args, **kwargs):
        raise AssertionError("work started although the command line was wrong")

    monkeypatch.setattr(GAN, "train", refuse)
    monkeypatch.setattr(ganlib.evaluation.metrics, "evaluate_samples", refuse)
    monkeypatch.setattr(ganlib.evaluation.classifier, "train_classifier", refuse)
    monkeypatch.setattr(ganlib.io.generator, "iter_samples", refuse)


def _tree(root: Path) -> dict:
    """Every path under ``root``, with the size and time of each file."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else None for p in root.rglob("*")}


def _run(argv, env, monkeypatch) -> tuple[int, str]:
    with monkeypatch.context() as m:
        for name, value in env.items():
            m.setenv(name, value)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                status = main(argv)
            except SystemExit as exit:  # argparse's own errors
                status = exit.code
    return status, err.getvalue()


def _check(argv, message, status, err) -> str | None:
    """What is wrong with the outcome of one case, or None."""
    lines = err.strip().splitlines()
    if status != 2:
        return f"exit status {status}: {err.strip()[-300:]}"
    if message not in err and (not message.startswith("--") or message[2:].replace("-", "_") not in err):
        return f"message lacks {message!r}: {err.strip()[-300:]}"
    if "Traceback" in err or not lines or not (lines[-1].startswith("error: ") or ": error: " in lines[-1]):
        return f"not one clear error line: {err.strip()[-300:]}"
    if not lines[0].startswith("usage:") and len(lines) != 1:
        return f"{len(lines)} lines: {err.strip()[-300:]}"
    return None


def test_every_bad_option_is_one_clear_line_and_exit_2(places, no_work, monkeypatch):
    from ganlib.data import paths

    shipped = {p: p.read_bytes() for p in (paths.default_generator_path(), paths.default_classifier_path())}
    cases = cli_cases(places)
    rng = np.random.default_rng(SEED)
    for _ in range(CASES // 4):  # random combinations of two or three bad values for one command
        picked = [cases[i] for i in rng.choice(len(cases), 3, replace=False)]
        same = [c for c in picked if c[0] == picked[0][0] and c[0] and not c[3]]
        if len(same) >= 2:
            extra = [a for c in same for a in c[1]]
            cases.append((same[0][0], extra, "", {}))
    before = _tree(places["root"])
    problems = []
    for base, extra, message, env in cases:
        argv = [*base, *extra]
        try:
            status, err = _run(argv, env, monkeypatch)
        except BaseException as exc:  # noqa: BLE001 - a traceback: exactly what may not happen
            problems.append(f"{argv}: raised {type(exc).__name__}: {exc}")
            continue
        problem = _check(argv, message, status, err)
        if problem:
            problems.append(f"{argv}: {problem}")
        if _tree(places["root"]) != before:
            problems.append(f"{argv}: changed the files")
            before = _tree(places["root"])
    assert {p: p.read_bytes() for p in shipped} == shipped
    print(f"{len(cases)} command lines: {len(cases) - len(problems)} exit 2 with one clear line")
    assert not problems, "\n".join(problems[:30])
    assert len(cases) >= 280


def test_a_few_bad_command_lines_in_a_real_process(places):
    """The same outcome in a real ``python -m ganlib`` (no traceback, one line, exit 2)."""
    root = places["root"]
    for argv, message in [
        (["sample", "--n", "3", "--seed", "-1", "--out", str(root / "s.npy")], "--seed"),
        (["train", "--out", str(root / "file"), "--limit", "100"], "is a file; give a folder"),
        (["evaluate", "--checkpoint", str(root / "damaged.npz")], "damaged.npz"),
    ]:
        result = subprocess.run([sys.executable, "-m", "ganlib", *argv], capture_output=True, text=True)
        assert _check(argv, message, result.returncode, result.stderr) is None, result.stderr
