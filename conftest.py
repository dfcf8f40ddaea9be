"""Settings for every pytest run in this repository: the unit tests and the notebooks (nbval).

The notebooks train on a shrunk budget in the test suite: ``GANLIB_FAST=1`` is set here,
before nbval starts any kernel (kernels inherit the environment), so that
``python -m pytest`` finishes in minutes. ``GANLIB_FULL=1 python -m pytest`` removes
``GANLIB_FAST`` instead, and the notebooks train in full (as they do for a reader who opens
them in Jupyter, where nothing sets the variable).

This file sits in the repository root rather than in tests/ because pytest loads a
conftest.py only from the folders of the paths it is given and their parents:
``python -m pytest notebooks/04-training-live.ipynb`` would never see tests/conftest.py.
"""

import os

FULL = os.environ.get("GANLIB_FULL", "") not in ("", "0")

if FULL:
    os.environ.pop("GANLIB_FAST", None)
else:
    os.environ["GANLIB_FAST"] = "1"


def pytest_report_header(config):
    if FULL:
        return "notebooks: full training (GANLIB_FULL=1)"
    return "notebooks: shrunk training (GANLIB_FAST=1; GANLIB_FULL=1 trains in full)"
