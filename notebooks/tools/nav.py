"""Write the navigation line into the first and last cell of every notebook of the series.

The line looks like::

    [Index](00-index.ipynb) · [Previous](01-the-objective.ipynb) · [Next](03-generator-and-discriminator.ipynb)

(the index has no Previous, the last notebook no Next). It is put

* in the first cell (markdown): the first line starting with ``[Index](00-index.ipynb)`` is
  replaced; if there is none, the line is inserted right under the title (the cell's first
  line, ``# NN · Title``);
* in the last cell: if the last cell is a markdown cell containing a nav line (on a line
  of its own; either a cell holding only the nav line, or the end of the Exercises cell),
  that line is replaced; otherwise a new markdown cell with the line is appended.

The order comes from the file names ``NN-title.ipynb`` on disk; numbers of the planned
series (``SERIES``) that have no file yet still get links, so that a notebook written
before its neighbour already points to it. Running the script twice changes nothing
the second time. Notebooks are only rewritten when their nav lines change.

Usage::

    python notebooks/tools/nav.py              # every notebook in notebooks/
    python notebooks/tools/nav.py 01-the-objective.ipynb 02-backprop-by-hand.ipynb
    python notebooks/tools/nav.py --check      # exit 1 if any nav line is missing or stale
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent
INDEX = "00-index.ipynb"

# The planned series, in reading order. Files on disk take precedence over these names.
SERIES = [
    "00-index.ipynb",
    "01-the-objective.ipynb",
    "02-backprop-by-hand.ipynb",
    "03-generator-and-discriminator.ipynb",
    "04-training-live.ipynb",
    "05-exploring-the-latent-space.ipynb",
    "06-evaluating-and-debugging.ipynb",
]

NAME_RE = re.compile(r"^(\d\d)-[\w-]+\.ipynb$")
NAV_RE = re.compile(r"^\[Index\]\(00-index\.ipynb\).*$", re.MULTILINE)


def series(notebook_dir: Path = NOTEBOOK_DIR) -> list[str]:
    """The ordered notebook names: files ``NN-*.ipynb`` on disk, plus planned ones with a free number."""
    on_disk = {}
    for path in sorted(notebook_dir.glob("[0-9][0-9]-*.ipynb")):
        match = NAME_RE.match(path.name)
        if not match:
            continue
        number = match.group(1)
        if number in on_disk:
            raise SystemExit(f"two notebooks share the number {number}: {on_disk[number]} and {path.name}")
        on_disk[number] = path.name
    names = dict(on_disk)
    for name in SERIES:
        names.setdefault(name[:2], name)
    return [names[number] for number in sorted(names)]


def nav_line(name: str, names: list[str]) -> str:
    """The nav line for notebook ``name`` within the ordered list ``names``."""
    parts = [f"[Index]({INDEX})"]
    if name in names:
        i = names.index(name)
        if i > 0:
            parts.append(f"[Previous]({names[i - 1]})")
        if i + 1 < len(names):
            parts.append(f"[Next]({names[i + 1]})")
    return " · ".join(parts)


def apply_nav(nb, name: str, names: list[str]) -> bool:
    """Put the nav line into ``nb``'s first and last cells, in place. Returns True if anything changed."""
    line = nav_line(name, names)
    before = [(c.cell_type, c.source) for c in nb.cells]
    if not nb.cells or nb.cells[0].cell_type != "markdown":
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(line))
    else:
        first = nb.cells[0]
        if NAV_RE.search(first.source):
            first.source = NAV_RE.sub(line, first.source, count=1)
        else:  # right under the title (the first line), or at the top if there is no title
            head, _, rest = first.source.partition("\n")
            if head.startswith("#"):
                first.source = f"{head}\n\n{line}\n\n{rest.lstrip()}".rstrip()
            else:
                first.source = f"{line}\n\n{first.source}"
    last = nb.cells[-1]
    if len(nb.cells) > 1 and last.cell_type == "markdown" and NAV_RE.search(last.source):
        lines = last.source.split("\n")
        i = max(k for k, text in enumerate(lines) if NAV_RE.fullmatch(text))
        lines[i] = line
        last.source = "\n".join(lines)
    else:
        nb.cells.append(nbformat.v4.new_markdown_cell(line))
    _ensure_ids(nb, name)
    return before != [(c.cell_type, c.source) for c in nb.cells]


def _ensure_ids(nb, name: str) -> None:
    """Give cells without an id a unique one (nbformat 4.5 requires ids)."""
    used = {c.get("id") for c in nb.cells}
    for i, cell in enumerate(nb.cells):
        if not cell.get("id"):
            n = i
            while f"nb{name[:2]}-{n}" in used:
                n += 1
            cell["id"] = f"nb{name[:2]}-{n}"
            used.add(cell["id"])
    nb.nbformat_minor = max(nb.get("nbformat_minor", 5), 5)


def update(paths: list[Path], check: bool = False) -> int:
    """Rewrite (or, with ``check``, only compare) the nav lines of ``paths``. Returns the number stale."""
    names = series(NOTEBOOK_DIR)
    stale = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if apply_nav(nb, path.name, names):
            stale += 1
            if check:
                print(f"stale nav: {path.name}")
            else:
                nbformat.write(nb, path)
                print(f"updated nav: {path.name}")
    return stale


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook files (default: every NN-*.ipynb in notebooks/)")
    parser.add_argument("--check", action="store_true", help="only report stale nav lines; exit 1 if any")
    args = parser.parse_args(argv)
    paths = [Path(p) if Path(p).exists() else NOTEBOOK_DIR / p for p in args.notebooks]
    paths = paths or [NOTEBOOK_DIR / n for n in series() if (NOTEBOOK_DIR / n).exists()]
    stale = update(paths, check=args.check)
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
