r"""Latent-space mathematics: seeds, the prior's shell, interpolation, and the directions that matter.

A trained generator :math:`G` maps a latent vector :math:`z \in \mathbb{R}^d`
(``d = latent_dim``, 100 by default) to a 28x28 image. This module gives the tools to
walk around that space (:mod:`ganlib.explorer.widget` puts them behind sliders):

* **Seeds.** ``latent_from_seed(seed, d, dist)`` draws one z from the prior
  (``N(0, I)`` or ``U(-1, 1)^d``) with its own random generator, so a seed
  always gives the same digit: write it down and come back to it.
* **Directions.** :func:`latent_directions` finds the directions of z along
  which the image changes most, on average over the prior. For a small step
  :math:`\epsilon v` (unit vector :math:`v`) the image moves by
  :math:`\|G(z + \epsilon v) - G(z)\|^2 \approx \epsilon^2\, v^\top J(z)^\top J(z)\, v`,
  with :math:`J(z) = \partial G / \partial z` (784 x d). Averaged over the prior,
  the directions that change the image most are the top eigenvectors of
  :math:`M = \mathbb{E}_z[J^\top J]` (the *pullback metric*; principal
  components of the image change, not of the images). They come out
  orthonormal, and their eigenvalues say how much change each one carries.
  :math:`M` is estimated by back-propagation: for a random probe
  :math:`u \sim N(0, I_{784})`, ``G.backward(u)`` returns :math:`g = J^\top u`,
  and :math:`\mathbb{E}_u[g g^\top] = J^\top \mathbb{E}[u u^\top] J = J^\top J`
  (Hutchinson's trick), so one forward and one backward pass over a few
  thousand z suffice.
* **Interpolation.** :func:`slerp` for Gaussian z, :func:`lerp` for uniform z
  (see :func:`interpolate` for why).
"""

from __future__ import annotations

import numpy as np

from ..checks import check_seed, check_whole
from ..condition import concat_label, sample_labels
from ..models import sample_prior

__all__ = ["interpolate", "latent_directions", "latent_from_seed", "lerp", "prior_std", "slerp", "typical_norm"]


def latent_from_seed(seed: int, latent_dim: int, dist: str = "gaussian") -> np.ndarray:
    """One latent vector z ~ p_z, shape (latent_dim,), float32, fully determined by ``seed``.

    ``dist`` is ``"gaussian"`` (N(0, I)) or ``"uniform"`` (U(-1, 1) per coordinate),
    as in ``GANConfig.latent_dist``.
    """
    return sample_prior(np.random.default_rng(check_seed(seed)), check_whole(latent_dim, "latent_dim", 1), dist)


def prior_std(dist: str) -> float:
    """Standard deviation of z along any unit direction: 1 for N(0, I), 1/sqrt(3) for U(-1, 1)^d."""
    return 1.0 if dist == "gaussian" else 1.0 / np.sqrt(3.0)


def typical_norm(latent_dim: int, dist: str = "gaussian") -> float:
    r"""The norm a random z almost always has: :math:`\sqrt{E\|z\|^2}`, i.e. :math:`\sqrt d` for
    N(0, I) and :math:`\sqrt{d/3}` for U(-1, 1)^d. In high dimension :math:`\|z\|` barely varies
    around it (its standard deviation stays below 1 however large d is): the prior's
    mass sits on a thin shell, not near the origin."""
    return float(np.sqrt(latent_dim) * prior_std(dist))


def lerp(a, b, t: float) -> np.ndarray:
    """Linear interpolation ``(1 - t) a + t b``; exactly ``a`` at t = 0 and ``b`` at t = 1."""
    a, b = np.asarray(a), np.asarray(b)
    out = (1.0 - t) * a.astype(np.float64) + t * b.astype(np.float64)
    return out.astype(np.result_type(a, b))


def slerp(a, b, t: float) -> np.ndarray:
    r"""Spherical interpolation: along the great circle from ``a``'s direction to ``b``'s,
    with the norm moving linearly from :math:`\|a\|` to :math:`\|b\|`.

    With :math:`\hat a = a/\|a\|`, :math:`\hat b = b/\|b\|` and the angle
    :math:`\Omega = \arccos(\hat a\cdot\hat b)`:

    .. math::
        \mathrm{slerp}(a, b, t) = \big((1-t)\|a\| + t\|b\|\big)\,
        \frac{\sin((1-t)\Omega)\,\hat a + \sin(t\Omega)\,\hat b}{\sin\Omega}

    (Shoemake, 1985, for the direction; White, 2016, "Sampling generative
    networks", for its use with GANs). The direction turns at a constant rate
    (angle :math:`t\Omega` from ``a``), the norm never dips as a straight line's
    does, and the result is exactly ``a`` at t = 0 and exactly ``b`` at t = 1.
    Nearly parallel vectors fall back to :func:`lerp`; exactly opposite ones have
    no unique great circle and raise ``ValueError``.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"slerp needs two vectors of the same shape, got {a.shape} and {b.shape}")
    dtype = np.result_type(a, b)
    if t == 0:
        return a.astype(dtype, copy=True)
    if t == 1:
        return b.astype(dtype, copy=True)
    a64, b64 = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    na, nb = np.linalg.norm(a64), np.linalg.norm(b64)
    if na == 0.0 or nb == 0.0:
        return lerp(a, b, t)
    cos = np.clip(a64 @ b64 / (na * nb), -1.0, 1.0)
    omega = np.arccos(cos)
    if omega < 1e-6:
        return lerp(a, b, t)
    if np.pi - omega < 1e-6:
        raise ValueError("slerp is undefined for opposite vectors: every great circle joins them")
    direction = (np.sin((1.0 - t) * omega) * a64 / na + np.sin(t * omega) * b64 / nb) / np.sin(omega)
    out = ((1.0 - t) * na + t * nb) * direction
    return out.reshape(a.shape).astype(dtype)


def interpolate(a, b, t: float, dist: str = "gaussian", method: str | None = None) -> np.ndarray:
    """The point at ``t`` in [0, 1] on the path from latent ``a`` to latent ``b``.

    ``method`` None picks by prior: ``"slerp"`` for Gaussian z, ``"lerp"`` for uniform z.
    A Gaussian z in d dimensions almost always has norm close to sqrt(d) (10 for
    d = 100): the mass is on a thin shell. The midpoint of a straight line between
    two such points has norm about sqrt(d / 2) (7.1): a region the generator
    practically never saw in training, so lerp midpoints look washed out.
    Slerp stays on the shell. A uniform z lives in the cube [-1, 1]^d, which is
    convex: the straight line never leaves it, while slerp's arc, bulging
    outwards, can push coordinates beyond +-1, where the generator was never trained.
    """
    method = method or ("slerp" if dist == "gaussian" else "lerp")
    if method == "slerp":
        return slerp(a, b, t)
    if method == "lerp":
        return lerp(a, b, t)
    raise ValueError(f"method must be 'slerp' or 'lerp', got {method!r}")


def latent_directions(
    G,
    latent_dim: int,
    dist: str = "gaussian",
    n_directions: int = 6,
    n_samples: int = 2048,
    seed: int = 0,
    batch_size: int = 1024,
    num_classes: int = 0,
):
    r"""The ``n_directions`` unit directions of z that change G's image most, on average.

    Returns ``(directions, eigenvalues)``: ``directions`` float32 of shape
    (n_directions, latent_dim) with orthonormal rows; ``eigenvalues`` float64 of
    shape (latent_dim,), all eigenvalues of :math:`M = E_z[J^\top J]` in
    decreasing order (the average squared image change, in squared [-1, 1]
    pixel units, per unit step along each direction).

    How: draw ``n_samples`` z from the prior and one probe
    :math:`u \sim N(0, I_{784})` for each; ``G.backward(u)`` gives
    :math:`g = J(z)^\top u`, and the mean of :math:`g g^\top` is an unbiased
    estimate of :math:`M` (Hutchinson). The rows are the top eigenvectors of
    that estimate. Signs are fixed so that moving along +direction adds ink on
    average (the mean of :math:`J^\top \mathbf 1` has a positive component),
    which makes the result deterministic. Costs one forward and one backward
    pass over about ``n_samples`` rows (a fraction of a second for the default G).

    A conditional G (``num_classes`` > 0) takes ``[z, one-hot label]``: each z gets a
    random label, and only the z part of the input gradient counts, so the
    expectation runs over the labels too and the directions are *style* directions
    shared by all digits.
    """
    latent_dim = check_whole(latent_dim, "latent_dim", 1)
    n_directions = min(check_whole(n_directions, "n_directions", 1), latent_dim)
    n_samples, batch_size = check_whole(n_samples, "n_samples", 1), check_whole(batch_size, "batch_size", 1)
    rng = np.random.default_rng(seed)
    metric = np.zeros((latent_dim, latent_dim), dtype=np.float64)
    ink = np.zeros(latent_dim, dtype=np.float64)
    for start in range(0, n_samples, batch_size):
        g, ink_gradient = _probe_jacobian(G, rng, min(batch_size, n_samples - start), latent_dim, dist, num_classes)
        metric += g.T @ g  # sum of g g^T
        ink += ink_gradient
    metric /= n_samples
    eigenvalues, eigenvectors = np.linalg.eigh(metric)  # ascending
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    directions = eigenvectors[:, :n_directions].T.copy()  # (k, d), orthonormal rows
    for row in directions:
        s = row @ ink
        if s == 0.0:
            s = row[np.argmax(np.abs(row))]
        row *= np.sign(s)
    return directions.astype(np.float32), np.clip(eigenvalues, 0.0, None)


def _probe_jacobian(G, rng, n: int, latent_dim: int, dist: str, num_classes: int):
    """For n z from the prior: g = J(z)^T u with a probe u ~ N(0, I) each, (n, d) float64, and the
    summed gradient of the total ink, J^T 1, over the first 64 of them, (d,) (for the sign convention)."""
    z = sample_prior(rng, (n, latent_dim), dist)  # (n, d)
    m = min(n, 64)  # the sign convention needs only a rough average
    y = sample_labels(rng, n, num_classes) if num_classes else None  # (n,) labels of a conditional G
    inputs = concat_label(np.concatenate([z, z[:m]]), None if y is None else np.concatenate([y, y[:m]]), num_classes)
    out = G.forward(inputs)  # (n + m, 784)
    probes = rng.standard_normal((n, out.shape[1]), dtype=np.float32)  # u ~ N(0, I)
    ones = np.ones((m, out.shape[1]), dtype=np.float32)  # d(total ink)/d(out) = 1 for every pixel
    grads = G.backward(np.concatenate([probes, ones]), need_param_grads=False)[:, :latent_dim]  # (n + m, d)
    return grads[:n].astype(np.float64), grads[n:].sum(axis=0)
