"""Notebook 02 (ganlib.exercises.backprop): the five backward passes and the loss's gradient."""

import numpy as np

from exercise_cases import Case
from ganlib.exercises.backprop import (
    check_bce_with_logits_backward,
    check_dense_backward,
    check_dropout_backward,
    check_leaky_relu_backward,
    check_tanh_backward,
)
from ganlib.layers import sigmoid
from ganlib.losses import bce_with_logits


def dense_solution(dout, x, W):
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def dense_inplace(dout, x, W):
    dx, dW, db = dense_solution(dout, x, W)
    x *= 0  # clobbers the forward pass's input
    return dx, dW, db


def leaky_solution(dout, x, slope):
    return dout * np.where(x > 0, 1.0, slope)


def leaky_inplace(dout, x, slope):
    dout[x <= 0] *= slope
    return dout


def leaky_no_return(dout, x, slope):
    dout * np.where(x > 0, 1.0, slope)  # noqa: B018 - the forgotten return is the point


def tanh_solution(dout, out):
    return dout * (1 - out**2)


def dropout_solution(dout, mask, p):
    return dout * mask / (1 - p)


def dropout_inplace(dout, mask, p):
    dout *= mask / (1 - p)
    return dout


def bce_solution(logits, targets):
    return (sigmoid(logits) - targets) / len(logits)


CASES = {
    check_dense_backward: Case(
        dense_solution,
        {
            "no transpose in dx": (lambda dout, x, W: (dout @ W, x.T @ dout, dout.sum(axis=0)), "raised ValueError"),
            "dW transposed": (lambda dout, x, W: (dout @ W.T, dout.T @ x, dout.sum(axis=0)), "transpose"),
            "dx transposed": (lambda dout, x, W: (W @ dout.T, x.T @ dout, dout.sum(axis=0)), "dx has shape (5, 4)"),
            "forgotten batch sum in db": (lambda dout, x, W: (dout @ W.T, x.T @ dout, dout[0]), "db is wrong"),
            "mean instead of sum in db": (
                lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.mean(axis=0)),
                "4 = N times too small",
            ),
            "mean instead of sum in dW": (lambda dout, x, W: (dout @ W.T, x.T @ dout / len(x), dout.sum(0)), "dW"),
            "db summed over the wrong axis": (
                lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.sum(axis=1)),
                "db has shape (4,)",
            ),
            "db with keepdims": (
                lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.sum(axis=0, keepdims=True)),
                "db has shape (1, 3)",
            ),
            "wrong sign": (lambda dout, x, W: (-(dout @ W.T), x.T @ dout, dout.sum(axis=0)), "wrong sign"),
            "two outputs": (lambda dout, x, W: (dout @ W.T, x.T @ dout), "must return 3 arrays"),
            "forward value": (lambda dout, x, W: x @ W, "must return 3 arrays"),
            "input changed in place": (dense_inplace, "changed its argument x in place"),
        },
    ),
    check_leaky_relu_backward: Case(
        leaky_solution,
        {
            "wrong slope branch": (
                lambda dout, x, slope: dout * np.where(x > 0, slope, 1.0),
                "dx (with slope 0.2) is wrong",
            ),
            "hard-coded slope": (lambda dout, x, slope: dout * np.where(x > 0, 1.0, 0.2), "with slope 0.05"),
            "forward value": (lambda dout, x, slope: np.where(x > 0, x, slope * x), "dx (with slope 0.2) is wrong"),
            "dout forgotten": (lambda dout, x, slope: np.where(x > 0, 1.0, slope), "is wrong"),
            "plain ReLU": (lambda dout, x, slope: dout * (x > 0), "is wrong"),
            "wrong shape": (lambda dout, x, slope: (dout * np.where(x > 0, 1.0, slope)).sum(axis=0), "has shape (6,)"),
            "no return": (leaky_no_return, "is None"),
            "dout changed in place": (leaky_inplace, "changed its argument dout in place"),
        },
    ),
    check_tanh_backward: Case(
        tanh_solution,
        {
            "tanh applied again": (lambda dout, out: dout * (1 - np.tanh(out) ** 2), "dx is wrong"),
            "sigmoid's derivative": (lambda dout, out: dout * out * (1 - out), "dx is wrong"),
            "square forgotten": (lambda dout, out: dout * (1 - out), "dx is wrong"),
            "dout forgotten": (lambda dout, out: 1 - out**2, "dx is wrong"),
            "forward value": (lambda dout, out: out, "dx is wrong"),
            "factor 2": (lambda dout, out: 2 * dout * (1 - out**2), "off by a factor of 2"),
            "transposed": (lambda dout, out: (dout * (1 - out**2)).T, "transpose"),
        },
    ),
    check_dropout_backward: Case(
        dropout_solution,
        {
            # the original post's Droupout.backward: the forward's scale forgotten
            "scale forgotten": (lambda dout, mask, p: dout * mask, "off by a factor of 0.7"),
            "keep probability confused with p": (lambda dout, mask, p: dout * mask / p, "dx (with p = 0.3) is wrong"),
            "mask forgotten": (lambda dout, mask, p: dout / (1 - p), "dx (with p = 0.3) is wrong"),
            "dropped units kept": (lambda dout, mask, p: dout * (1 - mask) / (1 - p), "dx (with p = 0.3) is wrong"),
            "hard-coded p": (lambda dout, mask, p: dout * mask / 0.7, "dx (with p = 0.2) is wrong"),
            "multiplied by 1 - p": (lambda dout, mask, p: dout * mask * (1 - p), "dx (with p = 0.3) is wrong"),
            "dout forgotten": (lambda dout, mask, p: mask / (1 - p), "is wrong"),
            "dout changed in place": (dropout_inplace, "changed its argument dout in place"),
        },
    ),
    check_bce_with_logits_backward: Case(
        bce_solution,
        {
            "sum instead of mean": (lambda s, t: sigmoid(s) - t, "8 = N times too large"),
            "wrong sign": (lambda s, t: (t - sigmoid(s)) / len(s), "wrong sign"),
            "sigmoid's derivative twice": (
                lambda s, t: (sigmoid(s) - t) * sigmoid(s) * (1 - sigmoid(s)) / len(s),
                "dlogits (targets 1) is wrong",
            ),
            "logit instead of probability": (lambda s, t: (s - t) / len(s), "is wrong"),
            "target ignored": (lambda s, t: (sigmoid(s) - 1) / len(s), "dlogits (targets 0) is wrong"),
            "flattened": (lambda s, t: ((sigmoid(s) - t) / len(s)).ravel(), "has shape (8,)"),
            "the loss value": (lambda s, t: bce_with_logits(s, t)[0], "has shape ()"),
            "loss and gradient": (lambda s, t: bce_with_logits(s, t), "not an array of numbers"),
        },
    ),
}
