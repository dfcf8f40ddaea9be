"""The layers of a network: Dense and the elementwise ones, each with a hand-written backward pass.

Conventions (the same for every layer):

* Batches are row-major: an input ``x`` has shape ``(N, D)``, one example per row.
* ``forward(x)`` returns the output and caches what ``backward`` needs.
  Only the latest forward pass is cached, so memory never grows with the
  number of iterations (the original post's framework kept a stack of caches
  and leaked about 1 GB per epoch).
* ``backward(dout)`` takes ``dout = dL/d(out)`` (same shape as the output),
  returns ``dx = dL/dx`` and *overwrites* the parameter gradients in
  ``layer.grads`` (there is no accumulation, so there is nothing to zero).
* Parameters live in ``layer.params`` and their gradients in ``layer.grads``,
  dicts of arrays with the same keys and shapes. A :class:`ganlib.network.Sequential`
  re-binds them to views of one contiguous buffer so that an optimizer can
  update every parameter of a network with a handful of vectorised operations.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Layer", "Dense", "LeakyReLU", "ReLU", "Tanh", "Sigmoid", "Dropout"]


class Layer:
    """Base class: a differentiable function ``out = f(x; params)``."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        # State that is saved but not trained: BatchNorm's running statistics (ganlib.normalization)
        self.buffers: dict[str, np.ndarray] = {}
        self.training = True  # Dropout and BatchNorm behave differently at evaluation time
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray, *, need_dx: bool = True, need_param_grads: bool = True):
        """Return ``dL/dx`` (or ``None`` when ``need_dx`` is False).

        ``need_dx=False`` skips the input gradient of a network's first layer,
        which nobody uses; ``need_param_grads=False`` skips the parameter
        gradients, e.g. for the discriminator while the generator trains.
        """
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)  # layer(x) reads like the math

    def _cached(self):
        if self._cache is None:
            raise RuntimeError(
                f"{self!r}.backward() was called before forward(): run forward on a batch first, "
                "backward uses the values that forward cached."
            )
        return self._cache

    def _check_dout(self, dout: np.ndarray, out_shape: tuple) -> None:
        if dout.shape != out_shape:
            raise ValueError(
                f"{self!r}.backward(dout): dout has shape {dout.shape}, but the last forward "
                f"returned shape {out_shape}; dout must be dL/d(out), the same shape as the output."
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _check_batch(layer: Layer, x: np.ndarray) -> None:
    """An elementwise layer takes any batch (N, ...) of at least two axes: rows (N, D) or images (N, H, W, C)."""
    if not isinstance(x, np.ndarray) or x.ndim < 2:
        shape = getattr(x, "shape", type(x).__name__)
        raise ValueError(
            f"{layer!r} expects a batch of shape (N, D) or (N, H, W, C), got {shape}; "
            "a single example x becomes a batch of one with x[None]."
        )


def _check_2d(layer: Layer, x: np.ndarray) -> None:
    if not isinstance(x, np.ndarray) or x.ndim != 2:
        shape = getattr(x, "shape", type(x).__name__)
        raise ValueError(
            f"{layer!r} expects a 2-D batch of shape (N, D), got {shape}; reshape images with x.reshape(len(x), -1)."
        )


class Dense(Layer):
    r"""Fully connected layer: ``out = x @ W + b``.

    Shapes: ``x`` (N, D_in), ``W`` (D_in, D_out), ``b`` (D_out,), ``out`` (N, D_out).

    Backward, with :math:`\delta = \partial L / \partial \mathrm{out}` of shape (N, D_out):

    .. math::
        \frac{\partial L}{\partial x} = \delta W^\top, \qquad
        \frac{\partial L}{\partial W} = x^\top \delta, \qquad
        \frac{\partial L}{\partial b} = \textstyle\sum_n \delta_n .

    Weights start from a Glorot (Xavier) uniform distribution,
    :math:`U(-a, a)` with :math:`a = \sqrt{6 / (D_{in} + D_{out})}`, which keeps
    the variance of activations and of gradients roughly constant across layers
    (Glorot & Bengio, 2010); ``init="he"`` uses :math:`a = \sqrt{6 / D_{in}}`
    (He et al., 2015), suited to ReLU; a float uses :math:`N(0, \text{init}^2)`;
    ``init="1/fan_in"`` uses :math:`N(0, 1/D_{in}^2)`, the original post's choice
    (see :mod:`ganlib.original_post`): a standard deviation 1/784 for D's first layer,
    about 38 times below Glorot's, so both networks start almost constant.
    Biases start at zero.
    """

    def __init__(self, in_features: int, out_features: int, *, rng=None, init="glorot", dtype=np.float32):
        super().__init__()
        if int(in_features) < 1 or int(out_features) < 1:
            raise ValueError(f"Dense needs positive sizes, got in_features={in_features}, out_features={out_features}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        rng = np.random.default_rng(rng)
        self.params["W"] = _init_weight(rng, self.in_features, self.out_features, init).astype(dtype)
        self.params["b"] = np.zeros(self.out_features, dtype=dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(self, x):
        _check_2d(self, x)
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"{self!r} expects input of shape (N, {self.in_features}), got {x.shape}: "
                "the previous layer's output width must equal this layer's in_features."
            )
        self._cache = x
        out = x @ self.params["W"]
        out += self.params["b"]  # in place: no second (N, D_out) temporary
        return out

    def backward(self, dout, *, need_dx=True, need_param_grads=True):
        x = self._cached()
        self._check_dout(dout, (x.shape[0], self.out_features))
        if need_param_grads:
            # out= writes straight into the gradient buffer (a view of the network's flat buffer).
            np.matmul(x.T, dout, out=self.grads["W"])
            np.sum(dout, axis=0, out=self.grads["b"])
        return dout @ self.params["W"].T if need_dx else None

    def __repr__(self):
        return f"Dense({self.in_features} -> {self.out_features})"


def _init_weight(rng, fan_in, fan_out, init):
    if init == "glorot":
        a = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a, size=(fan_in, fan_out))
    if init == "he":
        a = np.sqrt(6.0 / fan_in)
        return rng.uniform(-a, a, size=(fan_in, fan_out))
    if init == "1/fan_in":  # the original post's layers.py: randn(out, in) * 1. / in
        return rng.normal(0.0, 1.0 / fan_in, size=(fan_in, fan_out))
    if isinstance(init, (int, float)) and init > 0:
        return rng.normal(0.0, float(init), size=(fan_in, fan_out))
    raise ValueError(f"init must be 'glorot', 'he', '1/fan_in' or a positive standard deviation, got {init!r}")


class LeakyReLU(Layer):
    r"""Leaky rectifier (Maas et al., 2013): ``out = x if x > 0 else slope * x``.

    .. math::
        \frac{\partial\,\mathrm{out}}{\partial x} =
        \begin{cases} 1 & x > 0 \\ \text{slope} & x \le 0 \end{cases}
        \qquad\Rightarrow\qquad dx = \delta \odot (1 \text{ or slope}).

    Shapes: ``x``, ``out``, ``dout`` and ``dx`` are all (N, D).
    A small slope keeps a gradient flowing for negative inputs, which helps the
    discriminator pass useful gradients back to the generator.
    """

    def __init__(self, slope: float = 0.2):
        super().__init__()
        if not 0.0 <= slope < 1.0:
            raise ValueError(f"slope must be in [0, 1), got {slope}")
        self.slope = float(slope)

    def forward(self, x):
        _check_batch(self, x)
        self._cache = x > 0
        # For 0 <= slope < 1, max(x, slope * x) is x where x > 0 and slope * x elsewhere.
        # Two fast vectorised passes; masked writes (np.copyto(..., where=) or np.where)
        # measured 50-100x slower here.
        out = np.multiply(x, self.slope, dtype=x.dtype)
        return np.maximum(out, x, out=out)

    def backward(self, dout, *, need_dx=True, need_param_grads=True):
        positive = self._cached()
        self._check_dout(dout, positive.shape)
        if not need_dx:
            return None
        # The local derivative is 1 where x > 0 and slope elsewhere: slope + (1 - slope) * [x > 0].
        derivative = positive.astype(dout.dtype)
        derivative *= dout.dtype.type(1.0 - self.slope)
        derivative += dout.dtype.type(self.slope)
        return np.multiply(dout, derivative, out=derivative)

    def __repr__(self):
        return f"{type(self).__name__}(slope={self.slope})"


class ReLU(LeakyReLU):
    r"""Rectifier ``out = max(x, 0)``: a LeakyReLU with slope 0 (derivative 1 or 0)."""

    def __init__(self):
        super().__init__(slope=0.0)

    def __repr__(self):
        return "ReLU()"


class Tanh(Layer):
    r"""Hyperbolic tangent, ``out = tanh(x)`` in (-1, 1); the generator's output layer.

    .. math:: \frac{d}{dx}\tanh x = 1 - \tanh^2 x \quad\Rightarrow\quad dx = \delta \odot (1 - \mathrm{out}^2).

    The derivative is written with the cached *output*, so nothing is recomputed.
    Shapes: all (N, D).
    """

    def forward(self, x):
        _check_batch(self, x)
        out = np.tanh(x)
        self._cache = out
        return out

    def backward(self, dout, *, need_dx=True, need_param_grads=True):
        out = self._cached()
        self._check_dout(dout, out.shape)
        if not need_dx:
            return None
        return dout * (1 - out * out)


class Sigmoid(Layer):
    r"""Logistic sigmoid, ``out = 1 / (1 + exp(-x))`` in (0, 1).

    .. math:: \frac{d\sigma}{dx} = \sigma(x)\,(1 - \sigma(x)) \quad\Rightarrow\quad dx = \delta \odot \mathrm{out}\,(1 - \mathrm{out}).

    Apply this derivative exactly once. The original post's framework applied it
    a second time inside the loss, so it trained on a different loss than the one
    it printed; :mod:`ganlib.gradcheck` catches that bug. For training, keep the
    discriminator's last layer linear and use
    :func:`ganlib.losses.bce_with_logits`, which folds the sigmoid into the loss
    stably; this layer is for reading out probabilities.
    Shapes: all (N, D).
    """

    def forward(self, x):
        _check_batch(self, x)
        out = sigmoid(x)
        self._cache = out
        return out

    def backward(self, dout, *, need_dx=True, need_param_grads=True):
        out = self._cached()
        self._check_dout(dout, out.shape)
        if not need_dx:
            return None
        return dout * out * (1 - out)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function for any finite ``x`` (no overflow in ``exp``).

    Uses ``exp(-|x|)``, which lies in (0, 1]: for x >= 0, 1 / (1 + e^{-x});
    for x < 0, e^{x} / (1 + e^{x}).
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


class Dropout(Layer):
    r"""Dropout (Srivastava et al., 2014), in its inverted form (the paper scales the weights at test time instead).

    In training, each unit is kept with probability ``1 - p`` and scaled by
    ``1 / (1 - p)`` so that the expected activation is unchanged; at evaluation
    time (``training = False``) it is the identity.

    .. math:: \mathrm{out} = x \odot m / (1-p), \quad m_{ij} \sim \mathrm{Bernoulli}(1-p),
              \qquad dx = \delta \odot m / (1-p).

    Shapes: all (N, D), or any batch (N, ...). ``rng`` is a ``numpy.random.Generator`` (or a seed) so
    that runs are reproducible.
    """

    def __init__(self, p: float = 0.5, *, rng=None):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability p must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = np.random.default_rng(rng)

    def forward(self, x):
        _check_batch(self, x)
        if not self.training or self.p == 0.0:
            self._cache = (x.shape, None)  # the identity: backward passes dout through
            return x
        scale = np.asarray(1.0 / (1.0 - self.p), dtype=x.dtype)
        mask = ((self.rng.random(x.shape, dtype=np.float32) >= self.p) * scale).astype(x.dtype, copy=False)
        self._cache = (x.shape, mask)
        return x * mask

    def backward(self, dout, *, need_dx=True, need_param_grads=True):
        shape, mask = self._cached()
        self._check_dout(dout, shape)
        if not need_dx:
            return None
        return dout if mask is None else dout * mask

    def __repr__(self):
        return f"Dropout(p={self.p})"
