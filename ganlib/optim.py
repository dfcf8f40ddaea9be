r"""Optimizers that update a whole :class:`~ganlib.network.Sequential` in place.

Each optimizer works on the network's two flat buffers, ``flat_params``
(:math:`\theta`) and ``flat_grads`` (:math:`g`), so one step is a few
vectorised operations over about a million numbers rather than a loop over
layers. The operations use ``out=`` and a preallocated scratch buffer: the
straightforward ``m = b1 * m + (1 - b1) * g`` allocates two temporary arrays
of the full parameter size on every step, and at GAN-training speeds that
allocation and the extra memory traffic cost as much as the matrix products.

Optimizer state (step count, momentum, moments) lives beside the optimizer and
is exposed by ``state_dict()`` / ``load_state_dict()`` for checkpoints.

:class:`MovingAverage` is not an optimizer but works the same way, on the same flat
buffers: after each of the generator's steps it moves a second copy of the network a
little towards the first, and that averaged copy draws the samples.
"""

from __future__ import annotations

import math

import numpy as np

from .checks import finite_as

__all__ = ["SGD", "Adam", "MovingAverage"]


class Optimizer:
    """Common plumbing: the buffers, the step counter and the state dict."""

    _state_arrays: tuple[str, ...] = ()
    _nonnegative: tuple[str, ...] = ()  # state arrays that can never be negative

    def __init__(self, network):
        try:
            self.params, self.grads = network.flat_params, network.flat_grads
        except AttributeError:
            raise TypeError(
                f"{type(self).__name__} expects a ganlib Sequential (with flat_params and flat_grads), "
                f"got {type(network).__name__}"
            ) from None
        self.t = 0  # number of steps taken
        self._scratch = np.empty_like(self.params)

    def step(self) -> None:
        raise NotImplementedError

    def end_epoch(self) -> None:
        """Called once at the end of every epoch; only SGD's per-epoch decay uses it."""

    def state_dict(self) -> dict[str, np.ndarray]:
        state = {"t": np.array(self.t, dtype=np.int64)}
        state.update({name: getattr(self, name).copy() for name in self._state_arrays})
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        expected = {"t", *self._state_arrays}
        if set(state) != expected:
            raise ValueError(f"{type(self).__name__} state needs keys {sorted(expected)}, got {sorted(state)}")
        for name in self._state_arrays:
            if np.shape(state[name]) != self.params.shape:
                raise ValueError(
                    f"{type(self).__name__} state {name!r} has shape {np.shape(state[name])}, "
                    f"the network has {self.params.shape} parameters"
                )
        t = np.asarray(state["t"])
        if t.shape != () or t.dtype.kind not in "iu" or t < 0:
            raise ValueError(f"{type(self).__name__} state 't' must be a step count >= 0, got {t.dtype} {t}")
        values = {
            name: finite_as(state[name], self.params.dtype, f"{type(self).__name__} state {name!r}")
            for name in self._state_arrays
        }
        for name in self._nonnegative:
            if np.any(values[name] < 0):
                raise ValueError(f"{type(self).__name__} state {name!r} must be >= 0 (it is a mean of squares)")
        self.t = int(t)
        for name in self._state_arrays:
            getattr(self, name)[...] = values[name]


class SGD(Optimizer):
    r"""Stochastic gradient descent with momentum and an inverse-time learning-rate decay.

    .. math::
        \eta_t = \frac{\eta}{1 + \text{decay\_rate}\cdot t}, \qquad
        v \leftarrow \mu v + g, \qquad
        \theta \leftarrow \theta - \eta_t v,

    where :math:`t` counts the steps already taken (0 on the first step). This
    is PyTorch's momentum convention (``torch.optim.SGD``, dampening 0); with
    ``momentum=0`` it is plain SGD.

    Two variants reproduce the original post's framework (:mod:`ganlib.original_post`):

    * ``momentum_style="ema"``: :math:`v \leftarrow \mu v + (1 - \mu) g`, an exponential
      average of the gradients (its optimizer.py). From :math:`v = 0` this is exactly
      :math:`(1 - \mu)` times the classic velocity, so it is classic momentum with the
      learning rate :math:`(1 - \mu)\eta`: ten times smaller for :math:`\mu = 0.9`.
    * ``decay="per_epoch_compounded"``: the rate changes only when :meth:`end_epoch`
      is called, and each change divides the *current* rate,
      :math:`\eta_e = \eta_{e-1} / (1 + \text{decay\_rate}\cdot e)`, so after
      :math:`E` epochs :math:`\eta_E = \eta / \prod_{e=1}^{E} (1 + \text{decay\_rate}\cdot e)`
      (its model.py and gan.py): with decay_rate 1e-4, 0.60 of the rate is left after
      100 epochs, where the per-step formula over 500 steps an epoch leaves 1/6.
    """

    _state_arrays = ("velocity",)
    MOMENTUM_STYLES = ("classic", "ema")
    DECAYS = ("per_step", "per_epoch_compounded")

    def __init__(
        self,
        network,
        lr: float = 0.01,
        momentum: float = 0.0,
        decay_rate: float = 0.0,
        *,
        momentum_style: str = "classic",
        decay: str = "per_step",
    ):
        super().__init__(network)
        if not (lr > 0 and 0 <= momentum < 1 and decay_rate >= 0):  # `not (...)` also rejects NaN
            raise ValueError(f"need lr > 0, 0 <= momentum < 1, decay_rate >= 0; got {lr}, {momentum}, {decay_rate}")
        if momentum_style not in self.MOMENTUM_STYLES or decay not in self.DECAYS:
            raise ValueError(
                f"momentum_style must be one of {self.MOMENTUM_STYLES} and decay one of {self.DECAYS}, "
                f"got {momentum_style!r}, {decay!r}"
            )
        self.lr, self.momentum, self.decay_rate = float(lr), float(momentum), float(decay_rate)
        self.momentum_style, self.decay = momentum_style, decay
        self.velocity = np.zeros_like(self.params)
        self.epochs = 0  # completed epochs, counted by end_epoch(): only the per-epoch decay uses it
        self._epoch_lr = self.lr

    @property
    def current_lr(self) -> float:
        if self.decay == "per_step":
            return self.lr / (1.0 + self.decay_rate * self.t)
        return self._epoch_lr

    def end_epoch(self) -> None:
        """Called once at the end of every epoch: advances the per-epoch decay (nothing else reads it)."""
        self.epochs += 1
        self._epoch_lr = self._lr_after(self.epochs)

    def _lr_after(self, epochs: int) -> float:
        if self.decay == "per_step":
            return self.lr  # not used: current_lr follows the step count
        lr = self.lr
        for e in range(1, epochs + 1):  # the same operations in the same order on every resume: bit for bit
            lr = 1.0 / (1.0 + self.decay_rate * e) * lr
        return lr

    def step(self) -> None:
        direction = self.grads
        if self.momentum:
            self.velocity *= self.momentum
            if self.momentum_style == "ema":
                np.multiply(self.grads, float(1.0 - self.momentum), out=self._scratch)
                self.velocity += self._scratch
            else:
                self.velocity += self.grads
            direction = self.velocity
        np.multiply(direction, float(self.current_lr), out=self._scratch)
        self.params -= self._scratch
        self.t += 1

    def state_dict(self) -> dict[str, np.ndarray]:
        return {**super().state_dict(), "epochs": np.array(self.epochs, dtype=np.int64)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        # Checkpoints written before the per-epoch decay existed have no "epochs": they
        # used the per-step decay, which never reads it, so 0 is right for them.
        # Checked before anything changes. (_lr_after loops over the epochs: a checkpoint's count
        # is checked against its counters, themselves bounded by its history, before it gets here.)
        state = dict(state)
        epochs = np.asarray(state.pop("epochs", 0))
        if epochs.shape != () or epochs.dtype.kind not in "iu" or epochs < 0:
            raise ValueError(f"SGD state 'epochs' must be a count >= 0, got {epochs.dtype} {epochs!r:.60}")
        super().load_state_dict(state)
        self.epochs, self._epoch_lr = int(epochs), self._lr_after(int(epochs))


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), in PyTorch's formulation.

    .. math::
        m &\leftarrow \beta_1 m + (1-\beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2, \\
        \theta &\leftarrow \theta - \frac{\eta}{1-\beta_1^t}\,
                 \frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon}.

    GANs usually take :math:`\beta_1 = 0.5` (Radford et al., 2016): a shorter
    momentum memory copes better with an opponent that keeps moving.
    """

    _state_arrays = ("m", "v")
    _nonnegative = ("v",)

    def __init__(self, network, lr: float = 2e-4, beta1: float = 0.5, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(network)
        if not (lr > 0 and 0 <= beta1 < 1 and 0 <= beta2 < 1 and eps > 0):  # also rejects NaN
            raise ValueError(f"need lr > 0, 0 <= beta1, beta2 < 1, eps > 0; got {lr}, {beta1}, {beta2}, {eps}")
        self.lr, self.beta1, self.beta2, self.eps = float(lr), float(beta1), float(beta2), float(eps)
        self.m = np.zeros_like(self.params)
        self.v = np.zeros_like(self.params)

    def step(self) -> None:
        self.t += 1
        g, m, v, tmp = self.grads, self.m, self.v, self._scratch
        # m = b1 * m + (1 - b1) * g, written as m += (1 - b1) * (g - m): one scratch, no temporaries.
        np.subtract(g, m, out=tmp)
        tmp *= 1 - self.beta1
        m += tmp
        # v = b2 * v + (1 - b2) * g^2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - self.beta2
        v *= self.beta2
        v += tmp
        # denominator sqrt(v) / sqrt(1 - b2^t) + eps, then the step.
        # The step's scalars are Python floats on purpose: a NumPy float64 scalar
        # would make NumPy 2 compute the whole float32 array in float64 (5x slower).
        bias_correction1 = 1.0 - self.beta1**self.t
        bias_correction2 = 1.0 - self.beta2**self.t
        np.sqrt(v, out=tmp)
        tmp *= float(1.0 / math.sqrt(bias_correction2))
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= float(self.lr / bias_correction1)
        self.params -= tmp


class MovingAverage:
    r"""An exponential moving average of a network's weights, kept in a second network of the same shape.

    After every step of the trained network (weights :math:`\theta`), :meth:`update` moves the
    average :math:`\bar\theta` (the weights of ``average``) towards it,

    .. math:: \bar\theta \leftarrow \bar\theta + (1 - \beta_t)(\theta - \bar\theta).

    A GAN's generator keeps moving around the equilibrium as it chases the discriminator; the
    average of its recent weights is steadier and draws better samples (Yazici et al., 2019,
    https://arxiv.org/abs/1806.04498). With a constant :math:`\beta_t = \beta` (``decay``) the
    average starts at the random initialisation and keeps :math:`\beta^t` of it after t steps
    (37% after 1,000 steps at 0.999): early samples look grey. With ``bias_correction`` the rate is

    .. math:: \beta_t = \beta \, \frac{1 - \beta^{t}}{1 - \beta^{t+1}}, \qquad t = \text{updates made before},

    which keeps :math:`\bar\theta` equal to Adam's bias-corrected average of the weights after
    each step, :math:`\sum_{s \le t} \beta^{t-s} \theta_s / \sum_{s \le t} \beta^{t-s}`: the
    initialisation gets no weight (:math:`\beta_0 = 0` copies the network) and
    :math:`\beta_t \to \beta` within a few thousand steps.

    ``source`` and ``average``: two :class:`~ganlib.network.Sequential` networks of the same
    architecture; ``average`` starts as a copy of ``source``. ``t`` counts the updates (a
    checkpoint restores it; it equals the trained network's optimizer steps).
    """

    def __init__(self, source, average, decay: float, *, bias_correction: bool = True):
        if not 0.0 < decay < 1.0:  # also rejects NaN
            raise ValueError(f"decay must be in (0, 1), got {decay}")
        if average.flat_params.shape != source.flat_params.shape:
            raise ValueError(
                f"the average needs the source's architecture: {average.num_params:,} parameters "
                f"against {source.num_params:,}"
            )
        self.source, self.average = source, average
        self.decay, self.bias_correction = float(decay), bool(bias_correction)
        self.t = 0
        average.flat_params[...] = source.flat_params
        for mine, theirs in self._buffer_pairs():
            mine[...] = theirs
        self._delta = np.empty_like(source.flat_params)  # reused every update: no allocation

    def _buffer_pairs(self):
        """(average's, source's) running statistics, looked up anew each time (BatchNorm's; none in an MLP)."""
        return [(a, s) for (_, a), (_, s) in zip(self.average.named_buffers(), self.source.named_buffers())]

    def rate(self) -> float:
        r"""This update's :math:`\beta_t`."""
        beta = self.decay
        if self.bias_correction:
            beta = beta * (1.0 - beta**self.t) / (1.0 - beta ** (self.t + 1))
        return beta

    def update(self) -> None:
        """One step of the average towards the source's current weights, in place."""
        delta = np.subtract(self.source.flat_params, self.average.flat_params, out=self._delta)
        step = float(1.0 - self.rate())  # a Python float keeps the float32 arithmetic in float32
        delta *= step
        self.average.flat_params += delta
        # BatchNorm's running statistics follow at the same rate: the average network normalises
        # with the statistics of the recent networks it averages, not with those of its init.
        for mine, theirs in self._buffer_pairs():
            mine += step * (theirs - mine)
        self.t += 1
