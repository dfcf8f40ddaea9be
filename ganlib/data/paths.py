"""Where ganlib finds its files: MNIST, the shipped trained models, and training runs.

This is the one module that knows about folders; every loader asks it.

* **MNIST** (:func:`mnist_dir`): ``$GANLIB_DATA_DIR`` if it is set; else the checkout's
  ``data/mnist`` when ganlib runs from a clone of the repository (the files are
  committed there); else a per-user data folder (``~/.local/share/ganlib/mnist`` on
  Linux, via :mod:`platformdirs`), where :func:`ganlib.data.mnist.load_mnist` downloads the
  files on first use and verifies their checksums.
* **Shipped models** (:func:`artifact`): the trained generators (unconditional and
  conditional) and the classifier are package data of ``ganlib.artifacts``, read through
  :mod:`importlib.resources`. In the repository they live in ``data/artifacts/``, which
  ``pyproject.toml`` installs as that package, so an editable install, ``pip install .``
  and a wheel all find them.
* **Case-study results** (:func:`results_dir`): the checkout's ``data/results``, small files that
  ``benchmarks/experiments/case_studies.py`` writes and notebooks 07 and 09 read (not part of a wheel).
* **Training runs** (:func:`runs_dir`): the checkout's ``runs/`` (ignored by git), or
  ``./runs`` in the working directory when ganlib is installed from a wheel.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

__all__ = [
    "DATA_DIR_VARIABLE",
    "artifact",
    "checkout_root",
    "default_classifier_path",
    "default_conditional_generator_path",
    "default_generator_path",
    "display_path",
    "mnist_dir",
    "resolve_user_path",
    "results_dir",
    "runs_dir",
    "user_data_dir",
]

DATA_DIR_VARIABLE = "GANLIB_DATA_DIR"
ARTIFACTS_PACKAGE = "ganlib.artifacts"


def checkout_root() -> Path | None:
    """The repository root when ganlib is imported from a clone of it, else None.

    A clone is recognised by its ``pyproject.toml`` and ``data/`` folder next to the
    ``ganlib`` package; an installed wheel has neither.
    """
    root = Path(__file__).resolve().parents[2]  # ganlib/data/paths.py -> the repository
    return root if (root / "pyproject.toml").is_file() and (root / "data").is_dir() else None


def user_data_dir() -> Path:
    """The per-user folder for downloaded data, e.g. ``~/.local/share/ganlib`` on Linux."""
    import platformdirs  # imported here: only needed outside a checkout

    return platformdirs.user_data_path("ganlib", appauthor=False)


def mnist_dir() -> Path:
    """The folder holding the four MNIST files (see the module docstring for the order of choice)."""
    env = os.environ.get(DATA_DIR_VARIABLE)
    if env:
        return Path(env).expanduser()
    root = checkout_root()
    if root is not None:
        return root / "data" / "mnist"
    return user_data_dir() / "mnist"


def is_user_data_dir(folder: Path) -> bool:
    """True if ``folder`` is the per-user MNIST folder, where downloading on first use is expected."""
    return os.environ.get(DATA_DIR_VARIABLE) in (None, "") and checkout_root() is None and Path(folder) == mnist_dir()


def artifact(name: str) -> Path:
    """Path of a shipped file of ``ganlib.artifacts``, e.g. ``artifact("generator.npz")``."""
    return Path(str(resources.files(ARTIFACTS_PACKAGE).joinpath(name)))


def default_generator_path() -> Path:
    """The trained generator shipped with ganlib (the default configuration)."""
    return artifact("generator.npz")


def default_conditional_generator_path() -> Path:
    """The trained conditional generator shipped with ganlib (``CONFIGS["conditional"]``: choose the digit)."""
    return artifact("conditional_generator.npz")


def default_classifier_path() -> Path:
    """The MNIST classifier shipped with ganlib, used by :mod:`ganlib.evaluation.metrics`."""
    return artifact("classifier.npz")


def results_dir() -> Path:
    """The case studies' result files, ``<checkout>/data/results`` (``./data/results`` outside a checkout)."""
    root = checkout_root()
    return (root if root is not None else Path.cwd()) / "data" / "results"


def runs_dir(name: str | None = None) -> Path:
    """Where training runs are written: ``<checkout>/runs/<name>``, or ``./runs/<name>`` outside a checkout."""
    root = checkout_root()
    base = (root if root is not None else Path.cwd()) / "runs"
    return base / name if name else base


def resolve_user_path(path) -> Path:
    """A path as a user typed it: absolute, relative to the working directory, or else to the checkout."""
    path = Path(str(path).strip()).expanduser()
    root = checkout_root()
    if path.is_absolute() or path.exists() or root is None:
        return path
    return root / path if (root / path).exists() else path


def display_path(path) -> str:
    """A path relative to the checkout when it is inside it (shorter to read), else as it is."""
    root = checkout_root()
    try:
        return str(Path(path).resolve().relative_to(root)) if root is not None else str(path)
    except ValueError:
        return str(path)
