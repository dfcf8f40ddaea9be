r"""Training speed of ganlib against an equivalent PyTorch model, side by side in one run.

What it measures
----------------
The fixed reference GAN, ``ganlib.gan.CONFIGS["reference"]``: generator
100-256-512-784 (tanh), discriminator 784-512-256-1 (a logit, BCE-with-logits),
LeakyReLU 0.2, Adam lr 2e-4 betas (0.5, 0.999), batch 128, one D step and one
G step per iteration, fresh z ~ N(0, I) for every step, real and fake through
D as one batch of 2m rows, non-saturating G loss. float32 throughout.

* ganlib: ``gan.train_iteration([x_batch])`` on real MNIST minibatches.
* PyTorch: nn.Sequential of Linear/LeakyReLU/Tanh with the same shapes and the
  same initial weights; D step on ``torch.cat([real, G(z).detach()])``,
  BCEWithLogitsLoss, ``zero_grad(set_to_none=True)``, ``step()``; G step with
  fresh z through D with its parameters frozen (``requires_grad_(False)``, so
  no D weight gradients are computed, as in ganlib); torch.optim.Adam (default
  implementation). ``torch.set_num_threads(T)`` with T = the number of threads
  numpy's BLAS uses (threadpoolctl), ``torch.set_num_interop_threads(1)``.

Both train on the same pre-built minibatches; only the iterations are timed
(no data loading, no batch gathering). The machine may be shared and noisy,
so only ratios from one run count: after a warm-up the two alternate in
rounds (ganlib, torch, torch, ganlib, ...) and the script reports the median
samples/s of each (samples = real images consumed = batch_size per
iteration), their ratio and the spread over rounds.

It also prints

* the GEMM-bound limit: the FLOPs of one iteration's matrix products (G forward
  twice, D forward on 2m then m rows, weight gradients, and input gradients
  only where needed), numpy's sgemm throughput on a representative shape
  (256x784x512) and on the iteration's own list of products, both measured in
  every round, and ganlib's fraction of that limit;
* a per-phase breakdown of one iteration (ganlib and PyTorch side by side,
  with the GEMM-only time of each phase): ganlib's phases are those of its own
  ``train_iteration``, timed as it runs (``benchmarks.speed.iteration.PhaseTimer``);
* peak RSS of this process, and of a subprocess that trains ganlib alone for
  one full MNIST epoch (50,000 images, 390 iterations; ``--memory-epoch``).

The LAST line of output is ``ratio_vs_torch=X.XX``: ganlib samples/s divided by
PyTorch samples/s (medians over rounds); > 1 means ganlib is faster.

Usage
-----
::

    python -m benchmarks.speed.train                      # full run (1-2 min on 2 idle cores, estimated)
    python -m benchmarks.speed.train --quick              # smoke test, a few seconds
    python -m benchmarks.speed.train --rounds 7 --iterations 150 --threads 2
    # As on a user's machine, without the OpenBLAS kernel overrides of this environment:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.speed.train

OPENBLAS_CORETYPE forces OpenBLAS's kernel choice and OPENBLAS_L2_SIZE its
cache-blocking assumption; both are read when numpy is imported. The script
prints their values and the kernel that actually ran (threadpoolctl's
``architecture``), so every result says which kernel produced it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

from benchmarks import harness
from benchmarks.harness import clock as pc
from benchmarks.speed.iteration import (
    OTHER,
    PHASES,
    NumpyGemms,
    PhaseTimer,
    by_phase,
    gemm_flops,
    gemm_list,
    representative_gflops,
)
from ganlib.data.mnist import load_mnist, to_tanh_range
from ganlib.gan import CONFIGS, GAN

MEMORY_GOAL_MB = 500

# --------------------------------------------------------------------------- the reference


def check_reference(cfg) -> list[str]:
    """What in CONFIGS['reference'] differs from the benchmark's stated reference."""
    expected = dict(
        latent_dim=100,
        latent_dist="gaussian",
        g_hidden=(256, 512),
        d_hidden=(512, 256),
        leaky_slope=0.2,
        d_dropout=0.0,
        optimizer="adam",
        lr_g=2e-4,
        lr_d=2e-4,
        beta1=0.5,
        beta2=0.999,
        batch_size=128,
        k=1,
        generator_loss="non_saturating",
        real_label=1.0,
        ema_decay=0.0,
        data_dim=784,
        g_output="tanh",
    )
    return [f"{k}={getattr(cfg, k)!r} (expected {v!r})" for k, v in expected.items() if getattr(cfg, k) != v]


# --------------------------------------------------------------------------- PyTorch


class TorchGemms:
    """The iteration's products with torch.mm, in the layouts nn.Linear's autograd uses (W stored (N, K))."""

    def __init__(self, gemms, torch):
        g = torch.Generator().manual_seed(0)
        self.calls = []
        for _, kind, M, K, N in gemms:
            x = torch.randn(M, K, generator=g)
            W = torch.randn(N, K, generator=g) * 0.05
            dout = torch.randn(M, N, generator=g)
            if kind == "fwd":
                self.calls.append(lambda x=x, W=W: torch.mm(x, W.t()))
            elif kind == "dW":
                self.calls.append(lambda x=x, dout=dout: torch.mm(dout.t(), x))
            else:
                self.calls.append(lambda dout=dout, W=W: torch.mm(dout, W))

    def run(self) -> list[float]:
        times = []
        for call in self.calls:
            t = pc()
            call()
            times.append(pc() - t)
        return times


class TorchGAN:
    """The reference GAN in PyTorch: the same shapes, initial weights, losses and optimizer settings."""

    def __init__(self, cfg, gan, torch):
        nn = torch.nn
        self.torch, self.cfg, self.m = torch, cfg, cfg.batch_size

        def mlp(widths, last):
            layers = []
            for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
                layers.append(nn.Linear(a, b))
                if i < len(widths) - 2:
                    layers.append(nn.LeakyReLU(cfg.leaky_slope))
            if last is not None:
                layers.append(last)
            return nn.Sequential(*layers)

        self.G = mlp([cfg.latent_dim, *cfg.g_hidden, cfg.data_dim], nn.Tanh())
        self.D = mlp([cfg.data_dim, *cfg.d_hidden, 1], None)
        # Same initial weights as ganlib (W is (in, out) there, (out, in) in torch).
        for tnet, gnet in ((self.G, gan.G), (self.D, gan.D)):
            tl = [layer for layer in tnet if isinstance(layer, nn.Linear)]
            gl = [layer for layer in gnet.layers if "W" in layer.params]
            with torch.no_grad():
                for t, g in zip(tl, gl):
                    t.weight.copy_(torch.from_numpy(g.params["W"].T.copy()))
                    t.bias.copy_(torch.from_numpy(g.params["b"].copy()))
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
        self.bce = nn.BCEWithLogitsLoss()
        self.ones = torch.full((self.m, 1), cfg.real_label)
        self.zeros = torch.zeros(self.m, 1)
        self.ones_g = torch.ones(self.m, 1)

    def _set_d_trainable(self, flag: bool):
        for p in self.D.parameters():
            p.requires_grad_(flag)

    def iteration(self, real):
        torch, m = self.torch, self.m
        # D step
        z = torch.randn(m, self.cfg.latent_dim)
        fake = self.G(z).detach()
        logits = self.D(torch.cat([real, fake]))
        loss_d = self.bce(logits[:m], self.ones) + self.bce(logits[m:], self.zeros)
        self.opt_D.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_D.step()
        d_real = torch.sigmoid(logits[:m]).mean().item()
        d_fake = torch.sigmoid(logits[m:]).mean().item()
        # G step, through a frozen D
        self._set_d_trainable(False)
        z = torch.randn(m, self.cfg.latent_dim)
        loss_g = self.bce(self.D(self.G(z)), self.ones_g)
        self.opt_G.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_G.step()
        self._set_d_trainable(True)
        return loss_d.item(), loss_g.item(), d_real, d_fake

    def phased_iteration(self, real, t: dict) -> float:
        """The same iteration, each phase timed into ``t[phase]`` (lists), under the phase names of
        ganlib's breakdown; the G step's backward is split with autograd.grad. Joining the real and
        fake batches counts as "other", as it does for ganlib. Returns the whole iteration's seconds."""
        torch, m = self.torch, self.m
        now = {}
        last = [pc()]
        start = last[0]

        def lap(phase):
            t1 = pc()
            now[phase] = now.get(phase, 0.0) + t1 - last[0]
            last[0] = t1

        z = torch.randn(m, self.cfg.latent_dim)
        lap(PHASES[0])
        fake = self.G(z).detach()
        lap("D step: G forward")
        both = torch.cat([real, fake])
        lap(OTHER)
        logits = self.D(both)
        lap("D step: D forward (2m)")
        loss_d = self.bce(logits[:m], self.ones) + self.bce(logits[m:], self.zeros)
        lap("D step: loss")
        self.opt_D.zero_grad(set_to_none=True)
        loss_d.backward()
        lap("D step: D backward")
        self.opt_D.step()
        lap("D step: Adam D")
        torch.sigmoid(logits[:m]).mean().item()
        torch.sigmoid(logits[m:]).mean().item()
        loss_d.item()
        self._set_d_trainable(False)
        lap(OTHER)
        z = torch.randn(m, self.cfg.latent_dim)
        lap(PHASES[0])
        fake = self.G(z)
        lap("G step: G forward")
        lf = self.D(fake)
        lap("G step: D forward")
        loss_g = self.bce(lf, self.ones_g)
        lap("G step: loss")
        self.opt_G.zero_grad(set_to_none=True)
        (dfake,) = torch.autograd.grad(loss_g, fake, retain_graph=False)
        lap("G step: D backward (dx)")
        fake.backward(dfake)
        lap("G step: G backward")
        self.opt_G.step()
        lap("G step: Adam G")
        self._set_d_trainable(True)
        loss_g.item()
        lap(OTHER)
        for phase, seconds in now.items():
            t.setdefault(phase, []).append(seconds)
        return last[0] - start


# --------------------------------------------------------------------------- memory epoch (subprocess)


def memory_child(threads: int) -> None:
    """Train ganlib alone for one epoch; print one JSON line with its peak RSS and timing."""
    harness.limit_threads(threads)
    rss_start = harness.current_rss_mb()
    X = to_tanh_range(load_mnist("train")[0])
    rss_data = harness.current_rss_mb()
    gan = GAN(CONFIGS["reference"])
    t = pc()
    history = gan.train(X, epochs=1)
    elapsed = pc() - t
    record = {
        "peak_rss_mb": harness.vm_hwm_mb(),
        "ru_maxrss_mb": harness.peak_rss_mb(),
        "rss_start_mb": rss_start,
        "rss_after_data_mb": rss_data,
        "rss_end_mb": harness.current_rss_mb(),
        "iterations": len(history),
        "seconds": elapsed,
        "images": len(history) * gan.config.batch_size,
        "torch_imported": "torch" in sys.modules,
    }
    print("MEMORY_CHILD " + json.dumps(record), flush=True)


def run_memory_epoch(threads: int) -> dict | None:
    cmd = [sys.executable, "-m", "benchmarks.speed.train", "--_memory-child", "--threads", str(threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=harness.REPO)
    for line in proc.stdout.splitlines():
        if line.startswith("MEMORY_CHILD "):
            return json.loads(line[len("MEMORY_CHILD ") :])
    print(f"  memory epoch subprocess failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return None


# --------------------------------------------------------------------------- the run, step by step


@dataclass
class Settings:
    iterations: int
    rounds: int
    warmup: int
    phase_repeats: int
    gemm_repeats: int
    memory_epoch: bool
    threads: int | None

    @classmethod
    def from_args(cls, a) -> Settings:
        q = a.quick
        return cls(
            iterations=a.iterations or (5 if q else 100),
            rounds=a.rounds or (2 if q else 5),
            warmup=a.warmup if a.warmup is not None else (2 if q else 15),
            phase_repeats=a.phase_repeats or (4 if q else 60),
            gemm_repeats=2 if q else 10,
            memory_epoch=(not q) if a.memory_epoch is None else a.memory_epoch,
            threads=a.threads,
        )


@dataclass
class Race:
    """Both frameworks on the same minibatches, and the iteration's products with numpy and torch.mm."""

    cfg: object
    gan: GAN
    tgan: TorchGAN
    batches: list
    tbatches: list
    gemms: list
    np_gemms: NumpyGemms
    th_gemms: TorchGemms
    rep: tuple  # (a, b, a_torch, b_torch): the representative 256x784x512 product

    @property
    def m(self) -> int:
        return self.cfg.batch_size

    def run_ganlib(self, n: int) -> tuple[float, float]:
        t0, c0 = pc(), time.process_time()
        for i in range(n):
            self.gan.train_iteration([self.batches[i % len(self.batches)]])
        return pc() - t0, time.process_time() - c0

    def run_torch(self, n: int) -> tuple[float, float]:
        t0, c0 = pc(), time.process_time()
        for i in range(n):
            self.tgan.iteration(self.tbatches[i % len(self.tbatches)])
        return pc() - t0, time.process_time() - c0


def describe_environment() -> str:
    """Print Python, numpy, the CPU and numpy's BLAS (before torch is imported); returns the kernel."""
    print("== environment")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
        f"CPU: {harness.cpu_model()}, os.cpu_count()={os.cpu_count()}, affinity={harness.cores()}"
    )
    for line in harness.openblas_variables():
        print(f"  {line}")
    pools = harness.blas_pools()
    for pool in pools:
        print(f"  numpy BLAS: {harness.describe_pool(pool)}")
    if not pools:
        print("  numpy BLAS: not found by threadpoolctl")
    kernel = harness.blas_kernel()
    print(f"  numpy BLAS kernel that runs: {kernel}")
    return kernel


def start_torch(threads: int):
    """Import torch with the same threads as numpy's BLAS and print its set-up."""
    torch = harness.require_torch()
    note = harness.limit_torch_threads(torch, threads)
    torch.manual_seed(0)
    mkl = "MKL" if torch.backends.mkl.is_available() else "no MKL"
    print(
        f"torch {torch.__version__} ({mkl}, mkldnn={torch.backends.mkldnn.is_available()}), "
        f"threads={torch.get_num_threads()}, interop={torch.get_num_interop_threads()}{f' ({note})' if note else ''}"
    )
    print(
        f"threads used: numpy BLAS {harness.blas_threads()}, torch {torch.get_num_threads()}; "
        f"load average at start: {harness.loadavg()}"
    )
    return torch


def prepare(s: Settings, torch) -> tuple[Race, np.ndarray]:
    """The reference GAN in both frameworks, the minibatches and the product lists; returns them and X."""
    cfg = CONFIGS["reference"]
    for d in check_reference(cfg):
        print(f"  WARNING: CONFIGS['reference'] differs from the benchmark's reference: {d}")
    m = cfg.batch_size
    t = pc()
    X = to_tanh_range(load_mnist("train")[0])
    print(f"MNIST train {X.shape} {X.dtype} loaded in {pc() - t:.1f} s (not timed below)")
    order = np.random.default_rng(123).permutation(len(X))
    n_batches = min(max(s.iterations, s.warmup, s.phase_repeats), len(X) // m)
    batches = [np.ascontiguousarray(X[np.sort(order[i * m : (i + 1) * m])]) for i in range(n_batches)]
    gan = GAN(cfg)
    gemms = gemm_list(cfg)
    rng = np.random.default_rng(1)
    rep_a = rng.standard_normal((2 * m, 784), dtype=np.float32)
    rep_b = rng.standard_normal((784, 512), dtype=np.float32)
    race = Race(
        cfg=cfg,
        gan=gan,
        tgan=TorchGAN(cfg, gan, torch),
        batches=batches,
        tbatches=[torch.from_numpy(b) for b in batches],  # shares memory: the same data for both
        gemms=gemms,
        np_gemms=NumpyGemms(gemms, np.random.default_rng(0)),
        th_gemms=TorchGemms(gemms, torch),
        rep=(rep_a, rep_b, torch.from_numpy(rep_a), torch.from_numpy(rep_b)),
    )
    return race, X


def run_rounds(race: Race, s: Settings, torch) -> dict:
    """Warm up, then alternate ganlib and torch in ABBA rounds, with the products measured in every round."""
    print(f"\n== warm-up: {s.warmup} iterations each")
    race.run_ganlib(s.warmup)
    race.run_torch(s.warmup)
    race.np_gemms.run()
    race.th_gemms.run()
    print(f"== {s.rounds} rounds x {s.iterations} iterations (batch {race.m}), alternating ganlib / torch")
    r = {"sps": {"ganlib": [], "torch": []}, "cpu_ms": {"ganlib": [], "torch": []}}
    r.update(gemm_np=[], gemm_th=[], rep_np=[], rep_th=[])

    def one(name, run):
        def go():
            dt, cpu = run(s.iterations)
            r["sps"][name].append(s.iterations * race.m / dt)
            r["cpu_ms"][name].append(1e3 * cpu / s.iterations)  # all threads, including spin-waiting

        return go

    def after_round(i, _):
        tn, tt = [], []
        for _ in range(s.gemm_repeats):
            tn.append(sum(race.np_gemms.run()))
            tt.append(sum(race.th_gemms.run()))
        r["gemm_np"].append(statistics.median(tn))
        r["gemm_th"].append(statistics.median(tt))
        a, b, at, bt = race.rep
        r["rep_np"].append(representative_gflops(a, b, 2 * s.gemm_repeats, np.matmul))
        r["rep_th"].append(representative_gflops(at, bt, 2 * s.gemm_repeats, torch.mm))
        g, t = r["sps"]["ganlib"][-1], r["sps"]["torch"][-1]
        print(
            f"  round {i + 1}: ganlib {g:8.1f} samples/s, torch {t:8.1f} samples/s, ratio {g / t:.2f}; "
            f"sgemm 256x784x512 numpy {r['rep_np'][-1]:.1f} GFLOP/s, torch {r['rep_th'][-1]:.1f} GFLOP/s; "
            f"load {harness.loadavg()}"
        )

    harness.interleaved(
        {"ganlib": one("ganlib", race.run_ganlib), "torch": one("torch", race.run_torch)}, s.rounds, after_round
    )
    return r


def report_throughput(race: Race, r: dict) -> float:
    """The medians over rounds, their ratio (the headline) and a warning if the run was noisy."""
    sps, m = r["sps"], race.m
    med_g, med_t = statistics.median(sps["ganlib"]), statistics.median(sps["torch"])
    ratio = med_g / med_t
    paired = [g / t for g, t in zip(sps["ganlib"], sps["torch"])]
    print("\n== throughput (samples/s = real images consumed per second)")
    for name, med in (("ganlib", med_g), ("torch", med_t)):
        print(
            f"  {name:<6}: {harness.describe_spread(sps[name])}   ({1e3 * m / med:.1f} ms/iteration, "
            f"CPU {statistics.median(r['cpu_ms'][name]):.1f} ms/iteration over all threads)"
        )
    print(
        f"  ratio ganlib/torch (ratio of medians): {ratio:.3f}; per-round ratios: "
        f"{', '.join(f'{x:.2f}' for x in paired)} (median {statistics.median(paired):.3f})"
    )
    noisy = []
    if max(max(v) - min(v) for v in sps.values()) > 0.10 * min(med_g, med_t):
        noisy.append("the spread over rounds exceeds 10%")
    if harness.busy():
        noisy.append(f"the load average {harness.load_average()[0]:.1f} exceeds the {harness.cores()} cores")
    if noisy:
        print(f"  WARNING: noisy measurement ({'; '.join(noisy)}): repeat, raise --rounds, or try --threads 1")
    return ratio


def report_gemm_limit(race: Race, r: dict) -> None:
    """How close each framework comes to the time of its matrix products alone."""
    m, flops = race.m, gemm_flops(race.gemms)
    med_g, med_t = statistics.median(r["sps"]["ganlib"]), statistics.median(r["sps"]["torch"])
    rep_gf = statistics.median(r["rep_np"])
    list_ms, list_th_ms = 1e3 * statistics.median(r["gemm_np"]), 1e3 * statistics.median(r["gemm_th"])
    limit_rep_ms = flops / rep_gf / 1e6
    print("\n== GEMM-bound limit")
    print(
        f"  one iteration = {len(race.gemms)} matrix products, {flops / 1e9:.3f} GFLOP "
        f"({flops / m / 1e6:.2f} MFLOP per real image)"
    )
    print(
        f"  numpy sgemm 256x784x512: {rep_gf:.1f} GFLOP/s (median over rounds; "
        f"torch.mm {statistics.median(r['rep_th']):.1f})"
    )
    limit = m / limit_rep_ms * 1e3
    print(
        f"  at that throughput GEMMs alone take {limit_rep_ms:.1f} ms/iteration -> limit "
        f"{limit:.0f} samples/s; ganlib reaches {med_g / limit:.1%} of it, torch {med_t / limit:.1%}"
    )
    print(
        f"  the iteration's own products, timed one by one: numpy {list_ms:.1f} ms "
        f"({flops / list_ms / 1e6:.1f} GFLOP/s) -> limit {m / list_ms * 1e3:.0f} samples/s, ganlib at "
        f"{med_g / (m / list_ms * 1e3):.1%}; torch.mm {list_th_ms:.1f} ms ({flops / list_th_ms / 1e6:.1f} GFLOP/s)"
    )
    fractions = [g / (m / t) for g, t in zip(r["sps"]["ganlib"], r["gemm_np"])]
    print(f"  ganlib fraction of the own-products limit, per round: {', '.join(f'{x:.0%}' for x in fractions)}")
    print(
        f"  time outside the products: ganlib {1e3 * m / med_g - list_ms:.1f} ms/iteration "
        f"({1 - list_ms / (1e3 * m / med_g):.0%}), torch {1e3 * m / med_t - list_th_ms:.1f} ms/iteration "
        f"({1 - list_th_ms / (1e3 * m / med_t):.0%}) (vs its own torch.mm time)"
    )


def measure_phases(race: Race, repeats: int) -> dict:
    """Each framework's phases, its whole iteration, and the products alone, in the same loop (the same load)."""
    timer = PhaseTimer(race.gan)
    torch_phases, full_g, full_t, gemm_np, gemm_th = {}, [], [], [], []
    for i in range(repeats):
        b, tb = race.batches[i % len(race.batches)], race.tbatches[i % len(race.tbatches)]
        timer.iteration([b])
        t0 = pc()
        race.gan.train_iteration([b])
        full_g.append(pc() - t0)
        race.tgan.phased_iteration(tb, torch_phases)
        t0 = pc()
        race.tgan.iteration(tb)
        full_t.append(pc() - t0)
        gemm_np.append(race.np_gemms.run())
        gemm_th.append(race.th_gemms.run())
    return {
        "ganlib": {k: 1e3 * v for k, v in timer.medians().items()},
        "torch": {k: 1e3 * statistics.median(v) for k, v in torch_phases.items()},
        "gemm_np": by_phase(race.gemms, np.median(np.array(gemm_np), axis=0) * 1e3),
        "gemm_th": by_phase(race.gemms, np.median(np.array(gemm_th), axis=0) * 1e3),
        "whole_ganlib": 1e3 * statistics.median(full_g),
        "whole_torch": 1e3 * statistics.median(full_t),
    }


def report_phases(p: dict, repeats: int) -> None:
    print(f"\n== per-phase breakdown of one iteration (median over {repeats} iterations, ms)")
    hdr = f"  {'phase':<28}{'ganlib':>9}{'numpy GEMM':>12}{'non-GEMM':>10}{'torch':>9}{'torch.mm':>10}"
    print(hdr)
    print("  " + "-" * (len(hdr) - 2))
    sums = [0.0, 0.0, 0.0, 0.0]
    for name in [x for x in PHASES if x in p["ganlib"] or x in p["torch"]]:
        g, th = p["ganlib"].get(name, 0.0), p["torch"].get(name, 0.0)
        ge, gt = p["gemm_np"].get(name, 0.0), p["gemm_th"].get(name, 0.0)
        sums = [sums[0] + g, sums[1] + ge, sums[2] + th, sums[3] + gt]
        gtxt = f"{ge:12.2f}" if name in p["gemm_np"] else f"{'':>12}"
        ttxt = f"{gt:10.2f}" if name in p["gemm_np"] else f"{'':>10}"
        print(f"  {name:<28}{g:9.2f}{gtxt}{g - ge:10.2f}{th:9.2f}{ttxt}")
    print("  " + "-" * (len(hdr) - 2))
    print(f"  {'sum of phases':<28}{sums[0]:9.2f}{sums[1]:12.2f}{sums[0] - sums[1]:10.2f}{sums[2]:9.2f}{sums[3]:10.2f}")
    print(f"  {'whole iteration (measured)':<28}{p['whole_ganlib']:9.2f}{'':>22}{p['whole_torch']:9.2f}")
    print(
        "  ganlib = GAN.train_iteration itself, its parts timed as it runs (benchmarks.speed.iteration.PhaseTimer);\n"
        "  numpy GEMM = the phase's matrix products alone (layouts as in ganlib's Dense); non-GEMM = ganlib - numpy\n"
        "  GEMM; torch = the same phases of the PyTorch loop (its G-step backward split with autograd.grad); torch.mm =\n"
        "  the phase's products with torch.mm. Forward rows include the bias add and activations; backward rows the\n"
        "  activation derivatives and bias gradients; joining the real and fake batches is in 'other'."
    )


def report_memory(race: Race, s: Settings, threads: int, n_images: int) -> None:
    print("\n== memory")
    print(f"  this process (ganlib + torch + data): peak RSS {harness.peak_rss_mb():.0f} MB")
    if not s.memory_epoch:
        print("  memory epoch skipped (--no-memory-epoch or --quick)")
        return
    print(
        f"  one epoch of ganlib alone in a subprocess ({n_images // race.m} iterations, {threads} BLAS thread(s))...",
        flush=True,
    )
    res = run_memory_epoch(threads)
    if res:
        verdict = "OK" if res["peak_rss_mb"] < MEMORY_GOAL_MB else f"ABOVE the {MEMORY_GOAL_MB} MB goal"
        print(
            f"  subprocess peak RSS {res['peak_rss_mb']:.0f} MB ({verdict}); RSS at start "
            f"{res['rss_start_mb']:.0f} MB, after loading MNIST {res['rss_after_data_mb']:.0f} MB, at end "
            f"{res['rss_end_mb']:.0f} MB; {res['iterations']} iterations in {res['seconds']:.1f} s = "
            f"{res['images'] / res['seconds']:.0f} samples/s (gan.train, incl. batch gathering); "
            f"torch imported: {res['torch_imported']}"
        )


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--iterations", type=int, default=None, help="iterations per round and framework (default 100)")
    p.add_argument("--rounds", type=int, default=None, help="alternating rounds (default 5)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up iterations of each (default 15)")
    p.add_argument("--phase-repeats", type=int, default=None, help="iterations timed phase by phase (default 60)")
    harness.add_common_arguments(
        p, threads_for=" and torch", quick="2 rounds x 5 iterations, 4 phase repeats, no memory epoch"
    )
    p.add_argument(
        "--memory-epoch",
        dest="memory_epoch",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="train one epoch in a subprocess and report its peak RSS (default: on unless --quick)",
    )
    p.add_argument("--_memory-child", dest="memory_child", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None) -> int:
    a = parse_args(argv)
    if a.memory_child:
        memory_child(a.threads or harness.blas_threads())
        return 0
    s, t_start = Settings.from_args(a), pc()
    kernel = describe_environment()  # numpy's BLAS, before torch is imported
    threads = harness.limit_threads(s.threads)
    torch = start_torch(threads)
    race, X = prepare(s, torch)
    rounds = run_rounds(race, s, torch)
    ratio = report_throughput(race, rounds)
    report_gemm_limit(race, rounds)
    try:
        report_phases(measure_phases(race, s.phase_repeats), s.phase_repeats)
    except Exception as exc:  # never lose the main result to the breakdown
        print(f"  breakdown unavailable: {type(exc).__name__}: {exc}")
    report_memory(race, s, threads, len(X))
    print(
        f"\nkernel {kernel}, {threads} thread(s), OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}, "
        f"load average at end {harness.loadavg()}, total {pc() - t_start:.0f} s"
    )
    print(harness.machine_line(torch))
    print(f"ratio_vs_torch={ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
