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
  with the GEMM-only time of each phase);
* peak RSS of this process, and of a subprocess that trains ganlib alone for
  one full MNIST epoch (50,000 images, 390 iterations; ``--memory-epoch``).

The LAST line of output is ``ratio_vs_torch=X.XX``: ganlib samples/s divided by
PyTorch samples/s (medians over rounds); > 1 means ganlib is faster.

Usage
-----
::

    python benchmarks/bench_train.py                      # full run (1-2 min on 2 idle cores, estimated)
    python benchmarks/bench_train.py --quick              # smoke test, a few seconds
    python benchmarks/bench_train.py --rounds 7 --iterations 150 --threads 2
    # As on a user's machine, without the OpenBLAS kernel overrides of this environment:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_train.py

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
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from benchmarks.harness import REPO, cpu_model, loadavg
from ganlib.data.mnist import load_mnist, to_tanh_range
from ganlib.gan import CONFIGS, GAN

pc = time.perf_counter


# --------------------------------------------------------------------------- helpers


def peak_rss_mb(who=resource.RUSAGE_SELF) -> float:
    r = resource.getrusage(who).ru_maxrss
    return r / 2**20 if platform.system() == "Darwin" else r / 1024  # bytes on macOS, KiB on Linux


def vm_hwm_mb() -> float:
    """Peak RSS of this process image, from /proc/self/status (Linux), else ru_maxrss.

    A child's ru_maxrss on Linux starts from the parent's peak (it is carried across
    fork and exec), so a subprocess measures its own peak with VmHWM, which exec resets.
    """
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


def blas_info():
    from threadpoolctl import threadpool_info

    return [i for i in threadpool_info() if i.get("user_api") == "blas"]


def numpy_blas_threads() -> int:
    info = blas_info()
    return int(info[0]["num_threads"]) if info else 1


def describe_pool(i: dict) -> str:
    keys = ("internal_api", "prefix", "version", "architecture", "threading_layer", "num_threads")
    return ", ".join(f"{k}={i.get(k)}" for k in keys if k in i)


def spread(values) -> str:
    med = statistics.median(values)
    return (
        f"median {med:8.1f}  min {min(values):8.1f}  max {max(values):8.1f}  "
        f"(max-min)/median {100 * (max(values) - min(values)) / med:5.1f}%"
    )


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


# --------------------------------------------------------------------------- GEMM accounting


def gemm_list(cfg):
    """Every matrix product of one training iteration as (phase, kind, M, K, N); FLOPs = 2*M*K*N.

    kind "fwd": out(M,N) = x(M,K) @ W(K,N); "dW": dW(K,N) = x.T @ dout; "dx": dx(M,K) = dout(M,N) @ W.T.
    Only gradients that are needed: no dx for G's first layer (z is not trained) nor for
    D's first layer in the D step (the images are data), no D weight gradients in the G step.
    """
    m = cfg.batch_size
    g = [cfg.latent_dim, *cfg.g_hidden, cfg.data_dim]
    d = [cfg.data_dim, *cfg.d_hidden, 1]
    g_layers, d_layers = list(zip(g[:-1], g[1:])), list(zip(d[:-1], d[1:]))
    out = []
    out += [("D step: G forward", "fwd", m, k, n) for k, n in g_layers]
    out += [("D step: D forward (2m)", "fwd", 2 * m, k, n) for k, n in d_layers]
    out += [("D step: D backward", "dW", 2 * m, k, n) for k, n in d_layers]
    out += [("D step: D backward", "dx", 2 * m, k, n) for k, n in d_layers[1:]]
    out += [("G step: G forward", "fwd", m, k, n) for k, n in g_layers]
    out += [("G step: D forward", "fwd", m, k, n) for k, n in d_layers]
    out += [("G step: D backward (dx)", "dx", m, k, n) for k, n in d_layers]
    out += [("G step: G backward", "dW", m, k, n) for k, n in g_layers]
    out += [("G step: G backward", "dx", m, k, n) for k, n in g_layers[1:]]
    return out


def gemm_flops(gemms) -> int:
    return sum(2 * M * K * N for _, _, M, K, N in gemms)


class NumpyGemms:
    """The iteration's products with numpy, in the layouts ganlib's Dense uses."""

    def __init__(self, gemms, rng):
        self.calls = []
        for _, kind, M, K, N in gemms:
            x = rng.standard_normal((M, K), dtype=np.float32)
            W = rng.standard_normal((K, N), dtype=np.float32) * 0.05
            dout = rng.standard_normal((M, N), dtype=np.float32)
            if kind == "fwd":
                self.calls.append(lambda x=x, W=W: x @ W)
            elif kind == "dW":
                gW = np.empty((K, N), np.float32)
                self.calls.append(lambda x=x, dout=dout, gW=gW: np.matmul(x.T, dout, out=gW))
            else:
                self.calls.append(lambda dout=dout, W=W: dout @ W.T)

    def run(self) -> list[float]:
        times = []
        for call in self.calls:
            t = pc()
            call()
            times.append(pc() - t)  # noqa: E702
        return times


class TorchGemms:
    """The same products with torch.mm, in the layouts nn.Linear's autograd uses (W stored (N, K))."""

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
            times.append(pc() - t)  # noqa: E702
        return times


def representative_gflops(a, b, reps: int, mm) -> float:
    """Median sgemm GFLOP/s of a @ b over reps calls."""
    flops = 2 * a.shape[0] * a.shape[1] * b.shape[1]
    times = []
    for _ in range(reps):
        t = pc()
        mm(a, b)
        times.append(pc() - t)  # noqa: E702
    return flops / statistics.median(times) / 1e9


# --------------------------------------------------------------------------- PyTorch model


class TorchGAN:
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

    def phased_iteration(self, real, t: dict):
        """The same iteration, split into timed phases (the G step's backward split with autograd.grad)."""
        torch, m = self.torch, self.m
        t0 = pc()
        z = torch.randn(m, self.cfg.latent_dim)
        t1 = pc()  # noqa: E702
        fake = self.G(z).detach()
        t2 = pc()  # noqa: E702
        logits = self.D(torch.cat([real, fake]))
        t3 = pc()  # noqa: E702
        loss_d = self.bce(logits[:m], self.ones) + self.bce(logits[m:], self.zeros)
        t4 = pc()  # noqa: E702
        self.opt_D.zero_grad(set_to_none=True)
        loss_d.backward()
        t5 = pc()  # noqa: E702
        self.opt_D.step()
        t6 = pc()  # noqa: E702
        torch.sigmoid(logits[:m]).mean().item()
        torch.sigmoid(logits[m:]).mean().item()  # noqa: E702
        loss_d.item()
        t7 = pc()  # noqa: E702
        self._set_d_trainable(False)
        z = torch.randn(m, self.cfg.latent_dim)
        t8 = pc()  # noqa: E702
        fake = self.G(z)
        t9 = pc()  # noqa: E702
        lf = self.D(fake)
        t10 = pc()  # noqa: E702
        loss_g = self.bce(lf, self.ones_g)
        t11 = pc()  # noqa: E702
        self.opt_G.zero_grad(set_to_none=True)
        (dfake,) = torch.autograd.grad(loss_g, fake, retain_graph=False)
        t12 = pc()  # noqa: E702
        fake.backward(dfake)
        t13 = pc()  # noqa: E702
        self.opt_G.step()
        t14 = pc()  # noqa: E702
        self._set_d_trainable(True)
        loss_g.item()
        t15 = pc()  # noqa: E702
        add_phases(
            t,
            [
                (t1 - t0) + (t8 - t7),
                t2 - t1,
                t3 - t2,
                t4 - t3,
                t5 - t4,
                t6 - t5,
                t9 - t8,
                t10 - t9,
                t11 - t10,
                t12 - t11,
                t13 - t12,
                t14 - t13,
                (t7 - t6) + (t15 - t14),
            ],
        )
        return t15 - t0


# --------------------------------------------------------------------------- ganlib phases

PHASES = [
    "sample z (both steps)",
    "D step: G forward",
    "D step: D forward (2m)",
    "D step: loss",
    "D step: D backward",
    "D step: Adam D",
    "G step: G forward",
    "G step: D forward",
    "G step: loss",
    "G step: D backward (dx)",
    "G step: G backward",
    "G step: Adam G",
    "other (means, bookkeeping)",
]


def add_phases(t: dict, values):
    for name, v in zip(PHASES, values):
        t.setdefault(name, []).append(v)


def ganlib_phased_iteration(gan, x_real, t: dict):
    """GAN.discriminator_step + GAN.generator_step of ganlib/gan.py, split into timed phases.

    Uses only GAN's public parts (G, D, opt_G, opt_D, sample_latent, the losses). If gan.py's step
    changes, compare "sum of phases" with the measured train_iteration row of the table.
    """
    from ganlib.layers import sigmoid
    from ganlib.losses import discriminator_loss, generator_loss

    cfg, m = gan.config, len(x_real)
    t0 = pc()
    z = gan.sample_latent(m)
    t1 = pc()  # noqa: E702
    x_fake = gan.G.forward(z)
    t2 = pc()  # noqa: E702
    logits = gan.D.forward(np.concatenate([x_real, x_fake]))
    t3 = pc()  # noqa: E702
    loss, d_real, d_fake = discriminator_loss(logits[:m], logits[m:], cfg.real_label)
    t4 = pc()  # noqa: E702
    gan.D.backward(np.concatenate([d_real, d_fake]), need_dx=False)
    t5 = pc()  # noqa: E702
    gan.opt_D.step()
    t6 = pc()  # noqa: E702
    float(sigmoid(logits[:m]).mean())
    float(sigmoid(logits[m:]).mean())
    np.isfinite(loss)
    t7 = pc()  # noqa: E702
    z = gan.sample_latent(m)
    t8 = pc()  # noqa: E702
    x_fake = gan.G.forward(z)
    t9 = pc()  # noqa: E702
    lf = gan.D.forward(x_fake)
    t10 = pc()  # noqa: E702
    loss_g, dlogits = generator_loss(lf, cfg.generator_loss)
    t11 = pc()  # noqa: E702
    dx_fake = gan.D.backward(dlogits, need_param_grads=False)
    t12 = pc()  # noqa: E702
    gan.G.backward(dx_fake, need_dx=False)
    t13 = pc()  # noqa: E702
    gan.opt_G.step()
    t14 = pc()  # noqa: E702
    gan.iteration += 1
    np.isfinite(loss_g)
    t15 = pc()  # noqa: E702
    add_phases(
        t,
        [
            (t1 - t0) + (t8 - t7),
            t2 - t1,
            t3 - t2,
            t4 - t3,
            t5 - t4,
            t6 - t5,
            t9 - t8,
            t10 - t9,
            t11 - t10,
            t12 - t11,
            t13 - t12,
            t14 - t13,
            (t7 - t6) + (t15 - t14),
        ],
    )
    return t15 - t0


# --------------------------------------------------------------------------- memory epoch (subprocess)


def memory_child(threads: int) -> None:
    """Train ganlib alone for one epoch; print one JSON line with its peak RSS and timing."""
    from threadpoolctl import threadpool_limits

    limiter = threadpool_limits(limits=threads, user_api="blas")  # noqa: F841  (kept alive)
    rss_start = current_rss_mb()
    X = to_tanh_range(load_mnist("train")[0])
    rss_data = current_rss_mb()
    gan = GAN(CONFIGS["reference"])
    t = pc()
    history = gan.train(X, epochs=1)
    elapsed = pc() - t
    print(
        "MEMORY_CHILD "
        + json.dumps(
            {
                "peak_rss_mb": vm_hwm_mb(),
                "ru_maxrss_mb": peak_rss_mb(),
                "rss_start_mb": rss_start,
                "rss_after_data_mb": rss_data,
                "rss_end_mb": current_rss_mb(),
                "iterations": len(history),
                "seconds": elapsed,
                "images": len(history) * gan.config.batch_size,
                "torch_imported": "torch" in sys.modules,
            }
        ),
        flush=True,
    )


def run_memory_epoch(threads: int) -> dict | None:
    cmd = [sys.executable, "-m", "benchmarks.speed.train", "--_memory-child", "--threads", str(threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    for line in proc.stdout.splitlines():
        if line.startswith("MEMORY_CHILD "):
            return json.loads(line[len("MEMORY_CHILD ") :])
    print(f"  memory epoch subprocess failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return None


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--iterations", type=int, default=None, help="iterations per round and framework (default 100)")
    p.add_argument("--rounds", type=int, default=None, help="alternating rounds (default 5)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up iterations of each (default 15)")
    p.add_argument("--phase-repeats", type=int, default=None, help="iterations timed phase by phase (default 60)")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for numpy's BLAS and torch (default: what numpy's BLAS uses now)",
    )
    p.add_argument("--quick", action="store_true", help="tiny run for smoke testing (no memory epoch)")
    p.add_argument(
        "--memory-epoch",
        dest="memory_epoch",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="train one epoch in a subprocess and report its peak RSS (default: on unless --quick)",
    )
    p.add_argument("--_memory-child", dest="memory_child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)

    if a.memory_child:
        memory_child(a.threads or numpy_blas_threads())
        return 0

    q = a.quick
    iterations = a.iterations or (5 if q else 100)
    rounds = a.rounds or (2 if q else 5)
    warmup = a.warmup if a.warmup is not None else (2 if q else 15)
    phase_reps = a.phase_repeats or (4 if q else 60)
    gemm_reps = 2 if q else 10
    memory_epoch = (not q) if a.memory_epoch is None else a.memory_epoch
    t_start = pc()

    # ---- environment (numpy's BLAS is described before torch is imported) ----
    print("== environment")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
        f"CPU: {cpu_model()}, os.cpu_count()={os.cpu_count()}, "
        f"affinity={len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else 'n/a'}"
    )
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        print(f"  {var}={os.environ[var]!r}" if var in os.environ else f"  {var} unset")
    pools = blas_info()
    for i in pools:
        print(f"  numpy BLAS: {describe_pool(i)}")
    if not pools:
        print("  numpy BLAS: not found by threadpoolctl")
    kernel = pools[0].get("architecture", "unknown") if pools else "unknown"
    print(f"  numpy BLAS kernel that runs: {kernel}")

    from threadpoolctl import threadpool_limits

    threads = a.threads or numpy_blas_threads()
    limiter = threadpool_limits(limits=threads, user_api="blas")  # noqa: F841  (kept alive for the run)

    import torch

    try:
        torch.set_num_interop_threads(1)
        interop_note = ""
    except RuntimeError as exc:
        interop_note = f" (set_num_interop_threads(1) refused: {exc})"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    mkl = "MKL" if torch.backends.mkl.is_available() else "no MKL"
    print(
        f"torch {torch.__version__} ({mkl}, mkldnn={torch.backends.mkldnn.is_available()}), "
        f"threads={torch.get_num_threads()}, interop={torch.get_num_interop_threads()}{interop_note}"
    )
    print(
        f"threads used: numpy BLAS {numpy_blas_threads()}, torch {torch.get_num_threads()}; "
        f"load average at start: {loadavg()}"
    )

    # ---- data and models ----
    cfg = CONFIGS["reference"]
    for d in check_reference(cfg):
        print(f"  WARNING: CONFIGS['reference'] differs from the benchmark's reference: {d}")
    m = cfg.batch_size
    t = pc()
    X = to_tanh_range(load_mnist("train")[0])
    print(f"MNIST train {X.shape} {X.dtype} loaded in {pc() - t:.1f} s (not timed below)")
    order = np.random.default_rng(123).permutation(len(X))
    n_batches = min(max(iterations, warmup, phase_reps), len(X) // m)
    batches = [np.ascontiguousarray(X[np.sort(order[i * m : (i + 1) * m])]) for i in range(n_batches)]
    tbatches = [torch.from_numpy(b) for b in batches]  # shares memory: the same data for both

    gan = GAN(cfg)
    tgan = TorchGAN(cfg, gan, torch)

    def run_ganlib(n):
        t0, c0 = pc(), time.process_time()
        for i in range(n):
            gan.train_iteration([batches[i % n_batches]])
        return pc() - t0, time.process_time() - c0

    def run_torch(n):
        t0, c0 = pc(), time.process_time()
        for i in range(n):
            tgan.iteration(tbatches[i % n_batches])
        return pc() - t0, time.process_time() - c0

    gemms = gemm_list(cfg)
    flops = gemm_flops(gemms)
    np_gemms = NumpyGemms(gemms, np.random.default_rng(0))
    th_gemms = TorchGemms(gemms, torch)
    rng = np.random.default_rng(1)
    rep_a = rng.standard_normal((2 * m, 784), dtype=np.float32)
    rep_b = rng.standard_normal((784, 512), dtype=np.float32)
    rep_at, rep_bt = torch.from_numpy(rep_a), torch.from_numpy(rep_b)

    print(f"\n== warm-up: {warmup} iterations each")
    run_ganlib(warmup)
    run_torch(warmup)  # noqa: E702
    np_gemms.run()
    th_gemms.run()  # noqa: E702

    # ---- alternating rounds ----
    print(f"== {rounds} rounds x {iterations} iterations (batch {m}), alternating ganlib / torch")
    sps = {"ganlib": [], "torch": []}
    cpu_ms = {"ganlib": [], "torch": []}  # CPU time of all threads per iteration (includes spin-waiting)
    gemm_np_round, gemm_th_round, rep_np_round, rep_th_round = [], [], [], []
    for r in range(rounds):
        pair = ("ganlib", "torch") if r % 2 == 0 else ("torch", "ganlib")
        for name in pair:
            dt, cpu = run_ganlib(iterations) if name == "ganlib" else run_torch(iterations)
            sps[name].append(iterations * m / dt)
            cpu_ms[name].append(1e3 * cpu / iterations)
        tn, tt = [], []
        for _ in range(gemm_reps):
            a_ = np_gemms.run()
            b_ = th_gemms.run()  # noqa: E702
            tn.append(sum(a_))
            tt.append(sum(b_))  # noqa: E702
        gemm_np_round.append(statistics.median(tn))
        gemm_th_round.append(statistics.median(tt))
        rep_np_round.append(representative_gflops(rep_a, rep_b, 2 * gemm_reps, np.matmul))
        rep_th_round.append(representative_gflops(rep_at, rep_bt, 2 * gemm_reps, torch.mm))
        print(
            f"  round {r + 1}: ganlib {sps['ganlib'][-1]:8.1f} samples/s, torch {sps['torch'][-1]:8.1f} samples/s, "
            f"ratio {sps['ganlib'][-1] / sps['torch'][-1]:.2f}; sgemm 256x784x512 numpy {rep_np_round[-1]:.1f} "
            f"GFLOP/s, torch {rep_th_round[-1]:.1f} GFLOP/s; load {loadavg()}"
        )

    med_g, med_t = statistics.median(sps["ganlib"]), statistics.median(sps["torch"])
    ratio = med_g / med_t
    paired = [g / t for g, t in zip(sps["ganlib"], sps["torch"])]
    print("\n== throughput (samples/s = real images consumed per second)")
    for name, med in (("ganlib", med_g), ("torch", med_t)):
        print(
            f"  {name:<6}: {spread(sps[name])}   ({1e3 * m / med:.1f} ms/iteration, "
            f"CPU {statistics.median(cpu_ms[name]):.1f} ms/iteration over all threads)"
        )
    print(
        f"  ratio ganlib/torch (ratio of medians): {ratio:.3f}; per-round ratios: "
        f"{', '.join(f'{x:.2f}' for x in paired)} (median {statistics.median(paired):.3f})"
    )
    noisy = []
    if max(max(v) - min(v) for v in sps.values()) > 0.10 * min(med_g, med_t):
        noisy.append("the spread over rounds exceeds 10%")
    try:
        if os.getloadavg()[0] > (os.cpu_count() or 1):
            noisy.append(f"the load average {os.getloadavg()[0]:.1f} exceeds the {os.cpu_count()} cores")
    except OSError:
        pass
    if noisy:
        print(f"  WARNING: noisy measurement ({'; '.join(noisy)}): repeat, raise --rounds, or try --threads 1")

    # ---- GEMM-bound limit ----
    rep_gf = statistics.median(rep_np_round)
    list_ms = 1e3 * statistics.median(gemm_np_round)
    list_th_ms = 1e3 * statistics.median(gemm_th_round)
    limit_rep_ms = flops / rep_gf / 1e6
    print("\n== GEMM-bound limit")
    print(
        f"  one iteration = {len(gemms)} matrix products, {flops / 1e9:.3f} GFLOP "
        f"({flops / m / 1e6:.2f} MFLOP per real image)"
    )
    print(
        f"  numpy sgemm 256x784x512: {rep_gf:.1f} GFLOP/s (median over rounds; "
        f"torch.mm {statistics.median(rep_th_round):.1f})"
    )
    print(
        f"  at that throughput GEMMs alone take {limit_rep_ms:.1f} ms/iteration -> limit "
        f"{m / limit_rep_ms * 1e3:.0f} samples/s; ganlib reaches {med_g / (m / limit_rep_ms * 1e3):.1%} "
        f"of it, torch {med_t / (m / limit_rep_ms * 1e3):.1%}"
    )
    print(
        f"  the iteration's own products, timed one by one: numpy {list_ms:.1f} ms "
        f"({flops / list_ms / 1e6:.1f} GFLOP/s) -> limit {m / list_ms * 1e3:.0f} samples/s, ganlib at "
        f"{med_g / (m / list_ms * 1e3):.1%}; torch.mm {list_th_ms:.1f} ms ({flops / list_th_ms / 1e6:.1f} GFLOP/s)"
    )
    frac_rounds = [sps["ganlib"][i] / (m / gemm_np_round[i]) for i in range(rounds)]
    print(f"  ganlib fraction of the own-products limit, per round: {', '.join(f'{x:.0%}' for x in frac_rounds)}")
    print(
        f"  time outside the products: ganlib {1e3 * m / med_g - list_ms:.1f} ms/iteration "
        f"({1 - list_ms / (1e3 * m / med_g):.0%}), torch {1e3 * m / med_t - list_th_ms:.1f} ms/iteration "
        f"({1 - list_th_ms / (1e3 * m / med_t):.0%}) (vs its own torch.mm time)"
    )

    # ---- per-phase breakdown ----
    print(f"\n== per-phase breakdown of one iteration (median over {phase_reps} iterations, ms)")
    tg, tt_, full_g, full_t, phase_gemm_np, phase_gemm_th = {}, {}, [], [], [], []
    try:
        for i in range(phase_reps):
            b, tb = batches[i % n_batches], tbatches[i % n_batches]
            ganlib_phased_iteration(gan, b, tg)
            t0 = pc()
            gan.train_iteration([b])
            full_g.append(pc() - t0)  # noqa: E702
            tgan.phased_iteration(tb, tt_)
            t0 = pc()
            tgan.iteration(tb)
            full_t.append(pc() - t0)  # noqa: E702
            phase_gemm_np.append(np_gemms.run())
            phase_gemm_th.append(th_gemms.run())  # noqa: E702
        # GEMM-only columns from the same loop, so that they see the same machine load.
        gemm_med = np.median(np.array(phase_gemm_np), axis=0) * 1e3
        gemm_th_med = np.median(np.array(phase_gemm_th), axis=0) * 1e3
        by_phase, by_phase_th = {}, {}
        for (ph, *_), v, w in zip(gemms, gemm_med, gemm_th_med):
            by_phase[ph] = by_phase.get(ph, 0.0) + v
            by_phase_th[ph] = by_phase_th.get(ph, 0.0) + w
        hdr = f"  {'phase':<28}{'ganlib':>9}{'numpy GEMM':>12}{'non-GEMM':>10}{'torch':>9}{'torch.mm':>10}"
        print(hdr)
        print("  " + "-" * (len(hdr) - 2))
        sums = [0.0, 0.0, 0.0, 0.0]
        for name in PHASES:
            g = 1e3 * statistics.median(tg[name])
            th = 1e3 * statistics.median(tt_[name])
            ge, gt = by_phase.get(name, 0.0), by_phase_th.get(name, 0.0)
            sums = [sums[0] + g, sums[1] + ge, sums[2] + th, sums[3] + gt]
            gtxt = f"{ge:12.2f}" if name in by_phase else f"{'':>12}"
            ttxt = f"{gt:10.2f}" if name in by_phase else f"{'':>10}"
            print(f"  {name:<28}{g:9.2f}{gtxt}{g - ge:10.2f}{th:9.2f}{ttxt}")
        print("  " + "-" * (len(hdr) - 2))
        print(
            f"  {'sum of phases':<28}{sums[0]:9.2f}{sums[1]:12.2f}{sums[0] - sums[1]:10.2f}{sums[2]:9.2f}{sums[3]:10.2f}"
        )
        print(
            f"  {'whole iteration (measured)':<28}{1e3 * statistics.median(full_g):9.2f}{'':>22}"
            f"{1e3 * statistics.median(full_t):9.2f}"
        )
        print(
            "  ganlib = GAN.discriminator_step/generator_step split with perf_counter; numpy GEMM = the "
            "phase's matrix products alone\n  (layouts as in ganlib's Dense); non-GEMM = ganlib - numpy GEMM; "
            "torch = the same phases of the PyTorch loop\n  (its G-step backward split with autograd.grad); "
            "torch.mm = the phase's products with torch.mm. Forward rows include the bias add\n"
            "  and activations; backward rows the activation derivatives and bias gradients."
        )
    except Exception as exc:  # the breakdown mirrors gan.py's internals; never lose the main result
        print(f"  breakdown unavailable: {type(exc).__name__}: {exc}")

    # ---- memory ----
    print("\n== memory")
    print(f"  this process (ganlib + torch + data): peak RSS {peak_rss_mb():.0f} MB")
    if memory_epoch:
        print(
            f"  one epoch of ganlib alone in a subprocess ({len(X) // m} iterations, {threads} BLAS thread(s))...",
            flush=True,
        )
        res = run_memory_epoch(threads)
        if res:
            verdict = "OK" if res["peak_rss_mb"] < 500 else "ABOVE the 500 MB goal"
            print(
                f"  subprocess peak RSS {res['peak_rss_mb']:.0f} MB ({verdict}); RSS at start "
                f"{res['rss_start_mb']:.0f} MB, after loading MNIST {res['rss_after_data_mb']:.0f} MB, at end "
                f"{res['rss_end_mb']:.0f} MB; {res['iterations']} iterations in {res['seconds']:.1f} s = "
                f"{res['images'] / res['seconds']:.0f} samples/s (gan.train, incl. batch gathering); "
                f"torch imported: {res['torch_imported']}"
            )
    else:
        print("  memory epoch skipped (--no-memory-epoch or --quick)")

    print(
        f"\nkernel {kernel}, {threads} thread(s), OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}, "
        f"load average at end {loadavg()}, total {pc() - t_start:.0f} s"
    )
    print(f"ratio_vs_torch={ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
