"""Layers that only change an example's shape: rows of numbers to feature maps and back.

The convolutional layers (:mod:`ganlib.conv`) take images (N, H, W, C), Dense takes rows (N, D);
:class:`Reshape` and :class:`Flatten` join them. Their backward passes reshape the gradient back.
"""

from __future__ import annotations

import numpy as np

from .layers import Layer, _check_batch

__all__ = ["Flatten", "Reshape"]


class Reshape(Layer):
    """Each example to ``shape``: (N, D) -> (N, *shape), e.g. ``Reshape(7, 7, 64)`` turns
    (N, 3136) into feature maps (N, 7, 7, 64). No parameters; backward reshapes back."""

    def __init__(self, *shape: int):
        super().__init__()
        if not shape or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in shape):
            raise ValueError(f"Reshape takes positive whole sizes, e.g. Reshape(28, 28, 1); got {shape}")
        self.shape = tuple(int(s) for s in shape)

    def forward(self, x):
        _check_batch(self, x)
        if int(np.prod(x.shape[1:])) != int(np.prod(self.shape)):
            raise ValueError(
                f"{self!r} needs {int(np.prod(self.shape)):,} numbers per example, got shape {x.shape} "
                f"({int(np.prod(x.shape[1:])):,} per example)"
            )
        self._cache = x.shape
        return x.reshape(len(x), *self.shape)

    def backward(self, dout, *, need_dx=True, need_param_grads=True):
        shape = self._cached()
        self._check_dout(dout, (shape[0], *self.shape))
        return dout.reshape(shape) if need_dx else None

    def __repr__(self):
        return f"Reshape{self.shape}"


class Flatten(Layer):
    """(N, ...) -> (N, D), D the product of the other axes: feature maps become rows for Dense."""

    def forward(self, x):
        _check_batch(self, x)
        self._cache = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dout, *, need_dx=True, need_param_grads=True):
        shape = self._cached()
        self._check_dout(dout, (shape[0], int(np.prod(shape[1:]))))
        return dout.reshape(shape) if need_dx else None
