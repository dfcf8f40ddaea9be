"""Convolutions, transposed convolutions, BatchNorm, Reshape and Flatten: gradients checked
numerically in float64 for every stride and padding the models use, the fast paths equal to the
plain ones, running statistics saved with the network, and clear errors."""

import numpy as np
import pytest

from ganlib import BatchNorm, Conv2d, ConvTranspose2d, Dense, Flatten, ReLU, Reshape, Sequential
from ganlib.conv import col2im, im2col, transposed_convolution
from ganlib.gradcheck import check_layer

F64 = np.float64
TOL = 1e-7  # relative error of the analytic gradient against centred finite differences

# (kernel, stride, padding): the DCGAN's 4/2/1, the classifier's 5/2/2, and the cases around them
CONV_CASES = [(3, 1, 1), (3, 1, 0), (4, 2, 1), (5, 2, 2), (3, 2, 0), (3, 2, 1), (4, 1, 2), (2, 2, 0), (5, 3, 1)]
# (kernel, stride, padding, output_padding)
TRANSPOSED_CASES = [(4, 2, 1, 0), (4, 2, 1, 1), (3, 2, 1, 1), (5, 2, 2, 1), (3, 1, 1, 0), (2, 2, 0, 0), (6, 3, 2, 2)]


@pytest.mark.parametrize("k, s, p", CONV_CASES, ids=[f"k{k}s{s}p{p}" for k, s, p in CONV_CASES])
@pytest.mark.parametrize("size", [(7, 8), (6, 6)], ids=["odd", "even"])
def test_conv2d_gradients(k, s, p, size):
    layer = Conv2d(3, 4, k, stride=s, padding=p, rng=1, dtype=F64)
    layer.params["b"][...] = np.random.default_rng(2).standard_normal(4)
    errors = check_layer(layer, np.random.default_rng(0).standard_normal((2, *size, 3)))
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("k, s, p, op", TRANSPOSED_CASES, ids=[f"k{k}s{s}p{p}op{o}" for k, s, p, o in TRANSPOSED_CASES])
@pytest.mark.parametrize("channels", [(3, 2), (3, 17)], ids=["scatter", "sub-pixel"])
def test_conv_transpose2d_gradients(k, s, p, op, channels):
    layer = ConvTranspose2d(*channels, k, stride=s, padding=p, output_padding=op, rng=1, dtype=F64)
    errors = check_layer(layer, np.random.default_rng(0).standard_normal((2, 4, 5, channels[0])))
    assert max(errors.values()) < TOL, errors


def _plain_transposed(x, weight, stride, padding, size):
    """The reading version: every pixel's patch computed, then added where it lands (col2im)."""
    n, h, w, c = x.shape
    k = weight.shape[1]
    return col2im((x.reshape(-1, c) @ weight.reshape(c, -1)).reshape(n, h, w, k, k, -1), size, stride, padding)


@pytest.mark.parametrize("k, s, p, op", TRANSPOSED_CASES, ids=[f"k{k}s{s}p{p}op{o}" for k, s, p, o in TRANSPOSED_CASES])
def test_sub_pixel_path_equals_the_scatter(k, s, p, op):
    rng = np.random.default_rng(0)
    x, weight = rng.standard_normal((3, 5, 4, 6)), rng.standard_normal((6, k, k, 20))  # 20 >= 16: sub-pixel
    size = ((5 - 1) * s - 2 * p + k + op, (4 - 1) * s - 2 * p + k + op)
    fast, plain = transposed_convolution(x, weight, s, p, size), _plain_transposed(x, weight, s, p, size)
    assert fast.shape == plain.shape == (3, *size, 20)
    np.testing.assert_allclose(fast, plain, rtol=1e-12, atol=1e-12)


def test_im2col_is_the_sum_written_out():
    """One output of a convolution, by the formula, equals the matrix product's."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 7, 3))
    layer = Conv2d(3, 5, 3, stride=2, padding=1, rng=0, dtype=F64)
    out = layer.forward(x)
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    n, y, xx, o = 1, 2, 3, 4
    expected = np.sum(xp[n, 2 * y : 2 * y + 3, 2 * xx : 2 * xx + 3, :] * layer.params["W"][:, :, :, o])
    assert out[n, y, xx, o] == pytest.approx(expected + layer.params["b"][o])
    assert im2col(x, 3, 2, 1).shape == (2, 3, 4, 3, 3, 3)


def test_col2im_is_the_adjoint_of_im2col():
    """<im2col(x), c> = <x, col2im(c)> for all x, c: the backward pass is the transpose."""
    rng = np.random.default_rng(1)
    for k, s, p in CONV_CASES:
        x = rng.standard_normal((2, 7, 6, 3))
        cols = im2col(x, k, s, p)
        c = rng.standard_normal(cols.shape)
        assert np.sum(cols * c) == pytest.approx(np.sum(x * col2im(c, (7, 6), s, p)), rel=1e-10)


@pytest.mark.parametrize("make", [lambda: BatchNorm(3, dtype=F64)], ids=["batchnorm"])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2, 3)], ids=["rows", "maps"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batchnorm_gradients(make, shape, training):
    layer = make()
    rng = np.random.default_rng(0)
    layer.params["gamma"][...] = rng.uniform(0.5, 2, 3)
    layer.params["beta"][...] = rng.standard_normal(3)
    layer.buffers["running_mean"][...], layer.buffers["running_var"][...] = (
        rng.standard_normal(3),
        rng.uniform(0.5, 2, 3),
    )
    layer.training = training
    errors = check_layer(layer, rng.standard_normal(shape) * 3 + 1)
    assert max(errors.values()) < TOL, errors


def test_batchnorm_normalises_each_channel_and_tracks_running_statistics():
    rng = np.random.default_rng(0)
    layer = BatchNorm(4, momentum=0.5, dtype=F64)
    x = rng.standard_normal((8, 5, 5, 4)) * [1, 2, 3, 4] + [0, 1, -1, 5]
    out = layer.forward(x)
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 1, 2)), 1, rtol=1e-3)
    m = 8 * 5 * 5
    np.testing.assert_allclose(layer.buffers["running_mean"], 0.5 * x.mean(axis=(0, 1, 2)))
    np.testing.assert_allclose(layer.buffers["running_var"], 0.5 + 0.5 * x.var(axis=(0, 1, 2)) * m / (m - 1))
    layer.training = False
    one = layer.forward(x[:1])
    np.testing.assert_allclose(one, layer.forward(x)[:1])  # in evaluation a sample ignores its batch


def test_dcgan_shapes_through_a_network_and_its_buffers_round_trip():
    net = Sequential(
        Dense(4, 2 * 2 * 3, rng=0),
        Reshape(2, 2, 3),
        BatchNorm(3),
        ReLU(),
        ConvTranspose2d(3, 2, 4, stride=2, padding=1, rng=1),
        Flatten(),
    )
    out = net.forward(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    assert out.shape == (5, 4 * 4 * 2)
    state = net.state_dict()
    assert {"2.running_mean", "2.running_var", "2.gamma", "2.beta"} <= set(state)
    assert net.num_params == sum(v.size for name, v in state.items() if "running" not in name)
    copy = Sequential(
        Dense(4, 12), Reshape(2, 2, 3), BatchNorm(3), ReLU(), ConvTranspose2d(3, 2, 4, stride=2, padding=1), Flatten()
    )
    copy.load_state_dict(state)
    np.testing.assert_array_equal(copy.named_buffers()[0][1], net.named_buffers()[0][1])
    with pytest.raises(ValueError, match=r"missing \['2.running_var'\]"):
        copy.load_state_dict({k: v for k, v in state.items() if k != "2.running_var"})


@pytest.mark.parametrize(
    "make, x, message",
    [
        (lambda: Conv2d(3, 4, 3), np.zeros((2, 27)), r"expects images \(N, H, W, C\) with C = 3.*Reshape"),
        (lambda: Conv2d(3, 4, 3), np.zeros((2, 5, 5, 1)), "expects 3 channel"),
        (lambda: Conv2d(1, 4, 7), np.zeros((2, 5, 5, 1)), "larger than the padded 5x5 input"),
        (lambda: ConvTranspose2d(2, 4, 3), np.zeros((2, 5, 5, 3)), "expects 2 channel"),
        (lambda: ConvTranspose2d(2, 4, 1, padding=3), np.zeros((2, 2, 2, 2)), "empty output"),
        (lambda: BatchNorm(3), np.zeros((4, 2)), "expects 3 features"),
        (lambda: BatchNorm(3), np.zeros((1, 3)), "at least 2 values per feature"),
        (lambda: Reshape(7, 7, 64), np.zeros((2, 100)), "needs 3,136 numbers per example"),
    ],
)
def test_wrong_shapes_are_refused_with_a_reason(make, x, message):
    with pytest.raises(ValueError, match=message):
        make().forward(x.astype(np.float32))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Conv2d(0, 4, 3), "in_channels must be a whole number >= 1"),
        (lambda: Conv2d(3, 4, 3, stride=0), "stride must be a whole number >= 1"),
        (lambda: ConvTranspose2d(3, 4, 3, stride=2, output_padding=2), "output_padding must be smaller than stride"),
        (lambda: Conv2d(3, 4, 3, init="1/fan_in"), "init must be 'glorot', 'he' or a positive"),
        (lambda: BatchNorm(0), "positive number of features"),
        (lambda: Reshape(0, 3), "positive whole sizes"),
    ],
)
def test_wrong_settings_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()
