"""Shared test set-up.

``GANLIB_NO_SKIP=1`` (set by .ci/run) turns every skipped test into a failure, so CI can
never pass by skipping the PyTorch cross-checks or the browser test because something was
not installed. ``GANLIB_MAY_SKIP=torch,browser`` beside it still lets the tests with those
markers skip (and only them): CI runs the README's test command that way first, as a new
user with neither PyTorch nor Chromium would, then installs both and runs the marked tests.
Markers (pyproject.toml): ``torch`` needs PyTorch, ``browser`` needs Chromium.

``GANLIB_FAST`` / ``GANLIB_FULL`` (shrunk or full training in the notebooks) are handled
by the repository's root conftest.py, which also applies when only notebooks are tested.
"""

import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
REPO_MNIST = REPO / "data" / "mnist"

NO_SKIP = os.environ.get("GANLIB_NO_SKIP", "") not in ("", "0")
MAY_SKIP = {name.strip() for name in os.environ.get("GANLIB_MAY_SKIP", "").split(",") if name.strip()}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    allowed = any(item.get_closest_marker(name) is not None for name in MAY_SKIP)
    if NO_SKIP and report.skipped and not hasattr(report, "wasxfail") and not allowed:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but GANLIB_NO_SKIP is set so skips are failures: {reason}"


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def serve(monkeypatch):
    """Start local HTTP servers: ``serve(directory) -> (base_url, list of request paths)``."""
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)  # talk to 127.0.0.1 directly
    servers = []

    def start(directory: Path):
        requests = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(directory), **kwargs)

            def do_GET(self):
                requests.append(self.path)
                super().do_GET()

            def log_message(self, format, *args):  # keep test output quiet
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/", requests

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mirror(tmp_path):
    """A directory holding copies of the shipped .gz files, to be served."""
    directory = tmp_path / "mirror"
    directory.mkdir()
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        shutil.copy(REPO_MNIST / f"{name}.gz", directory)
    return directory


def copy_of_repository(target: Path) -> Path:
    """The repository's files (tracked, and untracked but not ignored) copied to ``target``:
    what a fresh clone with the working tree's changes holds, without the checkout's .venv,
    runs/ or build/."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target
