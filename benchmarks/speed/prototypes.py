r"""Micro-benchmarks of the non-GEMM parts of a GAN iteration, and prototypes that run them faster.

Companion of ``benchmarks.speed.profile`` (which splits one iteration into phases): this script
times the pieces that the profile finds outside the matrix products, each against a prototype,
and checks that the prototype gives the same numbers.

* Adam on G's and D's flat buffers: ganlib's ``Adam.step`` (13 passes over the whole buffer),
  :class:`ChunkedAdam` (ganlib's Adam, one instance per cache-sized block of the buffer, so each
  block goes through all its passes while it is in the cache), :class:`FusedAdam` (the same,
  with G's moving average, ganlib's ``MovingAverage``, updated block by block right after the
  block's Adam step) and ``FusedAdam`` with 2 threads (NumPy releases the GIL inside ufunc
  loops). Bit-identical to ganlib's Adam and moving average: they *are* ganlib's, scheduled
  differently (Adam and the average are elementwise, so a block's update depends on that block
  alone).
* The moving-average update alone (ganlib's ``MovingAverage.update``: 3 passes over G's parameters).
* Dropout's mask, LeakyReLU's backward, Tanh's backward, on the iteration's shapes.

Two clocks: ``thread`` (time.thread_time of the calling thread: robust on a shared machine, but it
does not see work done by other threads) and ``wall`` (perf_counter; the fastest of many repeats,
which approximates a quiet machine). Threaded variants are only meaningful with the wall clock.

The search for the default configuration trains with these prototypes as options
(``benchmarks.experiments.search_default``, ``--set adam=chunked`` or ``adam=fused``).

Usage::

    python -m benchmarks.speed.prototypes                  # G 1200-1200, D 512-256, batch 128
    python -m benchmarks.speed.prototypes --g-hidden 256-512 --repeats 50
    python -m benchmarks.speed.prototypes --quick          # smoke test: G 256-512, 3 repeats
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from benchmarks import harness
from ganlib.gan import CONFIGS, GAN
from ganlib.layers import Dropout, LeakyReLU, Tanh
from ganlib.optim import Adam, MovingAverage

# --------------------------------------------------------------------------- the prototypes


class Block:
    """A slice of a network's flat buffers, with what ganlib's Adam and MovingAverage need."""

    def __init__(self, flat_params: np.ndarray, flat_grads: np.ndarray | None = None):
        self.flat_params, self.flat_grads = flat_params, flat_grads

    @property
    def num_params(self) -> int:
        return self.flat_params.size

    def named_buffers(self) -> list:
        return []  # no running statistics: MovingAverage averages the parameters only


def blocks_of(buffer: np.ndarray, chunk: int) -> list[slice]:
    return [slice(s, min(buffer.size, s + chunk)) for s in range(0, buffer.size, chunk)]


class ChunkedAdam:
    """ganlib's Adam done in cache-sized blocks: one :class:`ganlib.optim.Adam` per ``chunk`` parameters.

    ganlib's step makes about 13 passes over the whole buffer (m, v, scratch, params); for a
    3M-parameter network each pass streams 12 MB through memory. Here every block of ``chunk``
    parameters (256 KB of float32) goes through all passes while it is in the L2 cache. The
    arithmetic is ganlib's Adam's, so the result is bit-identical; the price is Python's
    overhead of one ``Adam.step`` call per block (about a microsecond or two).
    """

    def __init__(self, network, chunk: int = 65536, **adam):
        self.params, self.grads, self.chunk = network.flat_params, network.flat_grads, int(chunk)
        self.slices = blocks_of(self.params, self.chunk)
        self.blocks = [Adam(Block(self.params[s], self.grads[s]), **adam) for s in self.slices]

    @property
    def lr(self) -> float:
        return self.blocks[0].lr

    @lr.setter
    def lr(self, value: float) -> None:  # a learning-rate schedule sets it before each step
        for block in self.blocks:
            block.lr = float(value)

    @property
    def t(self) -> int:
        return self.blocks[0].t

    def end_epoch(self) -> None:
        """Adam has no per-epoch state (as ganlib's)."""

    def step(self) -> None:
        for block in self.blocks:
            block.step()


class FusedAdam(ChunkedAdam):
    """ChunkedAdam that can also (a) update G's moving average in the same pass over each block,
    while the block's fresh parameters are in the cache, and (b) split the blocks between
    ``threads`` Python threads (NumPy releases the GIL inside its elementwise loops, so on a
    2-core machine the second core, idle outside the matrix products, does half the work).

    ``average``: the network holding the moving average (e.g. ``gan.G_ema``), or None;
    ``make_average(source_block, average_block)`` builds one block's average (default: ganlib's
    ``MovingAverage`` with ``decay`` and no bias correction); any ``MovingAverage`` works,
    including one whose ``rate()`` follows a schedule. Bit-identical to ganlib's Adam followed by
    the same average's update over the whole buffer.
    """

    def __init__(self, network, chunk=65536, threads: int = 1, average=None, decay=0.999, make_average=None, **adam):
        super().__init__(network, chunk=chunk, **adam)
        self.averages = [None] * len(self.blocks)
        if average is not None:
            make_average = make_average or (lambda s, a: MovingAverage(s, a, decay, bias_correction=False))
            self.averages = [make_average(Block(self.params[s]), Block(average.flat_params[s])) for s in self.slices]
        self.threads, self._pool = int(threads), None
        if self.threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.threads)

    def _run(self, lo: int, hi: int) -> None:
        for adam, average in zip(self.blocks[lo:hi], self.averages[lo:hi]):
            adam.step()
            if average is not None:
                average.update()

    def step(self) -> None:
        n = len(self.blocks)
        if self._pool is None:
            self._run(0, n)
            return
        per = -(-n // self.threads)  # contiguous runs of blocks, one per thread
        for future in [self._pool.submit(self._run, lo, min(n, lo + per)) for lo in range(0, n, per)]:
            future.result()


# --------------------------------------------------------------------------- the micro-benchmarks


class _Buffers:
    """The two attributes an optimizer needs, filled with plausible numbers."""

    def __init__(self, n, seed):
        rng = np.random.default_rng(seed)
        self.flat_params = rng.standard_normal(n, dtype=np.float32) * 0.05
        self.flat_grads = rng.standard_normal(n, dtype=np.float32) * 1e-3

    @property
    def num_params(self) -> int:
        return self.flat_params.size

    def named_buffers(self) -> list:
        return []  # no running statistics: MovingAverage averages the parameters only


def _average(net, decay=0.999) -> MovingAverage:
    """ganlib's moving average of ``net`` (as the old default: no bias correction), in a copy of its buffers."""
    return MovingAverage(net, Block(net.flat_params.copy()), decay, bias_correction=False)


def timeit(fn, repeats, clock):
    ts = harness.time_calls(fn, repeats, clock)
    return min(ts), statistics.median(ts)


def row(name, t, ref=None):
    best, med = t
    rel = f"  x{ref[0] / best:4.2f} (min)" if ref else ""
    print(f"  {name:<46} min {1e3 * best:7.3f} ms  median {1e3 * med:7.3f} ms{rel}")


def adam_variants(n, threads, ema) -> dict:
    """name -> one step: ganlib's Adam (+ its moving average), ChunkedAdam, FusedAdam."""
    variants = {}
    net = _Buffers(n, 0)
    a, avg = Adam(net), _average(net) if ema else None
    variants["ganlib Adam" + (" + MovingAverage.update" if ema else "")] = (
        (lambda: (a.step(), avg.update())) if ema else a.step
    )
    for c in (16384, 65536):
        net_c = _Buffers(n, 0)
        o, avg_c = ChunkedAdam(net_c, chunk=c), _average(net_c) if ema else None
        variants[f"ChunkedAdam chunk {c}" + (" + EMA" if ema else "")] = (
            (lambda o=o, avg_c=avg_c: (o.step(), avg_c.update())) if ema else o.step
        )
    for th in sorted({1, threads}):
        net_f = _Buffers(n, 0)
        average = Block(net_f.flat_params.copy()) if ema else None
        o = FusedAdam(net_f, chunk=16384, threads=th, average=average, decay=0.999)
        variants[f"FusedAdam chunk 16384, {th} thread(s)" + (" (EMA fused)" if ema else "")] = o.step
    return variants


def identical_after_steps(n, threads, steps=3) -> tuple[bool, bool]:
    """FusedAdam against ganlib's Adam and MovingAverage on the same numbers: (params equal, averages equal)."""
    net_a, net_f = _Buffers(n, 1), _Buffers(n, 1)
    a, avg = Adam(net_a), _average(net_a)
    fused_avg = Block(net_f.flat_params.copy())
    f = FusedAdam(net_f, chunk=16384, threads=threads, average=fused_avg, decay=0.999)
    for _ in range(steps):
        a.step()
        avg.update()
        f.step()
    return (
        np.array_equal(net_a.flat_params, net_f.flat_params),
        np.array_equal(avg.average.flat_params, fused_avg.flat_params),
    )


def adam_section(n, label, repeats, threads, ema):
    print(f"\n== Adam step on {label}: {n:,} parameters" + (" (+ moving average)" if ema else ""))
    variants = adam_variants(n, threads, ema)
    for clock_name, clock in (("thread", time.thread_time), ("wall", time.perf_counter)):
        print(f" {clock_name} clock:")
        ref = None
        for name, fn in variants.items():
            if clock_name == "thread" and "2 thread" in name:
                continue  # the worker threads' time is invisible to thread_time
            t = timeit(fn, repeats, clock)
            row(name, t, ref)
            ref = ref or t
    params, averages = identical_after_steps(n, threads)
    print(
        f"  FusedAdam bit-identical to ganlib's Adam after 3 steps: {params}; "
        f"its moving average to ganlib's MovingAverage: {averages}"
    )


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
    p.add_argument("--g-hidden", default=None, help="G's hidden widths, e.g. 1200-1200 (default; 256-512 with --quick)")
    p.add_argument("--repeats", type=int, default=None, help="timed calls of each variant (default 40; 3 with --quick)")
    harness.add_quick_argument(p, "G 256-512, 3 repeats")
    p.add_argument("--threads", type=int, default=2, help="threads for FusedAdam's threaded variant (default 2)")
    a = p.parse_args(argv)
    repeats = a.repeats or (3 if a.quick else 40)
    g_hidden = a.g_hidden or ("256-512" if a.quick else "1200-1200")
    harness.limit_threads(1)  # the matrix products are not measured here; one thread keeps the rest steady
    cfg = CONFIGS["default"].replace(g_hidden=tuple(int(w) for w in g_hidden.replace(",", "-").split("-")))
    gan = GAN(cfg)
    print(harness.machine_line())
    print(f"G {cfg.g_hidden} ({gan.G.num_params:,} parameters), D {cfg.d_hidden} ({gan.D.num_params:,})")
    adam_section(gan.G.num_params, "G", repeats, a.threads, ema=True)
    adam_section(gan.D.num_params, "D", repeats, a.threads, ema=False)
    elementwise_section(cfg, repeats * 5)
    print(f"\nload at end {harness.loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
