"""The notebook series stays consistent: pairs in sync, and everything written from series.toml current.

Each notebook is a pair, ``notebooks/NN-title.md`` (the reviewed source) and
``notebooks/NN-title.ipynb`` (the same cells, with the outputs of a full run), kept in sync
by jupytext. ``notebooks/series.toml`` lists the series; ``notebooks/tools/series.py``
writes the headings, nav lines, run-time lines and tables from it (and fixes whatever
these tests find stale). These tests read files only; they execute nothing.
"""

import copy
import os
import re
import shutil
import sys
import time
import tomllib
from pathlib import Path

import nbformat
import pytest
from jupytext import TextFileContentsManager
from jupytext.config import find_jupytext_configuration_file
from tornado.web import HTTPError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks" / "tools"))
import series  # noqa: E402

ENTRIES = series.load_series()
FIX = "fix: python notebooks/tools/series.py"


def _by_stem(entries):
    return pytest.mark.parametrize("entry", entries, ids=[e.stem for e in entries])


def _first_difference(a, b) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            if x[0] != y[0]:
                return f"cell {i} is a {x[0]} cell in one file and a {y[0]} cell in the other"
            lines = [(p, q) for p, q in zip(x[1].splitlines(), y[1].splitlines()) if p != q]
            p, q = lines[0] if lines else (x[1][-80:], y[1][-80:])
            return f"cell {i} ({x[0]}) differs:\n  .md:    {p!r}\n  .ipynb: {q!r}"
    return f"the .md has {len(a)} cells, the .ipynb {len(b)}"


# --- the pairs ------------------------------------------------------------------------------------


@_by_stem(ENTRIES)
def test_md_and_ipynb_hold_the_same_cells(entry):
    assert entry.md.exists() and entry.ipynb.exists(), f"{entry.stem}: both .md and .ipynb must exist"
    md, nb = series.cells(series.read_md(entry.md)), series.cells(series.read_ipynb(entry.ipynb))
    assert md == nb, (
        f"notebooks/{entry.md.name} and notebooks/{entry.ipynb.name} are out of sync: {_first_difference(md, nb)}\n"
        f"fix: jupytext --sync notebooks/{entry.ipynb.name}   (copies the newer file's cells to the other; "
        "outputs are kept)"
    )


@_by_stem(ENTRIES)
def test_md_is_clean(entry):
    """The reviewed text: no outputs, no cell metadata, a header with the kernelspec and the format only."""
    nb = series.read_md(entry.md)
    noisy = [i for i, c in enumerate(nb.cells) if c.metadata]
    assert not noisy, f"{entry.md.name}: cells {noisy} carry metadata; check notebooks/jupytext.toml's filters"
    header = entry.md.read_text(encoding="utf-8").split("---\n")[1]
    keys = set(re.findall(r"^(\w+):", header, re.MULTILINE))
    assert keys == {"jupytext", "kernelspec"}, f"{entry.md.name}: header has {sorted(keys)}"
    assert "jupytext_version:" not in header, f"{entry.md.name}: the header records a jupytext version"


@_by_stem(ENTRIES)
def test_jupyterlab_opens_the_pair_when_the_ipynb_is_newer(entry, tmp_path):
    """After run_all.py writes outputs, or a pull of new outputs, the .ipynb is newer than the .md.

    jupytext's contents manager (what JupyterLab uses) then compares the two files and refuses
    to open the notebook if they differ in more than outputs, including in their metadata
    header: that is why series.py copies jupytext.toml's metadata filters into each notebook.
    Checked with the real contents manager, on a copy of the pair.
    """
    shutil.copy(ROOT / "notebooks" / "jupytext.toml", tmp_path)
    shutil.copy(entry.md, tmp_path)
    shutil.copy(entry.ipynb, tmp_path)
    now = time.time()
    os.utime(tmp_path / entry.md.name, (now - 60, now - 60))
    os.utime(tmp_path / entry.ipynb.name, (now, now))
    try:
        model = TextFileContentsManager(root_dir=str(tmp_path)).get(entry.ipynb.name)
    except HTTPError as error:
        pytest.fail(f"{entry.stem}: JupyterLab would refuse to open it once the .ipynb is newer: {error}; {FIX}")
    assert series.cells(nbformat.from_dict(model["content"])) == series.cells(series.read_ipynb(entry.ipynb))


def test_jupytext_pairs_the_notebooks_from_root_and_from_notebooks():
    config = ROOT / "notebooks" / "jupytext.toml"
    assert tomllib.loads(config.read_text())["formats"] == "ipynb,md:myst"
    for start in (ROOT / "notebooks" / "00-index.ipynb", ROOT / "notebooks"):
        assert Path(find_jupytext_configuration_file(start)) == config


# --- series.toml ----------------------------------------------------------------------------------


def test_every_notebook_on_disk_is_in_the_series_and_vice_versa():
    assert series.check_series_matches_disk(ENTRIES) == []


def test_recorded_times_and_hashes_are_well_formed():
    for e in ENTRIES:
        assert e.source_sha256 is not None and series.SHA256_RE.match(e.source_sha256), (
            f"{e.file}: source_sha256 {e.source_sha256!r} is not a sha256 (run_all.py records it after a full run)"
        )
        for name, command in (("full_seconds", ""), ("fast_seconds", "--fast ")):
            value = getattr(e, name)
            assert isinstance(value, float) and value > 0, (
                f"{e.file}: {name} = {value!r}; `python notebooks/tools/run_all.py {command}{e.file}` records it"
            )


def test_series_file_is_as_run_all_writes_it():
    """run_all.py rewrites series.toml; a hand edit in another layout would become a noisy diff."""
    text = series.SERIES_FILE.read_text(encoding="utf-8")
    assert series.format_series(series.load_series()) == text, (
        "notebooks/series.toml is not in the layout series.save_series writes (comments belong in its header)"
    )


# --- the places written from series.toml ----------------------------------------------------------


def _both(entry):
    return [(entry.md.name, series.read_md(entry.md)), (entry.ipynb.name, series.read_ipynb(entry.ipynb))]


@_by_stem(ENTRIES)
def test_heading_and_nav_lines_are_current(entry):
    names = [e.file for e in ENTRIES]
    heading, nav = f"# {entry.number} · {entry.title}", series.nav_line(entry.file, names)
    for name, nb in _both(entry):
        first, last = nb.cells[0].source.split("\n"), nb.cells[-1].source.split("\n")
        assert first[0] == heading, f"{name}: heading {first[0]!r}, series.toml says {heading!r}; {FIX}"
        navs = [line for line in first if series.NAV_RE.fullmatch(line)]
        assert navs[:1] == [nav], f"{name}: first cell's nav line {navs[:1]}, expected {nav!r}; {FIX}"
        navs = [line for line in last if series.NAV_RE.fullmatch(line)]
        assert navs[-1:] == [nav], f"{name}: last cell's nav line {navs[-1:]}, expected {nav!r}; {FIX}"


@_by_stem(ENTRIES)
def test_run_time_line_is_current(entry):
    line = series.run_time_line(entry)
    for name, nb in _both(entry):
        found = series.RUN_TIME_RE.findall(nb.cells[0].source)
        assert found == [line], f"{name}: first cell has {found}, series.toml says {line!r}; {FIX}"


def test_index_table_is_current():
    entry = ENTRIES[0]
    table = series.series_table(ENTRIES)
    for name, nb in _both(entry):
        tables = [m for c in nb.cells if c.cell_type == "markdown" for m in series.TABLE_RE.findall(c.source)]
        assert tables == [table], f"{name}: the reading-order table differs from series.toml; {FIX}"


def test_readme_table_is_current():
    text = series.README.read_text(encoding="utf-8")
    assert len(series.TABLE_RE.findall(text)) == 1, "README.md must hold one table of notebooks between the markers"
    assert series.readme_with_table(text, ENTRIES) == text, f"README.md: the table of notebooks is stale; {FIX}"


def test_series_check_finds_nothing_stale():
    """What `python notebooks/tools/series.py --check` reports (it writes nothing)."""
    assert series.stale_places(ENTRIES) == []


def test_derived_places_are_blanked_out_of_the_source_hash():
    """A new run time or nav line must not make run_all.py re-run a notebook; any other edit must."""
    text = ENTRIES[1].md.read_text(encoding="utf-8")
    moved = copy.copy(ENTRIES[1])
    moved.full_seconds, moved.fast_seconds = 1234.0, 56.0
    retimed = series.RUN_TIME_RE.sub(series.run_time_line(moved), text, count=1)
    renav = series.NAV_RE.sub("[Index](00-index.ipynb) · [Next](99-elsewhere.ipynb)", text)
    assert retimed != text and renav != text
    assert series.source_hash(retimed) == series.source_hash(renav) == series.source_hash(text)
    assert series.source_hash(text.replace("import", "import ", 1)) != series.source_hash(text)
