"""Notebook 07 (ganlib.exercises.evaluation): the KL to uniform, the Frechet distance, the nearest neighbour."""

import numpy as np

from exercise_cases import Case
from ganlib.exercises.evaluation import check_gaussian_frechet_distance, check_kl_to_uniform, check_nearest_distance


def kl_solution(counts):
    p = counts / counts.sum()
    p = p[p > 0]
    return float(np.sum(p * np.log(10 * p)))


def kl_no_zero_handling(counts):
    p = counts / counts.sum()
    return float(np.sum(p * np.log(10 * p)))  # 0 * log 0 = nan


def kl_reversed(counts):
    p = counts / counts.sum()
    return float(np.sum(0.1 * np.log(0.1 / p)))  # KL(u || p): infinite where p = 0


def kl_log2(counts):
    p = counts / counts.sum()
    p = p[p > 0]
    return float(np.sum(p * np.log2(10 * p)))


def kl_counts(counts):
    c = counts[counts > 0].astype(float)
    return float(np.sum(c * np.log(10 * c)))  # fractions forgotten


def _sqrtm(a):
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_solution(mu_a, cov_a, mu_b, cov_b):
    root = _sqrtm(cov_a)
    eig = np.linalg.eigvalsh(root @ cov_b @ root)
    return float(
        np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * np.sum(np.sqrt(np.clip(eig, 0, None)))
    )


def frechet_roots_apart(mu_a, cov_a, mu_b, cov_b):
    # Tr(cov_a^(1/2) cov_b^(1/2)): right only when the covariances commute
    tr = np.trace(_sqrtm(cov_a) @ _sqrtm(cov_b))
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * tr)


def frechet_elementwise(mu_a, cov_a, mu_b, cov_b):
    tr = np.trace(np.sqrt(np.abs(cov_a * cov_b)))
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * tr)


def frechet_no_two(mu_a, cov_a, mu_b, cov_b):
    root = _sqrtm(cov_a)
    tr = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(root @ cov_b @ root), 0, None)))
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - tr)


def frechet_no_means(mu_a, cov_a, mu_b, cov_b):
    return frechet_solution(mu_a, cov_a, mu_a, cov_b)


def frechet_not_squared(mu_a, cov_a, mu_b, cov_b):
    return float(np.sqrt(frechet_solution(mu_a, cov_a, mu_b, cov_b)))


def _all_distances(samples, reference):
    return np.sqrt(((samples[:, None, :] - reference[None, :, :]) ** 2).sum(axis=2))  # (N, M)


def nearest_solution(samples, reference):
    d = _all_distances(samples, reference)
    i = d.argmin(axis=1)
    return d[np.arange(len(samples)), i], i


def nearest_squared(samples, reference):
    d2 = ((samples[:, None, :] - reference[None, :, :]) ** 2).sum(axis=2)
    return d2.min(axis=1), d2.argmin(axis=1)


def nearest_wrong_axis(samples, reference):
    d = _all_distances(samples, reference)
    return d.min(axis=0), d.argmin(axis=0)  # for each reference image, its nearest sample


def nearest_l1(samples, reference):
    d = np.abs(samples[:, None, :] - reference[None, :, :]).sum(axis=2)
    return d.min(axis=1), d.argmin(axis=1)


def nearest_farthest(samples, reference):
    d = _all_distances(samples, reference)
    return d.max(axis=1), d.argmax(axis=1)


CASES = {
    check_kl_to_uniform: Case(
        kl_solution,
        {
            "0 log 0 not left out": (kl_no_zero_handling, "is nan, expected a finite number"),
            "KL(u || p) instead of KL(p || u)": (kl_reversed, "is wrong"),
            "log base 2": (kl_log2, "a logarithm in base 2"),
            "counts, not fractions": (kl_counts, "is wrong"),
            "an array, not a number": (lambda counts: counts / counts.sum(), "must return one number"),
        },
    ),
    check_gaussian_frechet_distance: Case(
        frechet_solution,
        {
            "square roots taken apart": (frechet_roots_apart, "(one mean, two covariances) is wrong"),
            "elementwise square root": (frechet_elementwise, "is wrong"),
            "factor 2 forgotten": (frechet_no_two, "is wrong"),
            "means forgotten": (frechet_no_means, "(one covariance, two means) is wrong"),
            "not squared": (frechet_not_squared, "the square root of the right value"),
        },
    ),
    check_nearest_distance: Case(
        nearest_solution,
        {
            "squared distances": (nearest_squared, "distances is wrong"),
            "nearest along the wrong axis": (nearest_wrong_axis, "distances has shape (40,)"),
            "L1 distance": (nearest_l1, "is wrong"),
            "the farthest, not the nearest": (nearest_farthest, "distances is wrong"),
            "distances only": (lambda samples, reference: nearest_solution(samples, reference)[0], "must return 2"),
        },
    ),
}
