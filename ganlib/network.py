"""``Sequential``: a stack of layers with one contiguous parameter buffer.

All parameters of a network live in one flat array ``flat_params`` and all
gradients in ``flat_grads``; each layer's ``params["W"]`` etc. are *views* into
them. The layers read and write their own arrays as usual, while an optimizer
updates the whole network with a few vectorised operations over one buffer
instead of a Python loop over dozens of small arrays (see :mod:`ganlib.optim`).

This is a speed trick with one rule attached: a parameter array must be changed
in place (``layer.params["W"][...] = value``), never replaced
(``layer.params["W"] = value``), and a layer belongs to one network only. Either
mistake would leave the optimizer updating a buffer that the layer no longer
reads, and training would silently do nothing; ``Sequential`` checks both and
raises instead.
"""

from __future__ import annotations

import contextlib
import copy

import numpy as np

from .checks import finite_as
from .layers import Layer

__all__ = ["Sequential"]


class Sequential:
    """Layers applied in order: ``out = layers[-1](...layers[0](x))``.

    Example::

        D = Sequential(Dense(784, 256, rng=0), LeakyReLU(0.2), Dense(256, 1, rng=1))
        logits = D.forward(x)            # x: (N, 784) -> logits: (N, 1)
        dx = D.backward(dlogits)         # fills D.flat_grads, returns dL/dx: (N, 784)

    ``dtype`` (default: the layers' own, float32) sets the buffers' precision;
    use ``np.float64`` for gradient checks.
    """

    def __init__(self, *layers: Layer, dtype=None):
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        for layer in layers:
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential takes Layer objects, got {type(layer).__name__}")
        if len({id(layer) for layer in layers}) != len(layers):
            # A layer caches only its latest forward pass, so a second use would overwrite the
            # cache the first use's backward needs: gradients would be silently wrong.
            raise ValueError(
                "Sequential got the same layer object more than once; create a new instance for "
                "each position (e.g. LeakyReLU(0.2) twice), since a layer caches only its latest forward"
            )
        for layer in layers:
            owner = getattr(layer, "_network", None)
            if owner is not None:
                raise ValueError(
                    f"{layer!r} already belongs to another Sequential: its parameters live in that "
                    "network's buffer, which this network's optimizer would not update. Build a new "
                    "layer for each network (e.g. with the same sizes, then load_state_dict to copy weights)."
                )
        self.layers = list(layers)
        self._names = [f"{i}.{key}" for i, layer in enumerate(self.layers) for key in layer.params]
        first = next((layer.params[k] for layer in self.layers for k in layer.params), None)
        self.dtype = np.dtype(dtype if dtype is not None else (first.dtype if first is not None else np.float32))
        self._bind_flat_buffers()

    def _bind_flat_buffers(self) -> None:
        """Copy every parameter into one buffer and make the layers' arrays views of it."""
        sizes = [layer.params[k].size for layer in self.layers for k in layer.params]
        self.flat_params = np.zeros(sum(sizes), dtype=self.dtype)
        self.flat_grads = np.zeros_like(self.flat_params)
        offset = 0
        self._views = []  # (layer, key, parameter view, gradient view): what the layers must keep using
        for layer in self.layers:
            layer._network = self
            for key, value in list(layer.params.items()):
                view = slice(offset, offset + value.size)
                self.flat_params[view] = value.ravel()
                layer.params[key] = self.flat_params[view].reshape(value.shape)
                layer.grads[key] = self.flat_grads[view].reshape(value.shape)
                self._views.append((layer, key, layer.params[key], layer.grads[key]))
                offset += value.size
            for key, value in list(layer.buffers.items()):  # not trained: outside the optimizer's buffer
                layer.buffers[key] = value.astype(self.dtype)

    def _check_buffers(self) -> None:
        """Raise if a layer's parameter or gradient array was replaced instead of changed in place."""
        for i, (layer, key, param, grad) in enumerate(self._views):
            if layer.params[key] is not param or layer.grads[key] is not grad:
                raise RuntimeError(
                    f"parameter {self._names[i]} of {layer!r} was replaced by a new array "
                    f"(layer.params[{key!r}] = ... or layer.grads[{key!r}] = ...), so the optimizer, "
                    "which updates this network's flat buffer, no longer reaches it. Change it in place "
                    f"instead: layer.params[{key!r}][...] = value (or use load_state_dict)."
                )

    def copy(self, dtype=None) -> Sequential:
        """An independent copy (new layers, new buffers), e.g. ``net.copy(np.float64)`` for a gradient check."""
        layers = copy.deepcopy(self.layers)  # the copies' `_network` points at a throwaway copy of self
        for layer in layers:
            layer._network = None
        return Sequential(*layers, dtype=dtype if dtype is not None else self.dtype)

    # -- the two passes -------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Shape (N, D_in) -> (N, D_out). Caches, in each layer, what backward needs."""
        self._check_buffers()  # a few identity checks: nothing next to the matrix products
        if isinstance(x, np.ndarray) and x.dtype != self.dtype:
            x = x.astype(self.dtype)  # e.g. float64 data into a float32 network
        for layer in self.layers:
            x = layer.forward(x)
        return x

    __call__ = forward

    def backward(self, dout: np.ndarray, *, need_dx: bool = True, need_param_grads: bool = True):
        """Back-propagate ``dout = dL/d(out)``; return ``dL/dx`` (or None if ``need_dx`` is False).

        Parameter gradients are written into ``flat_grads`` (overwritten, not
        accumulated). ``need_param_grads=False`` computes only the gradient
        with respect to the input: that is what the generator's step needs from
        the discriminator, whose own parameters must not change then.
        """
        self._check_buffers()
        # A layer's dL/dx is needed only by a layer before it with parameters, or by the caller:
        # below the first such layer (D's Reshape under its first convolution) nothing is computed.
        first = next((i for i, layer in enumerate(self.layers) if layer.params), 0)
        for i in range(len(self.layers) - 1, -1, -1):
            wanted = need_dx or i > first
            dout = self.layers[i].backward(dout, need_dx=wanted, need_param_grads=need_param_grads)
            if not wanted:
                return None
        return dout

    # -- modes ------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Sequential:
        """Training mode (dropout active). Returns self."""
        for layer in self.layers:
            layer.training = bool(mode)
        return self

    def eval(self) -> Sequential:
        """Evaluation mode (dropout is the identity, BatchNorm uses its running statistics). Returns self."""
        return self.train(False)

    @contextlib.contextmanager
    def evaluating(self):
        """``with net.evaluating(): ...`` runs the block in evaluation mode, then restores each
        layer's mode: sampling from a generator in the middle of training leaves it training."""
        modes = [layer.training for layer in self.layers]
        self.eval()
        try:
            yield self
        finally:
            for layer, mode in zip(self.layers, modes):
                layer.training = mode

    # -- parameters ---------------------------------------------------------------------
    def named_parameters(self):
        """List of ``(name, array)`` pairs, names like ``"0.W"`` (layer index, key). Arrays are live views."""
        return [(f"{i}.{k}", v) for i, layer in enumerate(self.layers) for k, v in layer.params.items()]

    def named_buffers(self):
        """``(name, array)`` pairs of the state that is saved but not trained (BatchNorm's running
        statistics), names like ``"2.running_mean"``; empty for an MLP. Arrays are live."""
        return [(f"{i}.{k}", v) for i, layer in enumerate(self.layers) for k, v in layer.buffers.items()]

    def parameters(self):
        return [v for _, v in self.named_parameters()]

    def gradients(self):
        return [g for layer in self.layers for g in layer.grads.values()]

    @property
    def num_params(self) -> int:
        return int(self.flat_params.size)

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter and buffer, by name (safe to keep while training goes on)."""
        return {name: value.copy() for name, value in self.named_parameters() + self.named_buffers()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy parameters and buffers in, after checking that names and shapes match exactly."""
        own = dict(self.named_parameters() + self.named_buffers())
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or unexpected:
            raise ValueError(f"state dict does not fit {self!r}: missing {missing}, unexpected {unexpected}")
        values = {}
        for name, target in own.items():
            value = np.asarray(state[name])
            if value.shape != target.shape:
                raise ValueError(f"parameter {name}: expected shape {target.shape}, got {value.shape}")
            values[name] = finite_as(value, target.dtype, f"parameter {name}")
        for name, target in own.items():  # copy only after every check passed: all or nothing
            target[...] = values[name]

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential({inner})"

    def summary(self) -> str:
        """One line per layer with its parameter count, and the total."""
        lines = []
        for i, layer in enumerate(self.layers):
            n = sum(v.size for v in layer.params.values())
            lines.append(f"{i:>2}  {layer!r:<28} {n:>10,d}")
        lines.append(f"    {'total':<28} {self.num_params:>10,d}")
        return "\n".join(lines)
