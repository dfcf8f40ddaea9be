"""The one harness of every benchmark here: the machine, thread limits, timing, the common options.

Every speed figure is printed beside :func:`machine_line`, the machine it was measured on: CPU
model, cores, load average, numpy and its BLAS (threadpoolctl's kernel, its ``architecture``, and
thread count), and torch with its threads when a script uses it. On a shared machine only ratios
measured in one run count, so the timing helpers interleave what they compare
(:func:`interleaved`, ABBA order) and report medians and spreads.

Scripts run as modules from the repository's root, ``python -m benchmarks.speed.train``: the
root is then the first entry of ``sys.path``, so ``benchmarks`` and the checkout's ``ganlib``
import without any path edits. numpy, threadpoolctl and torch are imported inside the functions
that need them, so importing this module loads none of them.

A benchmark script typically does::

    from benchmarks import harness

    parser = argparse.ArgumentParser(...)
    harness.add_common_arguments(parser)               # --quick, --threads
    args = parser.parse_args(argv)
    torch = harness.require_torch()                    # only if it races PyTorch
    threads = harness.limit_threads(args.threads, torch=torch)
    print(harness.machine_line())
    times = harness.interleaved({"ganlib": run_ganlib, "torch": run_torch}, rounds=5)
    print(harness.describe_spread(times["ganlib"]))
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Folders of committed results: a ``--quick`` run never writes into them.
COMMITTED_RESULTS = (REPO / "data" / "results", REPO / "benchmarks" / "results")
TORCH_HINT = "pip install torch==2.13.0  (the CPU build; see the README, 'Developing')"

clock = time.perf_counter

# --------------------------------------------------------------------------- the machine


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cores() -> int:
    """The cores this process may run on (its affinity where the OS has one, else ``os.cpu_count()``)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def load_average() -> list[float]:
    """The 1, 5 and 15-minute load averages, rounded to 0.01 ([] where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def loadavg() -> str:
    """The load averages as text, e.g. ``"1.23 0.98 0.75"`` (``"n/a"`` where the OS has none)."""
    values = load_average()
    return " ".join(f"{x:.2f}" for x in values) if values else "n/a"


def busy() -> bool:
    """Whether the 1-minute load average exceeds the cores: then timings are inflated and noisy."""
    values = load_average()
    return bool(values) and values[0] > cores()


def blas_pools() -> list[dict]:
    """threadpoolctl's description of every BLAS loaded (numpy's first; imports numpy)."""
    import numpy  # noqa: F401  (loads numpy's BLAS, so that threadpoolctl sees it)
    from threadpoolctl import threadpool_info

    return [i for i in threadpool_info() if i.get("user_api") == "blas"]


def blas_threads() -> int:
    """The threads numpy's BLAS uses now."""
    pools = blas_pools()
    return int(pools[0]["num_threads"]) if pools else 1


def blas_kernel() -> str:
    """The kernel numpy's BLAS runs (threadpoolctl's ``architecture``, e.g. ``Haswell``)."""
    pools = blas_pools()
    return str(pools[0].get("architecture", "unknown")) if pools else "unknown"


def describe_pool(pool: dict) -> str:
    keys = ("internal_api", "prefix", "version", "architecture", "threading_layer", "num_threads")
    return ", ".join(f"{k}={pool.get(k)}" for k in keys if k in pool)


def _torch(torch=None):
    """The torch module if given or already imported by the script, else None (never imports it)."""
    return torch if torch is not None else sys.modules.get("torch")


def machine(torch=None) -> dict:
    """The machine as a JSON-able dict: CPU, cores, load average, versions, BLAS kernel and threads."""
    import numpy as np

    pools = blas_pools()
    pool = pools[0] if pools else {}
    info = {
        "cpu": cpu_model(),
        "cores": cores(),
        "loadavg": load_average(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": f"{pool.get('internal_api', 'unknown')} {pool.get('version', '')}".strip(),
        "blas_kernel": str(pool.get("architecture", "unknown")),
        "blas_threads": int(pool.get("num_threads", 1)),
    }
    torch = _torch(torch)
    if torch is not None:
        info.update(torch=torch.__version__, torch_threads=torch.get_num_threads())
    return info


def machine_line(torch=None) -> str:
    """One line naming the machine, printed beside every speed figure, e.g.

    ``machine: AMD EPYC, 2 cores, load 0.52 0.61 0.70; numpy 2.4.6, openblas 0.3.31 kernel Haswell,
    2 threads; torch 2.13.0+cpu, 2 threads``. torch appears when given or already imported."""
    m = machine(torch)
    line = (
        f"machine: {m['cpu']}, {m['cores']} cores, load {loadavg()}; numpy {m['numpy']}, "
        f"{m['blas']} kernel {m['blas_kernel']}, {m['blas_threads']} thread(s)"
    )
    if "torch" in m:
        line += f"; torch {m['torch']}, {m['torch_threads']} thread(s)"
    return line


def openblas_variables() -> list[str]:
    """The environment variables that steer the BLAS, each as ``NAME='value'`` or ``NAME unset``."""
    names = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    return [f"{v}={os.environ[v]!r}" if v in os.environ else f"{v} unset" for v in names]


# --------------------------------------------------------------------------- threads

_LIMITS = []  # threadpoolctl limiters of limit_threads, kept alive until the process ends


def limit_threads(threads: int | None = None, *, torch=None) -> int:
    """Run numpy's BLAS on ``threads`` threads (threadpoolctl) for the rest of the process, and torch
    too if given (:func:`limit_torch_threads`). Default: the threads numpy's BLAS uses now. Returns it."""
    import numpy  # noqa: F401  (a BLAS loaded after the limit would not obey it)
    from threadpoolctl import threadpool_limits

    threads = int(threads or blas_threads())
    _LIMITS.append(threadpool_limits(limits=threads, user_api="blas"))
    if torch is not None:
        limit_torch_threads(torch, threads)
    return threads


@contextlib.contextmanager
def blas_limited(threads: int):
    """Within the block, numpy's BLAS runs on ``threads`` threads."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=int(threads), user_api="blas"):
        yield


def limit_torch_threads(torch, threads: int) -> str:
    """``torch.set_num_threads(threads)`` and one inter-op thread. Returns "" or why torch refused the
    latter (it can be set only before torch's first parallel work)."""
    note = ""
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError as exc:
        note = f"set_num_interop_threads(1) refused: {exc}"
    torch.set_num_threads(int(threads))
    return note


def require_torch():
    """Import torch for a benchmark that races it, or exit with status 2 and how to install it."""
    try:
        import torch
    except ImportError:
        raise SystemExit(f"this benchmark compares with PyTorch, which is not installed: {TORCH_HINT}") from None
    return torch


# --------------------------------------------------------------------------- timing


def time_calls(fn: Callable[[], object], repeats: int, timer: Callable[[], float] = clock) -> list[float]:
    """Seconds of each of ``repeats`` calls of ``fn`` (``timer``: perf_counter, or e.g. time.thread_time)."""
    times = []
    for _ in range(repeats):
        t0 = timer()
        fn()
        times.append(timer() - t0)
    return times


def abba_order(names: Sequence, round_index: int) -> list:
    """The order of one round: ``names`` as given on even rounds, reversed on odd ones (A B, B A, ...),
    so that a slow drift of the machine's speed favours none of them."""
    return list(names) if round_index % 2 == 0 else list(names)[::-1]


def interleaved(
    runs: dict[str, Callable[[], object]],
    rounds: int,
    after_round: Callable[[int, dict], None] | None = None,
) -> dict[str, list]:
    """Call every run once per round, in ABBA order (:func:`abba_order`); returns each run's results
    (whatever it returns, e.g. seconds) in round order. ``after_round(r, results)`` runs after round r."""
    results = {name: [] for name in runs}
    for r in range(rounds):
        for name in abba_order(list(runs), r):
            results[name].append(runs[name]())
        if after_round is not None:
            after_round(r, results)
    return results


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def spread(values: Sequence[float]) -> float:
    """(max - min) / median: above about 0.1 a comparison is noisy (repeat it, or add rounds)."""
    return (max(values) - min(values)) / statistics.median(values)


def describe_spread(values: Sequence[float], fmt: str = "8.1f") -> str:
    """``median ... min ... max ... (max-min)/median ...%`` of the values."""
    return (
        f"median {statistics.median(values):{fmt}}  min {min(values):{fmt}}  max {max(values):{fmt}}  "
        f"(max-min)/median {100 * spread(values):5.1f}%"
    )


def milliseconds(seconds: Sequence[float]) -> str:
    """``median ... ms  p95 ... ms  max ... ms  (n = ...)`` of durations given in seconds."""
    import numpy as np

    ms = np.asarray(seconds) * 1e3
    return (
        f"median {np.median(ms):6.2f} ms   p95 {np.percentile(ms, 95):6.2f} ms   "
        f"max {ms.max():6.2f} ms   (n = {len(ms)})"
    )


# --------------------------------------------------------------------------- memory


def peak_rss_mb() -> float:
    """This process's peak RSS in MB (``ru_maxrss``; on Linux a child's starts from its parent's peak)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 2**20 if platform.system() == "Darwin" else r / 1024  # bytes on macOS, KiB on Linux


def vm_hwm_mb() -> float:
    """Peak RSS of this process image in MB, from /proc/self/status (Linux), else :func:`peak_rss_mb`.

    A child's ru_maxrss on Linux starts from the parent's peak (it is carried across fork and
    exec), so a subprocess measures its own peak with VmHWM, which exec resets."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


# --------------------------------------------------------------------------- options and outputs


def add_quick_argument(parser: argparse.ArgumentParser, what: str = "a handful of iterations on tiny data") -> None:
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test in seconds: {what}; writes into a temporary folder at most, never over committed results",
    )


def add_threads_argument(parser: argparse.ArgumentParser, default: int | None = None, what: str = "") -> None:
    shown = "what numpy's BLAS uses now" if default is None else str(default)
    parser.add_argument(
        "--threads", type=int, default=default, help=f"threads for numpy's BLAS{what} (default: {shown})"
    )


def add_common_arguments(
    parser: argparse.ArgumentParser, *, threads: int | None = None, threads_for: str = "", quick: str | None = None
) -> None:
    """``--quick`` and ``--threads``, as every benchmark here spells them."""
    add_quick_argument(parser, *([quick] if quick else []))
    add_threads_argument(parser, threads, threads_for)


def committed(path: Path) -> bool:
    """Whether ``path`` lies in a folder of committed results (:data:`COMMITTED_RESULTS`)."""
    path = Path(path).resolve()
    return any(path == folder or folder in path.parents for folder in COMMITTED_RESULTS)


def quick_output(path: Path | None, name: str) -> Path:
    """Where a ``--quick`` run writes: ``path`` if given and outside the committed results, else a
    new temporary folder (printed by the caller). Exits with status 2 if ``path`` is committed."""
    if path is not None:
        if committed(path):
            raise SystemExit(f"--quick never writes into committed results ({path}); give another folder")
        return Path(path)
    return Path(tempfile.mkdtemp(prefix=f"ganlib-{name}-"))
