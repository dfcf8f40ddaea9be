"""The notebook series: ``notebooks/series.toml``, each notebook's source, and what is generated from them.

Each notebook has one source, ``NN-title.md`` (MyST Markdown): the reviewed text, and the
*solved* notebook, every exercise holding its reference solution between nbgrader's
markers. From it this module generates

* ``NN-title.ipynb``, the **student version** that readers open: each solution region
  replaced by nbgrader's stub (``ClearSolutions``: ``# YOUR CODE HERE`` and
  ``raise NotImplementedError()`` in code, ``YOUR ANSWER HERE`` in markdown), each check
  cell (a code cell whose first line is ``# check your answer``) tagged ``raises-exception``
  so that "Run All" goes on past it, and the outputs of the last run kept for every cell
  that did not change (``run_all.py`` writes them);
* ``solutions/NN-title.ipynb``, the **solved version**, only for a notebook with
  exercises: the .md's cells as they are, without outputs, its links pointing back to
  ``notebooks/``, with a line saying what it is.

A notebook without exercises has only its student version, the same cells as its .md.
Nothing is paired: the .md is the one place to edit (in any editor, or opened as a notebook
in JupyterLab with jupytext, which saves back to the .md); the .ipynb files are rewritten
from it. Each generated notebook records in its metadata (``ganlib_series``) a hash of the
cells it was generated with, so a hand edit of a generated notebook is recognised: it is
not overwritten (without ``--force``), and the tests report it.

From ``series.toml`` (the list of notebooks in reading order, with their titles, what they
teach, their recorded wall times and source hashes) this module also writes, into the .md
and from there into the generated notebooks:

* the heading, the first line of the first cell: ``# NN · Title``;
* the navigation line ``[Index](00-index.ipynb) · [Previous](…) · [Next](…)``, under the
  heading and as the last line of the last cell (a markdown cell holding only the nav line
  is appended if the last cell has none);
* the ``**Run time:**`` line of the first cell, from the recorded wall times (appended to
  the first cell if missing); prose about the run time goes on the next line, untouched;
* the reading-order table of ``00-index``, and the table of notebooks in ``README.md``,
  each between the markers ``<!-- series:start -->`` and ``<!-- series:end -->``;
* the metadata filters of ``notebooks/jupytext.toml``, copied into the .md's header (see
  :func:`set_metadata_filters`).

Running the script twice changes nothing the second time.

Usage::

    python notebooks/tools/series.py            # rewrite every stale derived place and generated notebook
    python notebooks/tools/series.py --check    # only report; exit 1 if anything is stale
    python notebooks/tools/series.py --force    # also overwrite generated notebooks that were edited by hand

``run_all.py`` (which executes the student versions, records the wall times and hashes) and
the tests (``tests/test_notebooks.py``, ``tests/test_exercise_notebooks.py``) use the
functions below. Building a student version with exercises needs nbgrader (in ``.[test]``, so in ``.[dev]``).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import map_outputs_to_inputs
from jupytext.config import load_jupytext_configuration_file

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent
ROOT = NOTEBOOK_DIR.parent
SERIES_FILE = NOTEBOOK_DIR / "series.toml"
SOLUTIONS_DIR = NOTEBOOK_DIR / "solutions"
README = ROOT / "README.md"
INDEX = "00-index.ipynb"
MD_FORMAT = "md:myst"

NAME_RE = re.compile(r"^(\d\d)-[a-z0-9]+(?:-[a-z0-9]+)*\.ipynb$")
HEADING_RE = re.compile(r"^# \d\d · .*$", re.MULTILINE)
NAV_RE = re.compile(r"^\[Index\]\(00-index\.ipynb\).*$", re.MULTILINE)
RUN_TIME_RE = re.compile(r"^\*\*Run time:\*\*.*$", re.MULTILINE)
FILTER_LINE_RE = re.compile(r"^  (?:cell|notebook)_metadata_filter: .*\n", re.MULTILINE)  # in the .md header
TABLE_START, TABLE_END = "<!-- series:start -->", "<!-- series:end -->"
TABLE_RE = re.compile(re.escape(TABLE_START) + r".*?" + re.escape(TABLE_END), re.DOTALL)
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MACHINE = "a 2-core CPU"  # where the recorded times were measured (the project's CI-class machine)

# Exercises (notebooks/tools/CONVENTIONS.md, "Implement it yourself"): nbgrader's solution markers,
# each alone on its line, and the first line of a check cell.
CODE_BEGIN, CODE_END = "### BEGIN SOLUTION", "### END SOLUTION"
TEXT_BEGIN, TEXT_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
CHECK_MARKER = "# check your answer"
RAISES = "raises-exception"  # the cell tag that lets nbclient, Jupyter's "Run All" and nbval go on past an error
GENERATED_KEY = "ganlib_series"  # notebook metadata of a generated notebook: its source and the hash of its cells
# notebook metadata that an execution writes, kept with the outputs: the kernel's language, the widgets' state
OUTPUT_METADATA = ("language_info", "widgets")
INSTALL_NBGRADER = 'pip install "nbgrader>=0.9"'

SERIES_HEADER = """\
# The notebook series, in reading order: the one list that each notebook's heading, navigation
# line and "Run time:" line, the index's reading-order table and the README's table of notebooks
# are written from (python notebooks/tools/series.py writes them, --check only reports).
#
# Per notebook: file, title and teaches are written by hand. run_all.py fills in the rest after
# executing a notebook, and rewrites this file (keep comments to this header, which it restores):
#   full_seconds        wall time of its last full run (seconds, on the project's 2-core machine)
#   fast_seconds        wall time of its last run with GANLIB_FAST=1
#   source_sha256       sha256 of its .md at its last full run, with the lines series.py writes
#                       blanked out; run_all.py re-runs the notebooks whose .md no longer matches
# To add a notebook: write NN-title.md (its source), add an entry here, run series.py, then run_all.py.
"""


class SeriesError(Exception):
    """The series file, the notebooks on disk, a notebook's source or a generated notebook are inconsistent."""


# --- the series file -----------------------------------------------------------------------------


@dataclass
class Entry:
    file: str
    title: str
    teaches: str
    full_seconds: float | None = None
    fast_seconds: float | None = None
    source_sha256: str | None = None

    @property
    def number(self) -> str:
        return self.file[:2]

    @property
    def stem(self) -> str:
        return self.file[: -len(".ipynb")]

    @property
    def ipynb(self) -> Path:
        return NOTEBOOK_DIR / self.file

    @property
    def md(self) -> Path:
        return NOTEBOOK_DIR / f"{self.stem}.md"

    @property
    def solutions(self) -> Path:
        """The solved version, generated only for a notebook with exercises."""
        return SOLUTIONS_DIR / self.file


FIELDS = [f.name for f in fields(Entry)]


def load_series(path: Path = SERIES_FILE) -> list[Entry]:
    """The entries of ``series.toml``, in reading order; raises SeriesError if it is malformed."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    entries, numbers = [], set()
    for item in data.get("notebook", []):
        unknown = set(item) - set(FIELDS)
        missing = {"file", "title", "teaches"} - set(item)
        if unknown or missing:
            raise SeriesError(
                f"{path.name}: entry {item.get('file')!r}: unknown keys {unknown or '{}'}, missing {missing or '{}'}"
            )
        entry = Entry(**item)
        if not NAME_RE.match(entry.file):
            raise SeriesError(f"{path.name}: {entry.file!r} is not named NN-lowercase-words.ipynb")
        if entry.number in numbers:
            raise SeriesError(f"{path.name}: two notebooks share the number {entry.number}")
        if entries and entry.number < entries[-1].number:
            raise SeriesError(
                f"{path.name}: {entry.file} is listed after {entries[-1].file}; keep the numbers in order"
            )
        numbers.add(entry.number)
        entries.append(entry)
    if not entries or entries[0].file != INDEX:
        raise SeriesError(f"{path.name}: the first notebook must be {INDEX}")
    return entries


def _toml_value(value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    return repr(round(float(value), 1))


def format_series(entries: list[Entry]) -> str:
    """The text of ``series.toml`` for ``entries`` (what :func:`save_series` writes)."""
    blocks = [SERIES_HEADER]
    for entry in entries:
        lines = ["[[notebook]]"]
        for name in FIELDS:
            value = getattr(entry, name)
            if value is not None:
                lines.append(f"{name} = {_toml_value(value)}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def save_series(entries: list[Entry], path: Path = SERIES_FILE) -> None:
    Path(path).write_text(format_series(entries), encoding="utf-8")


def notebooks_on_disk(notebook_dir: Path | None = None) -> set[str]:
    """The ``NN-*.ipynb`` names of the notebooks in ``notebook_dir`` (notebooks/), from the .md or the .ipynb."""
    notebook_dir = NOTEBOOK_DIR if notebook_dir is None else notebook_dir
    names = {p.name for p in notebook_dir.glob("[0-9][0-9]-*.ipynb")}
    names |= {p.stem + ".ipynb" for p in notebook_dir.glob("[0-9][0-9]-*.md")}
    return names


def check_series_matches_disk(entries: list[Entry]) -> list[str]:
    """Problems: notebooks on disk missing from the series, and entries with no file on disk."""
    listed = {e.file for e in entries}
    on_disk = notebooks_on_disk()
    problems = [
        f"{name[:-6]}.md/.ipynb is on disk but not in {SERIES_FILE.name}: add an entry"
        for name in sorted(on_disk - listed)
    ]
    problems += [
        f"{name} is in {SERIES_FILE.name} but has no .md or .ipynb on disk" for name in sorted(listed - on_disk)
    ]
    return problems


# --- times and hashes ----------------------------------------------------------------------------


def format_seconds(seconds: float | None) -> str:
    """A wall time as the notebooks and tables show it: '< 5 s', '~15 s', '~9 min'."""
    if seconds is None:
        return "not measured"
    if seconds < 5:
        return "< 5 s"
    if seconds < 57.5:
        return f"~{5 * round(seconds / 5)} s"
    return f"~{round(seconds / 60)} min"


def run_time_line(entry: Entry) -> str:
    """The ``**Run time:**`` line of a notebook's first cell."""
    if entry.full_seconds is None:
        return "**Run time:** not measured yet (`python notebooks/tools/run_all.py` records it)."
    full, fast = format_seconds(entry.full_seconds), format_seconds(entry.fast_seconds)
    if full == fast:
        return f"**Run time:** {full}, with or without `GANLIB_FAST=1` (measured on {MACHINE})."
    return f"**Run time:** {full} for a full run, {fast} with `GANLIB_FAST=1` (measured on {MACHINE})."


def source_hash(md_text: str) -> str:
    """sha256 of a notebook's .md text, with the lines this module writes blanked out.

    Updating a heading, a nav line, a run time, a table or the metadata filters therefore does
    not make a notebook look changed to ``run_all.py``; any other edit (code, prose, header) does.
    """
    text = FILTER_LINE_RE.sub("", TABLE_RE.sub(TABLE_START + TABLE_END, md_text))
    for pattern in (HEADING_RE, NAV_RE, RUN_TIME_RE):
        text = pattern.sub("", text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- reading and writing -------------------------------------------------------------------------

_CONFIG = None


def jupytext_config():
    """notebooks/jupytext.toml, as the jupytext CLI and JupyterLab read it (metadata filters included)."""
    global _CONFIG
    if _CONFIG is None:
        _CONFIG = load_jupytext_configuration_file(str(NOTEBOOK_DIR / "jupytext.toml"))
    return _CONFIG


def read_md(path: Path, text: str | None = None):
    text = Path(path).read_text(encoding="utf-8") if text is None else text
    return jupytext.reads(text, fmt=MD_FORMAT, config=jupytext_config())


def md_text(nb) -> str:
    """The .md text of ``nb``, exactly as jupytext writes it (the CLI, or JupyterLab saving the .md)."""
    # a copy: jupytext.writes records the config's format options in the notebook's metadata
    return jupytext.writes(copy.deepcopy(nb), fmt=MD_FORMAT, config=jupytext_config())


def read_ipynb(path: Path, text: str | None = None):
    return nbformat.reads(Path(path).read_text(encoding="utf-8") if text is None else text, as_version=4)


def ipynb_text(nb) -> str:
    """The text of ``nb`` as an .ipynb file, as nbformat writes it."""
    return nbformat.writes(nb) + "\n"


def _write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def write_ipynb(path: Path, nb) -> bool:
    """Write ``nb`` (with its outputs) to ``path`` as nbformat does; return True if the file changed."""
    return _write_if_changed(path, ipynb_text(nb))


def cells(nb) -> list[tuple[str, str]]:
    """Each cell's type and source (outputs and metadata ignored)."""
    return [(c.cell_type, c.source) for c in nb.cells]


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def first_difference(a, b, names=("generated", "on disk")) -> str:
    """Where two notebooks' cells first differ (type, source or tags), in one line for a message."""
    for i, (x, y) in enumerate(zip(a.cells, b.cells)):
        if x.cell_type != y.cell_type:
            return f"cell {i} is a {x.cell_type} cell {names[0]} and a {y.cell_type} cell {names[1]}"
        if x.source != y.source:
            lines = [(p, q) for p, q in zip(x.source.splitlines(), y.source.splitlines()) if p != q]
            p, q = lines[0] if lines else (x.source[-80:], y.source[-80:])
            return f"cell {i} ({x.cell_type}) differs: {names[0]} {p!r}, {names[1]} {q!r}"
        if _tags(x) != _tags(y):
            return f"cell {i} has the tags {_tags(x)} {names[0]} and {_tags(y)} {names[1]}"
    if len(a.cells) != len(b.cells):
        return f"{len(a.cells)} cells {names[0]}, {len(b.cells)} {names[1]}"
    return "the cells agree; the metadata or outputs differ"


# --- exercises: solution regions and check cells -------------------------------------------------


def is_check_cell(cell) -> bool:
    """A check cell: a code cell whose first line is ``# check your answer``."""
    if cell.cell_type != "code":
        return False
    first = cell.source.lstrip().split("\n", 1)[0]
    return first.strip().lower() == CHECK_MARKER


def _cell_label(i: int, cell) -> str:
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    return f"cell {i} ({cell.cell_type}, {first[:60]!r})"


def exercise_cells(nb, name: str) -> list[int]:
    """The indices of the cells holding a solution region; SeriesError if a marker is misused.

    Rules (nbgrader would accept more; these keep every exercise checkable):

    * a line mentioning ``BEGIN SOLUTION`` or ``END SOLUTION`` is exactly a marker, alone on
      its line: ``### BEGIN SOLUTION`` / ``### END SOLUTION`` in a code cell,
      ``<!-- BEGIN SOLUTION -->`` / ``<!-- END SOLUTION -->`` in a markdown cell (nbgrader
      would otherwise replace any line that mentions the words, prose included);
    * regions are closed and not nested;
    * the next code cell after a code cell with a solution region is a check cell, and a
      check cell comes right after an exercise (or after another check cell), holding no
      solution itself.
    """
    found, problems = [], []
    previous = None  # the kind of the previous code cell: "exercise", "check" or "other"
    for i, cell in enumerate(nb.cells):
        begin, end = (CODE_BEGIN, CODE_END) if cell.cell_type == "code" else (TEXT_BEGIN, TEXT_END)
        open_region, has_region = False, False
        for line in cell.source.split("\n"):
            if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line:
                continue
            marker = line.strip()
            if marker not in (begin, end):
                problems.append(
                    f"{_cell_label(i, cell)}: the line {line.strip()!r} mentions a solution marker; in a "
                    f"{cell.cell_type} cell write exactly {begin!r} and {end!r}, each alone on its line"
                )
            elif marker == begin:
                if open_region:
                    problems.append(f"{_cell_label(i, cell)}: a solution region begins inside another one")
                open_region, has_region = True, True
            elif not open_region:
                problems.append(f"{_cell_label(i, cell)}: {end!r} without {begin!r} before it")
            else:
                open_region = False
        if open_region:
            problems.append(f"{_cell_label(i, cell)}: {begin!r} is never closed by {end!r}")
        if has_region:
            found.append(i)
        if cell.cell_type != "code":
            continue
        kind = "check" if is_check_cell(cell) else "exercise" if has_region else "other"
        if kind == "check" and has_region:
            problems.append(f"{_cell_label(i, cell)}: a check cell holds a solution region")
        elif previous == "exercise" and kind != "check":
            problems.append(
                f"{_cell_label(i, cell)}: the exercise just before it needs a check cell here "
                f"(a code cell whose first line is {CHECK_MARKER!r})"
            )
        elif kind == "check" and previous not in ("exercise", "check"):
            problems.append(f"{_cell_label(i, cell)}: a check cell that follows no exercise")
        previous = kind
    if previous == "exercise":
        problems.append(f"the last exercise has no check cell after it (first line {CHECK_MARKER!r})")
    if problems:
        raise SeriesError(f"{name}: " + "; ".join(problems))
    return found


def has_exercises(nb, name: str = "notebook") -> bool:
    return bool(exercise_cells(nb, name))


def md_has_exercises(path: Path) -> bool:
    """Whether the .md at ``path`` has a solution region (a quick look at its text, no validation)."""
    text = Path(path).read_text(encoding="utf-8")
    return any(line.strip() in (CODE_BEGIN, TEXT_BEGIN) for line in text.splitlines())


_CLEAR_SOLUTIONS = None


def clear_solutions(nb, name: str = "notebook"):
    """``nb`` with every solution region replaced by nbgrader's stub, in place (``ClearSolutions``)."""
    global _CLEAR_SOLUTIONS
    if _CLEAR_SOLUTIONS is None:
        try:
            from nbgrader.preprocessors import ClearSolutions
        except ImportError as error:
            raise SeriesError(
                f"{name} has exercises, and building its student version needs nbgrader ({error}): "
                f'{INSTALL_NBGRADER}, or install the developer extras with pip install -e ".[dev]"'
            ) from None
        # enforce_metadata=False: the regions are found by their markers alone, no nbgrader cell metadata
        _CLEAR_SOLUTIONS = ClearSolutions(enforce_metadata=False)
    nb, _ = _CLEAR_SOLUTIONS.preprocess(nb, {})
    return nb


# --- the generated notebooks ---------------------------------------------------------------------


@dataclass
class Generated:
    """What one .md generates: the student version, and the solved version if it has exercises."""

    student: object
    solutions: object | None


def cells_hash(nb) -> str:
    """sha256 of what a generated notebook's cells hold: types, sources and tags (not outputs, not ids)."""
    content = [[c.cell_type, c.source, _tags(c)] for c in nb.cells]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()


def _recorded_hash(nb) -> str | None:
    return nb.metadata.get(GENERATED_KEY, {}).get("cells_sha256")


def _record(nb, entry: Entry, version: str) -> None:
    nb.metadata[GENERATED_KEY] = {
        "generated_from": entry.md.name,
        "version": version,
        "cells_sha256": cells_hash(nb),
        "edit": f"edit notebooks/{entry.md.name}, then run python notebooks/tools/series.py",
    }


def _as_ipynb(md_nb):
    """The .md's cells as a fresh .ipynb notebook: no outputs, no cell metadata, only the kernelspec."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = md_nb.metadata.get(
        "kernelspec", {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    )
    for cell in md_nb.cells:
        if cell.cell_type == "code":
            nb.cells.append(nbformat.v4.new_code_cell(cell.source))
        elif cell.cell_type == "markdown":
            nb.cells.append(nbformat.v4.new_markdown_cell(cell.source))
        else:
            nb.cells.append(nbformat.v4.new_raw_cell(cell.source))
    return nb


def _stable_ids(nb, old) -> None:
    """Cell ids kept from ``old`` for the cells that match one there (as outputs are), else from the content.

    With random ids (nbformat's default) regenerating a notebook would change its file every time.
    """
    mapping = map_outputs_to_inputs(nb.cells, old.cells) if old is not None else [None] * len(nb.cells)
    used = set()
    for cell, j in zip(nb.cells, mapping):
        if j is not None and old.cells[j].get("id") and old.cells[j].id not in used:
            cell.id = old.cells[j].id
        else:
            base = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
            cell.id, k = base, 1
            while cell.id in used:
                cell.id, k = f"{base}-{k}", k + 1
        used.add(cell.id)


def _keep_outputs(nb, old) -> None:
    """Copy into ``nb`` the outputs of ``old``'s matching code cells (jupytext's matching), in place."""
    if old is None:
        return
    for cell, j in zip(nb.cells, map_outputs_to_inputs(nb.cells, old.cells)):
        if j is not None and cell.cell_type == "code" and old.cells[j].cell_type == "code":
            cell.outputs = copy.deepcopy(old.cells[j].get("outputs", []))
            cell.execution_count = old.cells[j].get("execution_count")
    for key in OUTPUT_METADATA:
        if key in old.metadata:
            nb.metadata[key] = copy.deepcopy(old.metadata[key])


_RELATIVE_LINK_RE = re.compile(r"(\]\()(?![a-zA-Z][a-zA-Z0-9+.-]*:|/|#)")


def _solutions_view(nb, entry: Entry) -> None:
    """Point the solved version's relative links back to notebooks/, and say what it is, in place."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _RELATIVE_LINK_RE.sub(r"\1../", cell.source)
    note = (
        f"*The solved version: every exercise holds its reference solution. Try the exercises first in "
        f"[the notebook itself](../{entry.file}); both are generated from "
        f"[`{entry.md.name}`](../{entry.md.name}) by `notebooks/tools/series.py`.*"
    )
    first = nb.cells[0]
    lines = first.source.split("\n")
    at = next((k + 1 for k, line in enumerate(lines) if line.startswith("[Index](")), 1)  # under the nav line
    rest = lines[at:]
    if rest and rest[0].strip():
        rest = ["", *rest]
    first.source = "\n".join([*lines[:at], "", note, *rest])


def generate(entry: Entry, md_nb=None, old_student=None, old_solutions=None) -> Generated:
    """The notebooks ``entry``'s .md generates (in memory), the outputs and ids taken from the files on disk.

    ``md_nb`` is the .md as read (and with its derived places written, see :func:`apply_derived`);
    ``old_student`` / ``old_solutions`` the notebooks on disk (read from the files if None).
    """
    md_nb = read_md(entry.md) if md_nb is None else md_nb
    if old_student is None and entry.ipynb.exists():
        old_student = read_ipynb(entry.ipynb)
    solved = _as_ipynb(md_nb)
    exercises = has_exercises(solved, f"notebooks/{entry.md.name}")

    student = copy.deepcopy(solved)
    if exercises:
        clear_solutions(student, f"notebooks/{entry.md.name}")
        for cell in student.cells:
            if is_check_cell(cell):
                cell.metadata["tags"] = [RAISES]
    _stable_ids(student, old_student)
    _keep_outputs(student, old_student)
    _record(student, entry, "student")
    if not exercises:
        return Generated(student, None)

    _solutions_view(solved, entry)
    for cell, twin in zip(solved.cells, student.cells):  # the student version's ids, cell for cell
        cell.id = twin.id
    _record(solved, entry, "solutions")
    return Generated(student, solved)


def generated_state(path: Path, nb) -> str:
    """How the file at ``path`` compares with the generated ``nb``: "current", "missing", "stale" or "edited".

    "edited": its cells are not those it was generated with (its recorded hash), so someone
    changed it by hand, e.g. saved it from JupyterLab; "stale": it is as generated, from an
    older .md (or by an older series.py).
    """
    if not path.exists():
        return "missing"
    text = path.read_text(encoding="utf-8")
    if text == ipynb_text(nb):
        return "current"
    on_disk = read_ipynb(path, text)
    recorded = _recorded_hash(on_disk)
    if recorded is not None and recorded != cells_hash(on_disk):
        return "edited"
    return "stale"


def generated_message(path: Path, nb, state: str, entry: Entry) -> str:
    """What to tell about a generated notebook that is not current."""
    rel = path.relative_to(NOTEBOOK_DIR.parent).as_posix()
    if state == "missing":
        return f"{rel} is missing; python notebooks/tools/series.py generates it from notebooks/{entry.md.name}"
    where = first_difference(nb, read_ipynb(path), names=("in what the .md generates", "in the file"))
    if state == "edited":
        return (
            f"{rel} was edited by hand since series.py generated it ({where}). It is generated: make the edit "
            f"in notebooks/{entry.md.name}, the source, then run python notebooks/tools/series.py --force "
            "(--force discards the hand edit)"
        )
    return (
        f"{rel} is not what notebooks/{entry.md.name} generates ({where}): edit the .md, not the notebook, "
        "and run python notebooks/tools/series.py"
    )


def orphan_solutions(entries: list[Entry], generated: dict[str, Generated]) -> list[Path]:
    """Solved versions on disk that nothing generates (no exercises any more, or not in the series)."""
    if not SOLUTIONS_DIR.exists():
        return []
    wanted = {e.file for e in entries if e.file in generated and generated[e.file].solutions is not None}
    return sorted(p for p in SOLUTIONS_DIR.glob("*.ipynb") if p.name not in wanted)


def missing_md_message(entry: Entry) -> str:
    if entry.ipynb.exists():
        return (
            f"notebooks/{entry.md.name} is missing: it is the source that {entry.ipynb.name} is generated from. "
            f"To start it from the notebook: jupytext --to {MD_FORMAT} notebooks/{entry.ipynb.name}"
        )
    return f"{entry.file} is in {SERIES_FILE.name} but notebooks/{entry.md.name}, its source, does not exist"


# --- the derived places --------------------------------------------------------------------------


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


def series_table(entries: list[Entry], link_prefix: str = "", with_index: bool = False) -> str:
    """A markdown table of the series (between its markers): title, what it teaches, run times."""
    rows = [
        TABLE_START,
        "| notebook | what it teaches | full run | with `GANLIB_FAST=1` |",
        "|---|---|---|---|",
    ]
    shown = [e for e in entries if with_index or e.file != INDEX]
    for e in shown:
        rows.append(
            f"| [{e.number} · {e.title}]({link_prefix}{e.file}) | {e.teaches} "
            f"| {format_seconds(e.full_seconds)} | {format_seconds(e.fast_seconds)} |"
        )
    if with_index:
        full = [e.full_seconds for e in shown]
        fast = [e.fast_seconds for e in shown]
        total_full = format_seconds(sum(full)) if None not in full else "not measured"
        total_fast = format_seconds(sum(fast)) if None not in fast else "not measured"
        rows.append(f"| **the whole series** | | {total_full} | {total_fast} |")
    rows.append(TABLE_END)
    return "\n".join(rows)


def _replace_line(pattern: re.Pattern, source: str, line: str) -> str:
    return pattern.sub(lambda _: line, source, count=1)


def set_metadata_filters(nb) -> bool:
    """Record jupytext.toml's metadata filters in ``nb``'s own metadata (the .md's header); True if that changed it.

    With the filters in its header, the .md keeps no cell metadata and no jupytext version
    whichever jupytext writes it: the CLI, or JupyterLab saving the .md opened as a notebook,
    even where notebooks/jupytext.toml is not found.
    """
    config = jupytext_config()
    wanted = {"cell_metadata_filter": config.cell_metadata_filter}
    wanted["notebook_metadata_filter"] = config.notebook_metadata_filter
    current = dict(nb.metadata.get("jupytext", {}))
    merged = dict(sorted({**current, **wanted}.items()))
    if current == merged:
        return False
    nb.metadata["jupytext"] = merged
    return True


def apply_derived(nb, entry: Entry, entries: list[Entry]) -> bool:
    """Write the heading, nav lines, run-time line (and the index's table) into ``nb``, in place.

    Also records the metadata filters (:func:`set_metadata_filters`). Returns True if any
    cell source changed (or a cell was added) or the filters were added.
    """
    filters_changed = set_metadata_filters(nb)
    before = cells(nb)
    names = [e.file for e in entries]
    heading = f"# {entry.number} · {entry.title}"
    nav = nav_line(entry.file, names)

    if not nb.cells or nb.cells[0].cell_type != "markdown":
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(""))
    first = nb.cells[0]
    head, _, rest = first.source.partition("\n")
    if head.startswith("# "):
        first.source = f"{heading}\n{rest}" if rest else heading
    else:
        first.source = f"{heading}\n\n{first.source}".rstrip()
    if NAV_RE.search(first.source):
        first.source = _replace_line(NAV_RE, first.source, nav)
    else:  # right under the heading
        _, _, rest = first.source.partition("\n")
        first.source = f"{heading}\n\n{nav}\n\n{rest.lstrip()}".rstrip()
    if RUN_TIME_RE.search(first.source):
        first.source = _replace_line(RUN_TIME_RE, first.source, run_time_line(entry))
    else:
        first.source = f"{first.source}\n\n{run_time_line(entry)}"

    last = nb.cells[-1]
    if len(nb.cells) > 1 and last.cell_type == "markdown" and NAV_RE.search(last.source):
        lines = last.source.split("\n")
        i = max(k for k, text in enumerate(lines) if NAV_RE.fullmatch(text))
        lines[i] = nav
        last.source = "\n".join(lines)
    else:
        nb.cells.append(nbformat.v4.new_markdown_cell(nav))

    if entry.file == INDEX:
        table = series_table(entries)
        for cell in nb.cells:
            if cell.cell_type == "markdown" and TABLE_RE.search(cell.source):
                cell.source = TABLE_RE.sub(lambda _: table, cell.source)
    return filters_changed or cells(nb) != before


def readme_with_table(text: str, entries: list[Entry]) -> str:
    """``text`` (the README) with its table of notebooks rewritten from ``entries``."""
    table = series_table(entries, link_prefix="notebooks/", with_index=True)
    return TABLE_RE.sub(lambda _: table, text)


# --- the command ---------------------------------------------------------------------------------


@dataclass
class Plan:
    """What :func:`plan` found for one notebook: its .md (derived places written) and what it generates."""

    entry: Entry
    md_nb: object
    md_changed: bool
    generated: Generated

    def targets(self):
        """(path, notebook) for each generated file."""
        pairs = [(self.entry.ipynb, self.generated.student)]
        if self.generated.solutions is not None:
            pairs.append((self.entry.solutions, self.generated.solutions))
        return pairs


def plan(entries: list[Entry]) -> tuple[list[Plan], list[str]]:
    """Read every .md, write its derived places and generate its notebooks, all in memory.

    Returns the plans and the problems that stop everything (a notebook missing from the
    series or from disk, a missing .md, a misused marker, nbgrader missing).
    """
    problems = check_series_matches_disk(entries)
    plans = []
    for entry in entries:
        if not entry.md.exists():
            problems.append(missing_md_message(entry))
            continue
        try:
            md_nb = read_md(entry.md)
            md_changed = apply_derived(md_nb, entry, entries)
            plans.append(Plan(entry, md_nb, md_changed, generate(entry, md_nb)))
        except SeriesError as error:
            problems.append(str(error))
    return plans, problems


def stale_places(entries: list[Entry]) -> list[str]:
    """What ``update`` would change, without writing anything: the problems, one line each."""
    plans, problems = plan(entries)
    if problems:
        return problems
    for p in plans:
        if p.md_changed:
            problems.append(
                f"{p.entry.stem}: heading, nav line, run-time line, index table or metadata filters stale in its .md"
            )
        for path, nb in p.targets():
            state = generated_state(path, nb)
            if state != "current":
                problems.append(generated_message(path, nb, state, p.entry))
    for path in orphan_solutions(entries, {p.entry.file: p.generated for p in plans}):
        problems.append(
            f"notebooks/solutions/{path.name} is generated by nothing (its .md has no exercises, or is not in "
            f"{SERIES_FILE.name}); python notebooks/tools/series.py removes it"
        )
    if README.exists():
        text = README.read_text(encoding="utf-8")
        if TABLE_START not in text:
            problems.append(f"README.md has no table of notebooks (markers {TABLE_START} ... {TABLE_END})")
        elif readme_with_table(text, entries) != text:
            problems.append("README.md: the table of notebooks is stale")
    return problems


def update(entries: list[Entry] | None = None, quiet: bool = False, force: bool = False) -> list[str]:
    """Rewrite every stale derived place and generated notebook; return the names of the files written.

    Nothing is written if a problem stops it (SeriesError), or if a generated notebook was
    edited by hand and ``force`` is not set: the hand edit would be lost.
    """
    entries = load_series() if entries is None else entries
    plans, problems = plan(entries)
    if problems:
        raise SeriesError("; ".join(problems))
    edited = [
        generated_message(path, nb, "edited", p.entry)
        for p in plans
        for path, nb in p.targets()
        if generated_state(path, nb) == "edited"
    ]
    if edited and not force:
        raise SeriesError("; ".join(edited) + "; nothing was written")
    generated = {p.entry.file: p.generated for p in plans}
    orphans = orphan_solutions(entries, generated)
    for path in orphans:
        if _recorded_hash(read_ipynb(path)) is None:
            raise SeriesError(
                f"notebooks/solutions/{path.name} is generated by nothing, and it was not generated by series.py "
                "either (no record in its metadata): move it away; nothing was written"
            )
    written = []
    for p in plans:
        if p.md_changed and _write_if_changed(p.entry.md, md_text(p.md_nb)):
            written.append(p.entry.md.name)
        for path, nb in p.targets():
            if write_ipynb(path, nb):
                written.append(path.relative_to(NOTEBOOK_DIR).as_posix())
    for path in orphans:
        path.unlink()
        written.append(f"solutions/{path.name} (removed)")
    if README.exists():
        text = README.read_text(encoding="utf-8")
        if _write_if_changed(README, readme_with_table(text, entries)):
            written.append(README.name)
    if written and not quiet:
        print("updated: " + ", ".join(written))
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what is stale; exit 1 if anything is")
    parser.add_argument(
        "--force", action="store_true", help="also overwrite generated notebooks edited by hand (the edits are lost)"
    )
    args = parser.parse_args(argv)
    try:
        entries = load_series()
        if args.check:
            problems = stale_places(entries)
            for problem in problems:
                print(problem)
            if problems:
                print("fix: python notebooks/tools/series.py")
            return 1 if problems else 0
        update(entries, force=args.force)
    except SeriesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
