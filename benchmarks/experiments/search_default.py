r"""Search for the default GAN configuration that gives the best digits for a fixed wall-time budget.

A *candidate* is a GANConfig (a base from ``CONFIGS`` plus field overrides) and, optionally,
experimental training features that ganlib does not have (each one is described precisely
below, so that it can be ported). The subcommands

* ``cost``: measures each candidate's cost per iteration against ``CONFIGS["reference"]`` in one
  interleaved micro-benchmark (rounds of N iterations, order reference, A, B, ... then reversed,
  the ABBA pattern; median of the per-round ratios), at 2 BLAS threads by default, printing the
  CPU model and load average; ``--model`` builds the ratio from parts a busy machine distorts
  less. Ratios go to ``benchmarks/results/cost_ratios.json``, which ``train --minutes`` reads.
* ``train``: trains one candidate for an iteration budget (``--iterations``, or
  ``--minutes M`` = the iterations that fit in M minutes of quiet 2-thread wall time, computed from
  the cost ratio and the reference's quiet throughput ``--ref-its``, 29.5 it/s here; or
  ``--wall-seconds``: train until that much wall time has passed), one BLAS thread by default,
  saving the sampling generator (the moving average when on) with
  ``ganlib.io.generator.save_generator`` at every 1/``--snapshots`` of the budget (and at
  iteration 0), with ``run.json`` beside them, in ``runs/search/NAME`` (not in git).
* ``evaluate``: scores a run's snapshots on 10,000 samples with ``ganlib.evaluation.metrics``: Frechet
  distance in the classifier's feature space, the class histogram (KL to uniform, smallest
  class), and (``--parzen``) the Parzen-window log-likelihood with its standard error.
  Rows go to ``<run>/eval.json`` and are appended to ``benchmarks/results/search_rows.jsonl``.
* ``grid``: a PNG grid of a snapshot's samples; ``table``: the evaluated runs as a table;
  ``curves``: each measure against training minutes (JSON and PNG: ``data/results/minutes``);
  ``ablation``: the final measures of named runs (``benchmarks/results/default_ablation.json``).

``--quick`` (before any subcommand) runs every subcommand once on a tiny budget, in a temporary
folder. ``--results-dir`` and ``--runs-dir`` move the committed results and the runs elsewhere.
The phase breakdown of a candidate's iteration is ``python -m benchmarks.speed.profile``.

Every JSON row carries the CPU model, the load average and the BLAS threads.

Experimental features (``--set name=value``, besides every GANConfig field)
--------------------------------------------------------------------------
Training runs on ganlib's own parts: ``GAN.train_iteration`` (its ``discriminator_step`` and
``generator_step``), ``GAN.epoch_minibatches``, ``ganlib.optim.Adam`` and
``ganlib.optim.MovingAverage``; the features below change only what they name.

``ema_rule`` (with ``ema_decay`` = d > 0; t = number of generator steps already taken, 0 at the
first update; the average, a ``MovingAverage`` in ``gan.G_ema``, is updated after each G step as
``avg += (1 - d_t) (theta - avg)``). It decides the average's rule: ``GANConfig.ema_bias_correction``
is not read (the search predates it; ``debias`` is that option):

* ``constant``: d_t = d, the average starts at G's random initialisation (``MovingAverage`` with
  ``bias_correction=False``; the old default).
* ``debias``: d_t = d (1 - d^t) / (1 - d^(t+1)) (``bias_correction=True``, ganlib's default today).
  This is exactly Adam-style bias correction of an average started at zero (avg_hat = avg /
  (1 - d^(t+1))), written as an in-place update of the corrected average: at t = 0 it copies G;
  at large t it is d.
* ``ramp`` (or ``ramp:K``): d_t = min(d, (1 + t) / (K + t)), K = 10 by default (the warm-up of
  TensorFlow's ExponentialMovingAverage with num_updates): the average covers about the last
  t / (K - 1) steps until d takes over at t = (K d - 1) / (1 - d).
* ``start:N``: d_t = 0 for t < N (the average is a copy of G), then d.

``lr_schedule`` (multiplies both learning rates by s(t), t = iterations done, T = the budget):
``constant`` (s = 1), ``linear`` (s = 1 - t / T, to 0 at the end), ``linear_from:F`` (1 until
F T, then linear to 0 at T), ``cosine`` (s = (1 + cos(pi t / T)) / 2). ``lr_end`` (default 0): the
floor, s' = lr_end + (1 - lr_end) s.

``adam`` = ``ganlib`` (default), ``chunked`` or ``fused``: the speed prototypes of
``benchmarks.speed.prototypes``. ``chunked`` runs ganlib's Adam in blocks of ``adam_chunk``
(default 65,536) parameters so that its 13 passes stay in the cache; ``fused`` also updates G's
moving average block by block right after each block's Adam step, and with ``adam_threads=2``
splits the blocks between two threads. All bit-identical to ganlib. ``ema_every`` = n > 1 (speed
prototype): update the average every n steps with decay d_t^n (approximate).

``reuse_fake=1``: the generator step reuses the last discriminator step's fakes and G's forward
pass (judged by the updated D), as PyTorch's DCGAN example does, instead of a fresh batch: one G
forward pass fewer per iteration (a different algorithm, so it is a quality question too).

Usage
-----
::

    python -m benchmarks.experiments.search_default cost --cand old "" --cand g1200 "g_hidden=1200-1200"
    python -m benchmarks.experiments.search_default train --name g1200_s0 --set g_hidden=1200-1200 --minutes 3
    python -m benchmarks.experiments.search_default evaluate runs/search/g1200_s0 --parzen final
    python -m benchmarks.experiments.search_default grid runs/search/g1200_s0
    python -m benchmarks.experiments.search_default table
    python -m benchmarks.experiments.search_default --quick      # smoke test of every subcommand, in /tmp

Written against ganlib's public API only (GAN, GANConfig, CONFIGS, build_generator, MovingAverage,
save_generator/load_generator, sample_generator, ganlib.evaluation.metrics, ganlib.viz).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import math
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from benchmarks import harness
from benchmarks.harness import REPO as ROOT
from benchmarks.harness import cpu_model
from benchmarks.harness import load_average as loadavg
from benchmarks.speed.iteration import NumpyGemms, gemm_list_k
from benchmarks.speed.prototypes import ChunkedAdam, FusedAdam
from ganlib.data.mnist import load_mnist, to_tanh_range
from ganlib.gan import CONFIGS, GAN, GANConfig
from ganlib.io.generator import load_generator, sample_generator, save_generator
from ganlib.losses import generator_loss
from ganlib.models import build_generator
from ganlib.optim import MovingAverage

pc = time.perf_counter
COMMAND = "python -m benchmarks.experiments.search_default"
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
    return harness.blas_threads()


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


# --------------------------------------------------------------------------- the moving average's rules


def scheduled_decay(rule: str, d: float, t: int) -> float:
    """d_t of the rules ganlib's MovingAverage does not have, ``ramp[:K]`` and ``start:N``, for the update
    after generator step t (0-based); see the module docstring. (``constant`` and ``debias`` are ganlib's.)"""
    if rule == "ramp" or rule.startswith("ramp:"):
        k = float(rule.split(":")[1]) if ":" in rule else 10.0
        return min(d, (1.0 + t) / (k + t))
    if rule.startswith("start:"):
        return 0.0 if t < int(rule.split(":")[1]) else d
    raise ValueError(f"unknown ema_rule {rule!r}: constant, debias, ramp, ramp:K or start:N")


class ScheduledAverage(MovingAverage):
    """ganlib's moving average (:class:`ganlib.optim.MovingAverage`), its decay following an ``ema_rule``.

    ``constant`` and ``debias`` are ganlib's own rates (``bias_correction`` off and on); ``ramp``
    and ``start:N`` replace :meth:`rate` by :func:`scheduled_decay`. With ``every`` = n > 1 the
    average moves only after every n-th generator step, with the decay d_t^n (t: the generator
    step just taken), about the n steps' decay combined. The update itself is ganlib's.
    """

    def __init__(self, source, average, decay: float, rule: str = "constant", every: int = 1):
        super().__init__(source, average, decay, bias_correction=rule == "debias")
        if rule not in ("constant", "debias"):
            scheduled_decay(rule, decay, 0)  # an unknown rule fails here, before training
        self.rule, self.every, self.generator_steps = rule, int(every), 0

    def rate(self) -> float:
        t = self.generator_steps - 1  # the generator step just taken, 0-based (= self.t when every == 1)
        if self.rule in ("constant", "debias"):
            updates, self.t = self.t, t
            try:
                d = super().rate()  # ganlib's rate at step t
            finally:
                self.t = updates
        else:
            d = scheduled_decay(self.rule, self.decay, t)
        return d**self.every if self.every > 1 else d

    def update(self) -> None:
        self.generator_steps += 1
        if self.generator_steps % self.every == 0:
            super().update()


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


# --------------------------------------------------------------------------- the candidate's GAN


@contextlib.contextmanager
def _outputs_of(net):
    """Within the block, every output of ``net.forward`` is also appended to the list yielded."""
    outputs, missing = [], object()
    before = vars(net).get("forward", missing)  # a wrapper of its own (e.g. a PhaseTimer's) stays in place
    forward = net.forward

    def keep(*args, **kwargs):
        outputs.append(forward(*args, **kwargs))
        return outputs[-1]

    net.forward = keep
    try:
        yield outputs
    finally:
        if before is missing:
            del net.forward
        else:
            net.forward = before


class SearchGAN(GAN):
    """A ganlib GAN plus the experimental features, on ganlib's own steps, optimizers and average.

    The moving average is ``gan.G_ema``, updated by ``GAN.generator_step`` through ``gan.ema``, a
    :class:`ScheduledAverage` (ganlib's ``MovingAverage`` with the candidate's rule). GAN itself is
    built with ``ema_decay=0`` so that the configuration saved with each snapshot stays as the
    search has always written it (the search's own ``ema_decay`` goes into the snapshot's
    ``search`` metadata); the average's network comes from a separate generator, as ganlib's does,
    so the run's random stream is the same either way.
    """

    def __init__(self, config: GANConfig, extras: dict, total_iterations: int):
        self.search_config, self.extras, self.total = config, dict(extras), int(total_iterations)
        self.reuse_fake, self._kept_fake = bool(int(extras["reuse_fake"])), None
        super().__init__(config.replace(ema_decay=0.0))
        if self.reuse_fake and config.num_classes:
            raise ValueError("reuse_fake=1 is for unconditional GANs")
        self.extra_avgs = {}  # name -> ScheduledAverage: passive averages, for comparing EMA rules in one run
        if config.ema_decay > 0:
            self.G_ema = build_generator(config, np.random.default_rng(0))
            self.ema = ScheduledAverage(self.G, self.G_ema, config.ema_decay, extras["ema_rule"], extras["ema_every"])
        self._set_optimizers(config, extras)
        self.base_lr = (config.lr_g, config.lr_d)

    def _set_optimizers(self, c: GANConfig, extras: dict) -> None:
        adam, chunk = extras["adam"], int(extras["adam_chunk"])
        if adam == "chunked":
            self.opt_G = ChunkedAdam(self.G, chunk=chunk, lr=c.lr_g, beta1=c.beta1, beta2=c.beta2)
            self.opt_D = ChunkedAdam(self.D, chunk=chunk, lr=c.lr_d, beta1=c.beta1, beta2=c.beta2)
        elif adam == "fused":
            if int(extras["ema_every"]) != 1:
                raise ValueError("adam=fused updates the average at every step: ema_every must be 1")
            threads, rule = int(extras["adam_threads"]), extras["ema_rule"]

            def block_average(source, average):
                return ScheduledAverage(source, average, c.ema_decay, rule)

            self.opt_G = FusedAdam(
                self.G, chunk, threads, self.G_ema, make_average=block_average, lr=c.lr_g, beta1=c.beta1, beta2=c.beta2
            )
            self.opt_D = FusedAdam(self.D, chunk, threads, lr=c.lr_d, beta1=c.beta1, beta2=c.beta2)
            self.ema = None  # G's Adam step updates the average, block by block
        elif adam != "ganlib":
            raise ValueError(f"unknown adam {adam!r}")

    def set_lr(self) -> None:
        s = lr_scale(self.extras["lr_schedule"], self.iteration, self.total, float(self.extras["lr_end"]))
        self.opt_G.lr, self.opt_D.lr = float(self.base_lr[0] * s), float(self.base_lr[1] * s)

    def add_average(self, rule: str, decay: float) -> str:
        """Keep one more moving average of G (with its own rule and decay) beside the sampler's."""
        net = build_generator(self.search_config, np.random.default_rng(0))
        name = f"ema-{rule.replace(':', '')}-{decay}"
        self.extra_avgs[name] = ScheduledAverage(self.G, net, float(decay), rule)
        return name

    # -- reuse_fake=1: GAN's steps, the G step on the D step's fakes
    def discriminator_step(self, x_real, y_real=None):
        """GAN's D step; with ``reuse_fake`` it also keeps the fakes it made, for the G step."""
        if not self.reuse_fake:
            return super().discriminator_step(x_real, y_real)
        with _outputs_of(self.G) as fakes:
            result = super().discriminator_step(x_real, y_real)
        self._kept_fake = fakes[-1]
        return result

    def generator_step(self, m: int) -> float:
        """GAN's G step; with ``reuse_fake``, on the last D step's fakes (and G's forward pass of them,
        whose caches G's layers still hold), judged by the freshly updated D."""
        if self._kept_fake is None:
            return super().generator_step(m)
        x_fake, self._kept_fake = self._kept_fake, None
        loss, dlogits = generator_loss(self.D.forward(x_fake), self.config.generator_loss)
        if np.isfinite(loss):
            self.G.backward(self.D.backward(dlogits, need_param_grads=False), need_dx=False)
            self.opt_G.step()
            if self.ema is not None:
                self.ema.update()
        return loss

    def step(self, batches) -> tuple[float, float, float, float]:
        """One ``GAN.train_iteration`` with the schedule and the extra averages; raises on a non-finite loss."""
        self.set_lr()
        t = self.iteration
        out = self.train_iteration(batches)
        if self.iteration == t:
            raise FloatingPointError(f"training diverged at iteration {t}: losses {out[:2]}")
        for average in self.extra_avgs.values():
            average.update()
        return out


class BatchStream:
    """The minibatches of ``GAN.train``, one iteration at a time: ``gan.epoch_minibatches`` (a permutation
    per epoch from the run's generator, each minibatch's rows sorted, k minibatches per iteration)."""

    def __init__(self, gan: GAN, X: np.ndarray):
        self.gan, self.X = gan, X
        self.per_epoch = len(X) // (gan.config.batch_size * gan.config.k)
        self.epochs, self._rows = 0, iter(())

    def next(self) -> list[np.ndarray]:
        rows = next(self._rows, None)
        if rows is None:
            self._rows = iter(self.gan.epoch_minibatches(len(self.X)))
            self.epochs += 1
            rows = next(self._rows)
        return [self.X[r] for r in rows]


@functools.lru_cache(maxsize=1)
def load_train() -> np.ndarray:
    return to_tanh_range(load_mnist("train")[0])


# --------------------------------------------------------------------------- cost


def _candidates(a) -> list[tuple[str, GANConfig, dict]]:
    """The reference and every ``--cand NAME SPEC`` as (name, config, extras)."""
    cands = [("reference", "reference", {})] + [(name, a.base, parse_spec(spec)) for name, spec in a.cand]
    return [(name, *split_spec(base, spec)) for name, base, spec in cands]


def _block_iterations(gan, stream, warmup: int, block_seconds: float) -> int:
    """Warm up, then the iterations of a block of about ``block_seconds`` for this candidate."""
    for _ in range(warmup):
        gan.step(stream.next())
    t0 = pc()
    for _ in range(5):
        gan.step(stream.next())
    return max(3, round(block_seconds / ((pc() - t0) / 5)))


def _stored_ratios(a) -> tuple[Path, dict]:
    path = Path(a.results_dir) / "cost_ratios.json"
    return path, json.loads(path.read_text()) if path.is_file() else {}


def _save_ratios(path: Path, stored: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=1) + "\n")


def cmd_cost(a) -> int:
    if a.model:
        return cmd_cost_model(a)
    harness.limit_threads(a.threads)
    X = load_train()
    runs = []
    for name, config, extras in _candidates(a):
        gan = SearchGAN(config, extras, 10**6)
        runs.append({"name": name, "gan": gan, "stream": BatchStream(gan, X), "key": cost_key(config, extras)})
    env = environment()
    print(f"CPU: {env['cpu']}, BLAS threads {env['blas_threads']}, numpy {env['numpy']}, load {env['loadavg']}")
    for r in runs:
        # Blocks of about equal wall time (--block-seconds) for every candidate: then a quiet spell
        # of the shared machine is as likely to cover a block of a big model as of a small one.
        n = _block_iterations(r["gan"], r["stream"], a.warmup, a.block_seconds)
        r["n"] = a.iterations or n
        r["times"], r["cpu"] = [], []
    print("iterations per block: " + ", ".join(f"{r['name']} {r['n']}" for r in runs))
    loads = []

    def block(r):
        def run():
            t0, c0 = pc(), time.process_time()
            for _ in range(r["n"]):
                r["gan"].step(r["stream"].next())
            r["times"].append((pc() - t0) / r["n"])
            r["cpu"].append((time.process_time() - c0) / r["n"])

        return run

    def after_round(rnd, _):
        ref = runs[0]["times"][-1]
        loads.append(loadavg())
        if a.verbose:
            print(
                f"round {rnd + 1}: "
                + "  ".join(f"{r['name']} {1000 * r['times'][-1]:.1f} ms ({r['times'][-1] / ref:.2f})" for r in runs)
                + f"  load {loads[-1]}",
                flush=True,
            )

    harness.interleaved({r["name"]: block(r) for r in runs}, a.rounds, after_round)
    table = _cost_table(a, runs, loads)
    if a.save:
        path, stored = _stored_ratios(a)
        stored.update(table)
        _save_ratios(path, stored)
        print(f"wrote {path}", end="; ")
    print(f"load {loadavg()}")
    return 0


def _cost_table(a, runs, loads) -> dict:
    """Print each candidate's ratio to the reference; returns the rows of cost_ratios.json.

    On a shared machine most blocks are slowed down by other processes. The fastest blocks of
    each candidate (the q-quantile, default the 2nd fastest) approximate the quiet machine; the
    median of per-round ratios and the CPU-time ratio are printed as cross-checks."""

    def fast(ts):
        return float(np.quantile(ts, a.quantile))

    ref_fast, ref_cpu = fast(runs[0]["times"]), statistics.median(runs[0]["cpu"])
    print(
        f"\n{'candidate':<16} {'fast ms/it':>10} {'ratio':>7} {'median-of-rounds':>17} {'cpu ratio':>9} "
        f"{'budget 9 min':>13}  cost key"
    )
    table = {}
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
    return table


def cmd_cost_model(a) -> int:
    """Cost ratios from parts that a busy machine cannot distort much.

    T1 = the whole iteration at 1 BLAS thread, in CPU time of the thread (time.thread_time: not
    inflated while other processes hold the core; median of blocks), G1 = the iteration's own
    matrix products (benchmarks.speed.iteration.gemm_list, numpy, in ganlib's layouts) at 1 thread,
    also in thread CPU time, G2 = the same products at 2 threads, wall time, the fastest of rounds x
    --gemm-tries tries (one product list takes tens of ms, so quiet spells cover it). The quiet
    2-thread iteration is modelled as T2 = T1 - G1 + G2: the products use both cores, everything
    else (elementwise numpy) runs on one.
    """
    X = load_train()
    runs = []
    for name, config, extras in _candidates(a):
        gan = SearchGAN(config, extras, 10**6)
        gemms = gemm_list_k(config)
        if int(extras["reuse_fake"]):  # no second G forward pass
            gemms = [x for x in gemms if x[0] != "G step: G forward"]
        runs.append(
            {
                "name": name,
                "gan": gan,
                "stream": BatchStream(gan, X),
                "key": cost_key(config, extras),
                "gemms": NumpyGemms(gemms, np.random.default_rng(0)),
                "t1": [],
                "g1": [],
                "g2": [],
            }
        )
    print(f"CPU: {cpu_model()}, numpy {np.__version__}, load {loadavg()}")
    with harness.blas_limited(1):
        for r in runs:
            r["n"] = _block_iterations(r["gan"], r["stream"], a.warmup, a.block_seconds)
    loads = []
    clock = time.thread_time  # CPU time of this thread: a busy machine does not inflate it (1 thread)

    def block(r):
        def run():
            with harness.blas_limited(1):
                t0 = clock()
                for _ in range(r["n"]):
                    r["gan"].step(r["stream"].next())
                r["t1"].append((clock() - t0) / r["n"])
                r["g1"].append(sum(r["gemms"].run(clock)))
            with harness.blas_limited(2):  # wall clock; the fastest of many tries
                r["g2"].append(min(sum(r["gemms"].run()) for _ in range(a.gemm_tries)))

        return run

    harness.interleaved({r["name"]: block(r) for r in runs}, a.rounds, lambda *_: loads.append(loadavg()))
    _cost_model_table(a, runs, loads)
    return 0


def _cost_model_table(a, runs, loads) -> None:
    for r in runs:
        r["T1"], r["G1"], r["G2"] = statistics.median(r["t1"]), statistics.median(r["g1"]), min(r["g2"])
        r["T2"] = r["T1"] - r["G1"] + r["G2"]
    ref = runs[0]
    path, stored = _stored_ratios(a)
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
            "quantile": a.quantile,
            "date": time.strftime("%Y-%m-%d %H:%M"),
        }
    print(
        f"reference quiet-model throughput: {1 / ref['T2']:.1f} it/s (the budgets use --ref-its {a.ref_its}); "
        f"load {loadavg()}"
    )
    if a.save:
        _save_ratios(path, stored)
        print(f"wrote {path}")


def lookup_ratio(config, extras, results_dir: Path = RESULTS) -> float:
    path = Path(results_dir) / "cost_ratios.json"
    stored = json.loads(path.read_text()) if path.is_file() else {}
    key = cost_key(config, extras)
    if key not in stored:
        raise SystemExit(f"no cost ratio for {key!r}: run the `cost` subcommand for it first, or give --ratio")
    return float(stored[key]["ratio"])


# --------------------------------------------------------------------------- train


def _budget(a, config, extras) -> tuple[int | None, float | None]:
    """(iterations, cost ratio): from --iterations, or --minutes and the cost ratio; None with --wall-seconds."""
    ratio = a.ratio if a.ratio is not None else (lookup_ratio(config, extras, a.results_dir) if a.minutes else None)
    if a.iterations:
        return a.iterations, ratio
    if a.minutes:
        return int(round(a.minutes * 60 * a.ref_its / ratio)), ratio
    if a.wall_seconds:
        return None, ratio
    raise SystemExit("give --iterations, --minutes or --wall-seconds")


class TrainingRun:
    """One candidate's training: its snapshots, progress lines and run.json, step by step."""

    def __init__(self, a, config, extras, total, ratio):
        self.a, self.total = a, total
        self.out = Path(a.out) if a.out else Path(a.runs_dir) / a.name
        self.out.mkdir(parents=True, exist_ok=True)
        # The lr schedule needs the horizon: with --wall-seconds it is estimated after a short timing.
        self.gan = SearchGAN(config, extras, total or 10**9)
        for item in a.extra_emas.split(",") if a.extra_emas else []:
            rule, _, decay = item.rpartition("@")
            self.gan.add_average(rule, float(decay))
        self.stream = BatchStream(self.gan, load_train())
        self.info = {
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
            "iterations_per_epoch": self.stream.per_epoch,
            "start_env": environment(),
            "argv": sys.argv,
        }
        self.meta = {"search": {"name": a.name, "spec": self.info["spec"], "extras": extras}}
        self.meta["search"]["ema_decay"] = config.ema_decay
        self.snaps = self.snapshot_points(total) if total else []
        self.train_seconds, self.snap_rows = 0.0, []
        self.curves = {"d_real": [], "d_fake": [], "loss_d": [], "loss_g": []}

    def snapshot_points(self, total: int) -> list[int]:
        if self.a.snapshot_every:
            return sorted(set(range(0, total + 1, self.a.snapshot_every)) | {total})
        return sorted({round(i * total / self.a.snapshots) for i in range(self.a.snapshots + 1)})

    def snapshot(self) -> None:
        """The sampler (and with --raw G itself, and every extra average) saved as generators."""
        gan, it = self.gan, self.gan.iteration
        path = self.out / f"gen_{it:06d}.npz"
        save_generator(gan, path, {**self.meta, "train_seconds": round(self.train_seconds, 2)})
        files = {}
        others = {"raw": gan.G} if self.a.raw and gan.G_ema is not None else {}  # what the average adds
        others.update({name: average.average for name, average in gan.extra_avgs.items()})
        for name, net in others.items():
            shim = SimpleNamespace(config=gan.config, epoch=gan.epoch, iteration=it, sampler=net, fixed_z=gan.fixed_z)
            fname = f"{name}_{it:06d}.npz"
            save_generator(shim, self.out / fname, self.meta)
            files[f"{name}_file" if name == "raw" else f"variant:{name}"] = fname
        minutes = None if self.total is None or not self.a.minutes else self.a.minutes * it / self.total
        self.snap_rows.append(
            {
                **files,
                "iteration": it,
                "epochs": it / self.stream.per_epoch,
                "train_seconds": round(self.train_seconds, 2),
                "minutes_equivalent": minutes,
                "file": path.name,
                "loadavg": loadavg(),
            }
        )

    def done(self) -> bool:
        if self.total is not None:
            return self.gan.iteration >= self.total
        return self.train_seconds >= self.a.wall_seconds

    def step(self) -> None:
        t0 = pc()
        values = self.gan.step(self.stream.next())
        self.train_seconds += pc() - t0
        for name, v in zip(("loss_d", "loss_g", "d_real", "d_fake"), values):
            self.curves[name].append(v)
        if self.total is None and self.gan.iteration == 200:
            # wall mode: fix the horizon from the speed so far, for the schedule and snapshots
            self.total = self.gan.total = int(self.a.wall_seconds / (self.train_seconds / 200))
            self.snaps = self.snapshot_points(self.total)
            self.info["total_iterations_estimated"] = self.total
        if self.gan.iteration in self.snaps:
            self.snapshot()

    def progress(self) -> None:
        gan, c, w = self.gan, self.curves, slice(-200, None)
        print(
            f"  it {gan.iteration:6d}/{self.total} ({gan.iteration / self.stream.per_epoch:5.1f} ep) "
            f"{self.train_seconds:6.0f}s  {gan.iteration / self.train_seconds:5.1f} it/s  "
            f"D(x) {np.mean(c['d_real'][w]):.3f} D(G(z)) {np.mean(c['d_fake'][w]):.3f}  "
            f"lr_g {gan.opt_G.lr:.2e}  load {loadavg()}",
            flush=True,
        )

    def finish(self) -> dict:
        """The last snapshot if missing, then run.json."""
        gan, c = self.gan, self.curves
        if gan.iteration not in {r["iteration"] for r in self.snap_rows}:
            self.snapshot()
        w = slice(-500, None)
        self.info.update(
            iterations=gan.iteration,
            epochs=gan.iteration / self.stream.per_epoch,
            train_seconds=round(self.train_seconds, 1),
            its_per_second=gan.iteration / self.train_seconds,
            end_env=environment(),
            snapshots=self.snap_rows,
            end_means_last500={k: float(np.mean(c[k][w])) for k in ("d_real", "d_fake", "loss_d", "loss_g")},
            curves_every_100={
                k: [float(np.mean(c[k][i : i + 100])) for i in range(0, len(c[k]), 100)] for k in ("d_real", "d_fake")
            },
        )
        (self.out / "run.json").write_text(json.dumps(self.info, indent=1) + "\n")
        return self.info


def cmd_train(a) -> int:
    harness.limit_threads(a.threads)
    spec = parse_spec(a.set or [])
    if a.seed is not None:
        spec["seed"] = a.seed
    config, extras = split_spec(a.base, spec)
    total, ratio = _budget(a, config, extras)
    run = TrainingRun(a, config, extras, total, ratio)
    print(
        f"{a.name}: {run.info['spec'] or '(base)'}; budget {total} iterations; env {run.info['start_env']}", flush=True
    )
    if 0 in run.snaps:
        run.snapshot()
    t_last = pc()
    while not run.done():
        run.step()
        if pc() - t_last > a.print_every:
            t_last = pc()
            run.progress()
    info = run.finish()
    end = info["end_means_last500"]
    print(
        f"done: {info['iterations']} iterations ({info['epochs']:.1f} epochs) in {info['train_seconds']:.0f} s; "
        f"end D(x) {end['d_real']:.3f} D(G(z)) {end['d_fake']:.3f}; wrote {run.out}/run.json",
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


def _snapshots_to_score(a, info: dict) -> list[tuple[dict, bool]]:
    """The run's snapshots that ``evaluate`` scores, each with whether it gets a Parzen estimate."""
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
    last = info["snapshots"][-1]["iteration"]
    return [
        (s, a.parzen == "all" or (a.parzen == "final" and s["iteration"] == last) or s["iteration"] in marks)
        for s in snaps
    ]


def _evaluation_row(a, run: Path, info: dict, s: dict, parzen: bool) -> dict:
    row = evaluate_file(run / s["file"], a.n, a.sample_seed, parzen)
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
    return row


def cmd_evaluate(a) -> int:
    harness.limit_threads(a.threads)
    rows_path = Path(a.results_dir) / "search_rows.jsonl"
    for run in map(Path, a.runs):
        info = json.loads((run / "run.json").read_text())
        ev_path = run / "eval.json"
        done = json.loads(ev_path.read_text()) if ev_path.is_file() else {}
        for s, want_parzen in _snapshots_to_score(a, info):
            key = f"{s['file']}|n={a.n}|seed={a.sample_seed}"
            old = done.get(key)
            if old is not None and (not want_parzen or "parzen" in old) and not a.force:
                continue
            row = done[key] = _evaluation_row(a, run, info, s, want_parzen)
            ev_path.write_text(json.dumps(done, indent=1) + "\n")
            rows_path.parent.mkdir(parents=True, exist_ok=True)
            with open(rows_path, "a") as f:
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
    from ganlib.viz import images

    run = Path(a.run)
    info = json.loads((run / "run.json").read_text())
    s = (
        info["snapshots"][-1]
        if a.snapshot is None
        else next(x for x in info["snapshots"] if x["iteration"] == a.snapshot)
    )
    G, meta = load_generator(run / s["file"])
    x = sample_generator(G, meta, a.n, seed=a.sample_seed)
    out = Path(a.out) if a.out else Path(a.results_dir) / f"grid_{info['name']}_it{s['iteration']}.png"
    images.save_grid_png(x, out, nrow=int(math.sqrt(a.n)), scale=2)
    print(f"wrote {out}")
    return 0


def cmd_table(a) -> int:
    rows = {}
    for run in sorted(Path(a.runs_dir).glob("*/eval.json")):
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


def _ablation_row(source: str) -> dict:
    """The final measures of one ``--row`` source: a search run folder (``FOLDER#PREFIX``) or an evaluate JSON."""
    source, _, prefix = source.partition("#")
    path = Path(source)
    if path.suffix == ".json":  # python -m ganlib evaluate --json
        ev = json.loads(path.read_text())
        hist, parzen = ev["class_histogram"], ev.get("parzen") or {}
        row = {"fd": ev["frechet_distance"], "kl": hist["kl_to_uniform"], "min_class": min(hist["fractions"])}
        row.update(parzen=parzen.get("mean"), parzen_se=parzen.get("std_error"), source=str(path))
        return row
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
    return row


def cmd_ablation(a) -> int:
    """Final measures of named runs as one small JSON table (notebook 04's "What each trick buys").

    Each ``--row "WHAT=SOURCE"``: SOURCE is a search run folder (its last snapshot of the sampler;
    ``FOLDER#PREFIX`` picks another snapshot series, e.g. ``raw`` for G itself, or one snapshot,
    e.g. ``gen_014400``), or the JSON that
    ``python -m ganlib evaluate --json`` wrote."""
    rows = []
    for spec in a.row:
        what, _, source = spec.partition("=")
        rows.append({"what": what, **_ablation_row(source)})
    out = Path(a.out) if a.out else Path(a.results_dir) / "default_ablation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": f"{COMMAND} ablation ...", "rows": rows}, indent=1) + "\n")
    for row in rows:
        pz = f"{row['parzen']:.1f}" if row.get("parzen") is not None else "-"
        print(f"{row['what']:<60} FD {row['fd']:6.2f} KL {row['kl']:.4f} min {row['min_class']:.1%} Parzen {pz}")
    print(f"wrote {out}")
    return 0


def _curve(a, spec: str) -> tuple[str, dict]:
    """One run's points (every evaluated snapshot) against minutes of quiet 2-thread training."""
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
    # the run's cost ratio to the reference (from its run.json, else --ratio: runs trained with
    # --iterations did not record one)
    ratio = info["ratio"] or a.ratio
    if rows and ratio is None:
        raise SystemExit(f"{run}: no cost ratio recorded; give --ratio (see cost_ratios.json)")
    pts = [
        {
            "iteration": r["iteration"],
            "epochs": r["epochs"],
            "minutes_quiet": round(r["iteration"] * ratio / (a.ref_its * 60), 3),
            "minute_mark": round(10 * r["iteration"] / info["iterations"], 2),
            "fd": r["fd"],
            "kl": r["kl"],
            "min_class": r["min_class"],
            "parzen": r.get("parzen"),
            "parzen_se": r.get("parzen_se"),
        }
        for r in rows
    ]
    return label or info["name"], {
        "run": info["name"],
        "spec": info["spec"],
        "seed": info["config"]["seed"],
        "ratio": ratio,
        "iterations_per_second_quiet": round(a.ref_its / ratio, 2),
        "budget_iterations": info["iterations"],
        "budget_minutes_quiet": info["minutes_equivalent"],
        "points": pts,
    }


def cmd_curves(a) -> int:
    """Metric-vs-minutes curves of runs (every snapshot evaluated), as JSON and one PNG figure."""
    import matplotlib

    matplotlib.use("Agg")
    from ganlib import viz

    curves = dict(_curve(a, spec) for spec in a.runs)
    out = Path(a.out) if a.out else Path(a.results_dir) / "curves"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(curves, indent=1) + "\n")
    # the figure of README and notebook 07: ganlib.viz draws it from the same JSON
    fig = viz.plot_metric_curves(
        {label: [{**p, "minutes": p["minutes_quiet"]} for p in c["points"]] for label, c in curves.items()},
        targets=TARGETS,
    )
    fig.savefig(out.with_suffix(".png"), dpi=90)
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.png')}")
    return 0


# --------------------------------------------------------------------------- --quick


def quick(a) -> int:
    """Every subcommand once on a tiny budget, in a new temporary folder: a smoke test of seconds."""
    tmp = harness.quick_output(None, "search")
    results, runs = tmp / "results", tmp / "runs"
    run = str(runs / "quick")
    steps = [
        ["cost", "--cand", "old", "", "--rounds", "2", "--iterations", "2", "--warmup", "1"],
        ["cost", "--model", "--cand", "fused", "adam=fused adam_threads=2 reuse_fake=1"]
        + ["--rounds", "2", "--warmup", "1", "--gemm-tries", "1", "--block-seconds", "0.05"],
        ["train", "--name", "quick", "--iterations", "20", "--snapshots", "2", "--raw", "--extra-emas", "ramp@0.999"],
        ["train", "--name", "quick_extras", "--minutes", "0.01", "--snapshots", "1"]
        + ["--set", "adam=fused adam_threads=2 reuse_fake=1 ema_rule=debias lr_schedule=cosine"],
        ["evaluate", run, "--which", "all", "--n", "300", "--parzen", "final"],
        ["evaluate", run, "--n", "300", "--raw"],
        ["grid", run, "--n", "16"],
        ["table"],
        ["curves", f"quick={run}", "--n", "300", "--ratio", "1.0", "--out", str(results / "minutes")],
        ["ablation", "--row", f"the quick run={run}", "--row", f"G itself={run}#raw"],
    ]
    for step in steps:
        print(f"\n$ {COMMAND} {' '.join(repr(x) if not x or ' ' in x else x for x in step)}", flush=True)
        main(["--results-dir", str(results), "--runs-dir", str(runs), *step])
    print(f"\nquick: every subcommand ran; everything it wrote is in {tmp}")
    return 0


# --------------------------------------------------------------------------- main


def _add_cost(sub) -> None:
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


def _add_train(sub) -> None:
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


def _add_evaluate(sub) -> None:
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


def _add_outputs(sub) -> None:
    g = sub.add_parser("grid", help="PNG grid of a snapshot's samples")
    g.add_argument("run")
    g.add_argument("--snapshot", type=int, help="iteration (default: the last)")
    g.add_argument("--n", type=int, default=100)
    g.add_argument("--sample-seed", type=int, default=0)
    g.add_argument("--out", help="PNG file (default: RESULTS_DIR/grid_NAME_itN.png)")

    tb = sub.add_parser("table", help="final evaluations of all runs, best FD first")
    tb.add_argument("--markdown", action="store_true")
    tb.add_argument("--sort", choices=("fd", "name"), default="fd")

    v = sub.add_parser("curves", help="metric-vs-minutes curves of evaluated runs: JSON + PNG")
    v.add_argument("runs", nargs="+", help="run folders, optionally LABEL=FOLDER or LABEL=FOLDER#PREFIX")
    v.add_argument("--out", help="path without suffix, .json and .png written (default: RESULTS_DIR/curves)")
    v.add_argument("--n", type=int, default=10_000)
    v.add_argument("--prefix", default="gen", help="which snapshots: gen (the sampler), raw, ema-...")
    v.add_argument(
        "--ratio", type=float, help="cost ratio for runs whose run.json has none (trained with --iterations)"
    )
    v.add_argument("--ref-its", type=float, default=REF_ITS_QUIET, help="the reference's quiet it/s (29.5)")

    ab = sub.add_parser("ablation", help="final measures of named runs as one JSON table (notebook 04)")
    ab.add_argument("--row", action="append", required=True, help='"WHAT=RUN_FOLDER[#PREFIX]" or "WHAT=EVAL.json"')
    ab.add_argument("--out", help="JSON file (default: RESULTS_DIR/default_ablation.json)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=COMMAND,
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    harness.add_quick_argument(p, "every subcommand once, on a few iterations (no subcommand needed)")
    p.add_argument("--results-dir", default=str(RESULTS), help="the search's results (default benchmarks/results)")
    p.add_argument("--runs-dir", default=str(RUNS), help="training runs and their snapshots (default runs/search)")
    sub = p.add_subparsers(dest="cmd")
    _add_cost(sub)
    _add_train(sub)
    _add_evaluate(sub)
    _add_outputs(sub)
    return p


def main(argv=None) -> int:
    p = parser()
    a = p.parse_args(argv)
    if a.quick:
        if a.cmd:
            p.error("--quick runs every subcommand itself: give no subcommand")
        return quick(a)
    if not a.cmd:
        p.error("give a subcommand (or --quick)")
    commands = {
        "cost": cmd_cost,
        "train": cmd_train,
        "evaluate": cmd_evaluate,
        "grid": cmd_grid,
        "table": cmd_table,
        "curves": cmd_curves,
        "ablation": cmd_ablation,
    }
    return commands[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
