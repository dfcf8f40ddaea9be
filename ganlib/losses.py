r"""GAN losses, computed from the discriminator's *logits* for numerical stability.

The discriminator outputs a logit :math:`s` per example and
:math:`D(x) = \sigma(s)`. Binary cross-entropy with target :math:`t` is

.. math::
    \ell(s, t) = -t \log \sigma(s) - (1 - t) \log(1 - \sigma(s))
               = \operatorname{softplus}(s) - t\,s,

using :math:`\log \sigma(s) = -\operatorname{softplus}(-s)` and
:math:`\log(1-\sigma(s)) = -\operatorname{softplus}(s)`, where
:math:`\operatorname{softplus}(s) = \log(1 + e^{s}) = \max(s, 0) + \log(1 + e^{-|s|})`.
The last form never overflows, and its gradient is simply
:math:`\partial \ell / \partial s = \sigma(s) - t`.
Computing :math:`\log(\sigma(s))` from a probability instead returns ``-inf``
once :math:`\sigma(s)` rounds to 0 (already at :math:`s \approx -104` in float32).

:func:`softmax_cross_entropy` is the multi-class loss of the classifier behind the metrics.

Every function returns ``(loss, grad)``: the scalar mean loss and its gradient
with respect to the logits, of the logits' shape, ready for ``backward``.
"""

from __future__ import annotations

import numpy as np

from .layers import sigmoid

__all__ = [
    "softplus",
    "bce_with_logits",
    "discriminator_loss",
    "generator_loss",
    "equilibrium",
    "softmax_cross_entropy",
    "GENERATOR_LOSSES",
]

GENERATOR_LOSSES = ("non_saturating", "minimax")


def softplus(s: np.ndarray) -> np.ndarray:
    """``log(1 + exp(s))`` for any finite ``s``, without overflow."""
    return np.maximum(s, 0) + np.log1p(np.exp(-np.abs(s)))


def _check_logits(logits) -> np.ndarray:
    if not isinstance(logits, np.ndarray) or logits.ndim != 2 or logits.shape[1] != 1:
        shape = getattr(logits, "shape", type(logits).__name__)
        raise ValueError(f"logits must have shape (N, 1) (one discriminator output per example), got {shape}")
    if logits.shape[0] == 0:
        raise ValueError("logits is an empty batch; the mean loss of zero examples is undefined")
    return logits


def bce_with_logits(logits: np.ndarray, targets) -> tuple[float, np.ndarray]:
    r"""Mean binary cross-entropy :math:`\frac1N \sum_n \operatorname{softplus}(s_n) - t_n s_n`.

    Parameters
    ----------
    logits : array of shape (N, 1)
    targets : a float in [0, 1] used for every example (e.g. 1.0, or 0.9 for
        one-sided label smoothing), or an array of shape (N, 1).

    Returns
    -------
    loss : float
    dlogits : array of shape (N, 1), :math:`(\sigma(s) - t) / N`.
    """
    logits = _check_logits(logits)
    t = np.asarray(targets, dtype=logits.dtype)
    if t.ndim != 0 and t.shape != logits.shape:
        raise ValueError(f"targets must be a scalar or have the logits' shape {logits.shape}, got {t.shape}")
    if not np.all((t >= 0) & (t <= 1)):  # written so that NaN fails too
        raise ValueError("targets must lie in [0, 1] (and not be NaN)")
    n = logits.shape[0]
    loss = float(np.mean(softplus(logits) - t * logits))
    dlogits = (sigmoid(logits) - t) / np.asarray(n, dtype=logits.dtype)
    return loss, dlogits


def discriminator_loss(logits_real, logits_fake, real_label: float = 1.0):
    r"""The discriminator's loss, the negated value function (so we can minimise it):

    .. math:: L_D = -\frac1m\sum \log D(x) - \frac1m\sum \log(1 - D(G(z))),

    i.e. ``bce(logits_real, 1) + bce(logits_fake, 0)``. ``real_label < 1``
    gives one-sided label smoothing (Salimans et al., 2016).

    Returns ``(loss, dlogits_real, dlogits_fake)``, gradients of shapes (N_real, 1), (N_fake, 1).
    """
    loss_real, d_real = bce_with_logits(logits_real, real_label)
    loss_fake, d_fake = bce_with_logits(logits_fake, 0.0)
    return loss_real + loss_fake, d_real, d_fake


def generator_loss(logits_fake: np.ndarray, kind: str = "non_saturating") -> tuple[float, np.ndarray]:
    r"""The generator's loss on a batch of discriminator logits for generated samples.

    * ``"minimax"`` (saturating), the value function's own term:
      :math:`L_G = \frac1m \sum \log(1 - D(G(z))) = -\frac1m \sum \operatorname{softplus}(s)`,
      gradient :math:`-\sigma(s)/m`. When D confidently rejects fakes early in
      training, :math:`\sigma(s) \to 0` and so does the gradient: it saturates.
    * ``"non_saturating"`` (Goodfellow et al. 2014, Section 3):
      :math:`L_G = -\frac1m \sum \log D(G(z)) = \frac1m\sum \operatorname{softplus}(-s)`,
      gradient :math:`(\sigma(s) - 1)/m`, which is close to :math:`-1/m` exactly
      when D rejects the fakes, so the generator learns fastest when it is worst.

    Returns ``(loss, dlogits)`` with ``dlogits`` of shape (N, 1).
    """
    if kind == "non_saturating":
        return bce_with_logits(logits_fake, 1.0)
    if kind == "minimax":
        logits_fake = _check_logits(logits_fake)
        n = np.asarray(logits_fake.shape[0], dtype=logits_fake.dtype)
        return float(-np.mean(softplus(logits_fake))), -sigmoid(logits_fake) / n
    raise ValueError(f"unknown generator loss {kind!r}; choose one of {GENERATOR_LOSSES}")


def equilibrium(real_label: float = 1.0, generator_loss: str = "non_saturating") -> dict:
    r"""D's output and both losses when G has won, :math:`p_g = p_{data}`, and D is optimal.

    With real target :math:`a` (``real_label``; :math:`a < 1` is one-sided label smoothing), D
    minimises, at each x,
    :math:`-p_{data}\,[a \log D + (1 - a) \log(1 - D)] - p_g \log(1 - D)`; setting the derivative
    to zero gives :math:`D^*(x) = a\,p_{data}(x) / (p_{data}(x) + p_g(x))`, which is :math:`a/2`
    when :math:`p_g = p_{data}`. Then

    .. math::
        L_D = -a \log\tfrac{a}{2} - (2 - a) \log\big(1 - \tfrac{a}{2}\big), \qquad
        L_G = -\log\tfrac{a}{2} \;\text{(non-saturating)} \;\text{or}\; \log\big(1 - \tfrac{a}{2}\big) \;\text{(minimax)}.

    :math:`a = 1` gives the familiar :math:`D = 1/2`, :math:`L_D = 2 \log 2`, :math:`L_G = \log 2`;
    :math:`a = 0.9` gives :math:`D = 0.45`, :math:`L_D \approx 1.376`, :math:`L_G \approx 0.799`.
    Returns ``{"d": D*, "loss_d": L_D, "loss_g": L_G}`` as floats.
    """
    if generator_loss not in GENERATOR_LOSSES:
        raise ValueError(f"unknown generator loss {generator_loss!r}; choose one of {GENERATOR_LOSSES}")
    a = float(real_label)
    if not 0.0 < a <= 1.0:
        raise ValueError(f"real_label must be in (0, 1], got {real_label!r}")
    d = a / 2.0
    loss_d = -a * np.log(d) - (2.0 - a) * np.log1p(-d)
    loss_g = -np.log(d) if generator_loss == "non_saturating" else np.log1p(-d)
    return {"d": d, "loss_d": float(loss_d), "loss_g": float(loss_g)}


def softmax_cross_entropy(logits: np.ndarray, labels) -> tuple[float, np.ndarray]:
    r"""Mean softmax cross-entropy from logits, with its gradient.

    For logits :math:`z \in \mathbb{R}^{N \times C}` and integer labels :math:`y_n`,

    .. math::
        L = \frac1N \sum_n \Big(\log \sum_c e^{z_{nc}} - z_{n y_n}\Big), \qquad
        \frac{\partial L}{\partial z_{nc}} = \frac1N \big(\operatorname{softmax}(z_n)_c - [c = y_n]\big).

    The log-sum-exp is computed as :math:`m + \log\sum_c e^{z_{nc} - m}` with
    :math:`m = \max_c z_{nc}`: every exponent is :math:`\le 0`, so nothing
    overflows even for logits of :math:`10^4`.

    Parameters
    ----------
    logits : array (N, C), float
    labels : integer array (N,), values in [0, C)

    Returns
    -------
    loss : float
    dlogits : array (N, C), the logits' dtype
    """
    z = np.asarray(logits)
    if z.ndim != 2 or z.shape[0] == 0:
        raise ValueError(f"logits must have shape (N, C) with N >= 1, got {z.shape}")
    y = np.asarray(labels)
    if y.shape != (z.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be integers of shape ({z.shape[0]},), got {y.dtype} {y.shape}")
    if y.min() < 0 or y.max() >= z.shape[1]:
        raise ValueError(f"labels must lie in [0, {z.shape[1]}), got [{y.min()}, {y.max()}]")
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_norm  # log softmax, every entry <= 0
    rows = np.arange(n)
    loss = float(-log_probs[rows, y].mean())
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1
    dlogits /= np.asarray(n, dtype=dlogits.dtype)
    return loss, dlogits
