"""Project plumbing: one source of dependencies, README commands that CI really runs, fast import."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {_name(r) for r in extra if not r.startswith("ganlib")}
    return names


def _conda_requirements() -> tuple[set[str], list[str]]:
    conda, pip, in_pip = set(), [], False
    text = (ROOT / "environment.yml").read_text()
    for line in text[text.index("\ndependencies:") :].splitlines()[2:]:
        stripped = line.split("#")[0].rstrip()
        if re.match(r"^\s+- pip:$", stripped):
            in_pip = True
        elif in_pip and re.match(r"^\s{6,}- ", stripped):
            pip.append(stripped.strip()[2:])
        elif re.match(r"^\s+- ", stripped):
            in_pip = False
            conda.add(_name(stripped.strip()[2:]))
    return conda - {"python", "pip"}, pip


def test_environment_yml_matches_pyproject():
    conda, pip = _conda_requirements()
    wanted = _pyproject_requirements()
    assert conda == wanted, (
        f"only in pyproject: {sorted(wanted - conda)}; only in environment.yml: {sorted(conda - wanted)}"
    )
    assert pip == ["-e .[dev]"], "environment.yml must install ganlib itself, with the dev extra"


def _readme_block_after(heading_text: str) -> list[str]:
    readme = (ROOT / "README.md").read_text()
    start = readme.index(heading_text)
    block = re.search(r"```bash\n(.*?)```", readme[start:], re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def _without_environment(line: str) -> str:
    """A shell line without the ``NAME=value`` assignments in front of its command."""
    words = line.split()
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
        words.pop(0)
    return " ".join(words)


def test_ci_runs_the_readme_install_and_test_commands():
    ci = [_without_environment(line) for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    install = _readme_block_after("Install")
    test = _readme_block_after("Run the tests")
    for command in install + test:
        assert command in ci, f"README command {command!r} is not run by .ci/run"


def test_import_is_fast_and_light():
    code = "import time, sys; t = time.perf_counter(); import ganlib; print(time.perf_counter() - t, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    seconds, matplotlib_loaded = float(out[0]), out[1] == "True"
    assert not matplotlib_loaded, "import ganlib must not import matplotlib (slow); viz imports it on demand"
    assert seconds < 2.0, f"import ganlib took {seconds:.2f} s"  # generous: a shared machine; typically ~0.1 s
