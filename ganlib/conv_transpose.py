r"""The transposed convolution, :class:`ConvTranspose2d`: a convolution's input gradient, run forwards.

A stride-2 convolution halves an image; the generator needs the opposite, an upsampling layer
with learned weights. Take the map that :class:`~ganlib.conv.Conv2d`'s backward pass applies to
its output gradient, :math:`\delta \mapsto \mathrm{col2im}(\delta W^\top)`, and use it as a
layer of its own: every input pixel *paints* a k x k patch of the output, its C_in numbers
times the weights, patches s pixels apart, overlapping where k > s and summed there
(Dumoulin & Visin, 2016, https://arxiv.org/abs/1603.07285, chapter 4).

Where k is not a multiple of s, output pixels receive unequal numbers of patch taps, and an
untrained (or badly trained) layer draws a checkerboard (Odena et al., 2016,
https://distill.pub/2016/deconv-checkerboard/); with k = 4, s = 2 every pixel gets exactly 4.
"""

from __future__ import annotations

import numpy as np

from .conv import _check_size, check_images, conv_weight, im2col, transposed_convolution
from .layers import Layer

__all__ = ["ConvTranspose2d"]


class ConvTranspose2d(Layer):
    r"""Transposed 2-D convolution, channels-last (PyTorch's ``ConvTranspose2d``, permuted).

    Shapes: ``x`` (N, h, w, C_in) -> ``out`` (N, H, W, C_out) with
    :math:`H = (h - 1) s - 2p + k + \text{output\_padding}`; ``W`` (C_in, k, k, C_out)
    (PyTorch's (C_in, C_out, k, k) with its axes permuted), ``b`` (C_out,).

    Forward, with x seen as an (M, C_in) matrix, M = N h w:
    ``out = col2im(x @ W.reshape(C_in, k k C_out)) + b``: pixel (y, x) adds
    :math:`x[y, x] \cdot W[:, i, j, :]` to output pixel (s y + i - p, s x + j - p).

    Backward, with :math:`\delta` = dL/d(out): the transpose of col2im is im2col, so

    .. math::
        D = \mathrm{im2col}(\delta) \in \mathbb{R}^{M \times k k C_{out}}, \qquad
        \frac{\partial L}{\partial x} = D\, W^\top, \qquad
        \frac{\partial L}{\partial W} = x^\top D, \qquad
        \frac{\partial L}{\partial b} = \textstyle\sum_{n, y, x} \delta[n, y, x],

    i.e. the input gradient of a transposed convolution is an ordinary convolution of
    :math:`\delta` (stride s, padding p) with the same weights.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        *,
        stride=1,
        padding=0,
        output_padding=0,
        rng=None,
        init="glorot",
        dtype=np.float32,
    ):
        super().__init__()
        self.in_channels = _check_size("in_channels", in_channels, 1)
        self.out_channels = _check_size("out_channels", out_channels, 1)
        self.kernel_size = k = _check_size("kernel_size", kernel_size, 1)
        self.stride = _check_size("stride", stride, 1)
        self.padding = _check_size("padding", padding, 0)
        self.output_padding = _check_size("output_padding", output_padding, 0)
        if self.output_padding >= self.stride:
            raise ValueError(f"output_padding must be smaller than stride, got {output_padding} >= {stride}")
        shape = (self.in_channels, k, k, self.out_channels)
        fans = (k * k * self.in_channels, k * k * self.out_channels)
        self.params["W"] = conv_weight(np.random.default_rng(rng), shape, *fans, init).astype(dtype)
        self.params["b"] = np.zeros(self.out_channels, dtype=dtype)
        self.grads = {key: np.zeros_like(v) for key, v in self.params.items()}

    def output_shape(self, h: int, w: int) -> tuple[int, int]:
        k, s, p, op = self.kernel_size, self.stride, self.padding, self.output_padding
        size = ((h - 1) * s - 2 * p + k + op, (w - 1) * s - 2 * p + k + op)
        if min(size) < 1:
            raise ValueError(f"{self!r}: a {h}x{w} input gives an empty output {size}; use less padding")
        return size

    def _weight_matrix(self) -> np.ndarray:
        return self.params["W"].reshape(self.in_channels, -1)  # (C_in, k k C_out)

    def forward(self, x):
        check_images(self, x, self.in_channels)
        n, h, w, _ = x.shape
        size = self.output_shape(h, w)
        self._cache = x
        out = transposed_convolution(x, self.params["W"], self.stride, self.padding, size)
        out += self.params["b"]
        return out

    def backward(self, dout, *, need_dx=True, need_param_grads=True):
        x = self._cached()
        n, h, w, _ = x.shape
        self._check_dout(dout, (n, *self.output_shape(h, w), self.out_channels))
        d = im2col(dout, self.kernel_size, self.stride, self.padding).reshape(n * h * w, -1)  # h x w windows
        if need_param_grads:
            np.matmul(x.reshape(-1, self.in_channels).T, d, out=self.grads["W"].reshape(self.in_channels, -1))
            np.sum(dout, axis=(0, 1, 2), out=self.grads["b"])
        return (d @ self._weight_matrix().T).reshape(x.shape) if need_dx else None

    def __repr__(self):
        extra = f", op={self.output_padding}" if self.output_padding else ""
        return (
            f"ConvTranspose2d({self.in_channels} -> {self.out_channels}, k={self.kernel_size}, "
            f"s={self.stride}, p={self.padding}{extra})"
        )
