r"""Search for the default GAN configuration that gives the best digits for a fixed wall-time budget.

A *candidate* is a GANConfig (a base from ``CONFIGS`` plus field overrides) and, optionally,
experimental training features that ganlib does not have yet (each one is described precisely
below, so that it can be ported). The harness

* ``cost``: measures each candidate's cost per iteration against ``CONFIGS["reference"]`` in one
  interleaved micro-benchmark (rounds of N iterations, order reference, A, B, ... then reversed,
  the ABBA pattern; median of the per-round ratios), at 2 BLAS threads by default, printing the
  CPU model and load average. Ratios go to ``benchmarks/results/cost_ratios.json``.
* ``train``: trains one candidate for an iteration budget (``--iterations``, or
  ``--minutes M`` = the iterations that fit in M minutes of quiet 2-thread wall time, computed from
  the cost ratio and the reference's quiet throughput ``--ref-its``, 29.5 it/s here; or
  ``--wall-seconds``: train until that much wall time has passed), one BLAS thread by default,
  saving the sampling generator (the EMA when on) with ``ganlib.io.checkpoint.save_generator`` at
  every 1/``--snapshots`` of the budget (and at iteration 0), with ``run.json`` beside them.
* ``evaluate``: scores a run's snapshots on 10,000 samples with ``ganlib.evaluation.metrics``: Frechet
  distance in the classifier's feature space, the class histogram (KL to uniform, smallest
  class), and (``--parzen``) the Parzen-window log-likelihood with its standard error.
  Rows go to ``<run>/eval.json`` and are appended to ``benchmarks/results/search_rows.jsonl``.
* ``grid``: a PNG grid of a snapshot's samples; ``table``: the evaluated runs as a table.

Every JSON row carries the CPU model, the load average and the BLAS threads.

Experimental features (``--set name=value``, besides every GANConfig field)
--------------------------------------------------------------------------
``ema_rule`` (with ``ema_decay`` = d > 0; t = number of generator steps already taken, 0 at the
first update; the average is updated after each G step as ``avg += (1 - d_t) (theta - avg)``):

* ``constant``: d_t = d, the average starts at G's random initialisation (ganlib today).
* ``debias``: d_t = d (1 - d^t) / (1 - d^(t+1)). This is exactly Adam-style bias correction of
  an average started at zero (avg_hat = avg / (1 - d^(t+1))), written as an in-place update of
  the corrected average: at t = 0 it copies G; at large t it is d.
* ``ramp`` (or ``ramp:K``): d_t = min(d, (1 + t) / (K + t)), K = 10 by default (the warm-up of
  TensorFlow's ExponentialMovingAverage with num_updates): the average covers about the last
  t / (K - 1) steps until d takes over at t = (K d - 1) / (1 - d).
* ``start:N``: d_t = 0 for t < N (the average is a copy of G), then d.

``lr_schedule`` (multiplies both learning rates by s(t), t = iterations done, T = the budget):
``constant`` (s = 1), ``linear`` (s = 1 - t / T, to 0 at the end), ``linear_from:F`` (1 until
F T, then linear to 0 at T), ``cosine`` (s = (1 + cos(pi t / T)) / 2). ``lr_end`` (default 0): the
floor, s' = lr_end + (1 - lr_end) s.

``adam`` = ``ganlib`` (default), ``chunked`` or ``fused``: speed prototypes. ``chunked`` does
Adam's update in blocks of ``adam_chunk`` (default 65,536) parameters so that its 13 passes stay
in the cache; ``fused`` also updates G's moving average in the same pass over each block, and with
``adam_threads=2`` splits the blocks between two threads. All bit-identical to ganlib. ``ema_every`` = n > 1 (speed prototype): update the average every n
steps with decay d_t^n (approximate).

``reuse_fake=1``: the generator step reuses the last discriminator step's fakes and G's forward
pass (judged by the updated D), as PyTorch's DCGAN example does, instead of a fresh batch: one G
forward pass fewer per iteration (a different algorithm, so it is a quality question too).

Usage
-----
::

    python benchmarks/search_default.py cost --cand old "" --cand g1200 "g_hidden=1200-1200"
    python benchmarks/search_default.py train --name g1200_s0 --set g_hidden=1200-1200 --minutes 3
    python benchmarks/search_default.py evaluate runs/search/g1200_s0 --parzen final
    python benchmarks/search_default.py grid runs/search/g1200_s0
    python benchmarks/search_default.py table

Written against ganlib's public API only (GAN, GANConfig, CONFIGS, build_generator,
save_generator/load_generator, sample_generator, ganlib.evaluation.metrics, ganlib.viz).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from benchmarks.harness import REPO as ROOT
from benchmarks.harness import cpu_model
from benchmarks.harness import load_average as loadavg
from ganlib.data.mnist import load_mnist, to_tanh_range
from ganlib.gan import CONFIGS, GAN, GANConfig
from ganlib.io.checkpoint import load_generator, sample_generator, save_generator
from ganlib.layers import sigmoid
from ganlib.losses import discriminator_loss, generator_loss
from ganlib.models import build_generator
from ganlib.optim import Adam

pc = time.perf_counter
RESULTS = ROOT / "benchmarks" / "results"
RUNS = ROOT / "runs" / "search"  # snapshots are large: runs/ is not in git
# issue 9's targets for ten minutes of training (10,000 samples): dotted lines in the curves
TARGETS = {"fd": 8.9, "kl": 0.02, "min_class": 0.07, "parzen": 200.0}
REF_ITS_QUIET = 29.5  # CONFIGS["reference"], batch 128, 2 threads, quiet machine (stop 6: 3,772 samples/s)
EXTRA_DEFAULTS = {
    "ema_rule": "constant",
    "lr_schedule": "constant",
    "lr_end": 0.0,
    "adam": "ganlib",
    "adam_chunk": 65536,
    "adam_threads": 1,
    "ema_every": 1,
    "reuse_fake": 0,
}
# Fields that change the cost of an iteration (the others only change numbers, not work).
COST_FIELDS = (
    "latent_dim",
    "g_hidden",
    "d_hidden",
    "d_dropout",
    "batch_size",
    "k",
    "ema_decay",
    "adam",
    "adam_threads",
    "ema_every",
    "reuse_fake",
)


# --------------------------------------------------------------------------- environment


def blas_threads() -> int:
    from threadpoolctl import threadpool_info

    info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return int(info[0]["num_threads"]) if info else 1


def environment() -> dict:
    return {"cpu": cpu_model(), "loadavg": loadavg(), "blas_threads": blas_threads(), "numpy": np.__version__}


# --------------------------------------------------------------------------- candidates


def parse_value(key: str, text: str):
    if key in ("g_hidden", "d_hidden"):
        return tuple(int(s) for s in text.replace(",", "-").split("-") if s)
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_spec(spec) -> dict:
    """ "g_hidden=1200-1200 lr_d=4e-4" (or a list of "k=v") -> {"g_hidden": (1200, 1200), "lr_d": 0.0004}."""
    items = spec.split() if isinstance(spec, str) else [s for part in spec for s in part.split()]
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"expected name=value, got {item!r}")
        out[key.strip()] = parse_value(key.strip(), value.strip())
    return out


def split_spec(base: str, overrides: dict) -> tuple[GANConfig, dict]:
    """The GANConfig and the experimental extras of a candidate."""
    fields = {f.name for f in dataclasses.fields(GANConfig)}
    extras = dict(EXTRA_DEFAULTS)
    conf = {}
    for k, v in overrides.items():
        if k in fields:
            conf[k] = v
        elif k in EXTRA_DEFAULTS:
            extras[k] = v
        else:
            raise ValueError(f"unknown field {k!r}: not a GANConfig field nor one of {sorted(EXTRA_DEFAULTS)}")
    return CONFIGS[base].replace(**conf), extras


def canonical(config: GANConfig, extras: dict, base: str = "default") -> str:
    """The candidate as the fields that differ from CONFIGS[base] and the extras' defaults."""
    ref = CONFIGS[base].to_dict()
    parts = []
    for k, v in config.to_dict().items():
        if k in ("epochs",) or ref.get(k) == v:
            continue
        parts.append(f"{k}={'-'.join(map(str, v)) if isinstance(v, list) else v}")
    parts += [f"{k}={v}" for k, v in extras.items() if EXTRA_DEFAULTS[k] != v]
    return " ".join(parts)


def cost_key(config: GANConfig, extras: dict) -> str:
    d = {**config.to_dict(), **extras}
    d["d_dropout"] = d["d_dropout"] > 0  # any rate costs the same
    d["ema_decay"] = d["ema_decay"] > 0
    return " ".join(f"{k}={'-'.join(map(str, d[k])) if isinstance(d[k], list) else d[k]}" for k in COST_FIELDS)


# --------------------------------------------------------------------------- the experimental GAN


class ChunkedAdam(Adam):
    """ganlib's Adam, the same arithmetic in the same order, done in cache-sized blocks.

    ganlib's step makes about 12 passes over the whole buffer (m, v, scratch, params); for a
    3M-parameter network each pass streams 12 MB through memory. Here every block of ``chunk``
    parameters (256 KB of float32) goes through all passes while it is in the L2 cache.
    """

    def __init__(self, network, chunk: int = 65536, **kw):
        super().__init__(network, **kw)
        self.chunk = int(chunk)

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        c2 = float(1.0 / math.sqrt(1.0 - b2**self.t))
        step = float(self.lr / (1.0 - b1**self.t))
        a1, a2, eps = 1 - b1, 1 - b2, self.eps
        n, c = self.params.size, self.chunk
        for s in range(0, n, c):
            e = min(n, s + c)
            g, m, v, p = self.grads[s:e], self.m[s:e], self.v[s:e], self.params[s:e]
            tmp = self._scratch[s:e]
            np.subtract(g, m, out=tmp)
            tmp *= a1
            m += tmp
            np.multiply(g, g, out=tmp)
            tmp *= a2
            v *= b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= c2
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step
            p -= tmp


class FusedAdam(ChunkedAdam):
    """ChunkedAdam that can also (a) update G's moving average in the same pass over each block,
    while the block's fresh parameters are in the cache, and (b) split the blocks between
    ``threads`` Python threads (NumPy releases the GIL inside its elementwise loops, so on a
    2-core machine the second core, idle outside the matrix products, does half the work).

    Bit-identical to ganlib's Adam followed by GAN's EMA update (the same operations, in the same
    order, on each element). ``ema`` is the average's flat buffer; ``ema_decay`` is set before each
    step (it may follow a rule).
    """

    def __init__(self, network, chunk: int = 65536, threads: int = 1, ema=None, **kw):
        super().__init__(network, chunk=chunk, **kw)
        self.ema, self.ema_decay, self.threads = ema, None, int(threads)
        self._pool = None
        if self.threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.threads)

    def _blocks(self, lo, hi, c2, step, a1, a2, b2, ema_w):
        c, eps = self.chunk, self.eps
        for s in range(lo, hi, c):
            e = min(hi, s + c)
            g, m, v, p = self.grads[s:e], self.m[s:e], self.v[s:e], self.params[s:e]
            tmp = self._scratch[s:e]
            np.subtract(g, m, out=tmp)
            tmp *= a1
            m += tmp
            np.multiply(g, g, out=tmp)
            tmp *= a2
            v *= b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= c2
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step
            p -= tmp
            if ema_w is not None:
                avg = self.ema[s:e]
                np.subtract(p, avg, out=tmp)
                tmp *= ema_w
                avg += tmp

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        args = (
            float(1.0 / math.sqrt(1.0 - b2**self.t)),
            float(self.lr / (1.0 - b1**self.t)),
            1 - b1,
            1 - b2,
            b2,
            None if self.ema is None or self.ema_decay is None else float(1.0 - self.ema_decay),
        )
        n = self.params.size
        if self._pool is None:
            self._blocks(0, n, *args)
            return
        # contiguous ranges, aligned to the block size
        per = -(-n // (self.threads * self.chunk)) * self.chunk
        futures = [self._pool.submit(self._blocks, lo, min(n, lo + per), *args) for lo in range(0, n, per)]
        for f in futures:
            f.result()


def ema_decay_at(rule: str, d: float, t: int) -> float:
    """Decay d_t used for the update after generator step t (0-based); see the module docstring."""
    if rule == "constant":
        return d
    if rule == "debias":
        return d * (1.0 - d**t) / (1.0 - d ** (t + 1))
    if rule.startswith("ramp"):
        k = float(rule.split(":")[1]) if ":" in rule else 10.0
        return min(d, (1.0 + t) / (k + t))
    if rule.startswith("start:"):
        return 0.0 if t < int(rule.split(":")[1]) else d
    raise ValueError(f"unknown ema_rule {rule!r}")


def lr_scale(schedule: str, t: int, total: int, lr_end: float = 0.0) -> float:
    if schedule == "constant" or total <= 0:
        return 1.0
    frac = min(t / total, 1.0)
    if schedule == "linear":
        s = 1.0 - frac
    elif schedule.startswith("linear_from:"):
        f0 = float(schedule.split(":")[1])
        s = 1.0 if frac <= f0 else (1.0 - frac) / (1.0 - f0)
    elif schedule == "cosine":
        s = 0.5 * (1.0 + math.cos(math.pi * frac))
    else:
        raise ValueError(f"unknown lr_schedule {schedule!r}")
    return lr_end + (1.0 - lr_end) * s


class SearchGAN(GAN):
    """A ganlib GAN plus the experimental features (an EMA with a decay rule, an lr schedule,
    a chunked Adam), using GAN's public parts only.

    The moving average is kept here (not in GAN) so that its decay can follow a rule: GAN is
    built with ``ema_decay=0`` (the random stream of a run does not depend on the EMA: ganlib
    builds its EMA from a separate generator) and ``sampler`` returns this average.
    """

    def __init__(self, config: GANConfig, extras: dict, total_iterations: int):
        self.search_config, self.extras, self.total = config, dict(extras), int(total_iterations)
        super().__init__(config.replace(ema_decay=0.0))
        self.avg = None
        if config.ema_decay > 0:
            self.avg = build_generator(config, np.random.default_rng(0))
            self.avg.flat_params[...] = self.G.flat_params
            self._delta = np.empty_like(self.G.flat_params)
        self.extra_avgs = {}  # name -> (rule, decay, net): passive averages, for comparing EMA rules in one run
        if extras["adam"] == "chunked":
            self.opt_G = self._chunked(self.G, config.lr_g)
            self.opt_D = self._chunked(self.D, config.lr_d)
        elif extras["adam"] == "fused":
            if int(extras["ema_every"]) != 1:
                raise ValueError("adam=fused updates the average at every step: ema_every must be 1")
            c, th, ch = config, int(extras["adam_threads"]), int(extras["adam_chunk"])
            ema = self.avg.flat_params if self.avg is not None else None
            self.opt_G = FusedAdam(self.G, chunk=ch, threads=th, ema=ema, lr=c.lr_g, beta1=c.beta1, beta2=c.beta2)
            self.opt_D = FusedAdam(self.D, chunk=ch, threads=th, lr=c.lr_d, beta1=c.beta1, beta2=c.beta2)
        elif extras["adam"] != "ganlib":
            raise ValueError(f"unknown adam {extras['adam']!r}")
        self.base_lr = (config.lr_g, config.lr_d)

    def _chunked(self, net, lr):
        c = self.search_config
        return ChunkedAdam(net, chunk=self.extras["adam_chunk"], lr=lr, beta1=c.beta1, beta2=c.beta2)

    @property
    def sampler(self):
        return self.avg if self.avg is not None else self.G

    def set_lr(self) -> None:
        s = lr_scale(self.extras["lr_schedule"], self.iteration, self.total, float(self.extras["lr_end"]))
        self.opt_G.lr, self.opt_D.lr = float(self.base_lr[0] * s), float(self.base_lr[1] * s)

    def add_average(self, rule: str, decay: float) -> str:
        """Keep one more moving average of G (with its own rule and decay) beside the sampler's."""
        net = build_generator(self.search_config, np.random.default_rng(0))
        net.flat_params[...] = self.G.flat_params
        name = f"ema-{rule.replace(':', '')}-{decay}"
        self.extra_avgs[name] = (rule, float(decay), net)
        if not hasattr(self, "_delta"):
            self._delta = np.empty_like(self.G.flat_params)
        return name

    def update_extra_averages(self, t: int) -> None:
        for rule, decay, net in self.extra_avgs.values():
            d = ema_decay_at(rule, decay, t)
            delta = np.subtract(self.G.flat_params, net.flat_params, out=self._delta)
            delta *= float(1.0 - d)
            net.flat_params += delta

    def update_average(self, t: int) -> None:
        """After generator step t (0-based): avg += (1 - d_t) (G - avg), every ``ema_every`` steps."""
        n = int(self.extras["ema_every"])
        if self.avg is None or (t + 1) % n:
            return
        d = ema_decay_at(self.extras["ema_rule"], self.search_config.ema_decay, t)
        d = d**n if n > 1 else d
        delta = np.subtract(self.G.flat_params, self.avg.flat_params, out=self._delta)
        delta *= float(1.0 - d)
        self.avg.flat_params += delta

    def train_iteration(self, batches):
        """GAN.train_iteration, or with ``reuse_fake=1`` the variant of PyTorch's DCGAN example: the
        generator step reuses the fakes (and G's forward pass) of the last discriminator step,
        judged by the freshly updated D, instead of a second G forward on fresh latents."""
        if not int(self.extras["reuse_fake"]):
            return super().train_iteration(batches)
        m, nan = len(batches[0]), float("nan")
        for x_real in batches:
            x_fake = self.G.forward(self.sample_latent(m))
            logits = self.D.forward(np.concatenate([x_real, x_fake]))
            loss_d, g_real, g_fake = discriminator_loss(logits[:m], logits[m:], self.config.real_label)
            if not np.isfinite(loss_d):
                return loss_d, nan, nan, nan
            self.D.backward(np.concatenate([g_real, g_fake]), need_dx=False)
            self.opt_D.step()
        d_real, d_fake = float(sigmoid(logits[:m]).mean()), float(sigmoid(logits[m:]).mean())
        loss_g, dlogits = generator_loss(self.D.forward(x_fake), self.config.generator_loss)
        if np.isfinite(loss_g):
            self.G.backward(self.D.backward(dlogits, need_param_grads=False), need_dx=False)
            self.opt_G.step()
            self.iteration += 1
        return loss_d, loss_g, d_real, d_fake

    def step(self, batches) -> tuple[float, float, float, float]:
        """One iteration with the schedule and the average; raises on a non-finite loss."""
        self.set_lr()
        t = self.iteration
        fused = isinstance(self.opt_G, FusedAdam) and self.avg is not None
        if fused:  # the average is updated inside G's Adam step
            self.opt_G.ema_decay = ema_decay_at(self.extras["ema_rule"], self.search_config.ema_decay, t)
        out = self.train_iteration(batches)
        if self.iteration == t:
            raise FloatingPointError(f"training diverged at iteration {t}: losses {out[:2]}")
        if not fused:
            self.update_average(t)
        if self.extra_avgs:
            self.update_extra_averages(t)
        return out


class BatchStream:
    """Minibatches as GAN.train draws them: a permutation per epoch from the run's generator,
    each minibatch's rows sorted (faster gathering), k minibatches per iteration."""

    def __init__(self, gan: GAN, X: np.ndarray):
        self.gan, self.X = gan, X
        self.m, self.k = gan.config.batch_size, gan.config.k
        self.per_epoch = len(X) // (self.m * self.k)
        self.i, self.order, self.epochs = self.per_epoch, None, 0

    def next(self):
        if self.i == self.per_epoch:
            self.order = self.gan.rng.permutation(len(self.X))
            self.i = 0
            self.epochs += 1
        mk = self.m * self.k
        idx = self.order[self.i * mk : (self.i + 1) * mk]
        self.i += 1
        return [self.X[np.sort(idx[j * self.m : (j + 1) * self.m])] for j in range(self.k)]


def load_train() -> np.ndarray:
    return to_tanh_range(load_mnist("train")[0])


# --------------------------------------------------------------------------- cost


def cmd_cost(a) -> int:
    if a.model:
        return cmd_cost_model(a)
    from threadpoolctl import threadpool_limits

    limiter = threadpool_limits(limits=a.threads, user_api="blas")  # noqa: F841
    X = load_train()
    cands = [("reference", "reference", {})] + [(name, a.base, parse_spec(spec)) for name, spec in a.cand]
    runs = []
    for name, base, spec in cands:
        config, extras = split_spec(base, spec)
        gan = SearchGAN(config, extras, 10**6)
        runs.append({"name": name, "gan": gan, "stream": BatchStream(gan, X), "key": cost_key(config, extras)})
    env = environment()
    print(f"CPU: {env['cpu']}, BLAS threads {env['blas_threads']}, numpy {env['numpy']}, load {env['loadavg']}")
    for r in runs:
        for _ in range(a.warmup):
            r["gan"].step(r["stream"].next())
        t0 = pc()
        for _ in range(5):
            r["gan"].step(r["stream"].next())
        # Blocks of about equal wall time (--block-seconds) for every candidate: then a quiet spell
        # of the shared machine is as likely to cover a block of a big model as of a small one.
        r["n"] = a.iterations or max(3, round(a.block_seconds / ((pc() - t0) / 5)))
        r["times"], r["cpu"] = [], []
    print("iterations per block: " + ", ".join(f"{r['name']} {r['n']}" for r in runs))
    loads = []
    for rnd in range(a.rounds):
        order = runs if rnd % 2 == 0 else runs[::-1]
        for r in order:
            t0, c0 = pc(), time.process_time()
            for _ in range(r["n"]):
                r["gan"].step(r["stream"].next())
            r["times"].append((pc() - t0) / r["n"])
            r["cpu"].append((time.process_time() - c0) / r["n"])
        ref = runs[0]["times"][-1]
        loads.append(loadavg())
        if a.verbose:
            print(
                f"round {rnd + 1}: "
                + "  ".join(f"{r['name']} {1000 * r['times'][-1]:.1f} ms ({r['times'][-1] / ref:.2f})" for r in runs)
                + f"  load {loads[-1]}",
                flush=True,
            )
    # On a shared machine most blocks are slowed down by other processes. The fastest blocks
    # of each candidate (the q-quantile, default the 2nd fastest) approximate the quiet machine;
    # the median of per-round ratios and the CPU-time ratio are printed as cross-checks.
    table = {}
    path = RESULTS / "cost_ratios.json"
    stored = json.loads(path.read_text()) if path.is_file() else {}

    def fast(ts):
        return float(np.quantile(ts, a.quantile))

    ref_fast, ref_cpu = fast(runs[0]["times"]), statistics.median(runs[0]["cpu"])
    print(
        f"\n{'candidate':<16} {'fast ms/it':>10} {'ratio':>7} {'median-of-rounds':>17} {'cpu ratio':>9} "
        f"{'budget 9 min':>13}  cost key"
    )
    for r in runs:
        ratios = [t / ref_t for t, ref_t in zip(r["times"], runs[0]["times"])]
        ratio = fast(r["times"]) / ref_fast
        cpu_ratio = statistics.median(r["cpu"]) / ref_cpu
        budget = int(540 * REF_ITS_QUIET / ratio)
        print(
            f"{r['name']:<16} {1000 * fast(r['times']):>10.2f} {ratio:>7.3f} {statistics.median(ratios):>17.3f} "
            f"{cpu_ratio:>9.3f} {budget:>13d}  {r['key']}"
        )
        table[r["key"]] = {
            "name": r["name"],
            "ratio": round(ratio, 4),
            "ratio_median_of_rounds": round(statistics.median(ratios), 4),
            "ratio_cpu_time": round(cpu_ratio, 4),
            "fast_ms_per_it": round(1000 * fast(r["times"]), 3),
            "ms_per_it_all": [round(1000 * x, 2) for x in r["times"]],
            "budget_9min": budget,
            **environment(),
            "loadavg_per_round": loads,
            "rounds": a.rounds,
            "iterations_per_block": r["n"],
            "quantile": a.quantile,
            "date": time.strftime("%Y-%m-%d %H:%M"),
        }
    if a.save:
        stored.update(table)
        RESULTS.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored, indent=1) + "\n")
        print(f"wrote {path}", end="; ")
    print(f"load {loadavg()}")
    return 0


def cmd_cost_model(a) -> int:
    """Cost ratios from parts that a busy machine cannot distort much.

    T1 = the whole iteration at 1 BLAS thread, in CPU time of the thread (time.thread_time: not
    inflated while other processes hold the core; median of blocks), G1 = the iteration's own
    matrix products (bench_train.gemm_list, numpy, in ganlib's layouts) at 1 thread, also in thread
    CPU time, G2 = the same products at 2 threads, wall time, the fastest of rounds x --gemm-tries
    tries (one product list takes tens of ms, so quiet spells cover it). The quiet 2-thread
    iteration is modelled as T2 = T1 - G1 + G2: the products use both cores, everything else
    (elementwise numpy) runs on one.
    """
    from threadpoolctl import threadpool_limits

    from benchmarks.speed import train as bt

    X = load_train()
    cands = [("reference", "reference", {})] + [(name, a.base, parse_spec(spec)) for name, spec in a.cand]
    runs = []
    for name, base, spec in cands:
        config, extras = split_spec(base, spec)
        gan = SearchGAN(config, extras, 10**6)
        gemms = _gemms_k(bt, config)
        if int(extras["reuse_fake"]):  # no second G forward pass
            gemms = [x for x in gemms if x[0] != "G step: G forward"]
        runs.append(
            {
                "name": name,
                "gan": gan,
                "stream": BatchStream(gan, X),
                "key": cost_key(config, extras),
                "gemms": bt.NumpyGemms(gemms, np.random.default_rng(0)),
                "t1": [],
                "g1": [],
                "g2": [],
            }
        )
    print(f"CPU: {cpu_model()}, numpy {np.__version__}, load {loadavg()}")
    with threadpool_limits(limits=1, user_api="blas"):
        for r in runs:
            for _ in range(a.warmup):
                r["gan"].step(r["stream"].next())
            t0 = pc()
            for _ in range(5):
                r["gan"].step(r["stream"].next())
            r["n"] = max(3, round(a.block_seconds / ((pc() - t0) / 5)))
    loads = []
    clock = time.thread_time  # CPU time of this thread: a busy machine does not inflate it (1 thread)
    for rnd in range(a.rounds):
        order = runs if rnd % 2 == 0 else runs[::-1]
        for r in order:
            with threadpool_limits(limits=1, user_api="blas"):
                t0 = clock()
                for _ in range(r["n"]):
                    r["gan"].step(r["stream"].next())
                r["t1"].append((clock() - t0) / r["n"])
                bt.pc = clock
                r["g1"].append(sum(r["gemms"].run()))
                bt.pc = pc
            with threadpool_limits(limits=2, user_api="blas"):  # wall clock; the fastest of many tries
                r["g2"].append(min(sum(r["gemms"].run()) for _ in range(a.gemm_tries)))
        loads.append(loadavg())
    q = a.quantile

    def fast(ts):
        return float(np.quantile(ts, q))

    for r in runs:
        r["T1"], r["G1"], r["G2"] = statistics.median(r["t1"]), statistics.median(r["g1"]), min(r["g2"])
        r["T2"] = r["T1"] - r["G1"] + r["G2"]
    ref = runs[0]
    path = RESULTS / "cost_ratios.json"
    stored = json.loads(path.read_text()) if path.is_file() else {}
    print(
        f"\n{'candidate':<16}{'T1 ms':>8}{'G1 ms':>8}{'G2 ms':>8}{'T2 model':>9}{'ratio':>7}{'1-thr ratio':>12}"
        f"{'non-GEMM % @2thr':>17}{'budget 9 min':>13}"
    )
    for r in runs:
        ratio = r["T2"] / ref["T2"]
        budget = int(540 * a.ref_its / ratio)
        print(
            f"{r['name']:<16}{1e3 * r['T1']:8.1f}{1e3 * r['G1']:8.1f}{1e3 * r['G2']:8.1f}{1e3 * r['T2']:9.1f}"
            f"{ratio:7.3f}{r['T1'] / ref['T1']:12.3f}{100 * (1 - r['G2'] / r['T2']):17.0f}{budget:13d}  [{r['key']}]"
        )
        if a.save:
            stored[r["key"]] = {
                "name": r["name"],
                "ratio": round(ratio, 4),
                "method": "model T2 = T1 - G1 + G2",
                "ratio_1thread": round(r["T1"] / ref["T1"], 4),
                "T1_ms": round(1e3 * r["T1"], 2),
                "G1_ms": round(1e3 * r["G1"], 2),
                "G2_ms": round(1e3 * r["G2"], 2),
                "T2_model_ms": round(1e3 * r["T2"], 2),
                "budget_9min": budget,
                "cpu": cpu_model(),
                "loadavg_per_round": loads,
                "rounds": a.rounds,
                "quantile": q,
                "date": time.strftime("%Y-%m-%d %H:%M"),
            }
    print(
        f"reference quiet-model throughput: {1 / ref['T2']:.1f} it/s (the budgets use --ref-its {a.ref_its}); "
        f"load {loadavg()}"
    )
    if a.save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored, indent=1) + "\n")
        print(f"wrote {path}")
    return 0


def _gemms_k(bt, config):
    """The product list with k D steps per iteration (k - 1 extra D steps, each with its G forward)."""
    g = bt.gemm_list(config)
    d_step = [x for x in g if x[0].startswith("D step")]
    return g + d_step * (config.k - 1)


def lookup_ratio(config, extras) -> float:
    path = RESULTS / "cost_ratios.json"
    stored = json.loads(path.read_text()) if path.is_file() else {}
    key = cost_key(config, extras)
    if key not in stored:
        raise SystemExit(f"no cost ratio for {key!r}: run the `cost` subcommand for it first, or give --ratio")
    return float(stored[key]["ratio"])


# --------------------------------------------------------------------------- train


def cmd_train(a) -> int:
    from threadpoolctl import threadpool_limits

    limiter = threadpool_limits(limits=a.threads, user_api="blas")  # noqa: F841
    spec = parse_spec(a.set or [])
    if a.seed is not None:
        spec["seed"] = a.seed
    config, extras = split_spec(a.base, spec)
    ratio = a.ratio if a.ratio is not None else (lookup_ratio(config, extras) if a.minutes else None)
    if a.iterations:
        total = a.iterations
    elif a.minutes:
        total = int(round(a.minutes * 60 * a.ref_its / ratio))
    elif a.wall_seconds:
        total = None
    else:
        raise SystemExit("give --iterations, --minutes or --wall-seconds")
    out = Path(a.out) if a.out else RUNS / a.name
    out.mkdir(parents=True, exist_ok=True)
    X = load_train()
    # The lr schedule needs the horizon: with --wall-seconds it is estimated after a short timing.
    gan = SearchGAN(config, extras, total or 10**9)
    for item in a.extra_emas.split(",") if a.extra_emas else []:
        rule, _, decay = item.rpartition("@")
        gan.add_average(rule, float(decay))
    stream = BatchStream(gan, X)
    info = {
        "name": a.name,
        "spec": canonical(config, extras),
        "base": a.base,
        "config": config.to_dict(),
        "extras": extras,
        "cost_key": cost_key(config, extras),
        "ratio": ratio,
        "ref_its": a.ref_its,
        "minutes_equivalent": a.minutes,
        "total_iterations": total,
        "iterations_per_epoch": stream.per_epoch,
        "start_env": environment(),
        "argv": sys.argv,
    }
    print(f"{a.name}: {info['spec'] or '(base)'}; budget {total} iterations; env {info['start_env']}", flush=True)

    def snapshot_points(total):
        if a.snapshot_every:
            return sorted(set(range(0, total + 1, a.snapshot_every)) | {total})
        return sorted({round(i * total / a.snapshots) for i in range(a.snapshots + 1)})

    snaps = snapshot_points(total) if total else []
    meta_extra = {"search": {"name": a.name, "spec": info["spec"], "extras": extras, "ema_decay": config.ema_decay}}
    train_seconds, snap_rows = 0.0, []
    d_real, d_fake, loss_d, loss_g = [], [], [], []

    def snapshot():
        path = out / f"gen_{gan.iteration:06d}.npz"
        save_generator(gan, path, {**meta_extra, "train_seconds": round(train_seconds, 2)})
        raw = {}
        others = {"raw": gan.G} if a.raw and gan.avg is not None else {}  # G itself: what the average adds
        others.update({name: net for name, (_, _, net) in gan.extra_avgs.items()})
        for name, net in others.items():
            shim = SimpleNamespace(
                config=gan.config, epoch=gan.epoch, iteration=gan.iteration, sampler=net, fixed_z=gan.fixed_z
            )
            fname = f"{name}_{gan.iteration:06d}.npz"
            save_generator(shim, out / fname, meta_extra)
            raw[f"{name}_file" if name == "raw" else f"variant:{name}"] = fname
        snap_rows.append(
            {
                **raw,
                "iteration": gan.iteration,
                "epochs": gan.iteration / stream.per_epoch,
                "train_seconds": round(train_seconds, 2),
                "minutes_equivalent": None if total is None or not a.minutes else a.minutes * gan.iteration / total,
                "file": path.name,
                "loadavg": loadavg(),
            }
        )

    if 0 in snaps:
        snapshot()
    t_last = pc()
    while True:
        if total is not None and gan.iteration >= total:
            break
        if total is None and train_seconds >= a.wall_seconds:
            break
        t0 = pc()
        ld, lg, dr, df = gan.step(stream.next())
        train_seconds += pc() - t0
        loss_d.append(ld)
        loss_g.append(lg)
        d_real.append(dr)
        d_fake.append(df)
        if total is None and gan.iteration == 200:
            # wall mode: fix the horizon from the speed so far, for the schedule and snapshots
            total = int(a.wall_seconds / (train_seconds / 200))
            gan.total = total
            snaps = snapshot_points(total)
            info["total_iterations_estimated"] = total
        if gan.iteration in snaps:
            snapshot()
        if pc() - t_last > a.print_every:
            t_last = pc()
            w = slice(-200, None)
            print(
                f"  it {gan.iteration:6d}/{total} ({gan.iteration / stream.per_epoch:5.1f} ep) "
                f"{train_seconds:6.0f}s  {gan.iteration / train_seconds:5.1f} it/s  "
                f"D(x) {np.mean(d_real[w]):.3f} D(G(z)) {np.mean(d_fake[w]):.3f}  "
                f"lr_g {gan.opt_G.lr:.2e}  load {loadavg()}",
                flush=True,
            )
    if gan.iteration not in {r["iteration"] for r in snap_rows}:
        snapshot()
    w = slice(-500, None)
    info.update(
        iterations=gan.iteration,
        epochs=gan.iteration / stream.per_epoch,
        train_seconds=round(train_seconds, 1),
        its_per_second=gan.iteration / train_seconds,
        end_env=environment(),
        snapshots=snap_rows,
        end_means_last500={
            "d_real": float(np.mean(d_real[w])),
            "d_fake": float(np.mean(d_fake[w])),
            "loss_d": float(np.mean(loss_d[w])),
            "loss_g": float(np.mean(loss_g[w])),
        },
        curves_every_100={
            "d_real": [float(np.mean(d_real[i : i + 100])) for i in range(0, len(d_real), 100)],
            "d_fake": [float(np.mean(d_fake[i : i + 100])) for i in range(0, len(d_fake), 100)],
        },
    )
    (out / "run.json").write_text(json.dumps(info, indent=1) + "\n")
    print(
        f"done: {gan.iteration} iterations ({info['epochs']:.1f} epochs) in {train_seconds:.0f} s; "
        f"end D(x) {info['end_means_last500']['d_real']:.3f} D(G(z)) {info['end_means_last500']['d_fake']:.3f}; "
        f"wrote {out}/run.json",
        flush=True,
    )
    return 0


# --------------------------------------------------------------------------- evaluate


def evaluate_file(path: Path, n: int, seed: int, parzen: bool) -> dict:
    from ganlib.evaluation import metrics

    G, meta = load_generator(path)
    x = sample_generator(G, meta, n, seed=seed)
    t0 = pc()
    h = metrics.class_histogram(x)
    row = {
        "fd": metrics.classifier_frechet_distance(x),
        "kl": h["kl_to_uniform"],
        "min_class": h["min_fraction"],
        "classes_covered": h["classes_covered"],
        "fractions": [round(float(p), 4) for p in h["fractions"]],
        "mean_confidence": h["mean_confidence"],
    }
    if parzen:
        p = metrics.parzen_evaluation(x)
        row.update(parzen=p["mean"], parzen_se=p["std_error"], parzen_sigma=p["sigma"])
    row["eval_seconds"] = round(pc() - t0, 1)
    return row


def cmd_evaluate(a) -> int:
    from threadpoolctl import threadpool_limits

    limiter = threadpool_limits(limits=a.threads, user_api="blas")  # noqa: F841
    for run in a.runs:
        run = Path(run)
        info = json.loads((run / "run.json").read_text())
        ev_path = run / "eval.json"
        done = json.loads(ev_path.read_text()) if ev_path.is_file() else {}
        snaps = info["snapshots"]
        if a.which == "final":
            snaps = snaps[-1:]
        marks = set()
        if a.parzen not in ("none", "final", "all"):
            marks = {info["snapshots"][int(i)]["iteration"] for i in a.parzen.split(",")}
        if a.raw:  # evaluate G's raw weights instead of the average (snapshots saved with --raw)
            snaps = [{**s, "file": s["raw_file"]} for s in snaps if "raw_file" in s]
        if a.variant:  # an extra average (snapshots saved with --extra-emas)
            snaps = [{**s, "file": s[f"variant:{a.variant}"]} for s in snaps if f"variant:{a.variant}" in s]
        for s in snaps:
            want_parzen = (
                a.parzen == "all"
                or (a.parzen == "final" and s["iteration"] == info["snapshots"][-1]["iteration"])
                or s["iteration"] in marks
            )
            key = f"{s['file']}|n={a.n}|seed={a.sample_seed}"
            old = done.get(key)
            if old is not None and (not want_parzen or "parzen" in old) and not a.force:
                continue
            row = evaluate_file(run / s["file"], a.n, a.sample_seed, want_parzen)
            row.update(
                file=s["file"],
                run=info["name"],
                spec=info["spec"],
                seed=info["config"]["seed"],
                iteration=s["iteration"],
                epochs=round(s["epochs"], 2),
                minutes_equivalent=s.get("minutes_equivalent"),
                total_iterations=info["iterations"],
                ratio=info.get("ratio"),
                end_d_real=info["end_means_last500"]["d_real"],
                end_d_fake=info["end_means_last500"]["d_fake"],
                n=a.n,
                sample_seed=a.sample_seed,
                **{"eval_" + k: v for k, v in environment().items()},
            )
            done[key] = row
            ev_path.write_text(json.dumps(done, indent=1) + "\n")
            with open(RESULTS / "search_rows.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")
            pz = f"  Parzen {row['parzen']:.1f} +- {row['parzen_se']:.1f}" if "parzen" in row else ""
            print(
                f"{info['name']:<24} it {s['iteration']:6d} ({s['epochs']:5.1f} ep): FD {row['fd']:6.2f}  "
                f"KL {row['kl']:.4f}  min {100 * row['min_class']:.1f}%{pz}  load {loadavg()}",
                flush=True,
            )
    return 0


# --------------------------------------------------------------------------- grid and table


def cmd_grid(a) -> int:
    from ganlib import viz

    run = Path(a.run)
    info = json.loads((run / "run.json").read_text())
    s = (
        info["snapshots"][-1]
        if a.snapshot is None
        else next(x for x in info["snapshots"] if x["iteration"] == a.snapshot)
    )
    G, meta = load_generator(run / s["file"])
    x = sample_generator(G, meta, a.n, seed=a.sample_seed)
    out = Path(a.out) if a.out else RESULTS / f"grid_{info['name']}_it{s['iteration']}.png"
    viz.save_grid_png(x, out, nrow=int(math.sqrt(a.n)), scale=2)
    print(f"wrote {out}")
    return 0


def cmd_table(a) -> int:
    rows = {}
    for run in sorted(RUNS.glob("*/eval.json")):
        for row in json.loads(run.read_text()).values():
            if row["iteration"] == row["total_iterations"] and row.get("file", "gen").startswith("gen"):
                rows[row["run"]] = row
    order = sorted(rows.values(), key=lambda r: r["fd"]) if a.sort == "fd" else [rows[k] for k in sorted(rows)]
    if a.markdown:
        print(
            "| run | spec | seed | ratio | iterations (epochs) | FD | KL | smallest class | Parzen +- se | D(x) / D(G(z)) at end |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in order:
            pz = f"{r['parzen']:.1f} +- {r['parzen_se']:.1f}" if "parzen" in r else ""
            ratio = f"{r['ratio']:.3f}" if r.get("ratio") else ""
            print(
                f"| {r['run']} | `{r['spec'] or '(old default)'}` | {r['seed']} | {ratio} | {r['iteration']} ({r['epochs']:.1f}) "
                f"| {r['fd']:.2f} | {r['kl']:.4f} | {100 * r['min_class']:.1f}% | {pz} | {r['end_d_real']:.3f} / {r['end_d_fake']:.3f} |"
            )
        return 0
    print(
        f"{'run':<28} {'iters':>6} {'ep':>5} {'FD':>6} {'KL':>7} {'min%':>5} {'Parzen':>11} {'D(x)':>6} {'D(G)':>6}  spec"
    )
    for r in order:
        pz = f"{r['parzen']:6.1f}+-{r['parzen_se']:.1f}" if "parzen" in r else ""
        print(
            f"{r['run']:<28} {r['iteration']:>6} {r['epochs']:>5.1f} {r['fd']:>6.2f} {r['kl']:>7.4f} "
            f"{100 * r['min_class']:>5.1f} {pz:>11} {r['end_d_real']:>6.3f} {r['end_d_fake']:>6.3f}  {r['spec']}"
        )
    return 0


def cmd_ablation(a) -> int:
    """Final measures of named runs as one small JSON table (notebook 04's "What each trick buys").

    Each ``--row "WHAT=SOURCE"``: SOURCE is a search run folder (its last snapshot of the sampler;
    ``FOLDER#PREFIX`` picks another snapshot series, e.g. ``raw`` for G itself, or one snapshot,
    e.g. ``gen_014400``), or the JSON that
    ``python -m ganlib evaluate --json`` wrote."""
    rows = []
    for spec in a.row:
        what, _, source = spec.partition("=")
        source, _, prefix = source.partition("#")
        path = Path(source)
        if path.suffix == ".json":  # python -m ganlib evaluate --json
            ev = json.loads(path.read_text())
            hist, parzen = ev["class_histogram"], ev.get("parzen") or {}
            row = {"fd": ev["frechet_distance"], "kl": hist["kl_to_uniform"], "min_class": min(hist["fractions"])}
            row.update(parzen=parzen.get("mean"), parzen_se=parzen.get("std_error"), source=str(path))
        else:
            final = [
                r
                for r in json.loads((path / "eval.json").read_text()).values()
                if r.get("file", "gen").startswith(prefix or "gen")
                and ("_" in prefix or r["iteration"] == r["total_iterations"])  # gen_014400: that snapshot
            ]
            if not final:
                raise SystemExit(f"{path}: no evaluated final snapshot {prefix or 'gen'}_*.npz")
            r = max(final, key=lambda r: "parzen" in r)  # the evaluation with Parzen, if there is one
            row = {k: r.get(k) for k in ("fd", "kl", "min_class", "parzen", "parzen_se", "iteration", "seed", "spec")}
            row["source"] = f"{path.name}/{r.get('file')}"
        rows.append({"what": what, **row})
    out = Path(a.out)
    out.write_text(
        json.dumps({"command": "python benchmarks/search_default.py ablation ...", "rows": rows}, indent=1) + "\n"
    )
    for row in rows:
        pz = f"{row['parzen']:.1f}" if row.get("parzen") is not None else "-"
        print(f"{row['what']:<60} FD {row['fd']:6.2f} KL {row['kl']:.4f} min {row['min_class']:.1%} Parzen {pz}")
    print(f"wrote {out}")
    return 0


def cmd_curves(a) -> int:
    """Metric-vs-minutes curves of runs (every snapshot evaluated), as JSON and one PNG figure."""
    import matplotlib

    matplotlib.use("Agg")
    from ganlib import viz

    curves = {}
    for spec in a.runs:
        label, _, run = spec.rpartition("=") if "=" in spec else (None, None, spec)
        run, _, prefix = run.partition("#")  # FOLDER#PREFIX: this run's snapshots of another average
        prefix = prefix or a.prefix
        run = Path(run)
        info = json.loads((run / "run.json").read_text())
        ev = json.loads((run / "eval.json").read_text())
        rows = sorted(
            (r for r in ev.values() if r.get("n") == a.n and r.get("file", "gen").startswith(prefix)),
            key=lambda r: r["iteration"],
        )
        pts = []
        for r in rows:
            # minutes of quiet 2-thread training: the run's cost ratio to the reference (from its
            # run.json, else --ratio: runs trained with --iterations did not record one)
            ratio = info["ratio"] or a.ratio
            if ratio is None:
                raise SystemExit(f"{run}: no cost ratio recorded; give --ratio (see cost_ratios.json)")
            minutes = r["iteration"] * ratio / (a.ref_its * 60)
            pts.append(
                {
                    "iteration": r["iteration"],
                    "epochs": r["epochs"],
                    "minutes_quiet": round(minutes, 3),
                    "minute_mark": round(10 * r["iteration"] / info["iterations"], 2),
                    "fd": r["fd"],
                    "kl": r["kl"],
                    "min_class": r["min_class"],
                    "parzen": r.get("parzen"),
                    "parzen_se": r.get("parzen_se"),
                }
            )
        curves[label or info["name"]] = {
            "run": info["name"],
            "spec": info["spec"],
            "seed": info["config"]["seed"],
            "ratio": info["ratio"] or a.ratio,
            "iterations_per_second_quiet": round(a.ref_its / (info["ratio"] or a.ratio), 2),
            "budget_iterations": info["iterations"],
            "budget_minutes_quiet": info["minutes_equivalent"],
            "points": pts,
        }
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(curves, indent=1) + "\n")
    # the figure of README and notebook 06: ganlib.viz draws it from the same JSON
    fig = viz.plot_metric_curves(
        {label: [{**p, "minutes": p["minutes_quiet"]} for p in c["points"]] for label, c in curves.items()},
        targets=TARGETS,
    )
    fig.savefig(out.with_suffix(".png"), dpi=90)
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.png')}")
    return 0


# --------------------------------------------------------------------------- profile


def cmd_profile(a) -> int:
    """Phase breakdown of one iteration of a candidate: time in the matrix products and outside them."""
    from threadpoolctl import threadpool_limits

    from benchmarks.speed import train as bt  # the phases and the GEMM list of an iteration

    limiter = threadpool_limits(limits=a.threads, user_api="blas")  # noqa: F841
    global pc
    if a.clock == "thread":
        # CPU time of this thread: not inflated while other processes hold the core (1 thread only).
        if a.threads != 1:
            raise SystemExit("--clock thread needs --threads 1 (BLAS worker threads are not counted)")
        pc = bt.pc = time.thread_time
    config, extras = split_spec(a.base, parse_spec(a.set or []))
    if config.k != 1:
        raise SystemExit("the phase breakdown re-enacts one D step: k must be 1")
    X = load_train()
    gan = SearchGAN(config, extras, 10**6)
    stream = BatchStream(gan, X)
    gemms = bt.gemm_list(config)
    np_gemms = bt.NumpyGemms(gemms, np.random.default_rng(0))
    for _ in range(a.warmup):
        gan.step(stream.next())
    phases, gather, ema, full, gemm_runs = {}, [], [], [], []
    for _ in range(a.repeats):
        t0 = pc()
        batch = stream.next()
        gather.append(pc() - t0)
        t = gan.iteration
        gan.set_lr()
        bt.ganlib_phased_iteration(gan, batch[0], phases)  # increments gan.iteration
        t0 = pc()
        gan.update_average(t)
        ema.append(pc() - t0)
        t0 = pc()
        gan.step(stream.next())
        full.append(pc() - t0)
        gemm_runs.append(np_gemms.run())
    gemm_med = np.median(np.array(gemm_runs), axis=0) * 1e3
    by_phase = {}
    for (ph, *_), v in zip(gemms, gemm_med):
        by_phase[ph] = by_phase.get(ph, 0.0) + v
    env = environment()
    print(
        f"{canonical(config, extras) or '(base)'}: G {config.g_hidden}, D {config.d_hidden}, batch {config.batch_size}; "
        f"G {gan.G.num_params:,} D {gan.D.num_params:,} parameters; CPU {env['cpu']}, BLAS threads "
        f"{env['blas_threads']}, load {env['loadavg']}; medians over {a.repeats} iterations, {a.clock} clock"
    )
    print(f"  {'phase':<28}{'ms':>8}{'GEMM ms':>9}{'non-GEMM':>10}{'non-GEMM %':>11}")
    rows = [(name, 1e3 * statistics.median(phases[name]), by_phase.get(name, 0.0)) for name in bt.PHASES]
    rows += [
        ("batch gathering", 1e3 * statistics.median(gather), 0.0),
        ("EMA update", 1e3 * statistics.median(ema), 0.0),
    ]
    tot, tot_gemm = 0.0, 0.0
    result = {"spec": canonical(config, extras), **env, "phases": {}}
    for name, ms, ge in rows:
        tot, tot_gemm = tot + ms, tot_gemm + ge
        print(f"  {name:<28}{ms:8.2f}{ge:9.2f}{ms - ge:10.2f}{100 * (ms - ge) / ms if ms else 0:10.0f}%")
        result["phases"][name] = {"ms": round(ms, 3), "gemm_ms": round(ge, 3)}
    print(
        f"  {'sum of phases':<28}{tot:8.2f}{tot_gemm:9.2f}{tot - tot_gemm:10.2f}{100 * (tot - tot_gemm) / tot:10.0f}%"
    )
    print(f"  {'whole iteration (measured)':<28}{1e3 * statistics.median(full):8.2f}   (SearchGAN.step incl. EMA)")
    result.update(sum_ms=tot, gemm_ms=tot_gemm, whole_ms=1e3 * statistics.median(full), end_loadavg=loadavg())
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    sub = p.add_subparsers(dest="cmd", required=True)

    c = sub.add_parser("cost", help="interleaved cost-per-iteration ratios against CONFIGS['reference']")
    c.add_argument(
        "--cand",
        nargs=2,
        action="append",
        metavar=("NAME", "SPEC"),
        default=[],
        help='a candidate: a name and "field=value ..." overrides of --base (repeatable)',
    )
    c.add_argument("--base", default="default", help="CONFIGS entry the candidates start from (default: default)")
    c.add_argument("--rounds", type=int, default=30, help="rounds; odd rounds run in reverse order (ABBA)")
    c.add_argument("--iterations", type=int, default=0, help="iterations per block (default: --block-seconds)")
    c.add_argument("--block-seconds", type=float, default=0.5, help="wall time of one block, for every candidate")
    c.add_argument(
        "--quantile",
        type=float,
        default=0.1,
        help="the ratio compares this quantile of each candidate's block times (the fast, quiet blocks)",
    )
    c.add_argument("--no-save", dest="save", action="store_false", help="do not write cost_ratios.json")
    c.add_argument("--verbose", action="store_true", help="print every round")
    c.add_argument(
        "--model",
        action="store_true",
        help="robust on a busy machine: T1 (1 thread) - GEMMs at 1 thread + GEMMs at 2 threads",
    )
    c.add_argument("--ref-its", type=float, default=REF_ITS_QUIET)
    c.add_argument("--gemm-tries", type=int, default=5, help="--model: 2-thread product-list tries per round")
    c.add_argument("--warmup", type=int, default=10)
    c.add_argument("--threads", type=int, default=2, help="BLAS threads (default 2: the reader's machine)")

    t = sub.add_parser("train", help="train one candidate for a budget, saving snapshots")
    t.add_argument("--name", required=True, help="run name; output in runs/search/NAME unless --out")
    t.add_argument("--set", action="append", help='"field=value ..." overrides of --base (repeatable)')
    t.add_argument("--base", default="default")
    t.add_argument("--seed", type=int, default=None, help="shortcut for --set seed=S")
    t.add_argument("--iterations", type=int, help="budget in iterations")
    t.add_argument("--minutes", type=float, help="budget in minutes of quiet 2-thread wall time (needs a cost ratio)")
    t.add_argument("--ratio", type=float, help="cost ratio to the reference (default: from cost_ratios.json)")
    t.add_argument("--ref-its", type=float, default=REF_ITS_QUIET, help="the reference's quiet it/s (29.5)")
    t.add_argument("--wall-seconds", type=float, help="train for this much wall time instead")
    t.add_argument("--snapshots", type=int, default=10, help="snapshots over the budget (plus iteration 0)")
    t.add_argument("--raw", action="store_true", help="also save G's own weights at each snapshot (raw_*.npz)")
    t.add_argument(
        "--extra-emas",
        help="more averages of the same run, e.g. debias@0.9995,ramp@0.9999 (RULE@DECAY), "
        "saved as ema-RULE-DECAY_*.npz: EMA rules compared on one training trajectory",
    )
    t.add_argument("--snapshot-every", type=int, help="snapshot every N iterations instead (and at the end)")
    t.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1: steady on a shared machine)")
    t.add_argument("--out", help="output folder (default runs/search/NAME)")
    t.add_argument("--print-every", type=float, default=60.0, help="seconds between progress lines")

    e = sub.add_parser("evaluate", help="score a run's snapshots with ganlib.evaluation.metrics")
    e.add_argument("runs", nargs="+", help="run folders (runs/search/NAME)")
    e.add_argument("--which", choices=("final", "all"), default="final", help="snapshots to score")
    e.add_argument(
        "--parzen",
        default="none",
        help="where to add Parzen: none, final, all, or snapshot indices like 3,6,10 (0 = iteration 0)",
    )
    e.add_argument("--n", type=int, default=10_000, help="samples (10,000 as in the Parzen protocol)")
    e.add_argument("--sample-seed", type=int, default=0, help="seed of the latents (as `ganlib evaluate`)")
    e.add_argument("--threads", type=int, default=1)
    e.add_argument("--force", action="store_true", help="re-evaluate rows already in eval.json")
    e.add_argument("--raw", action="store_true", help="evaluate the raw_*.npz snapshots (G without its average)")
    e.add_argument("--variant", help="evaluate an extra average's snapshots, e.g. ema-debias-0.9995")

    g = sub.add_parser("grid", help="PNG grid of a snapshot's samples")
    g.add_argument("run")
    g.add_argument("--snapshot", type=int, help="iteration (default: the last)")
    g.add_argument("--n", type=int, default=100)
    g.add_argument("--sample-seed", type=int, default=0)
    g.add_argument("--out")

    tb = sub.add_parser("table", help="final evaluations of all runs, best FD first")
    tb.add_argument("--markdown", action="store_true")
    tb.add_argument("--sort", choices=("fd", "name"), default="fd")

    v = sub.add_parser("curves", help="metric-vs-minutes curves of evaluated runs: JSON + PNG")
    v.add_argument("runs", nargs="+", help="run folders, optionally LABEL=FOLDER or LABEL=FOLDER#PREFIX")
    v.add_argument("--out", default=str(RESULTS / "curves"), help="path without suffix (.json and .png written)")
    v.add_argument("--n", type=int, default=10_000)
    v.add_argument("--prefix", default="gen", help="which snapshots: gen (the sampler), raw, ema-...")
    v.add_argument(
        "--ratio", type=float, help="cost ratio for runs whose run.json has none (trained with --iterations)"
    )
    v.add_argument("--ref-its", type=float, default=REF_ITS_QUIET, help="the reference's quiet it/s (29.5)")

    ab = sub.add_parser("ablation", help="final measures of named runs as one JSON table (notebook 04)")
    ab.add_argument("--row", action="append", required=True, help='"WHAT=RUN_FOLDER[#PREFIX]" or "WHAT=EVAL.json"')
    ab.add_argument("--out", default=str(RESULTS / "default_ablation.json"))

    f = sub.add_parser("profile", help="phase breakdown of a candidate's iteration (GEMM vs the rest)")
    f.add_argument("--set", action="append", help='"field=value ..." overrides of --base')
    f.add_argument("--base", default="default")
    f.add_argument("--repeats", type=int, default=100)
    f.add_argument("--warmup", type=int, default=20)
    f.add_argument("--threads", type=int, default=1)
    f.add_argument("--json", help="write the breakdown here")
    f.add_argument(
        "--clock",
        choices=("wall", "thread"),
        default="wall",
        help="thread: time.thread_time, robust on a busy machine (with --threads 1)",
    )
    a = p.parse_args(argv)
    return {
        "cost": cmd_cost,
        "train": cmd_train,
        "evaluate": cmd_evaluate,
        "grid": cmd_grid,
        "table": cmd_table,
        "profile": cmd_profile,
        "curves": cmd_curves,
        "ablation": cmd_ablation,
    }[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
