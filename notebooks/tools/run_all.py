"""Re-execute notebooks of the series in place, record their wall times, refresh what derives from them.

Usage::

    python notebooks/tools/run_all.py                     # full training, the notebooks whose .md changed
    python notebooks/tools/run_all.py --all               # full training, the whole series
    python notebooks/tools/run_all.py 04-training-live.ipynb 06-evaluating-and-debugging.md
    python notebooks/tools/run_all.py --list              # only say which notebooks would run, and why
    python notebooks/tools/run_all.py --all --fast        # GANLIB_FAST=1: a quick check, outputs untouched
    python notebooks/tools/run_all.py --fast --dry-run 00-index.ipynb   # execute, write nothing at all

Which notebooks run: those named on the command line, else all with ``--all``, else those
whose source changed since their last full run, that is whose ``.md`` no longer has the
``source_sha256`` recorded in ``notebooks/series.toml`` (lines that ``series.py`` writes,
such as the run times, do not count).

Before executing, every pair is brought in sync (``series.sync_pair``): the side that changed
since the last commit wins and the outputs are kept; if both the ``.md`` and the ``.ipynb``
changed and disagree, the script stops without executing anything.

Each notebook runs in a fresh ``python3`` kernel of the current environment, with the
notebooks folder as working directory, in series order.

* A full run (the default) writes the outputs into the ``.ipynb`` (the ``.md`` has none), and
  records the wall time (``full_seconds``) and the source hash in ``series.toml``.
* ``--fast`` runs with ``GANLIB_FAST=1``: it records only ``fast_seconds`` and leaves the
  outputs alone, since the committed outputs come from full runs.
* ``--dry-run`` writes nothing: no outputs, no times, no sync.

After each notebook the derived places are refreshed (its ``Run time:`` line, the index's
table, the README's table; see ``series.py``), so an interrupted run keeps what it measured.
A notebook whose execution fails is not written; the script goes on with the next one (or
stops, with ``--stop-on-error``) and exits with status 1 at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import series  # noqa: E402


def execute(nb, workdir: Path, timeout: int) -> float:
    """Execute ``nb`` in place (outputs replaced); return its wall time in seconds. Raises on a failing cell."""
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
        record_timing=False,  # no per-cell timestamps: they would change the file on every run
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    coalesce_streams(nb)
    return seconds


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (.ipynb or .md; default: the changed ones)")
    parser.add_argument("--all", action="store_true", help="run the whole series")
    parser.add_argument("--fast", action="store_true", help="set GANLIB_FAST=1 (shrunk training); outputs untouched")
    parser.add_argument("--dry-run", action="store_true", help="execute but write nothing (no outputs, no times)")
    parser.add_argument("--list", action="store_true", help="only list the notebooks that would run")
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

        # every pair in sync before anything runs (a dry run syncs in memory only)
        for entry in entries:
            _, action = series.sync_pair(entry, write=not args.dry_run)
            if action:
                print(f"{entry.stem}: {action}" + (" (in memory: --dry-run)" if args.dry_run else ""))
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
        try:  # read now: refreshing the derived places after the previous notebook may have changed it
            nb, _ = series.sync_pair(entry, write=not args.dry_run)
        except series.SeriesError as error:  # edited on both sides since the run started
            print(f"SKIPPED: {error}")
            failures.append(entry.file)
            continue
        # the source as executed (read now: the .md may be edited while the notebook runs)
        md_text = entry.md.read_text(encoding="utf-8") if entry.md.exists() else series.md_text(nb)
        try:
            seconds = execute(nb, series.NOTEBOOK_DIR, args.timeout)
        except CellExecutionError as error:
            print("FAILED")
            print(str(error)[-3000:], file=sys.stderr)
            failures.append(entry.file)
            if args.stop_on_error:
                break
            continue
        total += seconds
        print(f"{seconds:7.1f} s")
        if args.dry_run:
            continue
        if args.fast:
            entry.fast_seconds = round(seconds, 1)
        else:
            series.write_ipynb(entry.ipynb, nb)  # only the outputs changed: the .md stays as it is
            entry.full_seconds = round(seconds, 1)
            entry.source_sha256 = series.source_hash(md_text)  # the source this run executed
        series.save_series(entries)
        try:
            series.update(entries, quiet=True)  # run-time lines, the index's and the README's tables
        except series.SeriesError as error:  # e.g. a pair edited on both sides during the run
            print(f"warning: times recorded, but the derived places were not refreshed: {error}", file=sys.stderr)
    print(f"{'total':<45} ({mode})     {total:7.1f} s" + (f"; FAILED: {', '.join(failures)}" if failures else ""))
    if args.fast and not args.dry_run:
        print(f"(--fast: outputs left as they were; fast wall times recorded in {series.SERIES_FILE.name})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
