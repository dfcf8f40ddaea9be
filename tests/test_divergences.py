"""ganlib.divergences: the KL and Jensen-Shannon divergences of discrete distributions, and D* from samples."""

import numpy as np
import pytest
from exercise_cases.objective import d_star_densities

from ganlib.divergences import estimate_optimal_discriminator, jensen_shannon, kl_divergence
from ganlib.exercises.objective import check_estimate_d_star
from ganlib.layers import sigmoid
from ganlib.losses import softplus


def gaussian_on_grid(x, mean, std):
    p = np.exp(-0.5 * ((x - mean) / std) ** 2)
    return p / p.sum()


def test_kl_and_jsd_of_known_pairs():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])
    assert kl_divergence(p, p) == 0.0
    assert kl_divergence(p, q) == np.inf  # p > 0 where q = 0
    assert np.isclose(
        kl_divergence(np.array([0.5, 0.5]), np.array([0.25, 0.75])), 0.5 * np.log(2) + 0.5 * np.log(2 / 3)
    )
    assert np.isclose(jensen_shannon(p, q), 0.5 * np.log(2))  # half the mass overlaps
    assert np.isclose(jensen_shannon(np.array([1.0, 0.0]), np.array([0.0, 1.0])), np.log(2))  # disjoint
    assert jensen_shannon(p, p) == 0.0


def test_jsd_is_symmetric_and_bounded():
    rng = np.random.default_rng(0)
    for _ in range(20):
        p, q = rng.dirichlet(np.ones(7)), rng.dirichlet(np.ones(7))
        js = jensen_shannon(p, q)
        assert np.isclose(js, jensen_shannon(q, p)) and 0.0 < js < np.log(2)


def test_the_value_function_against_d_star_is_minus_log_4_plus_two_jsd():
    """Goodfellow et al. (2014), Theorem 1, on a grid: V(D*, G) = -log 4 + 2 JSD(p_data || p_g)."""
    x = np.linspace(-10.0, 14.0, 4001)
    p_data, p_g = gaussian_on_grid(x, 4.0, 1.25), gaussian_on_grid(x, 0.0, 1.0)
    logit = np.log(p_data) - np.log(p_g)  # logit of D* = p_data / (p_data + p_g)
    value = np.sum(-p_data * softplus(-logit) - p_g * softplus(logit))
    assert np.isclose(value, -np.log(4) + 2 * jensen_shannon(p_data, p_g), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "p, q, message",
    [
        (np.array([0.5, 0.6]), np.array([0.5, 0.5]), "sum to 1"),
        (np.array([1.5, -0.5]), np.array([0.5, 0.5]), "non-negative"),
        (np.array([0.5, 0.5]), np.array([0.2, 0.3, 0.5]), "same shape"),
        (np.ones((2, 2)) / 4, np.ones((2, 2)) / 4, "1-D"),
    ],
)
def test_divergences_refuse_what_is_not_a_distribution(p, q, message):
    with pytest.raises(ValueError, match=message):
        jensen_shannon(p, q)


def test_d_star_from_samples_approaches_the_closed_form():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(4.0, 1.25, 200_000), rng.normal(0.0, 1.0, 50_000)  # unequal sizes on purpose
    edges = np.linspace(-1.0, 6.0, 29)
    centres = 0.5 * (edges[1:] + edges[:-1])
    log_ratio = (-0.5 * ((centres - 4.0) / 1.25) ** 2 - np.log(1.25)) - (-0.5 * centres**2)
    estimate = estimate_optimal_discriminator(real, fake, edges)
    assert np.nanmax(np.abs(estimate - sigmoid(log_ratio))) < 0.05


def test_d_star_is_nan_where_no_sample_falls_and_exact_where_one_sample_does():
    edges = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    d = estimate_optimal_discriminator(np.array([0.5, 0.5, 2.5]), np.array([2.5, 3.5]), edges)
    # bin 0: real only; bin 1: nothing; bin 2: one real of 3 and one fake of 2; bin 3: fake only
    assert d[0] == 1.0 and np.isnan(d[1]) and np.isclose(d[2], (1 / 3) / (1 / 3 + 1 / 2)) and d[3] == 0.0
    with pytest.raises(ValueError, match="increasing"):
        estimate_optimal_discriminator([0.5], [0.5], [1.0, 0.0])
    with pytest.raises(ValueError, match="at least one sample"):
        estimate_optimal_discriminator([], [0.5], edges)


def test_the_d_star_check_accepts_densities_too(capsys):
    """np.histogram(density=True) divides by the bins' widths as well: the same D*, so a right answer."""
    check_estimate_d_star(d_star_densities)
    assert "estimate_d_star: correct" in capsys.readouterr().out
