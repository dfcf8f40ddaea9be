"""The notebook series stays consistent: generated notebooks current, and everything written from series.toml.

Each notebook has one source, ``notebooks/NN-title.md`` (the reviewed text, the solved
notebook), from which ``notebooks/tools/series.py`` generates the student version
``notebooks/NN-title.ipynb`` (solutions replaced by nbgrader's stubs, check cells tagged,
the outputs of its last run kept) and, for a notebook with exercises, the solved version
``notebooks/solutions/NN-title.ipynb`` (no outputs). ``notebooks/series.toml`` lists the
series; series.py writes the headings, nav lines, run-time lines and tables from it (and
fixes whatever these tests find stale). These tests read files and generate notebooks in
memory or in a temporary folder; they execute nothing (tests/test_exercise_notebooks.py
executes the student versions, nbval the rest).
"""

import copy
import re
import shutil
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
from jupytext import TextFileContentsManager
from jupytext.config import find_jupytext_configuration_file

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks" / "tools"))
import run_all  # noqa: E402
import series  # noqa: E402

ENTRIES = series.load_series()
FIX = "fix: python notebooks/tools/series.py"


def _by_stem(entries):
    return pytest.mark.parametrize("entry", entries, ids=[e.stem for e in entries])


EXERCISES = [e for e in ENTRIES if series.md_has_exercises(e.md)]


def _generated(entry):
    """What series.py generates for ``entry`` now (in memory): the .md with its derived places, then the notebooks."""
    md_nb = series.read_md(entry.md)
    series.apply_derived(md_nb, entry, ENTRIES)
    return series.generate(entry, md_nb)


# --- the generated notebooks ----------------------------------------------------------------------


@_by_stem(ENTRIES)
def test_generated_notebooks_are_current(entry):
    """Each .ipynb is exactly what its .md generates: not stale, not edited by hand."""
    assert entry.md.exists(), series.missing_md_message(entry)
    generated = _generated(entry)
    targets = [(entry.ipynb, generated.student)]
    if generated.solutions is not None:
        targets.append((entry.solutions, generated.solutions))
    for path, nb in targets:
        state = series.generated_state(path, nb)
        assert state == "current", series.generated_message(path, nb, state, entry)


def test_solved_versions_exist_exactly_for_the_notebooks_with_exercises():
    on_disk = {p.name for p in series.SOLUTIONS_DIR.glob("*.ipynb")}
    assert on_disk == {e.file for e in EXERCISES}, f"{FIX} (writes the missing ones, removes the others)"
    assert EXERCISES, "no notebook has exercises: the student-version machinery would go untested"


@_by_stem(EXERCISES)
def test_the_student_version_holds_stubs_and_tagged_checks(entry):
    solved, student = series.read_ipynb(entry.solutions), series.read_ipynb(entry.ipynb)
    assert len(solved.cells) == len(student.cells)
    exercises = series.exercise_cells(solved, entry.solutions.name)
    for i, (mine, theirs) in enumerate(zip(student.cells, solved.cells)):
        assert "BEGIN SOLUTION" not in mine.source and "END SOLUTION" not in mine.source, f"cell {i} shows a marker"
        if i in exercises:
            stub = "raise NotImplementedError()" if mine.cell_type == "code" else "YOUR ANSWER HERE"
            assert stub in mine.source and stub not in theirs.source, f"cell {i}: no stub in the student version"
        tags = mine.get("metadata", {}).get("tags", [])
        assert (series.RAISES in tags) == series.is_check_cell(mine), f"cell {i}: tags {tags}"
        assert not theirs.get("metadata", {}).get("tags"), f"the solved version's cell {i} is tagged"
        assert theirs.cell_type != "code" or not theirs.outputs, f"the solved version's cell {i} has outputs"
    assert len(exercises) >= 2, "at least two exercises per notebook with exercises"


@_by_stem(ENTRIES)
def test_committed_outputs_show_the_exercises_not_done(entry):
    """The committed student version's outputs: each check cell stopped on its stub, no other cell failed."""
    problems = run_all.student_run_problems(series.read_ipynb(entry.ipynb))
    assert not problems, f"{entry.ipynb.name}: {problems}; run python notebooks/tools/run_all.py {entry.file}"


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


def test_jupytext_pairs_nothing_from_root_or_from_notebooks():
    """With a pairing, saving the student notebook in JupyterLab would overwrite the .md and lose the solutions."""
    config = ROOT / "notebooks" / "jupytext.toml"
    assert "formats" not in tomllib.loads(config.read_text())
    for start in (ROOT / "notebooks" / "00-index.ipynb", ROOT / "notebooks"):
        assert Path(find_jupytext_configuration_file(start)) == config


def _jupyterlab(tmp_path, entry):
    """jupytext's contents manager, what JupyterLab uses, on a copy of ``entry``'s files and the config."""
    shutil.copy(ROOT / "notebooks" / "jupytext.toml", tmp_path)
    shutil.copy(entry.md, tmp_path)
    shutil.copy(entry.ipynb, tmp_path)
    return TextFileContentsManager(root_dir=str(tmp_path))


def test_saving_the_student_notebook_in_jupyterlab_leaves_the_md_alone(tmp_path):
    entry = (EXERCISES or ENTRIES)[0]
    manager = _jupyterlab(tmp_path, entry)
    model = manager.get(entry.ipynb.name)
    model["content"]["cells"][-1]["source"] += "\nA reader's note."
    manager.save(model, entry.ipynb.name)
    assert (tmp_path / entry.md.name).read_text(encoding="utf-8") == entry.md.read_text(encoding="utf-8")
    assert "A reader's note." in (tmp_path / entry.ipynb.name).read_text(encoding="utf-8")


@_by_stem(ENTRIES)
def test_the_md_opens_in_jupyterlab_as_a_notebook_and_saves_back_unchanged(entry, tmp_path):
    manager = _jupyterlab(tmp_path, entry)
    model = manager.get(entry.md.name, type="notebook")
    assert series.cells(nbformat.from_dict(model["content"])) == series.cells(series.read_md(entry.md))
    manager.save(model, entry.md.name)
    assert (tmp_path / entry.md.name).read_text(encoding="utf-8") == entry.md.read_text(encoding="utf-8")
    assert (tmp_path / entry.ipynb.name).read_bytes() == entry.ipynb.read_bytes(), "saving the .md wrote the .ipynb"


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


# --- generating the student and solved versions (on made-up notebooks) ---------------------------

HEADER = """---
jupytext:
  cell_metadata_filter: -all
  notebook_metadata_filter: -jupytext.text_representation.jupytext_version
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---
"""

EXERCISE = '''
```{code-cell} ipython3
def double(x):
    """Return 2 x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
```

```{code-cell} ipython3
# check your answer
assert double(3) == 6
```

Why is it 6?

<!-- BEGIN SOLUTION -->
Because 2 times 3 is 6.
<!-- END SOLUTION -->
'''


def _made_up(text, name="98-made-up.ipynb"):
    entry = series.Entry(file=name, title="Made up", teaches="nothing")
    return entry, series.read_md(entry.md, HEADER + "\n# 98 · Made up\n" + text)


def test_the_student_version_gets_nbgraders_stubs_and_the_solved_version_keeps_the_solutions():
    entry, md_nb = _made_up(EXERCISE)
    generated = series.generate(entry, md_nb, old_student=None)
    student, solved = generated.student, generated.solutions
    code = [c for c in student.cells if c.cell_type == "code"]
    assert (
        code[0].source == 'def double(x):\n    """Return 2 x."""\n    # YOUR CODE HERE\n    raise NotImplementedError()'
    )
    assert code[1].metadata == {"tags": [series.RAISES]}
    assert student.cells[-1].source == "Why is it 6?\n\nYOUR ANSWER HERE"
    assert "return 2 * x" in solved.cells[1].source and "Because 2 times 3" in solved.cells[-1].source
    assert all(not c.metadata for c in solved.cells[1:])
    assert [c.id for c in solved.cells] == [c.id for c in student.cells]
    assert "*The solved version" in solved.cells[0].source
    # generating again gives the same files (ids derived from the content, not random)
    again = series.generate(entry, copy.deepcopy(md_nb), old_student=None)
    assert series.ipynb_text(again.student) == series.ipynb_text(student)
    assert series.ipynb_text(again.solutions) == series.ipynb_text(solved)


def test_a_notebook_without_exercises_has_no_solved_version_and_needs_no_nbgrader(monkeypatch):
    monkeypatch.setattr(series, "_CLEAR_SOLUTIONS", None)
    monkeypatch.setitem(sys.modules, "nbgrader.preprocessors", None)  # importing it raises ImportError
    entry, md_nb = _made_up("\n```{code-cell} ipython3\nprint(1)\n```\n")
    generated = series.generate(entry, md_nb, old_student=None)
    assert generated.solutions is None and series.cells(generated.student) == series.cells(md_nb)
    entry, md_nb = _made_up(EXERCISE)
    with pytest.raises(series.SeriesError, match=re.escape(series.INSTALL_NBGRADER)):
        series.generate(entry, md_nb, old_student=None)


def test_regenerating_keeps_the_outputs_of_unchanged_cells():
    entry, md_nb = _made_up(EXERCISE + "\n```{code-cell} ipython3\nprint('kept')\n```\n")
    first = series.generate(entry, md_nb, old_student=None).student
    first.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="kept\n")]
    first.metadata["language_info"] = {"name": "python"}
    edited_md = md_nb.cells[0].source + "\n\nA new sentence."
    md_nb.cells[0].source = edited_md
    again = series.generate(entry, md_nb, old_student=first).student
    assert again.cells[-1].outputs[0]["text"] == "kept\n" and again.metadata["language_info"] == {"name": "python"}
    assert [c.id for c in again.cells] == [c.id for c in first.cells]


BAD_MARKERS = {
    "never closed": "```{code-cell} ipython3\ndef f():\n    ### BEGIN SOLUTION\n    return 1\n```\n"
    "```{code-cell} ipython3\n# check your answer\nf()\n```\n",
    "nested": "```{code-cell} ipython3\n### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n```\n"
    "```{code-cell} ipython3\n# check your answer\n```\n",
    "another spelling": "```{code-cell} ipython3\n# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n```\n",
    "prose that mentions a marker": "Write your code between BEGIN SOLUTION and END SOLUTION.\n",
    "the markdown marker in code": "```{code-cell} ipython3\n<!-- BEGIN SOLUTION -->\n<!-- END SOLUTION -->\n```\n",
    "an exercise without its check": "```{code-cell} ipython3\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n```\n"
    "```{code-cell} ipython3\nprint(x)\n```\n",
    "the last exercise without its check": "```{code-cell} ipython3\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n```\n",
    "a check without an exercise": "```{code-cell} ipython3\nx = 1\n```\n```{code-cell} ipython3\n# check your answer\nassert x\n```\n",
}


@pytest.mark.parametrize("text", BAD_MARKERS.values(), ids=BAD_MARKERS.keys())
def test_misused_markers_are_refused(text):
    entry, md_nb = _made_up("\n" + text)
    with pytest.raises(series.SeriesError, match="98-made-up"):
        series.generate(entry, md_nb, old_student=None)


@pytest.fixture
def made_up_series(tmp_path, monkeypatch):
    """A series of two notebooks in a temporary folder, with series.py's paths pointing there."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(ROOT / "notebooks" / "jupytext.toml", notebooks)
    monkeypatch.setattr(series, "NOTEBOOK_DIR", notebooks)
    monkeypatch.setattr(series, "SOLUTIONS_DIR", notebooks / "solutions")
    monkeypatch.setattr(series, "README", tmp_path / "README.md")  # absent: no table to write
    entries = [
        series.Entry(file="00-index.ipynb", title="Index", teaches="the order", full_seconds=1.0, fast_seconds=1.0),
        series.Entry(file="01-made-up.ipynb", title="Made up", teaches="doubling", full_seconds=1.0, fast_seconds=1.0),
    ]
    (notebooks / "00-index.md").write_text(HEADER + "\n# 00 · Index\n", encoding="utf-8")
    (notebooks / "01-made-up.md").write_text(HEADER + "\n# 01 · Made up\n" + EXERCISE, encoding="utf-8")
    return notebooks, entries


def test_series_generates_both_versions_refuses_to_lose_a_hand_edit_and_removes_orphans(made_up_series):
    notebooks, entries = made_up_series
    written = series.update(entries, quiet=True)
    assert {"00-index.ipynb", "01-made-up.ipynb", "solutions/01-made-up.ipynb", "01-made-up.md"} <= set(written)
    assert not (notebooks / "solutions" / "00-index.ipynb").exists()
    assert series.update(entries, quiet=True) == [] and series.stale_places(entries) == []

    student = notebooks / "01-made-up.ipynb"
    nb = series.read_ipynb(student)
    nb.cells[1].source = nb.cells[1].source.replace("raise NotImplementedError()", "return 2 * x")  # as in JupyterLab
    series.write_ipynb(student, nb)
    edited = student.read_text(encoding="utf-8")
    with pytest.raises(series.SeriesError, match="edited by hand"):
        series.update(entries, quiet=True)
    assert student.read_text(encoding="utf-8") == edited  # nothing written
    assert any("edited by hand" in p and "01-made-up.md" in p for p in series.stale_places(entries))
    series.update(entries, quiet=True, force=True)
    assert "raise NotImplementedError()" in student.read_text(encoding="utf-8")

    md = notebooks / "01-made-up.md"  # the .md changes: the student version is stale, not edited
    md.write_text(md.read_text(encoding="utf-8").replace("Why is it 6?", "Why is it six?"), encoding="utf-8")
    assert any("is not what notebooks/01-made-up.md generates" in p for p in series.stale_places(entries))
    md.write_text(HEADER + "\n# 01 · Made up\n\nNo exercises any more.\n", encoding="utf-8")
    written = series.update(entries, quiet=True)
    assert (
        "solutions/01-made-up.ipynb (removed)" in written
        and not (notebooks / "solutions" / "01-made-up.ipynb").exists()
    )


def test_run_all_finds_a_check_that_passes_on_the_stub_or_fails_otherwise():
    entry, md_nb = _made_up(EXERCISE)
    nb = series.generate(entry, md_nb, old_student=None).student
    error = {"output_type": "error", "ename": "ExerciseIncomplete", "evalue": "", "traceback": []}
    nb.cells[2].outputs = [nbformat.from_dict(error)]
    assert run_all.student_run_problems(nb) == []
    nb.cells[2].outputs = []
    assert "did not raise on the stub" in run_all.student_run_problems(nb)[0]
    nb.cells[2].outputs = [nbformat.from_dict({**error, "ename": "AssertionError"})]
    assert "raised AssertionError, not ExerciseIncomplete" in run_all.student_run_problems(nb)[0]
    nb.cells[2].outputs, nb.cells[1].outputs = (
        [nbformat.from_dict(error)],
        [nbformat.from_dict({**error, "ename": "NameError"})],
    )
    assert "cell 1" in run_all.student_run_problems(nb)[0]
