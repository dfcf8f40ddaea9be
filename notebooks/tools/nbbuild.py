"""Helpers for the scripts that generate notebooks from Python source (``build_NN_*.py``).

A build script lists the cells and calls :func:`write_notebook`::

    from nbbuild import md, code, write_notebook
    write_notebook("01-the-objective.ipynb", [md(r'''# Title ...'''), code('''import numpy as np''')])

The written notebook has no outputs (run ``python notebooks/tools/run_all.py`` to
execute it in place), stable cell ids (``nb01-c000``...), the Python 3 kernel, and
its nav lines filled in by :mod:`nav`. Markdown is written with ``r'''...'''``
strings so that LaTeX backslashes survive; leading indentation is removed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nav
import nbformat

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def _clean(text: str) -> str:
    return textwrap.dedent(text).strip("\n").rstrip()


def md(text: str):
    """A markdown cell (prose and LaTeX math)."""
    return nbformat.v4.new_markdown_cell(_clean(text))


def code(text: str):
    """A code cell."""
    return nbformat.v4.new_code_cell(_clean(text))


def write_notebook(name: str, cells: list, notebook_dir: Path = nav.NOTEBOOK_DIR) -> Path:
    """Write ``notebook_dir / name`` (overwriting it, outputs included) and fill in its nav lines."""
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"nb{name[:2]}-c{i:03d}"
    last = nb.cells[-1]
    if last.cell_type == "markdown" and not nav.NAV_RE.search(last.source):
        last.source += f"\n\n[Index]({nav.INDEX})"  # a placeholder: apply_nav writes the full line there
    nav.apply_nav(nb, name, nav.series(notebook_dir))
    nbformat.validate(nb)
    path = Path(notebook_dir) / name
    nbformat.write(nb, path)
    print(f"wrote {path} ({len(nb.cells)} cells, no outputs: run notebooks/tools/run_all.py to execute it)")
    return path
