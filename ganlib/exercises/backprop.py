r"""Checks for notebook 02 (backpropagation by hand): five backward passes the reader writes.

Each check calls the reader's function on random float64 inputs and compares every output
with centred finite differences of the forward pass (:func:`ganlib.gradcheck.numerical_gradient`),
for a layer through :math:`L = \sum_{ij} \mathrm{out}_{ij}\,\delta_{ij}` so that
:math:`\partial L / \partial\,\mathrm{out} = \delta` is the upstream gradient ``dout``.

============================ ===================================================
check_dense_backward         ``dense_backward(dout, x, W) -> (dx, dW, db)``
check_leaky_relu_backward    ``leaky_relu_backward(dout, x, slope) -> dx``
check_tanh_backward          ``tanh_backward(dout, out) -> dx``, ``out = tanh(x)``
check_dropout_backward       ``dropout_backward(dout, mask, p) -> dx``, ``out = x * mask / (1 - p)``
check_bce_with_logits_backward ``bce_with_logits_backward(logits, targets) -> dlogits``
============================ ===================================================
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient
from ..losses import bce_with_logits
from . import call, compare, compare_gradients, correct

__all__ = [
    "check_dense_backward",
    "check_leaky_relu_backward",
    "check_tanh_backward",
    "check_dropout_backward",
    "check_bce_with_logits_backward",
]

_SECTION_2 = "the boxed formulas of section 2"


def check_dense_backward(dense_backward, seed: int = 0) -> None:
    """Check ``dense_backward(dout, x, W) -> (dx, dW, db)``, the backward pass of ``out = x @ W + b``."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    n, d_in, d_out = 4, 5, 3  # all different, so that a shape mistake cannot go unnoticed
    x, W, b = rng.standard_normal((n, d_in)), rng.standard_normal((d_in, d_out)), rng.standard_normal(d_out)
    dout = rng.standard_normal((n, d_out))

    def loss():
        return float(np.sum((x @ W + b) * dout))

    hints = {
        "dx": f"out[n, j] depends on x[n, i] through W[i, j] for every j; dx has x's shape (N, D_in) ({_SECTION_2}).",
        "dW": f"every example n contributes x[n, i] * dout[n, j] to dW[i, j]; dW has W's shape ({_SECTION_2}).",
        "db": f"b[j] is added to out[n, j] for every example n; db has b's shape (D_out,) ({_SECTION_2}).",
    }
    errors = {}
    compare_gradients(
        "dense_backward",
        dense_backward,
        {"dout": dout, "x": x, "W": W},
        loss,
        {"dx": x, "dW": W, "db": b},
        errors,
        shape_of={"dx": "x", "dW": "W", "db": "b"},
        hints=hints,
        batch=n,
    )
    correct("dense_backward", errors)


def check_leaky_relu_backward(leaky_relu_backward, seed: int = 0) -> None:
    """Check ``leaky_relu_backward(dout, x, slope) -> dx`` for ``out = x if x > 0 else slope * x``."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    errors = []
    for slope in (0.2, 0.05):  # two slopes: the function must use its argument
        # inputs away from the kink at 0, where the finite difference would straddle it
        x = rng.uniform(0.1, 2.0, size=(4, 6)) * rng.choice([-1.0, 1.0], size=(4, 6))
        dout = rng.standard_normal(x.shape)
        expected = numerical_gradient(
            lambda x=x, dout=dout, slope=slope: float(np.sum(np.where(x > 0, x, slope * x) * dout)), x
        )
        got = call(leaky_relu_backward, {"dout": dout, "x": x, "slope": slope}, name="leaky_relu_backward")
        hint = (
            "the local derivative is 1 where x > 0 and slope where x <= 0, multiplied elementwise by dout "
            "(section 3); use the argument slope, not a number."
        )
        errors.append(
            compare("leaky_relu_backward", "dx", got, expected, shape_of="x", case=f"with slope {slope}", hint=hint)
        )
    correct("leaky_relu_backward", {"dx": max(errors)}, note=", slopes 0.2 and 0.05")


def check_tanh_backward(tanh_backward, seed: int = 0) -> None:
    """Check ``tanh_backward(dout, out) -> dx`` for ``out = tanh(x)``, written with the output."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    x = 1.5 * rng.standard_normal((4, 6))
    out = np.tanh(x)
    dout = rng.standard_normal(x.shape)
    expected = numerical_gradient(lambda: float(np.sum(np.tanh(x) * dout)), x)
    got = call(tanh_backward, {"dout": dout, "out": out}, name="tanh_backward")
    hint = (
        "d tanh(x) / dx = 1 - tanh(x)^2, and out already is tanh(x): no tanh to compute again; "
        "multiply elementwise by dout (section 3)."
    )
    correct("tanh_backward", {"dx": compare("tanh_backward", "dx", got, expected, shape_of="out", hint=hint)})


def check_dropout_backward(dropout_backward, seed: int = 0) -> None:
    """Check ``dropout_backward(dout, mask, p) -> dx`` for inverted dropout, ``out = x * mask / (1 - p)``.

    ``mask`` holds 1.0 where a unit was kept and 0.0 where it was dropped: the mask the forward
    pass drew, fixed, so that the layer is a linear map that finite differences can check.
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    errors = []
    for p in (0.3, 0.2):  # two rates, neither 0.5 (where 1 / p and 1 / (1 - p) agree)
        x = rng.standard_normal((4, 6))
        mask = (rng.random(x.shape) >= p).astype(np.float64)
        mask[0, :2] = 0.0, 1.0  # at least one unit dropped and one kept
        dout = rng.standard_normal(x.shape)
        expected = numerical_gradient(
            lambda x=x, mask=mask, p=p, dout=dout: float(np.sum(x * mask / (1 - p) * dout)), x
        )
        got = call(dropout_backward, {"dout": dout, "mask": mask, "p": p}, name="dropout_backward")
        hint = (
            "out = x * mask / (1 - p) is elementwise with a fixed factor mask / (1 - p): the gradient of a dropped "
            "unit is 0, a kept one's is scaled like its forward value (section 4); p is the probability of dropping."
        )
        errors.append(compare("dropout_backward", "dx", got, expected, shape_of="x", case=f"with p = {p}", hint=hint))
    correct("dropout_backward", {"dx": max(errors)}, note=", p = 0.3 and 0.2")


def check_bce_with_logits_backward(bce_with_logits_backward, seed: int = 0) -> None:
    """Check ``bce_with_logits_backward(logits, targets) -> dlogits``, the gradient of the *mean* BCE.

    The loss is ``ganlib.losses.bce_with_logits``'s value, the mean over the batch of
    ``softplus(s) - t * s``; ``targets`` is a number (1, 0, or 0.9 for label smoothing) or an
    array of the logits' shape (N, 1).
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    n = 8
    logits = 3.0 * rng.standard_normal((n, 1))
    per_example = rng.integers(0, 2, size=(n, 1)).astype(np.float64)
    cases = [(1.0, "targets 1"), (0.0, "targets 0"), (0.9, "targets 0.9"), (per_example, "targets per example")]
    hint = (
        "the derivative of softplus(s) - t s is sigmoid(s) - t, and the loss is the mean over the N examples "
        "(section 5); dlogits has the logits' shape (N, 1)."
    )
    errors = []
    for targets, case in cases:
        expected = numerical_gradient(lambda targets=targets: bce_with_logits(logits, targets)[0], logits)
        got = call(bce_with_logits_backward, {"logits": logits, "targets": targets}, name="bce_with_logits_backward")
        errors.append(
            compare(
                "bce_with_logits_backward", "dlogits", got, expected, shape_of="logits", batch=n, case=case, hint=hint
            )
        )
    correct("bce_with_logits_backward", {"dlogits": max(errors)}, note=", targets 1, 0, 0.9 and per example")
