r"""Checks for notebook 07 (evaluating a GAN): three measures the reader writes.

Each check calls the reader's function on random float64 inputs and compares what it returns
with ganlib's own implementation in :mod:`ganlib.evaluation.metrics`, never with numbers
written in the notebook.

================================== ==================================================================
check_kl_to_uniform                ``kl_to_uniform(counts) -> float``, the class histogram's KL to uniform
check_gaussian_frechet_distance    ``gaussian_frechet_distance(mu_a, cov_a, mu_b, cov_b) -> float``
check_nearest_distance             ``nearest_distance(samples, reference) -> (distances, indices)``
================================== ==================================================================
"""

from __future__ import annotations

import numpy as np

from ..evaluation import metrics
from ..gradcheck import rel_error
from . import DEFAULT_TOL, WrongAnswer, call, compare, correct, outputs

__all__ = ["check_gaussian_frechet_distance", "check_kl_to_uniform", "check_nearest_distance"]

_GANLIB = "ganlib.evaluation.metrics"


def _number(name: str, output: str, got, expected: float, case: str, hint: str) -> float:
    """Compare one number with ganlib's; a WrongAnswer (with the diagnosis a number allows) if it is wrong.

    A wrong number is always off by *some* factor, so only factors that say something are named:
    1/log(2) (a logarithm in base 2) and a square root or a square."""
    __tracebackhide__ = True
    if isinstance(got, tuple | list) or np.ndim(got) != 0:
        shape = np.shape(got) if isinstance(got, np.ndarray) else type(got).__name__
        raise WrongAnswer(f"{name} must return one number, got {shape}")
    try:
        value = float(got)
    except (TypeError, ValueError):
        raise WrongAnswer(f"{name} must return one number, got a {type(got).__name__}") from None
    where, hint = f"{name}: {output} ({case})", f"\nHint: {hint}"
    if not np.isfinite(value):
        raise WrongAnswer(f"{where} is {value}, expected a finite number{hint}")
    error = rel_error(np.array(value), np.array(expected))
    if error > DEFAULT_TOL:
        note = ""
        if expected > 0 and np.isclose(value, expected / np.log(2), rtol=1e-6):
            note = "; it is 1/log(2) = 1.44 times too large: a logarithm in base 2 where the natural one was wanted?"
        elif expected > 0 and np.isclose(value, np.sqrt(expected), rtol=1e-6):
            note = "; it is the square root of the right value"
        elif expected > 0 and np.isclose(value, expected**2, rtol=1e-6):
            note = "; it is the square of the right value"
        raise WrongAnswer(
            f"{where} is wrong: relative error {error:.1e} vs {_GANLIB} (tolerance {DEFAULT_TOL:.0e}){note}{hint}"
        )
    return error


def check_kl_to_uniform(kl_to_uniform, seed: int = 0) -> None:
    """Check ``kl_to_uniform(counts) -> float``: KL(p || uniform) in nats of the histogram ``counts`` (10,)."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    uneven = rng.integers(1, 500, size=10)
    uneven[rng.choice(10, size=3, replace=False)] = 0  # empty classes: 0 log 0 = 0
    one_class = np.zeros(10, dtype=np.int64)
    one_class[rng.integers(10)] = int(rng.integers(100, 1000))
    cases = [
        (rng.integers(1, 500, size=10), "every class drawn"),
        (uneven, "three classes empty"),
        (one_class, "one class"),
    ]
    hint = (
        "turn the counts into fractions p (they sum to 1), then sum p_c log(p_c / (1/10)) with the natural log, "
        "leaving out the classes with p_c = 0 (0 log 0 = 0)."
    )
    errors = []
    for counts, case in cases:
        expected = metrics.kl_to_uniform(counts)
        got = call(kl_to_uniform, {"counts": counts}, name="kl_to_uniform")
        errors.append(_number("kl_to_uniform", "KL", got, expected, case, hint))
    correct("kl_to_uniform", {"KL": max(errors)}, against=_GANLIB, note=", three histograms")


def _covariance(rng, f: int, scale: float) -> np.ndarray:
    """A random symmetric positive definite (f, f) matrix, well away from singular."""
    a = rng.standard_normal((f, f))
    return scale * (a @ a.T / f + 0.1 * np.eye(f))


def check_gaussian_frechet_distance(gaussian_frechet_distance, seed: int = 0) -> None:
    """Check ``gaussian_frechet_distance(mu_a, cov_a, mu_b, cov_b) -> float``, the squared Frechet
    (2-Wasserstein) distance between two Gaussians, means (F,) and covariances (F, F)."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    f = 6
    mu_a, mu_b = rng.standard_normal(f), rng.standard_normal(f)
    cov_a, cov_b = _covariance(rng, f, 1.0), _covariance(rng, f, 2.0)  # they do not commute
    cases = [
        ((mu_a, cov_a, mu_b, cov_a), "one covariance, two means"),
        ((mu_a, cov_a, mu_a, cov_b), "one mean, two covariances"),
        ((mu_a, cov_a, mu_b, cov_b), "two means, two covariances"),
    ]
    hint = (
        "d^2 = |mu_a - mu_b|^2 + Tr(cov_a) + Tr(cov_b) - 2 Tr((cov_a cov_b)^(1/2)). The square root is of the "
        "product, not of each factor: Tr((cov_a cov_b)^(1/2)) is the sum of the square roots of the eigenvalues "
        "of the symmetric matrix cov_a^(1/2) cov_b cov_a^(1/2) (np.linalg.eigh gives cov_a^(1/2) too)."
    )
    errors = []
    for (ma, ca, mb, cb), case in cases:
        expected = metrics.gaussian_frechet_distance(ma, ca, mb, cb)
        arguments = {"mu_a": ma, "cov_a": ca, "mu_b": mb, "cov_b": cb}
        got = call(gaussian_frechet_distance, arguments, name="gaussian_frechet_distance")
        errors.append(_number("gaussian_frechet_distance", "d^2", got, expected, case, hint))
    correct("gaussian_frechet_distance", {"d^2": max(errors)}, against=_GANLIB, note=", three pairs of Gaussians")


def check_nearest_distance(nearest_distance, seed: int = 0) -> None:
    """Check ``nearest_distance(samples, reference) -> (distances (N,), indices (N,))``: for each sample,
    the Euclidean distance to its nearest reference image and that image's row."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    n, m, d = 7, 40, 784  # images of 784 pixels in [-1, 1], as ganlib's search wants them
    # float32 values, so that ganlib's float32 search sees exactly the same numbers
    reference = rng.uniform(-1, 1, (m, d)).astype(np.float32).astype(np.float64)
    samples = rng.uniform(-1, 1, (n, d)).astype(np.float32).astype(np.float64)
    samples[2] = reference[11]  # an exact copy: distance 0
    expected_d, expected_i = metrics.NearestNeighbours(reference).query(samples)
    result = call(nearest_distance, {"samples": samples, "reference": reference}, name="nearest_distance")
    got_d, got_i = outputs("nearest_distance", result, ("distances", "indices"))
    hint = (
        "for sample n, the distances to all M reference rows are sqrt(sum over pixels of (samples[n] - reference[j])^2); "
        "keep the smallest (min over j) and where it is (argmin over j). Both outputs have shape (N,)."
    )
    errors = {
        "distances": compare(
            "nearest_distance", "distances", got_d, expected_d, against=_GANLIB, shape_of="(N,)", hint=hint
        ),
        "indices": compare(
            "nearest_distance", "indices", got_i, expected_i, against=_GANLIB, shape_of="(N,)", hint=hint
        ),
    }
    correct("nearest_distance", errors, against=_GANLIB, note=f", {n} samples, {m} reference images")
