"""Notebook 05 (ganlib.exercises.convolution): the convolution's and batch normalisation's backward passes."""

import numpy as np

from exercise_cases import Case
from ganlib.conv import col2im, im2col
from ganlib.exercises.convolution import check_batchnorm_backward, check_conv2d_backward


def conv_solution(dout, x, W, stride, padding):
    n, h, w, _ = x.shape
    k, c_out = W.shape[0], W.shape[3]
    cols = im2col(x, k, stride, padding)  # (N, Ho, Wo, k, k, C_in)
    d2 = dout.reshape(-1, c_out)  # (M, C_out)
    dW = (cols.reshape(len(d2), -1).T @ d2).reshape(W.shape)
    dcols = (d2 @ W.reshape(-1, c_out).T).reshape(cols.shape)
    return col2im(dcols, (h, w), stride, padding), dW, d2.sum(axis=0)


def conv_no_overlap_sum(dout, x, W, stride, padding):
    # dx from the last window that touched a pixel, not the sum of all of them
    _, dW, db = conv_solution(dout, x, W, stride, padding)
    n, h, w, _ = x.shape
    k, c_out = W.shape[0], W.shape[3]
    dcols = (dout.reshape(-1, c_out) @ W.reshape(-1, c_out).T).reshape(*dout.shape[:3], k, k, x.shape[3])
    out = np.zeros((n, h + 2 * padding + stride, w + 2 * padding + stride, x.shape[3]))
    for i in range(k):
        for j in range(k):
            out[:, i : i + stride * dout.shape[1] : stride, j : j + stride * dout.shape[2] : stride] = dcols[
                :, :, :, i, j
            ]
    return out[:, padding : padding + h, padding : padding + w], dW, db


def conv_stride_ignored(dout, x, W, stride, padding):
    return conv_solution(dout, x, W, 1, padding) if stride == 1 else conv_solution(dout, x, W, stride, 0)


def conv_db_mean(dout, x, W, stride, padding):
    dx, dW, _ = conv_solution(dout, x, W, stride, padding)
    return dx, dW, dout.reshape(-1, W.shape[3]).mean(axis=0)


def conv_dx_padded(dout, x, W, stride, padding):
    # dx of the padded input, padding never cropped
    return conv_solution(dout, np.pad(x, ((0, 0), (padding,) * 2, (padding,) * 2, (0, 0))), W, stride, 0)


def conv_x_clobbered(dout, x, W, stride, padding):
    result = conv_solution(dout, x, W, stride, padding)
    x[...] = 0
    return result


def bn_solution(dout, x_hat, gamma, inv_std):
    axes = tuple(range(dout.ndim - 1))
    m = dout.size // dout.shape[-1]
    sum_d, sum_dx = dout.sum(axis=axes), (dout * x_hat).sum(axis=axes)
    dx = gamma * inv_std / m * (m * dout - sum_d - x_hat * sum_dx)
    return dx, sum_dx, sum_d


def bn_eval_formula(dout, x_hat, gamma, inv_std):
    _, dgamma, dbeta = bn_solution(dout, x_hat, gamma, inv_std)
    return dout * gamma * inv_std, dgamma, dbeta


def bn_mean_only(dout, x_hat, gamma, inv_std):
    # the mean's dependence on x kept, the variance's forgotten
    axes = tuple(range(dout.ndim - 1))
    _, dgamma, dbeta = bn_solution(dout, x_hat, gamma, inv_std)
    return gamma * inv_std * (dout - dout.mean(axis=axes)), dgamma, dbeta


def bn_batch_axis_only(dout, x_hat, gamma, inv_std):
    # statistics over the batch axis alone, as for rows, applied to images as well
    m = len(dout)
    sum_d, sum_dx = dout.sum(axis=0), (dout * x_hat).sum(axis=0)
    return gamma * inv_std / m * (m * dout - sum_d - x_hat * sum_dx), sum_dx, sum_d


def bn_gamma_swapped(dout, x_hat, gamma, inv_std):
    dx, dgamma, dbeta = bn_solution(dout, x_hat, gamma, inv_std)
    return dx, dbeta, dgamma


CASES = {
    check_conv2d_backward: Case(
        conv_solution,
        {
            "overlapping windows not summed": (conv_no_overlap_sum, "dx (k=3, stride 1, padding 0"),
            "padding not cropped from dx": (conv_dx_padded, "has shape (2, 8, 8, 2), expected the shape of x"),
            "stride ignored": (conv_stride_ignored, "raised ValueError"),
            "mean instead of sum in db": (conv_db_mean, "db (k=3, stride 1, padding 0, x (2, 5, 6, 3)) is wrong"),
            "x changed in place": (conv_x_clobbered, "changed its argument x in place"),
            "forward value": (
                lambda dout, x, W, stride, padding: im2col(x, W.shape[0], stride, padding),
                "must return 3 arrays",
            ),
        },
    ),
    check_batchnorm_backward: Case(
        bn_solution,
        {
            "evaluation formula in training": (bn_eval_formula, "dx (x (6, 4)) is wrong"),
            "variance's dependence forgotten": (bn_mean_only, "dx (x (6, 4)) is wrong"),
            "statistics over the batch axis only": (bn_batch_axis_only, "x (3, 4, 5, 2)"),
            "dgamma and dbeta swapped": (bn_gamma_swapped, "dgamma (x (6, 4)) is wrong"),
            "two outputs": (lambda dout, x_hat, gamma, inv_std: (dout, dout), "must return 3 arrays"),
        },
    ),
}
