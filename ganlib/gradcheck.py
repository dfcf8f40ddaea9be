r"""Numerical gradient checks: is a hand-written backward pass right?

The centred difference

.. math:: \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}

has error :math:`O(h^2)`; in float64 with :math:`h = 10^{-6}` a correct
backward pass agrees to a relative error of about :math:`10^{-8}` or less,
while a wrong one (a missing transpose, a derivative applied twice) is off by
:math:`10^{-2}` or more. Tests and the notebooks share these functions.

To check a layer with a vector-valued output we reduce it to a scalar with a
fixed random upstream gradient: :math:`L = \sum_{ij} \mathrm{out}_{ij}\,\delta_{ij}`,
so :math:`\partial L / \partial\,\mathrm{out} = \delta`, exactly what
``backward`` receives.
"""

from __future__ import annotations

import numpy as np

__all__ = ["rel_error", "numerical_gradient", "check_layer", "check_loss"]


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    r"""Relative error of two arrays, :math:`\|a - b\| / (\|a\| + \|b\|)` (Euclidean norms).

    Scale-free, and unlike an elementwise ratio it is not fooled by entries
    that are zero up to rounding. Two zero arrays have error 0.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denom) if denom > 0 else 0.0


def numerical_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Centred-difference gradient of the scalar function ``f()`` with respect to ``x``.

    ``x`` is perturbed *in place*, one element at a time, and restored, so ``f``
    can read it through a layer's parameter dict or a closure. Shape of the
    result: ``x.shape``. Use float64 arrays: in float32 the rounding error of
    ``f`` swamps the difference.
    """
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient needs a float64 array for accuracy, got {x.dtype}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def check_layer(layer, x: np.ndarray, seed: int = 0, h: float = 1e-6) -> dict[str, float]:
    """Compare ``layer.backward`` with finite differences for ``dx`` and every parameter.

    ``layer`` is a layer or a ``Sequential`` in float64; ``x`` a float64 batch (N, D).
    Returns ``{"x": err, "W": err, ...}``: relative errors, about 1e-8 or below when right.
    Layers with randomness (dropout) must reuse their mask: check them in a
    deterministic mode or with a fixed mask.
    """
    x = np.array(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)

    def loss():
        return float(np.sum(layer.forward(x) * dout))

    params = dict(layer.named_parameters()) if hasattr(layer, "named_parameters") else layer.params
    numeric = {"x": numerical_gradient(loss, x, h)}
    numeric.update({name: numerical_gradient(loss, p, h) for name, p in params.items()})
    layer.forward(x)
    analytic = {"x": layer.backward(dout)}
    grads = dict(zip(params, layer.gradients())) if hasattr(layer, "gradients") else layer.grads
    analytic.update({name: grads[name] for name in params})
    return {name: rel_error(analytic[name], numeric[name]) for name in numeric}


def check_loss(loss_fn, logits: np.ndarray, h: float = 1e-6) -> float:
    """Relative error between ``loss_fn``'s returned gradient and finite differences.

    ``loss_fn(logits) -> (loss, dlogits)``, e.g. ``lambda s: bce_with_logits(s, 1.0)``.
    """
    logits = np.array(logits, dtype=np.float64)
    _, analytic = loss_fn(logits)
    numeric = numerical_gradient(lambda: loss_fn(logits)[0], logits, h)
    return rel_error(analytic, numeric)
