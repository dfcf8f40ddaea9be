"""The package's shape: a teaching core at the root that imports nothing of the application, and
modules and functions small enough to read in one sitting.

The core (``ganlib/*.py``) is what a student reads like a textbook: layers, losses, the
network, the optimizers, the configuration and the training algorithm. The application
(``ganlib/<subpackage>/``) is what the notebooks and the command line call around it: files,
data, metrics, pictures, the explorer. The application depends on the core, never the reverse.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ganlib"
CORE = sorted(p for p in PACKAGE.glob("*.py") if p.name != "__main__.py")
APPLICATION = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60


def imported_modules(path: Path, root: Path = PACKAGE) -> set[str]:
    """Every ganlib module a file under ``root`` (the ganlib folder) imports, anywhere in it (functions
    included), as dotted names: ``from .viz import images`` in ganlib/gan.py gives ``ganlib.viz``."""
    package = ".".join(["ganlib", *path.relative_to(root).parent.parts])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
                names = [f"{module}.{a.name}" for a in node.names] if not node.module else [module]
            else:
                names = [node.module] if node.module else []
            found.update(n for n in names if n and n.startswith("ganlib"))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ganlib"))
    return found


def test_there_is_a_core_and_an_application():
    assert {"layers.py", "losses.py", "network.py", "optim.py", "gan.py"} <= {p.name for p in CORE}
    assert {"data", "io", "evaluation", "viz", "explorer", "cli"} <= set(APPLICATION)


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_the_core_imports_no_application_module(path):
    application = {
        m
        for m in imported_modules(path)
        if any(m == f"ganlib.{a}" or m.startswith(f"ganlib.{a}.") for a in APPLICATION)
    }
    assert not application, f"{path.name} (teaching core) imports application modules {sorted(application)}"


def test_the_import_check_can_fail(tmp_path):
    """The check above sees relative imports, including ones inside functions."""
    fake = PACKAGE / "gan.py"
    source = "def f():\n    from .viz import images\n    from .data.paths import runs_dir\n"
    probe = tmp_path / "ganlib"
    probe.mkdir()
    (probe / fake.name).write_text(source)
    found = imported_modules(probe / fake.name, root=probe)
    assert {"ganlib.viz", "ganlib.data.paths"} <= found


def python_files():
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_are_short_enough_to_read_in_one_sitting(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines (at most {MAX_MODULE_LINES})"


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_functions_are_short(path):
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path.relative_to(PACKAGE)}: functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_every_subpackage_is_installed():
    """pyproject.toml lists the packages a wheel carries: every folder of ganlib must be there."""
    text = (PACKAGE.parent / "pyproject.toml").read_text()
    for name in APPLICATION:
        assert f'"ganlib.{name}"' in text, f"ganlib/{name} is missing from [tool.setuptools] packages"
