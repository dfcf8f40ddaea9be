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

Every function returns ``(loss, grad)``: the scalar mean loss and its gradient
with respect to the logits, of the logits' shape, ready for ``backward``.
"""

from __future__ import annotations

import numpy as np

from .layers import sigmoid

__all__ = ["softplus", "bce_with_logits", "discriminator_loss", "generator_loss", "GENERATOR_LOSSES"]

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
