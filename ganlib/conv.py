r"""Convolution as one matrix product: ``im2col``, ``col2im`` and :class:`Conv2d`.

Images are channels-last, ``(N, H, W, C)``, so that the C numbers of one pixel lie next to
each other in memory and a window of k x k pixels is k rows of k*C contiguous numbers.

A convolution with a k x k kernel, stride s and zero padding p slides a window over the
(padded) input; at each of the output's :math:`H_o \times W_o` positions it takes the
k*k*C_in numbers under the window and multiplies them with the weights. Written out,

.. math::
    \mathrm{out}[n, y, x, o] = b_o + \sum_{i, j < k} \sum_{c < C_{in}}
        x_{pad}[n, s y + i, s x + j, c] \, W[i, j, c, o],
    \qquad H_o = \lfloor (H + 2p - k) / s \rfloor + 1 .

:func:`im2col` copies every window into one row of a matrix ``cols`` of shape
(N H_o W_o, k k C_in); then the whole layer is ``cols @ W.reshape(k k C_in, C_out)``: one
matrix product, which BLAS runs near the machine's peak (Chellapilla et al., 2006,
https://hal.inria.fr/inria-00112631). :func:`col2im` goes back: it adds each row's
numbers into the window they came from. Where windows overlap, a pixel receives several
contributions: that sum is exactly what the chain rule asks of the input gradient.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .layers import Layer

__all__ = [
    "Conv2d",
    "check_images",
    "col2im",
    "conv_output_size",
    "conv_weight",
    "im2col",
    "transposed_convolution",
]


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """H_o = floor((H + 2p - k) / s) + 1, the positions a k-wide window takes at stride s."""
    return (size + 2 * padding - kernel) // stride + 1


def im2col(x: np.ndarray, kernel: int, stride: int, padding: int) -> np.ndarray:
    """Every k x k window of ``x`` (N, H, W, C) as a row: (N, H_o, W_o, k, k, C), C-contiguous.

    ``sliding_window_view`` gives all windows as a *view* (no copy; strides only), the stride
    is a slice of it, and one copy lays the chosen windows out as rows. Reshape the result to
    (N H_o W_o, k k C) for the matrix product."""
    if padding:
        x = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    windows = sliding_window_view(x, (kernel, kernel), axis=(1, 2))[:, ::stride, ::stride]  # (N, Ho, Wo, C, k, k)
    return np.ascontiguousarray(windows.transpose(0, 1, 2, 4, 5, 3))


def col2im(cols: np.ndarray, size: tuple[int, int], stride: int, padding: int) -> np.ndarray:
    """The adjoint of :func:`im2col`: add each window's numbers back where they came from.

    ``cols`` (N, H_o, W_o, k, k, C) -> (N, H, W, C) with (H, W) = ``size``. Kernel tap (i, j)
    of every window lands on the pixels ``i, i + s, i + 2s, ...``: one strided slice, so the
    scatter is k*k vectorised additions (no per-element ``np.add.at``)."""
    n, ho, wo, k, _, c = cols.shape
    h, w = size
    # room for every window, padding included (a window may reach past H + 2p - 1 only when
    # (H + 2p - k) is not a multiple of s, and then it does not: H_o rounds down)
    out = np.zeros((n, h + 2 * padding + stride, w + 2 * padding + stride, c), dtype=cols.dtype)
    for i in range(k):
        for j in range(k):
            out[:, i : i + stride * ho : stride, j : j + stride * wo : stride, :] += cols[:, :, :, i, j, :]
    return out[:, padding : padding + h, padding : padding + w, :]


def transposed_convolution(x: np.ndarray, weight: np.ndarray, stride: int, padding: int, size) -> np.ndarray:
    """Every pixel of ``x`` (N, h, w, C_in) paints a k x k patch, ``weight`` (C_in, k, k, C_out), into
    an output of ``size`` (H, W): ``col2im(x @ weight)``, the input gradient of a convolution.

    When s divides k (k = s q; the DCGAN's k = 4, s = 2), the same map runs with no scatter at
    all (a "sub-pixel" convolution, Shi et al., 2016, https://arxiv.org/abs/1609.05158): output
    pixels of one phase (Y mod s, X mod s) = (a, b) receive the taps i = a + s t, j = b + s u
    only, from the q x q input pixels above and left of them. So one stride-1 q x q convolution of
    x, with the s*s phases' kernels side by side as the weight matrix's columns, gives every
    output pixel, and one transpose interleaves the phases. The plain path is :func:`col2im`."""
    n, h, w, c_in = x.shape
    k, c_out = weight.shape[1], weight.shape[3]
    if k % stride or c_out < 16:  # measured here: with few output channels the scatter is faster
        cols = (x.reshape(-1, c_in) @ weight.reshape(c_in, -1)).reshape(n, h, w, k, k, c_out)
        return col2im(cols, size, stride, padding)
    s, q = stride, k // stride
    # window (Y', X') of the padded x holds x[Y' - q + 1 + r] for r < q: tap r is t = q - 1 - r
    windows = im2col(x, q, 1, q - 1).reshape(n * (h + q - 1) * (w + q - 1), q * q * c_in)
    taps = weight.reshape(c_in, q, s, q, s, c_out)[:, ::-1, :, ::-1]  # (C_in, t flipped, a, u flipped, b, C_out)
    phases = windows @ taps.transpose(1, 3, 0, 2, 4, 5).reshape(q * q * c_in, s * s * c_out)
    full = phases.reshape(n, h + q - 1, w + q - 1, s, s, c_out).transpose(0, 1, 3, 2, 4, 5)
    full = full.reshape(n, s * (h + q - 1), s * (w + q - 1), c_out)  # padded output, phases interleaved
    (big_h, big_w), p = size, padding
    if p + big_h > full.shape[1] or p + big_w > full.shape[2]:  # output_padding past every patch: zeros
        full = np.pad(
            full, ((0, 0), (0, max(0, p + big_h - full.shape[1])), (0, max(0, p + big_w - full.shape[2])), (0, 0))
        )
    return full[:, p : p + big_h, p : p + big_w, :]


def conv_weight(rng: np.random.Generator, shape, fan_in: int, fan_out: int, init) -> np.ndarray:
    """Initial kernel weights of ``shape``: Glorot's uniform bound sqrt(6 / (fan_in + fan_out)),
    He's sqrt(6 / fan_in), or N(0, init^2) for a number (Radford et al. used 0.02), as Dense does."""
    if init == "glorot":
        return rng.uniform(-1, 1, size=shape) * np.sqrt(6.0 / (fan_in + fan_out))
    if init == "he":
        return rng.uniform(-1, 1, size=shape) * np.sqrt(6.0 / fan_in)
    if isinstance(init, (int, float)) and not isinstance(init, bool) and init > 0:
        return rng.normal(0.0, float(init), size=shape)
    raise ValueError(f"a convolution's init must be 'glorot', 'he' or a positive standard deviation, got {init!r}")


def _check_size(name: str, value, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{name} must be a whole number >= {least}, got {value!r}")
    return int(value)


def check_images(layer: Layer, x, channels: int) -> None:
    """``x`` must be a 4-D batch (N, H, W, channels): say what arrived and how to fix it."""
    if not isinstance(x, np.ndarray) or x.ndim != 4:
        shape = getattr(x, "shape", type(x).__name__)
        raise ValueError(
            f"{layer!r} expects images (N, H, W, C) with C = {channels} (channels last), got {shape}; "
            "a batch of flat rows (N, H*W*C) becomes images with Reshape(H, W, C) before this layer"
        )
    if x.shape[3] != channels:
        raise ValueError(
            f"{layer!r} expects {channels} channel(s) in the last axis, got shape {x.shape}: images are "
            "channels-last (N, H, W, C); the previous layer's out_channels must equal this layer's in_channels"
        )


class Conv2d(Layer):
    r"""2-D convolution (cross-correlation, as in every deep-learning library), channels-last.

    Shapes: ``x`` (N, H, W, C_in) -> ``out`` (N, H_o, W_o, C_out), H_o = (H + 2p - k) // s + 1;
    ``W`` (k, k, C_in, C_out), ``b`` (C_out,). Forward: ``cols = im2col(x)``, (M, K) with
    M = N H_o W_o and K = k k C_in; ``out = cols @ W.reshape(K, C_out) + b``.

    Backward, with :math:`\delta` = dL/d(out) seen as an (M, C_out) matrix: it is Dense's
    backward on the rows of ``cols``,

    .. math::
        \frac{\partial L}{\partial W} = \mathrm{cols}^\top \delta \quad (\text{a correlation of }
        x \text{ with } \delta), \qquad
        \frac{\partial L}{\partial b} = \textstyle\sum_m \delta_m, \qquad
        \frac{\partial L}{\partial x} = \mathrm{col2im}(\delta\, W^\top),

    and the input gradient, "spread each output's gradient back over the window it came
    from", is a *transposed* convolution of :math:`\delta` with the same weights
    (:class:`ganlib.conv_transpose.ConvTranspose2d` runs that map forwards).

    Weights start as Dense's (``init``: "glorot", "he", or a standard deviation), with
    fan-in k k C_in and fan-out k k C_out; biases at zero.
    """

    def __init__(
        self, in_channels, out_channels, kernel_size, *, stride=1, padding=0, rng=None, init="glorot", dtype=np.float32
    ):
        super().__init__()
        self.in_channels = _check_size("in_channels", in_channels, 1)
        self.out_channels = _check_size("out_channels", out_channels, 1)
        self.kernel_size = _check_size("kernel_size", kernel_size, 1)
        self.stride = _check_size("stride", stride, 1)
        self.padding = _check_size("padding", padding, 0)
        k = self.kernel_size
        shape = (k, k, self.in_channels, self.out_channels)
        fans = (k * k * self.in_channels, k * k * self.out_channels)
        self.params["W"] = conv_weight(np.random.default_rng(rng), shape, *fans, init).astype(dtype)
        self.params["b"] = np.zeros(self.out_channels, dtype=dtype)
        self.grads = {key: np.zeros_like(v) for key, v in self.params.items()}

    def output_shape(self, h: int, w: int) -> tuple[int, int]:
        k, s, p = self.kernel_size, self.stride, self.padding
        if h + 2 * p < k or w + 2 * p < k:
            raise ValueError(
                f"{self!r}: the {k}x{k} kernel is larger than the padded {h + 2 * p}x{w + 2 * p} input; "
                "use a smaller kernel, more padding or a larger image"
            )
        return conv_output_size(h, k, s, p), conv_output_size(w, k, s, p)

    def forward(self, x):
        check_images(self, x, self.in_channels)
        n, h, w, _ = x.shape
        ho, wo = self.output_shape(h, w)
        cols = im2col(x, self.kernel_size, self.stride, self.padding).reshape(n * ho * wo, -1)
        self._cache = (cols, x.shape)
        out = cols @ self.params["W"].reshape(-1, self.out_channels)
        out += self.params["b"]
        return out.reshape(n, ho, wo, self.out_channels)

    def backward(self, dout, *, need_dx=True, need_param_grads=True):
        cols, x_shape = self._cached()
        n, h, w, _ = x_shape
        self._check_dout(dout, (n, *self.output_shape(h, w), self.out_channels))
        d2 = dout.reshape(-1, self.out_channels)
        if need_param_grads:
            np.matmul(cols.T, d2, out=self.grads["W"].reshape(-1, self.out_channels))
            np.sum(d2, axis=0, out=self.grads["b"])
        if not need_dx:
            return None
        # dL/dx = col2im(delta W^T): a transposed convolution of delta with W's channels swapped
        return transposed_convolution(dout, self.params["W"].transpose(3, 0, 1, 2), self.stride, self.padding, (h, w))

    def __repr__(self):
        return (
            f"Conv2d({self.in_channels} -> {self.out_channels}, k={self.kernel_size}, "
            f"s={self.stride}, p={self.padding})"
        )
