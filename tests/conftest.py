"""Shared test set-up.

``GANLIB_NO_SKIP=1`` (set by .ci/run) turns every skipped test into a failure,
so CI can never pass by skipping the PyTorch cross-checks or the browser test
because something was not installed.

``GANLIB_FAST`` / ``GANLIB_FULL`` (shrunk or full training in the notebooks) are handled
by the repository's root conftest.py, which also applies when only notebooks are tested.
"""

import os

import numpy as np
import pytest

NO_SKIP = os.environ.get("GANLIB_NO_SKIP", "") not in ("", "0")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if NO_SKIP and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but GANLIB_NO_SKIP is set so skips are failures: {reason}"


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
