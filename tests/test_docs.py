"""Every shell command in README.md and in notebook 00 works as written, run in order, twice in a row.

The commands are read out of the ``bash`` code blocks with mktestdocs and run as one bash
script in a fresh copy of the repository (its tracked and untracked, not ignored, files), so
``python3 -m venv .venv`` makes a new environment and ``pip install -e ".[dev]"`` installs into
it, exactly as a new user's first hour goes. The script runs twice in the same copy: running a
command again (a second ``train`` into the same folder, a second ``sample`` to the same file)
must work too.

Three commands cannot run to completion inside a test, and get a stand-in defined before the
script, each checking what can be checked:

* ``jupyter lab NOTEBOOK`` and ``voila NOTEBOOK`` are servers: they are started on a free port,
  and the stand-in waits until the server answers over HTTP (for Voila: until the page,
  executed, is served), then stops it;
* ``python -m pytest`` is this test suite itself: inside it, the stand-in collects it
  (``--collect-only``), which imports every test module and notebook; CI runs the suite in full.

The test suite's ``GANLIB_FAST=1`` reaches the commands, so ``python -m ganlib train`` trains
a shrunk run (and says so) instead of the full six minutes.
"""

import os
import shutil
import subprocess

import jupytext
import pytest
from mktestdocs import grab_code_blocks

from conftest import REPO, copy_of_repository

INDEX = REPO / "notebooks" / "00-index.md"

STAND_INS = r"""
free_port() { command python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

serve_and_stop() {  # serve_and_stop NAME URL_PATH COMMAND...: start a server, wait for an HTTP answer, stop it
    local name=$1 path=$2; shift 2
    local port; port=$(free_port)
    "$@" --port="$port" > "server-$name.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 180); do
        code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path" || true)
        if [[ $code == 200 || $code == 302 || $code == 403 ]]; then
            kill "$pid"; wait "$pid" 2>/dev/null || true
            echo "$name answered HTTP $code on port $port"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$name exited before answering:"; tail -40 "server-$name.log"; return 1
        fi
        sleep 1
    done
    kill "$pid"; echo "$name did not answer within 180 s:"; tail -40 "server-$name.log"; return 1
}

jupyter() {
    if [[ ${1:-} == lab ]]; then
        shift
        [[ -e ${1:?jupyter lab needs a notebook} ]] || { echo "no such notebook: $1"; return 1; }
        # As root (as CI runs), Jupyter refuses to start without --allow-root; a user needs no flag.
        local root=(); [[ $(id -u) == 0 ]] && root=(--allow-root)
        serve_and_stop "jupyter-lab" /lab command jupyter lab --no-browser --ServerApp.ip=127.0.0.1 "${root[@]}" "$@"
    else
        command jupyter "$@"
    fi
}

voila() {
    [[ -e ${1:?voila needs a notebook} ]] || { echo "no such notebook: $1"; return 1; }
    serve_and_stop voila / command voila --no-browser --Voila.ip=127.0.0.1 "$@"
}

python() {
    if [[ ${1:-} == -m && ${2:-} == pytest ]]; then
        shift 2
        command python -m pytest --collect-only -q -p no:cacheprovider "$@" | tail -3
        return "${PIPESTATUS[0]}"
    fi
    command python "$@"
}
"""


def shell_blocks(markdown: str) -> list[str]:
    return grab_code_blocks(markdown, lang="bash")


def documented_commands() -> list[str]:
    """The bash blocks of the README, then those of notebook 00's markdown cells, in order."""
    blocks = shell_blocks(REPO.joinpath("README.md").read_text())
    for cell in jupytext.read(INDEX).cells:
        if cell.cell_type == "markdown":
            blocks += shell_blocks(cell.source)
    return blocks


def test_the_documents_have_commands():
    blocks = documented_commands()
    text = "\n".join(blocks)
    for command in ("pip install -e", "jupyter lab", "python -m pytest", "python -m ganlib train", "voila"):
        assert command in text, f"no documented command contains {command!r}"


def test_stand_ins_refuse_what_does_not_work(tmp_path):
    """The stand-ins can fail: a missing notebook, or a server that exits at once."""
    for line in ("jupyter lab no-such.ipynb", "voila no-such.ipynb"):
        result = subprocess.run(["bash", "-c", STAND_INS + line], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode != 0 and "no such notebook" in result.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is needed to ask the servers")
def test_every_documented_command_runs_twice_in_a_row(tmp_path):
    copy = copy_of_repository(tmp_path / "repo")
    script = "\n".join(["set -euo pipefail", STAND_INS, *documented_commands()])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "GANLIB_DATA_DIR"))}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if "/.venv/" not in p + "/")
    env["GANLIB_FAST"] = "1"  # set by the root conftest already; said here because the commands rely on it
    for attempt in ("first", "second"):
        result = subprocess.run(["bash", "-c", script], cwd=copy, env=env, capture_output=True, text=True)
        stderr = "\n".join(line for line in result.stderr.splitlines() if "WARNING: Location" not in line)
        assert result.returncode == 0, (
            f"the documented commands failed on the {attempt} run (exit {result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{stderr[-4000:]}"
        )
    assert (copy / "runs" / "default" / "checkpoint.npz").is_file()
    assert "GANLIB_FAST=1" in result.stdout  # train said that it trained a shrunk run
