"""Every benchmark script runs: a smoke run of each with ``--quick``, as its README command spells it.

Each script runs as ``python -m benchmarks.<group>.<name> --quick`` in a subprocess, from the
repository's root, and must exit 0, print its characteristic last figures, and leave the
committed results (``data/results``, ``benchmarks/results``) untouched. The scripts that race
PyTorch are skipped without it (a failure under ``GANLIB_NO_SKIP=1``, see conftest.py).
A new script in ``benchmarks/speed`` or ``benchmarks/experiments`` needs a row in ``SCRIPTS``.
"""

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
LIBRARIES = {"benchmarks.speed.iteration"}  # modules of the benchmarks that are not scripts

# module, extra arguments after --quick, a pattern its output must match, whether it needs torch
SCRIPTS = [
    ("benchmarks.speed.train", ["--threads", "1"], r"\nratio_vs_torch=\d+\.\d\d\n?$", True),
    (
        "benchmarks.speed.dcgan",
        ["--threads", "1"],
        r"GEMM-bound limit.*\n(.|\n)*\ndcgan_ratio_vs_torch=\d+\.\d\d\n?$",
        True,
    ),
    ("benchmarks.speed.explorer", [], r"nearest of 50,000 training images +median", False),
    ("benchmarks.speed.profile", [], r"whole iteration \(measured\)", False),
    (
        "benchmarks.speed.prototypes",
        [],
        r"bit-identical to ganlib's Adam after 3 steps: True; .*MovingAverage: True",
        False,
    ),
    ("benchmarks.experiments.case_studies", [], r"\| `collapse_reference` \|[^\n]*\n+total \d+ s", False),
    ("benchmarks.experiments.search_default", [], r"quick: every subcommand ran", False),
    ("benchmarks.experiments.minutes", [], r"quick: every subcommand ran", False),
    ("benchmarks.experiments.classifiers", [], r"quick: both classifiers measured every sample set", False),
    ("benchmarks.experiments.conditional", [], r"targets of issue #12: overall", False),
    ("benchmarks.experiments.compare_conditioning", [], r"embedding EMA  per digit: 0:", False),
]


def _script_modules() -> set[str]:
    found = set()
    for group in ("speed", "experiments"):
        for path in (BENCHMARKS / group).glob("*.py"):
            if path.stem != "__init__":
                found.add(f"benchmarks.{group}.{path.stem}")
    return found - LIBRARIES


def _committed_results() -> dict[str, str]:
    """sha256 of every file in the folders of committed results."""
    out = {}
    for folder in (REPO / "data" / "results", BENCHMARKS / "results"):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out[str(path.relative_to(REPO))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def test_every_script_has_a_smoke_run():
    listed = {module for module, *_ in SCRIPTS}
    assert _script_modules() == listed, (
        f"scripts without a row in SCRIPTS: {sorted(_script_modules() - listed)}; "
        f"rows without a script: {sorted(listed - _script_modules())}"
    )


def test_no_script_edits_sys_path():
    """The scripts run as modules from the root (python -m benchmarks...): no sys.path edits needed."""
    offenders = [
        str(path.relative_to(REPO))
        for path in BENCHMARKS.rglob("*.py")
        if re.search(r"sys\.path\.(insert|append)|sys\.path\s*=", path.read_text())
    ]
    assert offenders == []


def _script_params():
    """One pytest param per row; a row that needs torch carries the ``torch`` marker, so CI's
    first pass (no PyTorch yet) may skip it and its second pass runs it."""
    for module, extra, expected, needs_torch in SCRIPTS:
        marks = [pytest.mark.torch] if needs_torch else []
        yield pytest.param(module, extra, expected, needs_torch, marks=marks, id=module.split(".", 1)[1])


@pytest.mark.parametrize("module, extra, expected, needs_torch", list(_script_params()))
def test_quick_run(module, extra, expected, needs_torch, tmp_path):
    if needs_torch:
        pytest.importorskip("torch")
    before = _committed_results()
    env = {**os.environ, "MPLBACKEND": "Agg", "TMPDIR": str(tmp_path)}  # the --quick outputs land in tmp_path
    result = subprocess.run(
        [sys.executable, "-m", module, "--quick", *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{module} --quick exited {result.returncode}:\n{result.stderr[-3000:]}"
    assert re.search(expected, result.stdout), f"{module} --quick printed:\n{result.stdout[-3000:]}"
    assert _committed_results() == before, f"{module} --quick changed committed results"
