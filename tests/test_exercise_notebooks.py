"""The student versions' checks fail on their stubs, and nbval runs every notebook once.

For each notebook with exercises, the student version (``notebooks/NN-title.ipynb``: each
solution replaced by nbgrader's stub, each check cell tagged ``raises-exception``) is
executed top to bottom in a kernel of this Python, with ``GANLIB_FAST=1`` (the root
conftest.py sets it). Every check cell must stop on ExerciseIncomplete (the stub is "not
written yet": the check can fail), and no other cell may raise (the rest of the notebook
must not need the reader's answers). nbval runs the solved version,
``notebooks/solutions/NN-title.ipynb``, where every check passes; the root conftest.py
keeps it from running the student version too.
"""

import copy
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks" / "tools"))
import run_all  # noqa: E402
import series  # noqa: E402

ENTRIES = series.load_series()
EXERCISES = [e for e in ENTRIES if series.md_has_exercises(e.md)]


def _student_version(entry):
    """The committed student version if it is what the .md generates (test_notebooks checks that), else a fresh one."""
    md_nb = series.read_md(entry.md)
    series.apply_derived(md_nb, entry, ENTRIES)
    generated = series.generate(entry, md_nb)
    if series.generated_state(entry.ipynb, generated.student) == "current":
        return series.read_ipynb(entry.ipynb)
    return copy.deepcopy(generated.student)


@pytest.mark.parametrize("entry", EXERCISES, ids=[e.stem for e in EXERCISES])
def test_the_student_versions_checks_fail_on_the_stubs(entry):
    nb = _student_version(entry)
    checks = sum(series.is_check_cell(c) for c in nb.cells)
    assert checks >= 2, f"{entry.file}: {checks} check cells"
    start = time.perf_counter()
    run_all.execute(nb, series.NOTEBOOK_DIR, timeout=1200, allow_errors=True)  # every cell runs; errors recorded
    seconds = time.perf_counter() - start
    problems = run_all.student_run_problems(nb)
    assert not problems, f"{entry.file} (executed in {seconds:.0f} s): " + "; ".join(problems)


def test_nbval_runs_every_notebook_once_each_exercise_notebook_in_its_solved_version():
    """What `python -m pytest` collects from notebooks/: the solved versions, not the student versions they replace."""
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"] == [
        "tests",
        "notebooks",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "notebooks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    collected = {line.split("::")[0] for line in result.stdout.splitlines() if "::" in line}
    expected = {f"notebooks/solutions/{e.file}" if e in EXERCISES else f"notebooks/{e.file}" for e in ENTRIES}
    expected |= {str(p.relative_to(ROOT)) for p in (ROOT / "notebooks" / "apps").glob("*.ipynb")}  # the explorer app
    assert collected == expected
