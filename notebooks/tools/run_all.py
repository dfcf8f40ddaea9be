"""Re-execute notebooks of the series in place, record their wall times, refresh what derives from them.

Usage::

    python notebooks/tools/run_all.py                     # full training, the notebooks whose .md changed
    python notebooks/tools/run_all.py --all               # full training, the whole series
    python notebooks/tools/run_all.py 04-training-live.ipynb 07-evaluating-and-debugging.md
    python notebooks/tools/run_all.py --list              # only say which notebooks would run, and why
    python notebooks/tools/run_all.py --all --fast        # GANLIB_FAST=1: a quick check, outputs untouched
    python notebooks/tools/run_all.py --fast --dry-run 00-index.ipynb   # execute, write nothing at all
    python notebooks/tools/run_all.py --solutions 02-backprop-by-hand.md  # the solved version too

Which notebooks run: those named on the command line, else all with ``--all``, else those
whose source changed since their last full run, that is whose ``.md`` no longer has the
``source_sha256`` recorded in ``notebooks/series.toml`` (lines that ``series.py`` writes,
such as the run times, do not count).

What runs is the **student version**, ``NN-title.ipynb``, as readers open it: first it is
generated afresh from the ``.md`` (``series.py``; outputs of unchanged cells kept), then
executed, and its outputs written into it. Its check cells (tagged ``raises-exception``) may
raise, and must: each must stop on ``ExerciseIncomplete``, the stub's "not written yet",
while no other cell may raise; otherwise the notebook counts as failed and is not written.
A generated notebook edited by hand stops the script before anything runs
(``series.py --force`` discards the edit). ``--solutions`` also executes the solved version
(``solutions/NN-title.ipynb``) of each chosen notebook that has exercises, where no cell may
raise, and writes nothing for it: it is committed without outputs.

Each notebook runs in a fresh ``python3`` kernel of this Python (``sys.executable``), with
the notebook's folder as working directory, in series order.

* A full run (the default) writes the outputs into the ``.ipynb`` (the ``.md`` has none), and
  records the wall time (``full_seconds``) and the source hash in ``series.toml``.
* ``--fast`` runs with ``GANLIB_FAST=1``: it records only ``fast_seconds`` and leaves the
  outputs alone, since the committed outputs come from full runs.
* ``--dry-run`` writes nothing: no outputs, no times, no generated notebooks.

After each notebook the derived places are refreshed (its ``Run time:`` line, the index's
table, the README's table; see ``series.py``), so an interrupted run keeps what it measured.
A notebook whose execution fails is not written; the script goes on with the next one (or
stops, with ``--stop-on-error``) and exits with status 1 at the end.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets import default

sys.path.insert(0, str(Path(__file__).resolve().parent))
import series  # noqa: E402


class _ThisPython(KernelSpecManager):
    """Kernel specs that start every kernel with this very Python, whatever kernels Jupyter has installed."""

    def get_kernel_spec(self, kernel_name):
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        return KernelSpec(argv=argv, display_name="Python 3 (ipykernel)", language="python", name=kernel_name)


class ThisPythonKernel(AsyncKernelManager):
    """nbclient's kernel manager, starting the kernel with this Python (as nbval's --nbval-current-env)."""

    @default("kernel_spec_manager")
    def _kernel_spec_manager_default(self):
        return _ThisPython(data_dir=self.data_dir)


def execute(nb, workdir: Path, timeout: int, allow_errors: bool = False) -> float:
    """Execute ``nb`` in place (outputs replaced); return its wall time in seconds.

    A cell that raises stops the run with CellExecutionError, unless it is tagged
    ``raises-exception`` (nbclient then records the error and goes on), or ``allow_errors``.
    """
    client = NotebookClient(
        nb,
        kernel_name="python3",
        kernel_manager_class=ThisPythonKernel,  # nbclient starts it, and shuts it down at the end
        timeout=timeout,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(workdir)}},
        record_timing=False,  # no per-cell timestamps: they would change the file on every run
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    coalesce_streams(nb)
    return seconds


INCOMPLETE = "ExerciseIncomplete"  # ganlib.exercises: the check's verdict on a stub


def _errors(cell) -> list[str]:
    return [o.get("ename", "?") for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def student_run_problems(nb) -> list[str]:
    """What is wrong with an executed student version: a check cell that did not stop on the stub, or another error.

    Each check cell (series.is_check_cell) must have raised ExerciseIncomplete: the exercise
    above it is a stub, and a check that passes it, or fails it another way, cannot tell a
    reader anything. Every other cell must have run without an error.
    """
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = _errors(cell)
        first = cell.source.strip().split("\n")[0][:60]
        if series.is_check_cell(cell):
            if not errors:
                problems.append(f"check cell {i} ({first!r}) did not raise on the stub: the check cannot fail")
            elif errors != [INCOMPLETE]:
                problems.append(f"check cell {i} ({first!r}) raised {', '.join(errors)}, not {INCOMPLETE}")
        elif errors:
            problems.append(f"cell {i} ({first!r}) raised {', '.join(errors)}")
    return problems


def coalesce_streams(nb) -> None:
    """Merge consecutive stdout (or stderr) outputs of a cell into one, in place.

    How a kernel chunks a cell's printing varies from run to run; merged, the saved outputs
    (and their diffs) do not.
    """
    for cell in nb.cells:
        merged = []
        for output in cell.get("outputs", []):
            previous = merged[-1] if merged else None
            if (
                output.output_type == "stream"
                and previous is not None
                and previous.output_type == "stream"
                and previous.name == output.name
            ):
                previous.text += output.text
            else:
                merged.append(output)
        if "outputs" in cell:
            cell.outputs = merged


def find_entry(arg: str, entries: list[series.Entry]) -> series.Entry:
    """The series entry named by ``arg``: a file name or path, of the .ipynb or the .md, or the stem."""
    name = Path(arg).name
    for suffix in (".ipynb", ".md"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    for entry in entries:
        if entry.stem == name:
            return entry
    raise series.SeriesError(f"{arg} is not in {series.SERIES_FILE.name}")


def stale_reason(entry: series.Entry) -> str | None:
    """Why ``entry`` needs a full run (its source changed since the last one), or None if it does not."""
    if not entry.md.exists():
        return f"no {entry.md.name} yet"
    if entry.source_sha256 is None:
        return "never run in full"
    if series.source_hash(entry.md.read_text(encoding="utf-8")) != entry.source_sha256:
        return f"{entry.md.name} changed since its last full run"
    return None


def generate(entry: series.Entry, entries: list[series.Entry]) -> tuple[series.Generated, str]:
    """``entry``'s notebooks generated afresh from its .md (in memory), and the .md's text as read.

    SeriesError if the student version on disk was edited by hand (its edit would be lost).
    """
    md_text = entry.md.read_text(encoding="utf-8")
    md_nb = series.read_md(entry.md, md_text)
    series.apply_derived(md_nb, entry, entries)
    generated = series.generate(entry, md_nb)
    if series.generated_state(entry.ipynb, generated.student) == "edited":
        raise series.SeriesError(series.generated_message(entry.ipynb, generated.student, "edited", entry))
    return generated, md_text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (.ipynb or .md; default: the changed ones)")
    parser.add_argument("--all", action="store_true", help="run the whole series")
    parser.add_argument("--fast", action="store_true", help="set GANLIB_FAST=1 (shrunk training); outputs untouched")
    parser.add_argument("--dry-run", action="store_true", help="execute but write nothing (no outputs, no times)")
    parser.add_argument("--list", action="store_true", help="only list the notebooks that would run")
    parser.add_argument(
        "--solutions", action="store_true", help="also execute the solved versions (nothing written for them)"
    )
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed per cell (default 3600)")
    parser.add_argument("--stop-on-error", action="store_true", help="stop at the first failing notebook")
    args = parser.parse_args(argv)

    try:
        entries = series.load_series()
        problems = series.check_series_matches_disk(entries)
        if problems:
            raise series.SeriesError("; ".join(problems))
        if args.notebooks:
            chosen = [(find_entry(arg, entries), "named") for arg in args.notebooks]
            order = {e.file: i for i, e in enumerate(entries)}
            chosen.sort(key=lambda pair: order[pair[0].file])
        elif args.all:
            chosen = [(entry, "--all") for entry in entries]
        else:
            chosen = [(entry, reason) for entry in entries if (reason := stale_reason(entry))]
        if args.list or not chosen:
            for entry, reason in chosen:
                print(f"{entry.file:<45} {reason}")
            if not chosen:
                print("every notebook's source is unchanged since its last full run (--all runs them anyway)")
            return 0

        # every generated notebook current before anything runs (a dry run generates in memory only)
        if args.dry_run:
            _, problems = series.plan(entries)
            if problems:
                raise series.SeriesError("; ".join(problems))
        else:
            series.update(entries)
    except series.SeriesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    if args.fast:
        os.environ["GANLIB_FAST"] = "1"
    else:
        os.environ.pop("GANLIB_FAST", None)
    os.environ.pop("MPLBACKEND", None)  # let the kernel use the inline backend, so figures are saved

    mode = "fast" if args.fast else "full"
    failures, total = [], 0.0
    for entry, _ in chosen:
        print(f"{entry.file:<45} ({mode}) ...", end=" ", flush=True)
        try:  # generated now: the .md may have been edited while the previous notebook ran
            generated, md_text = generate(entry, entries)
        except series.SeriesError as error:
            print(f"SKIPPED: {error}")
            failures.append(entry.file)
            continue
        nb = generated.student
        try:
            seconds = execute(nb, series.NOTEBOOK_DIR, args.timeout)
            problems = student_run_problems(nb)
        except CellExecutionError as error:
            seconds, problems = None, [str(error)[-3000:]]
        if problems:
            print("FAILED")
            print("\n".join(problems), file=sys.stderr)
            failures.append(entry.file)
            if args.stop_on_error:
                break
            continue
        total += seconds
        print(f"{seconds:7.1f} s")
        if args.solutions and generated.solutions is not None:
            name = f"solutions/{entry.file}"
            print(f"{name:<45} ({mode}) ...", end=" ", flush=True)
            try:
                workdir = entry.solutions.parent if entry.solutions.parent.exists() else series.NOTEBOOK_DIR
                solved_seconds = execute(copy.deepcopy(generated.solutions), workdir, args.timeout)
                print(f"{solved_seconds:7.1f} s (not written: committed without outputs)")
            except CellExecutionError as error:
                print("FAILED")
                print(str(error)[-3000:], file=sys.stderr)
                failures.append(name)
                if args.stop_on_error:
                    break
        if args.dry_run:
            continue
        if args.fast:
            entry.fast_seconds = round(seconds, 1)
        else:
            series.write_ipynb(entry.ipynb, nb)  # the student version with its new outputs; the .md stays as it is
            entry.full_seconds = round(seconds, 1)
            entry.source_sha256 = series.source_hash(md_text)  # the source this run executed
        series.save_series(entries)
        try:
            series.update(entries, quiet=True)  # run-time lines, the index's and the README's tables
        except series.SeriesError as error:  # e.g. a notebook edited by hand during the run
            print(f"warning: times recorded, but the derived places were not refreshed: {error}", file=sys.stderr)
    print(f"{'total':<45} ({mode})     {total:7.1f} s" + (f"; FAILED: {', '.join(failures)}" if failures else ""))
    if args.fast and not args.dry_run:
        print(f"(--fast: outputs left as they were; fast wall times recorded in {series.SERIES_FILE.name})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
