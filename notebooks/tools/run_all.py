"""Re-execute the notebooks in place, in series order, and print each one's wall time.

Usage::

    python notebooks/tools/run_all.py                    # every notebook, full training (commit these outputs)
    python notebooks/tools/run_all.py --fast             # GANLIB_FAST=1: shrunk training, for a quick check
    python notebooks/tools/run_all.py 01-the-objective.ipynb 02-backprop-by-hand.ipynb
    python notebooks/tools/run_all.py --fast --dry-run   # execute, but leave the files untouched

Each notebook runs in a fresh ``python3`` kernel of the current environment, with the
notebooks folder as working directory. A notebook whose execution fails is not
written; the script goes on with the next one (or stops, with ``--stop-on-error``)
and exits with status 1 at the end. The outputs of a full run are the ones to
commit: readers see real results before running anything, while the test suite
runs the notebooks with ``GANLIB_FAST=1``.

After a full run that writes the notebooks, the measured wall times are saved in
``notebooks/tools/run_times.json`` and written into the reading-order table of
``00-index.ipynb`` (see ``build_00_index.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nav  # noqa: E402


def execute(path: Path, timeout: int, write: bool) -> float:
    """Execute one notebook in place; return its wall time in seconds. Raises on a failing cell."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,  # no per-cell timestamps: they would change the file on every run
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    if write:
        nbformat.write(nb, path)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook files (default: the whole series, in order)")
    parser.add_argument("--fast", action="store_true", help="set GANLIB_FAST=1 (shrunk training)")
    parser.add_argument("--dry-run", action="store_true", help="execute but do not write the notebooks")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed per cell (default 3600)")
    parser.add_argument("--stop-on-error", action="store_true", help="stop at the first failing notebook")
    args = parser.parse_args(argv)

    if args.fast:
        os.environ["GANLIB_FAST"] = "1"
        if not args.dry_run:
            print("note: --fast writes shrunk-training outputs; commit the outputs of a full run")
    else:
        os.environ.pop("GANLIB_FAST", None)
    os.environ.pop("MPLBACKEND", None)  # let the kernel use the inline backend, so figures are saved

    paths = [Path(p) if Path(p).exists() else nav.NOTEBOOK_DIR / p for p in args.notebooks]
    paths = paths or [nav.NOTEBOOK_DIR / n for n in nav.series() if (nav.NOTEBOOK_DIR / n).exists()]
    mode = "fast" if args.fast else "full"
    failures, total, times = [], 0.0, {}
    for path in paths:
        print(f"{path.name:<45} ({mode}) ...", end=" ", flush=True)
        try:
            seconds = execute(path, args.timeout, write=not args.dry_run)
        except CellExecutionError as error:
            print("FAILED")
            print(str(error)[-3000:], file=sys.stderr)
            failures.append(path.name)
            if args.stop_on_error:
                break
            continue
        total += seconds
        times[path.name] = seconds
        print(f"{seconds:7.1f} s")
    print(f"{'total':<45} ({mode})     {total:7.1f} s" + (f"; FAILED: {', '.join(failures)}" if failures else ""))
    if times and not args.fast and not args.dry_run:
        # full-run wall times go into notebooks/tools/run_times.json and the index's table
        from build_00_index import update_index_times

        if update_index_times(times):
            print(f"updated the run times in {nav.INDEX}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
