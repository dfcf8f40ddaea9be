r"""One search candidate's training iteration, phase by phase: time in the matrix products and outside them.

A candidate is what ``benchmarks.experiments.search_default`` trains: a base from ``CONFIGS``
plus ``--set "field=value ..."`` overrides, including the search's experimental features
(``adam=fused``, ``ema_rule=...``, ``reuse_fake=1``, ...). The iteration is the search's own
step (``SearchGAN.step``: ganlib's ``GAN.train_iteration`` with the candidate's optimizers and
moving average), timed phase by phase as it runs (``benchmarks.speed.iteration.PhaseTimer``),
beside the time of each phase's matrix products alone (numpy, ganlib's layouts); then the time
to gather a minibatch, and the whole step measured without the timers.

``--clock thread`` times with ``time.thread_time`` (CPU time of this thread: not inflated while
other processes hold the core; with ``--threads 1`` only, since BLAS worker threads are not
counted). Prints only (``--json FILE`` also writes the breakdown there).

Usage::

    python -m benchmarks.speed.profile                                   # CONFIGS["default"]
    python -m benchmarks.speed.profile --set "g_hidden=1200-1200 adam=fused" --clock thread
    python -m benchmarks.speed.profile --quick                           # smoke test: a few iterations
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks import harness
from benchmarks.experiments import search_default as search
from benchmarks.speed.iteration import NumpyGemms, PhaseTimer, by_phase, gemm_list_k


def measure(gan, stream, gemms, repeats: int, clock) -> dict:
    """Per repeat: gather a batch, one timed step (phases), one untimed step, the products alone."""
    import ganlib.gan

    timer = PhaseTimer(gan, timer=clock, loss_modules=(ganlib.gan, search))
    np_gemms = NumpyGemms(gemms, np.random.default_rng(0))
    gather, full, gemm_runs = [], [], []
    for _ in range(repeats):
        t0 = clock()
        batch = stream.next()
        gather.append(clock() - t0)
        timer.run(gan.step, batch)
        t0 = clock()
        gan.step(stream.next())
        full.append(clock() - t0)
        gemm_runs.append(np_gemms.run(clock))
    phases = {name: 1e3 * v for name, v in timer.medians().items()}
    phases["batch gathering"] = 1e3 * statistics.median(gather)
    return {
        "phases": phases,
        "gemm": by_phase(gemms, np.median(np.array(gemm_runs), axis=0) * 1e3),
        "whole_ms": 1e3 * statistics.median(full),
    }


def report(m: dict, result: dict) -> None:
    print(f"  {'phase':<28}{'ms':>8}{'GEMM ms':>9}{'non-GEMM':>10}{'non-GEMM %':>11}")
    tot, tot_gemm = 0.0, 0.0
    for name, ms in m["phases"].items():
        ge = m["gemm"].get(name, 0.0)
        tot, tot_gemm = tot + ms, tot_gemm + ge
        print(f"  {name:<28}{ms:8.2f}{ge:9.2f}{ms - ge:10.2f}{100 * (ms - ge) / ms if ms else 0:10.0f}%")
        result["phases"][name] = {"ms": round(ms, 3), "gemm_ms": round(ge, 3)}
    print(
        f"  {'sum of phases':<28}{tot:8.2f}{tot_gemm:9.2f}{tot - tot_gemm:10.2f}{100 * (tot - tot_gemm) / tot:10.0f}%"
    )
    print(f"  {'whole iteration (measured)':<28}{m['whole_ms']:8.2f}   (SearchGAN.step, without the timers)")
    result.update(sum_ms=tot, gemm_ms=tot_gemm, whole_ms=m["whole_ms"], end_loadavg=harness.load_average())


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--set", action="append", help='"field=value ..." overrides of --base (repeatable)')
    p.add_argument("--base", default="default", help="CONFIGS entry the candidate starts from (default: default)")
    p.add_argument("--repeats", type=int, default=None, help="timed iterations (default 100; 3 with --quick)")
    p.add_argument("--warmup", type=int, default=None, help="untimed iterations first (default 20; 1 with --quick)")
    harness.add_common_arguments(p, threads=1, quick="3 timed iterations after 1 of warm-up")
    p.add_argument("--json", help="also write the breakdown to this JSON file")
    p.add_argument(
        "--clock",
        choices=("wall", "thread"),
        default="wall",
        help="thread: time.thread_time, robust on a busy machine (with --threads 1)",
    )
    return p.parse_args(argv)


def main(argv=None) -> int:
    a = parse_args(argv)
    repeats = a.repeats or (3 if a.quick else 100)
    warmup = a.warmup if a.warmup is not None else (1 if a.quick else 20)
    if a.clock == "thread" and a.threads != 1:
        raise SystemExit("--clock thread needs --threads 1 (BLAS worker threads are not counted)")
    clock = time.thread_time if a.clock == "thread" else time.perf_counter
    harness.limit_threads(a.threads)
    config, extras = search.split_spec(a.base, search.parse_spec(a.set or []))
    gan = search.SearchGAN(config, extras, 10**6)
    stream = search.BatchStream(gan, search.load_train())
    gemms = gemm_list_k(config)
    if int(extras["reuse_fake"]):  # no second G forward pass
        gemms = [x for x in gemms if x[0] != "G step: G forward"]
    for _ in range(warmup):
        gan.step(stream.next())
    m = measure(gan, stream, gemms, repeats, clock)
    spec = search.canonical(config, extras)
    print(
        f"{spec or '(base)'}: G {config.g_hidden}, D {config.d_hidden}, batch {config.batch_size}; "
        f"G {gan.G.num_params:,} D {gan.D.num_params:,} parameters; medians over {repeats} iterations, "
        f"{a.clock} clock"
    )
    print(harness.machine_line())
    result = {"spec": spec, **search.environment(), "phases": {}}
    report(m, result)
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
