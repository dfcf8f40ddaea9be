r"""Micro-benchmarks of the non-GEMM parts of a GAN iteration, and prototypes that make them faster.

Companion of ``search_default.py profile`` (which splits one iteration into phases): this script
times the pieces that the profile finds outside the matrix products, each against a prototype
replacement, and checks that the replacement gives the same numbers.

* Adam on G's and D's flat buffers: ganlib's ``Adam.step`` (13 passes over the whole buffer),
  ``ChunkedAdam`` (the same passes, block by block, so each block stays in the cache),
  ``FusedAdam`` (chunked, with G's moving average updated in the same pass over each block) and
  ``FusedAdam`` with 2 threads (NumPy releases the GIL inside ufunc loops). Bit-identical.
* The moving-average update alone (ganlib: 3 passes over G's parameters).
* Dropout's mask, LeakyReLU's backward, Tanh's backward, on the iteration's shapes.

Two clocks: ``thread`` (time.thread_time of the calling thread: robust on a shared machine, but it
does not see work done by other threads) and ``wall`` (perf_counter; the fastest of many repeats,
which approximates a quiet machine). Threaded variants are only meaningful with the wall clock.

Usage::

    python benchmarks/speed_prototypes.py                  # G 1200-1200, D 512-256, batch 128
    python benchmarks/speed_prototypes.py --g-hidden 256-512 --repeats 50
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from benchmarks.experiments import search_default as S
from ganlib.gan import CONFIGS, GAN
from ganlib.layers import Dropout, LeakyReLU, Tanh
from ganlib.optim import Adam


class _Buffers:
    """The two attributes an optimizer needs, filled with plausible numbers."""

    def __init__(self, n, seed):
        rng = np.random.default_rng(seed)
        self.flat_params = rng.standard_normal(n, dtype=np.float32) * 0.05
        self.flat_grads = rng.standard_normal(n, dtype=np.float32) * 1e-3


def timeit(fn, repeats, clock):
    ts = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        ts.append(clock() - t0)
    return min(ts), statistics.median(ts)


def row(name, t, ref=None):
    best, med = t
    rel = f"  x{ref[0] / best:4.2f} (min)" if ref else ""
    print(f"  {name:<46} min {1e3 * best:7.3f} ms  median {1e3 * med:7.3f} ms{rel}")


def adam_section(n, label, repeats, threads, ema):
    print(f"\n== Adam step on {label}: {n:,} parameters" + (" (+ moving average)" if ema else ""))
    variants = {}
    a = Adam(_Buffers(n, 0))
    avg = _Buffers(n, 0).flat_params.copy() if ema else None
    delta = np.empty(n, np.float32)

    def ganlib_step():
        a.step()
        if ema:
            _ema(a.params, avg, delta)

    variants["ganlib Adam" + (" + GAN EMA update" if ema else "")] = ganlib_step
    for c in (16384, 65536):
        o = S.ChunkedAdam(_Buffers(n, 0), chunk=c)
        avg2 = avg.copy() if ema else None
        variants[f"ChunkedAdam chunk {c}" + (" + EMA" if ema else "")] = (
            (lambda o=o, avg2=avg2: (o.step(), _ema(o.params, avg2, delta))) if ema else o.step
        )
    fused = {}
    for th in sorted({1, threads}):
        o = S.FusedAdam(_Buffers(n, 0), chunk=16384, threads=th, ema=avg.copy() if ema else None)
        o.ema_decay = 0.999
        fused[th] = o
        variants[f"FusedAdam chunk 16384, {th} thread(s)" + (" (EMA fused)" if ema else "")] = o.step
    for clock_name, clock in (("thread", time.thread_time), ("wall", time.perf_counter)):
        print(f" {clock_name} clock:")
        ref = None
        for name, fn in variants.items():
            if clock_name == "thread" and "2 thread" in name:
                continue  # the worker threads' time is invisible to thread_time
            t = timeit(fn, repeats, clock)
            row(name, t, ref)
            ref = ref or t
    # identical results: run the same number of steps on fresh copies and compare
    a1, f1 = Adam(_Buffers(n, 1)), S.FusedAdam(_Buffers(n, 1), chunk=16384, threads=threads)
    for _ in range(3):
        a1.step()
        f1.step()
    print(f"  FusedAdam bit-identical to ganlib's Adam after 3 steps: {np.array_equal(a1.params, f1.params)}")


def _ema(params, avg, delta):
    np.subtract(params, avg, out=delta)
    delta *= 1.0 - 0.999
    avg += delta


def elementwise_section(cfg, repeats):
    m = cfg.batch_size
    rng = np.random.default_rng(0)
    print(f"\n== elementwise layers on the iteration's shapes (thread clock, batch {m})")
    h = cfg.d_hidden[0]
    x = rng.standard_normal((2 * m, h), dtype=np.float32)
    drop = Dropout(cfg.d_dropout or 0.3, rng=1)
    row(f"Dropout forward ({2 * m}, {h}) (ganlib)", timeit(lambda: drop.forward(x), repeats, time.thread_time))
    keep = 1.0 - drop.p
    scale = np.float32(1.0 / keep)
    out = np.empty_like(x)

    def dropout_proto():
        mask = drop.rng.random(x.shape, dtype=np.float32)  # uniform [0, 1)
        keep_mask = mask >= np.float32(drop.p)
        np.multiply(x, keep_mask, out=out)
        np.multiply(out, scale, out=out)
        return out

    row("  prototype: bool mask, in-place scale", timeit(dropout_proto, repeats, time.thread_time))
    row(
        "  of which the uniform draws alone",
        timeit(lambda: drop.rng.random(x.shape, dtype=np.float32), repeats, time.thread_time),
    )
    g = cfg.g_hidden[-1]
    y = rng.standard_normal((m, g), dtype=np.float32)
    dout = rng.standard_normal((m, g), dtype=np.float32)
    lr = LeakyReLU(cfg.leaky_slope)
    lr.forward(y)
    row(f"LeakyReLU forward ({m}, {g}) (ganlib)", timeit(lambda: lr.forward(y), repeats, time.thread_time))
    row(f"LeakyReLU backward ({m}, {g}) (ganlib)", timeit(lambda: lr.backward(dout), repeats, time.thread_time))
    slope = np.float32(cfg.leaky_slope)
    pos = y > 0
    buf = np.empty_like(y)

    def lrelu_back_proto():
        np.multiply(dout, slope, out=buf)
        np.copyto(buf, dout, where=pos)
        return buf

    row("  prototype: dout*slope, copyto where x > 0", timeit(lrelu_back_proto, repeats, time.thread_time))
    t = Tanh()
    z = rng.standard_normal((m, 784), dtype=np.float32)
    t.forward(z)
    d2 = rng.standard_normal((m, 784), dtype=np.float32)
    row(f"Tanh backward ({m}, 784) (ganlib)", timeit(lambda: t.backward(d2), repeats, time.thread_time))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--g-hidden", default="1200-1200")
    p.add_argument("--repeats", type=int, default=40)
    p.add_argument("--threads", type=int, default=2, help="threads for FusedAdam's threaded variant")
    a = p.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
    cfg = CONFIGS["default"].replace(g_hidden=S.parse_value("g_hidden", a.g_hidden))
    gan = GAN(cfg)
    print(
        f"CPU {S.cpu_model()}, numpy {np.__version__}, load {S.loadavg()}; G {cfg.g_hidden} "
        f"({gan.G.num_params:,} parameters), D {cfg.d_hidden} ({gan.D.num_params:,})"
    )
    adam_section(gan.G.num_params, "G", a.repeats, a.threads, ema=True)
    adam_section(gan.D.num_params, "D", a.repeats, a.threads, ema=False)
    elementwise_section(cfg, a.repeats * 5)
    print(f"\nload at end {S.loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
