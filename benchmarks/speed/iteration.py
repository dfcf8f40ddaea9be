"""One training iteration of ganlib taken apart: its matrix products, and its phases timed as it runs.

A library for the speed benchmarks (``benchmarks.speed.train``, ``benchmarks.speed.profile``) and
the search's cost model (``benchmarks.experiments.search_default cost --model``), not a script.

* :func:`gemm_list` lists every matrix product of one iteration of an MLP GAN (only the
  gradients that are needed), :class:`NumpyGemms` runs them with numpy in the layouts ganlib's
  ``Dense`` uses: the GEMM-bound limit of an iteration, and each phase's share of it.
* :class:`PhaseTimer` times the phases of ganlib's **own** ``GAN.train_iteration`` (or any call
  that runs it): it wraps, for the duration of one call, the parts the iteration calls (the
  latent draws, G's and D's forward and backward passes, the losses, the optimizer steps, the
  moving average) and adds each call's time to its phase. Nothing is re-enacted, so the
  breakdown follows ``ganlib/gan.py`` wherever it goes.
"""

from __future__ import annotations

import contextlib
import statistics

import numpy as np

from benchmarks.harness import clock

#: The phases of one iteration, in the order they are printed; a phase nobody ran is left out.
PHASES = (
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
    "G step: moving average",
    "other (means, bookkeeping)",
)
OTHER = PHASES[-1]

# --------------------------------------------------------------------------- matrix products


def gemm_list(cfg) -> list[tuple[str, str, int, int, int]]:
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


def gemm_list_k(cfg) -> list[tuple[str, str, int, int, int]]:
    """:func:`gemm_list` with k D steps per iteration (k - 1 extra D steps, each with its G forward)."""
    g = gemm_list(cfg)
    d_step = [x for x in g if x[0].startswith("D step")]
    return g + d_step * (cfg.k - 1)


def gemm_flops(gemms) -> int:
    return sum(2 * M * K * N for _, _, M, K, N in gemms)


def by_phase(gemms, seconds) -> dict[str, float]:
    """The products' times (one per product, any unit) summed per phase."""
    out = {}
    for (phase, *_), t in zip(gemms, seconds):
        out[phase] = out.get(phase, 0.0) + t
    return out


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

    def run(self, timer=clock) -> list[float]:
        """Seconds of each product, run one after the other (``timer``: perf_counter, or time.thread_time)."""
        times = []
        for call in self.calls:
            t = timer()
            call()
            times.append(timer() - t)
        return times


def representative_gflops(a, b, reps: int, mm) -> float:
    """Median sgemm GFLOP/s of ``mm(a, b)`` over reps calls."""
    flops = 2 * a.shape[0] * a.shape[1] * b.shape[1]
    times = []
    for _ in range(reps):
        t = clock()
        mm(a, b)
        times.append(clock() - t)
    return flops / statistics.median(times) / 1e9


# --------------------------------------------------------------------------- phases


class PhaseTimer:
    """The phases of ganlib's own training iteration, timed while it runs.

    ``timer.run(gan.train_iteration, [x])`` (or :meth:`iteration`) runs the call with these parts
    wrapped, and unwrapped again afterwards: ``gan.sample_latent``; ``G.forward``, ``D.forward``,
    ``D.backward``, ``G.backward``; ``opt_D.step``, ``opt_G.step``; ``gan.ema.update`` if G has a
    moving average; and the loss functions of ``loss_modules`` (default ``ganlib.gan``: its
    ``discriminator_loss`` and ``generator_loss``). ``gan.discriminator_step`` and
    ``gan.generator_step`` only mark which step is running. Each wrapped call's time goes to its
    phase (:data:`PHASES`); :data:`OTHER` is the rest of the call: joining the real and fake
    batches, the means of D's outputs, the label plumbing, the counters, and the wrappers
    themselves (about a microsecond per wrapped call).

    ``times[phase]`` lists one total per run (a phase that did not run in some call gets 0 there).
    """

    def __init__(self, gan, timer=clock, loss_modules=None):
        import ganlib.gan

        self.gan, self.timer = gan, timer
        self.loss_modules = tuple(loss_modules) if loss_modules is not None else (ganlib.gan,)
        self.times: dict[str, list[float]] = {}
        self.runs = 0
        self._step, self._now = "D step", {}

    # -- wrapping
    def _timed(self, fn, phase):
        timer, now = self.timer, self._now

        def wrapper(*args, **kwargs):
            t0 = timer()
            try:
                return fn(*args, **kwargs)
            finally:
                name = phase() if callable(phase) else phase
                now[name] = now.get(name, 0.0) + timer() - t0

        return wrapper

    def _marking(self, fn, step):
        def wrapper(*args, **kwargs):
            before, self._step = self._step, step
            try:
                return fn(*args, **kwargs)
            finally:
                self._step = before

        return wrapper

    def _wrappers(self):
        """(object, attribute, wrapper) for every part of the iteration that is timed or marked."""
        gan = self.gan
        in_step = {"D step": "D step: {}", "G step": "G step: {}"}

        def phase(d_name, g_name=None):
            return lambda: in_step[self._step].format(d_name if self._step == "D step" else g_name or d_name)

        parts = [
            (gan, "discriminator_step", self._marking(gan.discriminator_step, "D step")),
            (gan, "generator_step", self._marking(gan.generator_step, "G step")),
            (gan, "sample_latent", self._timed(gan.sample_latent, PHASES[0])),
            (gan.G, "forward", self._timed(gan.G.forward, phase("G forward"))),
            (gan.D, "forward", self._timed(gan.D.forward, phase("D forward (2m)", "D forward"))),
            (gan.D, "backward", self._timed(gan.D.backward, phase("D backward", "D backward (dx)"))),
            (gan.G, "backward", self._timed(gan.G.backward, phase("G backward"))),
            (gan.opt_D, "step", self._timed(gan.opt_D.step, phase("Adam D"))),
            (gan.opt_G, "step", self._timed(gan.opt_G.step, phase("Adam G"))),
        ]
        if getattr(gan, "ema", None) is not None:
            parts.append((gan.ema, "update", self._timed(gan.ema.update, "G step: moving average")))
        for module in self.loss_modules:
            for name, label in (("discriminator_loss", "D step: loss"), ("generator_loss", "G step: loss")):
                if hasattr(module, name):
                    parts.append((module, name, self._timed(getattr(module, name), label)))
        return parts

    @contextlib.contextmanager
    def _installed(self):
        missing = object()
        saved = []
        try:
            for obj, name, wrapper in self._wrappers():
                saved.append((obj, name, vars(obj).get(name, missing)))
                setattr(obj, name, wrapper)
            yield
        finally:
            for obj, name, before in reversed(saved):
                if before is missing:
                    delattr(obj, name)  # the class's method shows through again
                else:
                    setattr(obj, name, before)

    # -- running
    def run(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` with the iteration's parts timed; returns what it returns."""
        self._now.clear()
        with self._installed():
            t0 = self.timer()
            result = fn(*args, **kwargs)
            whole = self.timer() - t0
        self._now[OTHER] = whole - sum(v for k, v in self._now.items() if k != OTHER)
        for name in set(self.times) | set(self._now):
            self.times.setdefault(name, [0.0] * self.runs).append(self._now.get(name, 0.0))
        self.runs += 1
        return result

    def iteration(self, batches, labels=None):
        """One ``gan.train_iteration(batches, labels)``, timed phase by phase."""
        return self.run(self.gan.train_iteration, batches, labels)

    def medians(self) -> dict[str, float]:
        """Each phase's median over the runs, in seconds, in the order of :data:`PHASES`."""
        known = [p for p in PHASES if p in self.times] + [p for p in self.times if p not in PHASES]
        return {p: statistics.median(self.times[p]) for p in known}
