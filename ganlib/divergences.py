r"""The divergences behind the GAN objective, and the optimal discriminator estimated from samples (notebook 01).

Distributions here are *discrete*: arrays of probabilities that sum to 1. A density
evaluated on a grid of spacing :math:`\Delta x` becomes one as ``density * dx``, so the
sums below are the integrals of notebook 01 computed on a grid.

======================================= ============================================================
kl_divergence(p, q)                     :math:`\mathrm{KL}(p \,\|\, q) = \sum_i p_i \log(p_i / q_i)`
jensen_shannon(p, q)                    :math:`\tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12 \mathrm{KL}(q \,\|\, m)`, :math:`m = \tfrac12(p + q)`
estimate_optimal_discriminator(...)     :math:`D^* = p_{data} / (p_{data} + p_g)` from histograms of samples
======================================= ============================================================

Logarithms are natural (nats). A term with :math:`p_i = 0` counts as 0, the limit of
:math:`p \log p`; a term with :math:`p_i > 0 = q_i` makes the KL infinite. The JSD never is:
:math:`m_i \ge p_i / 2`, so it lies between 0 (for :math:`p = q`) and :math:`\log 2` (for
distributions that never overlap).
"""

from __future__ import annotations

import numpy as np

__all__ = ["kl_divergence", "jensen_shannon", "estimate_optimal_discriminator"]


def _distribution(values, name: str) -> np.ndarray:
    p = np.asarray(values, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of probabilities, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"{name} must hold finite, non-negative probabilities")
    if not np.isclose(p.sum(), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"{name} must sum to 1 (a density on a grid: density * dx), got {p.sum():.8g}")
    return p


def _pair(p, q) -> tuple[np.ndarray, np.ndarray]:
    p, q = _distribution(p, "p"), _distribution(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    return p, q


def kl_divergence(p, q) -> float:
    r""":math:`\mathrm{KL}(p \,\|\, q) = \sum_{i: p_i > 0} p_i \log(p_i / q_i)`, in nats; ``inf`` if some :math:`p_i > 0 = q_i`."""
    p, q = _pair(p, q)
    where = p > 0
    if np.any(q[where] == 0):
        return float("inf")
    return float(np.sum(p[where] * np.log(p[where] / q[where])))


def jensen_shannon(p, q) -> float:
    r"""The Jensen–Shannon divergence of two discrete distributions, in nats, in :math:`[0, \log 2]`.

    :math:`\mathrm{JSD}(p \,\|\, q) = \tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12 \mathrm{KL}(q \,\|\, m)` with the
    mixture :math:`m = \tfrac12 (p + q)`. Symmetric in ``p`` and ``q``; 0 exactly when they are
    equal, :math:`\log 2` exactly when they never overlap. Against the optimal discriminator the
    value function is :math:`V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}(p_{data} \,\|\, p_g)`
    (Goodfellow et al., 2014, Theorem 1).
    """
    p, q = _pair(p, q)
    m = 0.5 * (p + q)
    return 0.5 * kl_divergence(p, m) + 0.5 * kl_divergence(q, m)


def estimate_optimal_discriminator(real, fake, edges) -> np.ndarray:
    r""":math:`D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))` per histogram bin, from samples.

    ``real``: samples of :math:`p_{data}` and ``fake``: samples of :math:`p_g`, 1-D (or of shape
    (N, 1)), of any two sizes; ``edges``: the bins' B + 1 increasing edges. Each density is
    estimated by its histogram divided by its own number of samples (dividing by the bins'
    widths too would change nothing, since both densities share the bins). Returns an array of
    shape (B,); NaN in a bin where neither sample falls, since :math:`D^*` is undefined where
    neither density lives.
    """
    real = np.asarray(real, dtype=np.float64).ravel()
    fake = np.asarray(fake, dtype=np.float64).ravel()
    edges = np.asarray(edges, dtype=np.float64)
    if real.size == 0 or fake.size == 0:
        raise ValueError("real and fake must both hold at least one sample")
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be a 1-D array of at least 2 increasing bin edges")
    p_data = np.histogram(real, bins=edges)[0] / real.size
    p_g = np.histogram(fake, bins=edges)[0] / fake.size
    total = p_data + p_g
    d_star = np.full(total.shape, np.nan)
    np.divide(p_data, total, out=d_star, where=total > 0)
    return d_star
