"""The notebook series: ``notebooks/series.toml``, the notebook pairs, and what is written from them.

``series.toml`` lists the notebooks in reading order, each with its file name, title, what
it teaches, its recorded wall times and the hash of its source at its last full run. This
module loads it and writes every place derived from it, in both files of each pair
(``NN-title.md``, the reviewed source, and ``NN-title.ipynb``, which keeps its outputs):

* the heading, the first line of the first cell: ``# NN · Title``;
* the navigation line ``[Index](00-index.ipynb) · [Previous](…) · [Next](…)``, under the
  heading and as the last line of the last cell (a markdown cell holding only the nav line
  is appended if the last cell has none);
* the ``**Run time:**`` line of the first cell, from the recorded wall times (appended to
  the first cell if missing); prose about the run time goes on the next line, untouched;
* the reading-order table of ``00-index``, and the table of notebooks in ``README.md``,
  each between the markers ``<!-- series:start -->`` and ``<!-- series:end -->``;
* the metadata filters of ``notebooks/jupytext.toml``, copied into each notebook's own
  metadata (see :func:`set_metadata_filters`).

Before writing, each pair is brought in sync (see :func:`sync_pair`): the side that changed
since the last commit wins, outputs are kept; if both sides changed, nothing is written.
Running the script twice changes nothing the second time.

Usage::

    python notebooks/tools/series.py            # sync the pairs, rewrite every stale derived place
    python notebooks/tools/series.py --check    # only report; exit 1 if anything is stale

``run_all.py`` (which records the wall times and hashes) and ``tests/test_notebooks.py`` use
the functions below.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import combine_inputs_with_outputs
from jupytext.config import load_jupytext_configuration_file

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent
ROOT = NOTEBOOK_DIR.parent
SERIES_FILE = NOTEBOOK_DIR / "series.toml"
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
# To add a notebook: write NN-title.md (or .ipynb), add an entry here, run series.py, then run_all.py.
"""


class SeriesError(Exception):
    """The series file, the notebooks on disk, or a notebook pair are inconsistent."""


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


def notebooks_on_disk(notebook_dir: Path = NOTEBOOK_DIR) -> set[str]:
    """The ``NN-*.ipynb`` names of the notebooks in ``notebook_dir``, from either file of a pair."""
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


# --- reading, writing and syncing a pair ---------------------------------------------------------

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
    """The .md text of ``nb``, exactly as ``jupytext --sync`` writes it."""
    # a copy: jupytext.writes records the config's format options in the notebook's metadata
    return jupytext.writes(copy.deepcopy(nb), fmt=MD_FORMAT, config=jupytext_config())


def read_ipynb(path: Path, text: str | None = None):
    return nbformat.reads(Path(path).read_text(encoding="utf-8") if text is None else text, as_version=4)


def _write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def write_ipynb(path: Path, nb) -> bool:
    """Write ``nb`` (with its outputs) to ``path`` as nbformat does; return True if the file changed."""
    return _write_if_changed(path, nbformat.writes(nb) + "\n")


def write_pair(entry: Entry, nb) -> list[str]:
    """Write ``nb`` (with its outputs) to the .ipynb and its text to the .md; return the names written."""
    written = []
    if write_ipynb(entry.ipynb, nb):
        written.append(entry.ipynb.name)
    if _write_if_changed(entry.md, md_text(nb)):
        written.append(entry.md.name)
    return written


def cells(nb) -> list[tuple[str, str]]:
    """What a pair must agree on: each cell's type and source (outputs and metadata ignored)."""
    return [(c.cell_type, c.source) for c in nb.cells]


def _committed_cells(path: Path, reader) -> list[tuple[str, str]] | None:
    """The cells of ``path`` as of the last commit (HEAD), or None if unknown (untracked, no git)."""
    try:
        rel = path.resolve().relative_to(ROOT).as_posix()
        result = subprocess.run(["git", "-C", str(ROOT), "show", f"HEAD:{rel}"], capture_output=True, text=True)
    except (OSError, ValueError):
        return None
    if result.returncode != 0:
        return None
    return cells(reader(path, text=result.stdout))


def out_of_sync_message(entry: Entry) -> str:
    return (
        f"notebooks/{entry.md.name} and notebooks/{entry.ipynb.name} hold different cells. If you edited one "
        f"of them, `jupytext --sync notebooks/{entry.ipynb.name}` copies the newer one's cells to the other "
        f"(outputs are kept)."
    )


def sync_pair(entry: Entry, write: bool = True) -> tuple[object, str]:
    """Bring the two files of a pair in sync; return the notebook (with outputs) and what was done.

    The cells (types and sources) of the .md and the .ipynb must agree. If they do not, the
    side whose cells changed since the last commit wins: the .md's cells go into the
    .ipynb (keeping the outputs of unchanged and edited cells), or, after an edit in Jupyter
    without jupytext, the .ipynb's cells go into the .md. If both changed (or git cannot
    tell), SeriesError is raised and nothing is written. A missing .md is written from the
    .ipynb; a missing .ipynb is written from the .md (without outputs). With ``write=False``
    nothing is written and the returned notebook is the synced one, in memory.
    """
    has_md, has_ipynb = entry.md.exists(), entry.ipynb.exists()
    if not has_md and not has_ipynb:
        raise SeriesError(
            f"{entry.file} is in {SERIES_FILE.name} but neither {entry.md.name} nor {entry.ipynb.name} exists"
        )
    if not has_md:
        nb, action = read_ipynb(entry.ipynb), f"wrote {entry.md.name} from {entry.ipynb.name}"
    elif not has_ipynb:
        nb = read_md(entry.md)
        nb.metadata.setdefault(
            "kernelspec", {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
        )
        nb = nbformat.reads(jupytext.writes(nb, fmt="ipynb"), as_version=4)
        action = f"wrote {entry.ipynb.name} from {entry.md.name} (no outputs yet)"
    else:
        nb_md, nb = read_md(entry.md), read_ipynb(entry.ipynb)
        if cells(nb_md) == cells(nb):
            return nb, ""
        md_committed, ipynb_committed = _committed_cells(entry.md, read_md), _committed_cells(entry.ipynb, read_ipynb)
        md_changed, ipynb_changed = md_committed != cells(nb_md), ipynb_committed != cells(nb)
        if md_committed is None or ipynb_committed is None:
            why = "git cannot tell which one changed (a file not committed yet, or no git)"
        else:
            why = "both changed since the last commit"
        if md_changed and not ipynb_changed:
            nb = combine_inputs_with_outputs(nb_md, nb, fmt=MD_FORMAT)
            action = f"copied the cells of {entry.md.name} into {entry.ipynb.name} (outputs kept)"
        elif ipynb_changed and not md_changed:
            action = f"copied the cells of {entry.ipynb.name} into {entry.md.name}"
        else:
            raise SeriesError(
                f"notebooks/{entry.md.name} and notebooks/{entry.ipynb.name} hold different cells and {why}, "
                "so neither can simply win. Keep the .md's cells with "
                f"`jupytext --to ipynb --update notebooks/{entry.md.name}` (outputs kept), or the notebook's with "
                f"`jupytext --to {MD_FORMAT} notebooks/{entry.ipynb.name}`, after merging what you need by hand."
            )
    if write:
        write_pair(entry, nb)
    return nb, action


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
    """Record jupytext.toml's metadata filters in ``nb``'s own metadata; return True if that changed it.

    JupyterLab's jupytext, opening a pair whose .ipynb is newer than its .md (after a run, or
    a pull of new outputs), renders both files without the configuration file and refuses to
    open the notebook if the two renderings differ. With the filters only in jupytext.toml
    they always would (one has the filters and no jupytext version, the other the reverse);
    in both files' metadata, in alphabetical order as in the .ipynb, they agree.
    """
    config = jupytext_config()
    wanted = {"cell_metadata_filter": config.cell_metadata_filter}
    wanted["notebook_metadata_filter"] = config.notebook_metadata_filter
    current = dict(nb.metadata.get("jupytext", {}))
    merged = dict(sorted({**current, **wanted}.items()))
    if list(current.items()) == list(merged.items()):
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


def stale_places(entries: list[Entry]) -> list[str]:
    """What ``update`` would change, without writing anything (also checks that pairs are in sync)."""
    problems = check_series_matches_disk(entries)
    if problems:
        return problems
    for entry in entries:
        try:
            nb, action = sync_pair(entry, write=False)
        except SeriesError as error:
            problems.append(str(error))
            continue
        if action:
            problems.append(f"{entry.stem}: pair out of sync: {out_of_sync_message(entry)}")
        if apply_derived(copy.deepcopy(nb), entry, entries):
            problems.append(f"{entry.stem}: heading, nav line, run-time line, index table or metadata filters stale")
    if README.exists():
        text = README.read_text(encoding="utf-8")
        if TABLE_START not in text:
            problems.append(f"README.md has no table of notebooks (markers {TABLE_START} ... {TABLE_END})")
        elif readme_with_table(text, entries) != text:
            problems.append("README.md: the table of notebooks is stale")
    return problems


def update(entries: list[Entry] | None = None, quiet: bool = False) -> list[str]:
    """Sync every pair and rewrite every stale derived place; return the names of the files written."""
    entries = load_series() if entries is None else entries
    problems = check_series_matches_disk(entries)
    if problems:
        raise SeriesError("; ".join(problems))
    written = []
    for entry in entries:
        nb, action = sync_pair(entry)
        if action and not quiet:
            print(f"{entry.stem}: {action}")
        if apply_derived(nb, entry, entries):
            written += write_pair(entry, nb)
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
        update(entries)
    except SeriesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
