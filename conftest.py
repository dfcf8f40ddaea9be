"""Settings for every pytest run in this repository: the unit tests and the notebooks (nbval).

The notebooks train on a shrunk budget in the test suite: ``GANLIB_FAST=1`` is set here,
before nbval starts any kernel (kernels inherit the environment), so that
``python -m pytest`` finishes in minutes. ``GANLIB_FULL=1 python -m pytest`` removes
``GANLIB_FAST`` instead, and the notebooks train in full (as they do for a reader who opens
them in Jupyter, where nothing sets the variable).

Which notebooks nbval runs: every notebook once, each notebook with exercises in its
solved version. For such a notebook ``notebooks/NN-title.ipynb`` is the student version:
its exercises are stubs and its check cells (tagged ``raises-exception``) fail on them, so
nbval, which tolerates a tagged cell that raises, would prove nothing by running it;
``tests/test_exercise_notebooks.py`` executes it instead and checks that every check cell
refuses its stub and nothing else fails. nbval runs ``notebooks/solutions/NN-title.ipynb``,
where every check must pass, and the notebooks without exercises. A notebook named on the
command line is collected all the same.

This file sits in the repository root rather than in tests/ because pytest loads a
conftest.py only from the folders of the paths it is given and their parents:
``python -m pytest notebooks/04-training-live.ipynb`` would never see tests/conftest.py.
(A notebooks/conftest.py would shadow tests/conftest.py for ``from conftest import ...``.)
"""

import os
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"

FULL = os.environ.get("GANLIB_FULL", "") not in ("", "0")

if FULL:
    os.environ.pop("GANLIB_FAST", None)
else:
    os.environ["GANLIB_FAST"] = "1"


def pytest_report_header(config):
    if FULL:
        return "notebooks: full training (GANLIB_FULL=1)"
    return "notebooks: shrunk training (GANLIB_FAST=1; GANLIB_FULL=1 trains in full)"


def pytest_ignore_collect(collection_path, config):
    path = Path(collection_path)
    if path.suffix == ".ipynb" and path.parent == NOTEBOOKS and (NOTEBOOKS / "solutions" / path.name).exists():
        return True  # a student version: tests/test_exercise_notebooks.py executes it
    if path.name == ".ipynb_checkpoints":
        return True  # JupyterLab's autosaves
    return None
