r"""Conditioning on a class label: how the label enters the networks (Mirza & Osindero, 2014).

A conditional GAN draws a digit *of a given class*: both networks receive the label
:math:`y \in \{0, \dots, C-1\}` as an extra input, a one-hot vector
:math:`e_y \in \{0, 1\}^C` concatenated to the usual input (:func:`concat_label`),

.. math::
    G:\ [z, e_y] \in \mathbb{R}^{d + C} \to x, \qquad
    D:\ [x, e_y] \in \mathbb{R}^{784 + C} \to \text{logit}.

Nothing else changes: the networks are the same :class:`~ganlib.network.Sequential`
stacks with a wider first layer. Fed to a :class:`~ganlib.layers.Dense` layer directly
(``GANConfig.embedding_dim = 0``), the pre-activation splits into two terms,

.. math:: [x, e_y]\,W + b = x\,W_x + W_y[y] + b,

so the label picks one row of :math:`W_y` (:math:`C \times H`): a learned, class-dependent
bias of the first hidden layer. By default (``embedding_dim = k = 50``) a
:class:`~ganlib.condition.LabelEmbedding` first replaces :math:`e_y` by row :math:`y` of a
learned table :math:`E` (:math:`C \times k`), and the Dense layer computes
:math:`x W_x + E[y] W_e + b`. For :math:`k \ge C` the product :math:`E W_e` can be any
:math:`C \times H` matrix, so the two represent the same functions; they differ in how fast
gradient descent finds them. Adam moves every parameter by about its learning rate per
step whatever the gradient's size, so a row :math:`W_y[y]` changes by about ``lr`` per step,
while :math:`E[y] W_e` sums ``k`` such changes weighted by entries of :math:`E` of size about
1: the embedded label gains influence about ``k`` times faster
(``python -m benchmarks.experiments.compare_conditioning`` measures it; ``docs/results.md``,
"The conditional generator").

**Backward.** Concatenation copies its inputs side by side, so its backward pass cuts the
upstream gradient :math:`\delta` (N, D + C) back into the two pieces,
:math:`\partial L/\partial x = \delta_{:, :D}` and :math:`\partial L/\partial e_y = \delta_{:, D:}`
(:func:`split_gradient`). When G trains through D, only the image part goes on to G;
the label part is computed but unused: the label is given, not learned. In the weight
gradients the one-hot rows select classes: :math:`\partial L/\partial W_y[c]` (or
:math:`\partial L/\partial E[c]`) sums over the examples of class :math:`c` only.
"""

from __future__ import annotations

import numpy as np

from .layers import Layer, _check_2d

__all__ = [
    "LabelEmbedding",
    "balanced_labels",
    "check_labels",
    "concat_label",
    "one_hot",
    "sample_labels",
    "split_gradient",
]


def check_labels(y, n: int, num_classes: int) -> np.ndarray:
    """``y`` as an int64 array of shape (n,), after checking it: integers in [0, num_classes).

    Raises ``ValueError`` with what is wrong (shape, type, range); ``num_classes`` = 0 (an
    unconditional model) accepts no labels at all.
    """
    if num_classes <= 0:
        raise ValueError("this model is unconditional (num_classes = 0): it takes no class labels")
    arr = np.asarray(y)
    if arr.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), one per example, got {arr.shape}")
    if n and not np.issubdtype(arr.dtype, np.integer):
        if not (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))):
            raise ValueError(f"labels must be integers, got dtype {arr.dtype}")
    if n and (arr.min() < 0 or arr.max() >= num_classes):
        bad = arr[(arr < 0) | (arr >= num_classes)][0]
        raise ValueError(f"label {bad} is out of range: this model has {num_classes} classes, 0 to {num_classes - 1}")
    return arr.astype(np.int64)


def one_hot(y, num_classes: int, dtype=np.float32) -> np.ndarray:
    """Integer labels (N,) -> one-hot rows (N, num_classes): row n is 1 at column y[n], 0 elsewhere."""
    y = check_labels(y, len(np.atleast_1d(y)), num_classes)
    out = np.zeros((len(y), num_classes), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


def concat_label(a: np.ndarray, y, num_classes: int) -> np.ndarray:
    """The network input ``[a, one_hot(y)]``: a (N, D) and labels (N,) -> (N, D + num_classes).

    ``a`` is z for the generator, an image for the discriminator. With ``num_classes == 0``
    (an unconditional model) ``y`` must be None and ``a`` is returned as it is.
    """
    if num_classes == 0:
        if y is not None:
            raise ValueError("this model is unconditional (num_classes = 0): it takes no class labels")
        return a
    if y is None:
        raise ValueError(f"this model is conditional ({num_classes} classes): give a class label for every row")
    return np.concatenate([a, one_hot(check_labels(y, len(a), num_classes), num_classes, a.dtype)], axis=1)


def split_gradient(d_input: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    r"""The backward pass of :func:`concat_label`: :math:`\delta` (N, D + C) -> (dL/da (N, D), dL/de_y (N, C)).

    The first ``dim`` columns belong to ``a`` (z or the image), the rest to the one-hot label.
    Both are views of ``d_input``, no copies.
    """
    return d_input[:, :dim], d_input[:, dim:]


def sample_labels(rng: np.random.Generator, n: int, num_classes: int) -> np.ndarray:
    """n labels drawn uniformly from {0, ..., num_classes - 1}, int64 (n,): the fakes' labels in training."""
    return rng.integers(0, num_classes, size=n)


def balanced_labels(n: int, num_classes: int) -> np.ndarray:
    """0, 1, ..., C-1, 0, 1, ... (n,) int64: every class equally often (to within one) when sampling."""
    return np.arange(n, dtype=np.int64) % num_classes


class LabelEmbedding(Layer):
    r"""The first layer of a conditional network: a learned embedding of the class label.

    Its input is ``[a, e_y]`` (N, D + C): the usual input ``a`` (z, or an image) and the
    one-hot label :math:`e_y`. It passes ``a`` through and replaces :math:`e_y` by row
    :math:`y` of a learned table ``E`` (C, k), written as a product so that the backward
    pass is a matrix product too:

    .. math:: \mathrm{out} = [a,\ e_y E] = [a,\ E[y]] \qquad (N, D + k).

    Backward, with :math:`\delta = [\delta_a, \delta_E]` of shape (N, D + k):

    .. math::
        \frac{\partial L}{\partial a} = \delta_a, \qquad
        \frac{\partial L}{\partial e_y} = \delta_E E^\top, \qquad
        \frac{\partial L}{\partial E} = e_y^\top \delta_E
        \quad\big(\text{row } c\text{: } \textstyle\sum_{n:\,y_n = c} \delta_{E,n}\big).

    ``E`` starts from N(0, 1), as ``torch.nn.Embedding`` does. Shapes: ``in_features`` = D + C.
    """

    def __init__(self, in_features: int, num_classes: int, dim: int, *, rng=None, dtype=np.float32):
        super().__init__()
        if int(num_classes) < 1 or int(dim) < 1 or int(in_features) <= int(num_classes):
            raise ValueError(
                f"LabelEmbedding needs in_features > num_classes >= 1 and dim >= 1, got "
                f"in_features={in_features}, num_classes={num_classes}, dim={dim}"
            )
        self.in_features, self.num_classes, self.dim = int(in_features), int(num_classes), int(dim)
        self.params["E"] = np.random.default_rng(rng).standard_normal((self.num_classes, self.dim)).astype(dtype)
        self.grads = {"E": np.zeros_like(self.params["E"])}

    def forward(self, x):
        _check_2d(self, x)
        if x.shape[1] != self.in_features:
            raise ValueError(f"{self!r} expects [a, one-hot label] of shape (N, {self.in_features}), got {x.shape}")
        d = self.in_features - self.num_classes
        onehot = x[:, d:]
        self._cache = onehot
        return np.concatenate([x[:, :d], onehot @ self.params["E"]], axis=1)

    def backward(self, dout, *, need_dx=True, need_param_grads=True):
        onehot = self._cached()
        d = self.in_features - self.num_classes
        self._check_dout(dout, (onehot.shape[0], d + self.dim))
        d_embedding = dout[:, d:]
        if need_param_grads:
            np.matmul(onehot.T, d_embedding, out=self.grads["E"])
        if not need_dx:
            return None
        return np.concatenate([dout[:, :d], d_embedding @ self.params["E"].T], axis=1)

    def __repr__(self):
        d = self.in_features - self.num_classes
        return f"LabelEmbedding({d} + {self.num_classes} -> {d} + {self.dim})"
