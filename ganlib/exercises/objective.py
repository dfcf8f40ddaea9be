r"""Checks for notebook 01 (the objective): three functions the reader writes.

============================== ===============================================================
check_estimate_d_star          ``estimate_d_star(real, fake, edges) -> d_star``, :math:`D^*` per
                               histogram bin from samples, NaN where no sample falls
check_jensen_shannon           ``jensen_shannon(p, q) -> float``, the JSD of two discrete
                               distributions, in nats
check_generator_loss_gradients ``generator_loss_gradients(logits) -> (d_minimax, d_non_saturating)``,
                               each example's loss differentiated with respect to its own logit
============================== ===============================================================

The first two are compared with ganlib's own implementations (:mod:`ganlib.divergences`) on
random samples and distributions, the third with centred finite differences.
"""

from __future__ import annotations

import numpy as np

from ..divergences import estimate_optimal_discriminator, jensen_shannon
from ..gradcheck import numerical_gradient
from ..losses import softplus
from . import WrongAnswer, call, compare, correct, outputs

__all__ = ["check_estimate_d_star", "check_jensen_shannon", "check_generator_loss_gradients"]


def _bins_with(mask: np.ndarray, edges: np.ndarray) -> str:
    i = np.flatnonzero(mask)
    shown = ", ".join(f"[{edges[k]:g}, {edges[k + 1]:g})" for k in i[:3])
    return shown + (f" and {len(i) - 3} more" if len(i) > 3 else "")


def _compare_with_nan(name: str, got, expected: np.ndarray, edges: np.ndarray, case: str, hint: str) -> float:
    """Like ``compare``, for an output that must be NaN exactly where ``expected`` is."""
    __tracebackhide__ = True
    if got is None:
        raise WrongAnswer(f"{name}: d_star ({case}) is None: did you forget to `return` it?\nHint: {hint}")
    try:
        value = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise WrongAnswer(f"{name}: d_star ({case}) is not an array of numbers\nHint: {hint}") from None
    if value.shape != expected.shape:  # compare() words the shape message
        compare(name, "d_star", value, np.zeros(expected.shape), shape_of="the bins, len(edges) - 1", case=case)
    undefined = np.isnan(expected)
    if np.any(undefined & ~np.isnan(value)):
        raise WrongAnswer(
            f"{name}: d_star ({case}) has numbers in bins where neither sample falls, "
            f"{_bins_with(undefined & ~np.isnan(value), edges)}: D* is undefined there, return NaN (np.nan)"
        )
    if np.any(~undefined & np.isnan(value)):
        raise WrongAnswer(
            f"{name}: d_star ({case}) is NaN in bins where samples fall, "
            f"{_bins_with(~undefined & np.isnan(value), edges)}\nHint: {hint}"
        )
    return compare(
        name, "d_star", value[~undefined], expected[~undefined], case=case, against="ganlib's estimate", hint=hint
    )


def check_estimate_d_star(estimate_d_star, seed: int = 0) -> None:
    """Check ``estimate_d_star(real, fake, edges) -> d_star`` of shape ``(len(edges) - 1,)``."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    edges = np.linspace(-6.0, 6.0, 49)  # bins of width 0.25; the outer ones stay empty
    hint = (
        "estimate each density by its histogram divided by its own number of samples (the two sample sizes "
        "differ), then D* = p_data / (p_data + p_g) in every bin (section 2)."
    )
    errors = []
    for n_real, n_fake in ((3000, 1000), (500, 2000)):  # unequal sizes, both ways round
        real = np.clip(rng.normal(1.0, 1.0, size=n_real), -5.9, 5.9)
        fake = np.clip(rng.normal(-1.0, 0.6, size=n_fake), -5.9, 5.9)
        expected = estimate_optimal_discriminator(real, fake, edges)
        got = call(estimate_d_star, {"real": real, "fake": fake, "edges": edges}, name="estimate_d_star")
        case = f"{n_real} real and {n_fake} fake samples"
        errors.append(_compare_with_nan("estimate_d_star", got, expected, edges, case, hint))
    correct("estimate_d_star", {"d_star": max(errors)}, against="ganlib's estimate", note=", two sample sizes")


def _random_distribution(rng, size: int, zeros: slice) -> np.ndarray:
    p = rng.dirichlet(np.ones(size))
    p[zeros] = 0.0
    return p / p.sum()


def check_jensen_shannon(jensen_shannon_function, seed: int = 0) -> None:
    """Check ``jensen_shannon(p, q) -> float`` on discrete distributions with zeros, disjoint ones and a grid."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    k = 12
    grid = np.linspace(-8.0, 8.0, 801)
    bumps = [np.exp(-0.5 * ((grid - mean) / std) ** 2) for mean, std in ((-1.0, 1.0), (1.5, 0.7))]
    cases = {
        "p and q with zeros": (_random_distribution(rng, k, slice(0, 2)), _random_distribution(rng, k, slice(3, 5))),
        "p and q disjoint": (
            _random_distribution(rng, k, slice(k // 2, k)),
            _random_distribution(rng, k, slice(0, k // 2)),
        ),
        "two Gaussians on a grid": tuple(b / b.sum() for b in bumps),
    }
    hint = (
        "JSD = 0.5 KL(p || m) + 0.5 KL(q || m) with m = (p + q) / 2, in natural logs; a term with p_i = 0 "
        "counts as 0 (np.log(0) is -inf and 0 * -inf is NaN: sum only where p > 0) (section 3)."
    )
    got, expected = [], []
    for case, (p, q) in cases.items():
        value = call(jensen_shannon_function, {"p": p, "q": q}, name="jensen_shannon")
        right = np.asarray(jensen_shannon(p, q))
        # a number, finite: compare() with an infinite tolerance checks that much and no more
        compare("jensen_shannon", "the JSD", value, right, tol=np.inf, case=case, hint=hint)
        got.append(float(np.asarray(value)))
        expected.append(float(right))
    got, expected = np.array(got), np.array(expected)
    wrong = [case for case, a, b in zip(cases, got, expected) if abs(a - b) > 1e-7 * (abs(a) + abs(b))]
    # all pairs compared at once, so that a factor (2, or 1 / log 2 for bits) is named only if every pair shows it
    error = compare(
        "jensen_shannon",
        "the JSD",
        got,
        expected,
        case="for " + ", ".join(wrong),
        against="ganlib.divergences",
        hint=hint,
    )
    correct("jensen_shannon", {"JSD": error}, against="ganlib.divergences", note=f", {len(cases)} pairs")


def check_generator_loss_gradients(generator_loss_gradients, seed: int = 0) -> None:
    """Check ``generator_loss_gradients(logits) -> (d_minimax, d_non_saturating)``, per example, shapes (N, 1)."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    n = 8
    logits = 3.0 * rng.standard_normal((n, 1))  # D(G(z)) = sigmoid(logits) from about 0.001 to 0.999
    losses = {  # each example's loss, as a function of its logit s
        "d_minimax": lambda: float(np.sum(-softplus(logits))),  # log(1 - sigmoid(s))
        "d_non_saturating": lambda: float(np.sum(softplus(-logits))),  # -log sigmoid(s)
    }
    expected = {key: numerical_gradient(loss, logits) for key, loss in losses.items()}
    result = call(generator_loss_gradients, {"logits": logits}, name="generator_loss_gradients")
    got = dict(zip(expected, outputs("generator_loss_gradients", result, tuple(expected))))
    hints = {
        "d_minimax": "differentiate log(1 - sigmoid(s)) with respect to s, using sigmoid'(s) = sigmoid(s) (1 - sigmoid(s)); "
        "one value per example, not a mean over the batch (section 4).",
        "d_non_saturating": "differentiate -log sigmoid(s) with respect to s, using sigmoid'(s) = sigmoid(s) (1 - sigmoid(s)); "
        "one value per example, not a mean over the batch (section 4).",
    }
    errors = {
        key: compare(
            "generator_loss_gradients", key, got[key], expected[key], shape_of="logits", batch=n, hint=hints[key]
        )
        for key in expected
    }
    correct("generator_loss_gradients", errors)
