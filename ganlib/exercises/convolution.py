r"""Checks for notebook 05 (convolutions and a DCGAN): two backward passes the reader writes.

Each check calls the reader's function on random float64 inputs and compares every output
with centred finite differences of the forward pass (:func:`ganlib.gradcheck.numerical_gradient`),
through :math:`L = \sum \mathrm{out} \cdot \delta`, so that :math:`\partial L/\partial\,\mathrm{out} = \delta`
is the upstream gradient ``dout``. Both try several shapes, so that a function written for one
stride, padding or layout cannot pass.

============================ ======================================================================
check_conv2d_backward        ``conv2d_backward(dout, x, W, stride, padding) -> (dx, dW, db)``, the
                             convolution of :class:`ganlib.conv.Conv2d` (x (N, H, W, C_in), W (k, k, C_in, C_out))
check_batchnorm_backward     ``batchnorm_backward(dout, x_hat, gamma, inv_std) -> (dx, dgamma, dbeta)``,
                             batch normalisation in training, statistics over every axis but the last
============================ ======================================================================
"""

from __future__ import annotations

import numpy as np

from ..conv import conv_output_size, im2col
from . import compare_gradients, correct

__all__ = ["check_conv2d_backward", "check_batchnorm_backward"]

# (N, H, W, C_in, C_out, k, stride, padding): every (stride, padding) the DCGAN and the classifier use,
# odd sizes where a stride does not divide evenly, and all dimensions different from one another
_CONV_CASES = (
    (2, 5, 6, 3, 4, 3, 1, 0),
    (2, 6, 6, 2, 3, 4, 2, 1),
    (3, 7, 5, 2, 5, 3, 2, 1),
    (2, 8, 7, 3, 2, 5, 2, 2),
)


def _conv_forward(x, W, b, stride, padding):
    """out = im2col(x) @ W + b, (N, H_o, W_o, C_out): the forward pass the finite differences differentiate."""
    n, h, w, _ = x.shape
    k, c_out = W.shape[0], W.shape[3]
    ho, wo = conv_output_size(h, k, stride, padding), conv_output_size(w, k, stride, padding)
    cols = im2col(x, k, stride, padding).reshape(n * ho * wo, -1)
    return (cols @ W.reshape(-1, c_out) + b).reshape(n, ho, wo, c_out)


def check_conv2d_backward(conv2d_backward, seed: int = 0) -> None:
    """Check ``conv2d_backward(dout, x, W, stride, padding) -> (dx, dW, db)`` for
    ``out = im2col(x) @ W + b`` (notebook 05, section 3)."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    errors = {}
    hints = {
        "dx": "dcols = dout (M, C_out) @ W (K, C_out).T, reshaped to im2col's (N, H_o, W_o, k, k, C_in) and added back "
        "into the windows with col2im(dcols, (H, W), stride, padding): overlapping windows sum.",
        "dW": "dW = cols.T @ dout with cols = im2col(x) as an (M, k k C_in) matrix and dout as (M, C_out), reshaped "
        "to W's (k, k, C_in, C_out): Dense's x.T @ dout on the rows of cols.",
        "db": "b[o] is added at every position of every image: sum dout over N, H_o and W_o.",
    }
    for n, h, w, c_in, c_out, k, stride, padding in _CONV_CASES:
        x = rng.standard_normal((n, h, w, c_in))
        W, b = rng.standard_normal((k, k, c_in, c_out)), rng.standard_normal(c_out)
        dout = rng.standard_normal(_conv_forward(x, W, b, stride, padding).shape)

        def loss(x=x, W=W, b=b, stride=stride, padding=padding, dout=dout):
            return float(np.sum(_conv_forward(x, W, b, stride, padding) * dout))

        compare_gradients(
            "conv2d_backward",
            conv2d_backward,
            {"dout": dout, "x": x, "W": W, "stride": stride, "padding": padding},
            loss,
            {"dx": x, "dW": W, "db": b},
            errors,
            shape_of={"dx": "x", "dW": "W", "db": "b"},
            hints=hints,
            case=f"k={k}, stride {stride}, padding {padding}, x {x.shape}",
        )
    correct("conv2d_backward", errors, note=f", {len(_CONV_CASES)} strides and paddings")


def _batchnorm_forward(x, gamma, beta, eps):
    """Training-mode batch normalisation over every axis but the last; returns (out, x_hat, inv_std)."""
    axes = tuple(range(x.ndim - 1))
    inv_std = 1.0 / np.sqrt(x.var(axis=axes) + eps)
    x_hat = (x - x.mean(axis=axes)) * inv_std
    return x_hat * gamma + beta, x_hat, inv_std


def check_batchnorm_backward(batchnorm_backward, seed: int = 0) -> None:
    """Check ``batchnorm_backward(dout, x_hat, gamma, inv_std) -> (dx, dgamma, dbeta)`` for batch
    normalisation in training mode (notebook 05, section 5), on rows (N, F) and on images (N, H, W, C)."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    eps = 1e-5
    errors = {}
    hints = {
        "dx": "in training the mean and the variance depend on every x of the batch: "
        "dx = gamma * inv_std / m * (m * dout - sum(dout) - x_hat * sum(dout * x_hat)), sums over every axis but "
        "the last and m the number of values per feature; the evaluation formula gamma * inv_std * dout misses the "
        "two sums.",
        "dgamma": "out = gamma * x_hat + beta: dgamma = sum of dout * x_hat over every axis but the last.",
        "dbeta": "dbeta = sum of dout over every axis but the last (for images: N, H and W, one number per channel).",
    }
    for shape in ((6, 4), (3, 4, 5, 2)):
        features = shape[-1]
        x = rng.standard_normal(shape) * 2.0 + 0.5
        gamma, beta = rng.uniform(0.5, 2.0, features), rng.standard_normal(features)
        out, x_hat, inv_std = _batchnorm_forward(x, gamma, beta, eps)
        dout = rng.standard_normal(out.shape)

        def loss(x=x, gamma=gamma, beta=beta, dout=dout):
            return float(np.sum(_batchnorm_forward(x, gamma, beta, eps)[0] * dout))

        compare_gradients(
            "batchnorm_backward",
            batchnorm_backward,
            {"dout": dout, "x_hat": x_hat, "gamma": gamma, "inv_std": inv_std},
            loss,
            {"dx": x, "dgamma": gamma, "dbeta": beta},
            errors,
            shape_of={"dx": "x_hat", "dgamma": "gamma", "dbeta": "gamma"},
            hints=hints,
            case=f"x {shape}",
        )
    correct("batchnorm_backward", errors, note=", rows and images")
