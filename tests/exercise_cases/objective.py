"""Notebook 01 (ganlib.exercises.objective): D* from samples, the Jensen-Shannon divergence, the generator's gradients."""

import numpy as np

from exercise_cases import Case
from ganlib.exercises.objective import check_estimate_d_star, check_generator_loss_gradients, check_jensen_shannon
from ganlib.layers import sigmoid
from ganlib.losses import generator_loss


def d_star_solution(real, fake, edges):
    p_data = np.histogram(real, bins=edges)[0] / len(real)
    p_g = np.histogram(fake, bins=edges)[0] / len(fake)
    with np.errstate(invalid="ignore"):  # 0 / 0 in the empty bins: NaN, as wanted
        return p_data / (p_data + p_g)


def d_star_densities(real, fake, edges):  # np.histogram's densities: also right, the widths cancel
    p_data = np.histogram(real, bins=edges, density=True)[0]
    p_g = np.histogram(fake, bins=edges, density=True)[0]
    with np.errstate(invalid="ignore"):
        return p_data / (p_data + p_g)


def d_star_raw_counts(real, fake, edges):
    n_data, n_g = np.histogram(real, bins=edges)[0], np.histogram(fake, bins=edges)[0]
    with np.errstate(invalid="ignore"):
        return n_data / (n_data + n_g)


def d_star_swapped(real, fake, edges):
    return d_star_solution(fake, real, edges)


def d_star_zero_where_empty(real, fake, edges):
    return np.nan_to_num(d_star_solution(real, fake, edges))


def d_star_ratio(real, fake, edges):
    p_data = np.histogram(real, bins=edges)[0] / len(real)
    p_g = np.histogram(fake, bins=edges)[0] / len(fake)
    with np.errstate(invalid="ignore", divide="ignore"):
        return p_data / p_g


def d_star_default_bins(real, fake, edges):
    p_data, _ = np.histogram(real, bins=10)
    p_g, _ = np.histogram(fake, bins=10)
    return p_data / (p_data + p_g)


def jsd_solution(p, q):
    m = (p + q) / 2
    kl = lambda a: np.sum(a[a > 0] * np.log(a[a > 0] / m[a > 0]))  # noqa: E731
    return 0.5 * kl(p) + 0.5 * kl(q)


def jsd_unmasked(p, q):
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return 0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m))


def jsd_in_bits(p, q):
    return jsd_solution(p, q) / np.log(2)


def jsd_one_kl(p, q):
    m = (p + q) / 2
    return np.sum(p[p > 0] * np.log(p[p > 0] / m[p > 0]))


def jsd_mixture_not_halved(p, q):
    m = p + q
    kl = lambda a: np.sum(a[a > 0] * np.log(a[a > 0] / m[a > 0]))  # noqa: E731
    return 0.5 * kl(p) + 0.5 * kl(q)


def jsd_not_summed(p, q):
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / m), 0.0) + np.where(q > 0, q * np.log(q / m), 0.0)
    return 0.5 * terms


def gradients_solution(logits):
    d = sigmoid(logits)
    return -d, d - 1


CASES = {
    check_estimate_d_star: Case(
        d_star_solution,
        {
            "raw counts, not divided by the sample sizes": (d_star_raw_counts, "d_star (3000 real and 1000 fake"),
            "real and fake swapped": (d_star_swapped, "is wrong"),
            "0 instead of NaN where no sample falls": (d_star_zero_where_empty, "return NaN (np.nan)"),
            "the density ratio p_data / p_g": (d_star_ratio, "NaN or inf"),
            "np.histogram's default bins": (d_star_default_bins, "has shape (10,)"),
            "no return": (lambda real, fake, edges: None, "forget to `return`"),
        },
    ),
    check_jensen_shannon: Case(
        jsd_solution,
        {
            "0 log 0 not masked": (jsd_unmasked, "contains NaN or inf"),
            "in bits (log base 2)": (jsd_in_bits, "off by a factor of 1.443"),
            "one KL only": (jsd_one_kl, "is wrong"),
            "mixture p + q, not halved": (jsd_mixture_not_halved, "is wrong"),
            "two KLs, not halved": (lambda p, q: 2 * jsd_solution(p, q), "off by a factor of 2"),
            "terms not summed": (jsd_not_summed, "has shape (12,)"),
        },
    ),
    check_generator_loss_gradients: Case(
        gradients_solution,
        {
            "ganlib's mean-loss gradients": (
                lambda s: (generator_loss(s, "minimax")[1], generator_loss(s, "non_saturating")[1]),
                "8 = N times too small",
            ),
            "swapped": (lambda s: gradients_solution(s)[::-1], "d_minimax is wrong"),
            "wrong sign": (lambda s: tuple(-g for g in gradients_solution(s)), "wrong sign"),
            "derivatives with respect to D, not the logit": (
                lambda s: (-1 / (1 - sigmoid(s)), -1 / sigmoid(s)),
                "d_minimax is wrong",
            ),
            "the sigmoid's derivative once more": (
                lambda s: tuple(g * sigmoid(s) * (1 - sigmoid(s)) for g in gradients_solution(s)),
                "d_minimax is wrong",
            ),
            "one output": (lambda s: -sigmoid(s), "must return 2 arrays"),
            "flattened": (lambda s: tuple(g.ravel() for g in gradients_solution(s)), "has shape (8,)"),
        },
    ),
}
