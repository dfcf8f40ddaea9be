"""Notebook 03 (ganlib.exercises.networks): the generator's forward pass, a parameter count, D's loss and gradients."""

import numpy as np

from exercise_cases import Case
from ganlib.exercises.networks import (
    check_count_parameters,
    check_discriminator_loss_and_gradients,
    check_generator_forward,
)
from ganlib.layers import sigmoid
from ganlib.losses import softplus


def generator_solution(z, weights, biases, slope):
    h = z
    for i, (W, b) in enumerate(zip(weights, biases)):
        h = h @ W + b
        h = np.maximum(h, slope * h) if i < len(weights) - 1 else np.tanh(h)
    return h


def generator_variant(z, weights, biases, slope, hidden, last, bias=True):
    h = z
    for i, (W, b) in enumerate(zip(weights, biases)):
        h = h @ W + (b if bias else 0)
        h = hidden(h, slope) if i < len(weights) - 1 else last(h, slope)
    return h


def leaky(h, slope):
    return np.maximum(h, slope * h)


def tanh(h, slope):
    return np.tanh(h)


def generator_three_layers(z, weights, biases, slope):
    h = leaky(z @ weights[0] + biases[0], slope)
    h = leaky(h @ weights[1] + biases[1], slope)
    return np.tanh(h @ weights[2] + biases[2])  # IndexError on a two-layer generator


def count_solution(widths):
    return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))


def d_solution(D, x_real, x_fake, real_label):
    s_real = D.forward(x_real)
    loss = np.mean(softplus(s_real) - real_label * s_real)
    D.backward((sigmoid(s_real) - real_label) / len(x_real))
    grads = D.flat_grads.copy()
    s_fake = D.forward(x_fake)
    loss += np.mean(softplus(s_fake))
    D.backward(sigmoid(s_fake) / len(x_fake))
    return float(loss), grads + D.flat_grads


def d_together(D, x_real, x_fake, real_label):
    """One batch of m + n rows, as ganlib's GAN.discriminator_step does: right, and returns a view of flat_grads."""
    m = len(x_real)
    s = D.forward(np.concatenate([x_real, x_fake]))
    loss = np.mean(softplus(s[:m]) - real_label * s[:m]) + np.mean(softplus(s[m:]))
    D.backward(np.concatenate([(sigmoid(s[:m]) - real_label) / m, sigmoid(s[m:]) / len(x_fake)]))
    return float(loss), D.flat_grads


def d_variant(real_target=None, copy=True, fake_sign=1.0, mean=True, joint_mean=False, halves="both"):
    def answer(D, x_real, x_fake, real_label):
        a = real_label if real_target is None else real_target
        m, n = len(x_real), len(x_fake)
        m_div, n_div = (m + n, m + n) if joint_mean else (m, n) if mean else (1, 1)
        s_real = D.forward(x_real)
        loss = np.sum(softplus(s_real) - a * s_real) / m_div
        D.backward((sigmoid(s_real) - a) / m_div)
        grads = D.flat_grads.copy() if copy else D.flat_grads
        s_fake = D.forward(x_fake)
        loss += np.sum(softplus(s_fake)) / n_div
        D.backward(fake_sign * sigmoid(s_fake) / n_div)
        if halves == "fake":
            return float(loss), D.flat_grads.copy()
        return float(loss), grads + D.flat_grads

    return answer


CASES = {
    check_generator_forward: Case(
        generator_solution,
        {
            "no tanh at the end": (
                lambda z, W, b, a: generator_variant(z, W, b, a, leaky, lambda h, a: h),
                "x (3 layers 6-8-7-5, slope 0.2) is wrong",
            ),
            "LeakyReLU before the tanh too": (
                lambda z, W, b, a: generator_variant(z, W, b, a, leaky, lambda h, a: np.tanh(leaky(h, a))),
                "x (3 layers",
            ),
            "ReLU instead of LeakyReLU": (
                lambda z, W, b, a: generator_variant(z, W, b, a, lambda h, a: np.maximum(h, 0), tanh),
                "is wrong",
            ),
            "slope on the positive side": (
                lambda z, W, b, a: generator_variant(z, W, b, a, lambda h, a: np.where(h > 0, a * h, h), tanh),
                "is wrong",
            ),
            "biases forgotten": (lambda z, W, b, a: generator_variant(z, W, b, a, leaky, tanh, bias=False), "is wrong"),
            "hard-coded slope 0.2": (
                lambda z, W, b, a: generator_variant(z, W, b, 0.2, leaky, tanh),
                "x (2 layers 4-9-3, slope 0.05) is wrong",
            ),
            "hard-coded three layers": (generator_three_layers, "raised IndexError"),
            "sigmoid output": (lambda z, W, b, a: generator_variant(z, W, b, a, leaky, lambda h, a: sigmoid(h)), "x"),
        },
    ),
    check_count_parameters: Case(
        count_solution,
        {
            "biases forgotten": (lambda w: sum(a * b for a, b in zip(w[:-1], w[1:])), "1,552 too few"),
            "one bias per input": (lambda w: sum(a * b + a for a, b in zip(w[:-1], w[1:])), "684 too few"),
            "the last layer forgotten": (lambda w: sum((a + 1) * b for a, b in zip(w[:-2], w[1:-1])), "too few"),
            "one count per layer": (lambda w: [(a + 1) * b for a, b in zip(w[:-1], w[1:])], "one whole number"),
            "product of all widths": (lambda w: int(np.prod(w)), "count_parameters([100, 256, 512, 784]) returned"),
            "no return": (lambda w: None, "one whole number"),
        },
    ),
    check_discriminator_loss_and_gradients: Case(
        d_solution,
        {
            "label smoothing ignored": (d_variant(real_target=1.0), "loss (real label 0.9) is wrong"),
            "first half's gradients not copied": (d_variant(copy=False), "grads (real label 1.0) is wrong"),
            "only the fake half": (d_variant(halves="fake"), "grads (real label 1.0) is wrong"),
            "sums instead of means": (d_variant(mean=False), "loss (real label 1.0) is wrong"),
            "one mean over both batches": (d_variant(joint_mean=True), "loss (real label 1.0) is wrong"),
            "fake gradient's sign flipped": (d_variant(fake_sign=-1.0), "grads (real label 1.0) is wrong"),
            "gradients only": (lambda D, xr, xf, a: d_solution(D, xr, xf, a)[1], "must return 2 arrays"),
            "per-layer gradients": (
                lambda D, xr, xf, a: (d_solution(D, xr, xf, a)[0], [D.flat_grads[:10], D.flat_grads[10:]]),
                "grads",
            ),
        },
    ),
}
