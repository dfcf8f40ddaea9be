r"""Batch normalisation (Ioffe & Szegedy, 2015, https://arxiv.org/abs/1502.03167), forward and backward.

:class:`BatchNorm` normalises each feature over every axis but the last: over the batch for
rows (N, F), over the batch and both image axes for feature maps (N, H, W, C), one mean and
one variance per channel, as in a convolutional network. Then it scales and shifts by
learned :math:`\gamma, \beta`. Radford et al. (2016, https://arxiv.org/abs/1511.06434)
found it what made deep convolutional GANs train at all: each layer's input keeps zero
mean and unit variance whatever the layers before it do.
"""

from __future__ import annotations

import numpy as np

from .layers import Layer, _check_batch

__all__ = ["BatchNorm"]


class BatchNorm(Layer):
    r"""Batch normalisation over all axes but the last, with running statistics for evaluation.

    Shapes: ``x`` and ``out`` (N, ..., F); ``gamma``, ``beta`` and the buffers
    ``running_mean``, ``running_var`` (F,). With m the number of values per feature
    (N, or N H W) and :math:`\sigma = \sqrt{\mathrm{var} + \epsilon}`:

    .. math::
        \hat x = (x - \mu) / \sigma, \qquad \mathrm{out} = \gamma \hat x + \beta .

    *Training*: :math:`\mu` and var are this batch's (var the biased one, divided by m); the
    running statistics move towards them, ``running = (1 - momentum) running + momentum stat``
    (the variance unbiased, m / (m - 1), as PyTorch keeps it). *Evaluation*
    (``training = False``): the running statistics are used, so a sample does not depend on
    the others in its batch.

    Backward, with :math:`\delta` = dL/d(out) and sums over the m values of a feature:
    :math:`\partial L/\partial\gamma = \sum \delta \hat x`, :math:`\partial L/\partial\beta = \sum \delta`.
    In evaluation, :math:`\mu, \sigma` are constants and :math:`dx = \gamma \delta / \sigma`.
    In training, :math:`\mu` and :math:`\sigma` depend on every x of the batch; the chain rule
    through them (:math:`\partial\mu/\partial x_i = 1/m`,
    :math:`\partial\sigma/\partial x_i = \hat x_i / m`) collapses to

    .. math::
        \frac{\partial L}{\partial x_i} = \frac{\gamma}{m \sigma}
            \Big( m\, \delta_i - \sum_j \delta_j - \hat x_i \sum_j \delta_j \hat x_j \Big):

    the gradient with its mean removed and its component along :math:`\hat x` removed,
    since shifting or scaling x does not change :math:`\hat x`.
    """

    def __init__(self, num_features: int, *, momentum: float = 0.1, eps: float = 1e-5, dtype=np.float32):
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"BatchNorm needs a positive number of features, got {num_features!r}")
        if not 0.0 <= momentum <= 1.0 or not eps > 0.0:
            raise ValueError(f"BatchNorm needs momentum in [0, 1] and eps > 0, got {momentum}, {eps}")
        self.num_features, self.momentum, self.eps = int(num_features), float(momentum), float(eps)
        self.params["gamma"] = np.ones(self.num_features, dtype=dtype)
        self.params["beta"] = np.zeros(self.num_features, dtype=dtype)
        self.grads = {key: np.zeros_like(v) for key, v in self.params.items()}
        self.buffers["running_mean"] = np.zeros(self.num_features, dtype=dtype)
        self.buffers["running_var"] = np.ones(self.num_features, dtype=dtype)

    def _check(self, x) -> tuple:
        _check_batch(self, x)
        if x.shape[-1] != self.num_features:
            raise ValueError(
                f"{self!r} expects {self.num_features} features in the last axis, got shape {x.shape}: "
                "num_features must equal the previous layer's output width or channels"
            )
        return tuple(range(x.ndim - 1))  # the axes a feature's statistics run over

    def forward(self, x):
        axes = self._check(x)
        m = x.size // self.num_features
        if self.training:
            if m < 2:
                raise ValueError(f"{self!r} in training needs at least 2 values per feature for a variance, got {m}")
            mean, var = x.mean(axis=axes), x.var(axis=axes)
            self._update_running(mean, var, m)
        else:
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype)
        x_hat = (x - mean) * inv_std
        self._cache = (x_hat, inv_std, axes, self.training)
        return x_hat * self.params["gamma"] + self.params["beta"]

    def _update_running(self, mean, var, m: int) -> None:
        """In place, so that the arrays a checkpoint or a moving average holds stay these."""
        mom = self.momentum
        self.buffers["running_mean"] *= 1.0 - mom
        self.buffers["running_mean"] += mom * mean
        self.buffers["running_var"] *= 1.0 - mom
        self.buffers["running_var"] += mom * var * (m / (m - 1))

    def backward(self, dout, *, need_dx=True, need_param_grads=True):
        x_hat, inv_std, axes, training = self._cached()
        self._check_dout(dout, x_hat.shape)
        sum_d = dout.sum(axis=axes)
        sum_d_xhat = (dout * x_hat).sum(axis=axes)
        if need_param_grads:
            self.grads["gamma"][...] = sum_d_xhat
            self.grads["beta"][...] = sum_d
        if not need_dx:
            return None
        scale = self.params["gamma"] * inv_std
        if not training:
            return dout * scale
        m = x_hat.size // self.num_features
        return (scale / m) * (m * dout - sum_d - x_hat * sum_d_xhat)

    def __repr__(self):
        return f"BatchNorm({self.num_features})"
