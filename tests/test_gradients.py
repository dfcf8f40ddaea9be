"""Numerical gradient checks: every hand-written backward pass against finite differences.

All checks run in float64, where a correct backward pass agrees with centred
differences to a relative error far below 1e-7 and a wrong one (a derivative
applied twice, a missing transpose) is off by 1e-2 or more. Shapes are drawn
from each seed so that the checks do not depend on one lucky size.
"""

import numpy as np
import pytest

from ganlib import (
    Dense,
    Dropout,
    LeakyReLU,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    bce_with_logits,
    discriminator_loss,
    generator_loss,
)
from ganlib.gradcheck import check_layer, check_loss, numerical_gradient, rel_error

SEEDS = [0, 1, 2]
TOL = 1e-7
F64 = np.float64
# check_layer draws its random upstream gradient from its own seed; keep that stream apart
# from the one that draws the inputs (equal streams would give dout == x, hiding mask bugs).
UPSTREAM = 10_000


def random_shape(seed, lo=2, hi=7):
    """(N, D) with both sizes drawn from the seed."""
    rng = np.random.default_rng(1000 + seed)
    return int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1))


def away_from_kink(rng, shape, margin=1e-3, scale=1.0):
    """Standard normal entries, resampled until none is within ``margin`` of 0 (a ReLU kink)."""
    x = rng.standard_normal(shape) * scale
    bad = np.abs(x) < margin
    while bad.any():
        x[bad] = rng.standard_normal(int(bad.sum())) * scale
        bad = np.abs(x) < margin
    return x


def assert_all_small(errors, tol=TOL):
    assert errors, "no gradient was checked"
    worst = max(errors, key=errors.get)
    assert errors[worst] < tol, f"relative errors {errors}; worst {worst}: {errors[worst]:.3e} >= {tol}"


# ---------------------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("init", ["glorot", "he", 0.5])
def test_dense_gradients(seed, init):
    rng = np.random.default_rng(seed)
    n, d_in = random_shape(seed)
    d_out = int(rng.integers(1, 6))
    layer = Dense(d_in, d_out, rng=seed, init=init, dtype=F64)
    layer.params["b"][...] = rng.standard_normal(d_out)  # a non-zero bias, so b is really exercised
    x = rng.standard_normal((n, d_in))
    errors = check_layer(layer, x, seed=UPSTREAM + seed)
    assert set(errors) == {"x", "W", "b"}
    assert_all_small(errors)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("slope", [0.0, 0.01, 0.2, 0.5])
def test_leaky_relu_gradients(seed, slope):
    rng = np.random.default_rng(seed)
    x = away_from_kink(rng, random_shape(seed))
    assert (x > 0).any() and (x < 0).any(), "want both branches of the rectifier"
    errors = check_layer(LeakyReLU(slope), x, seed=UPSTREAM + seed)
    assert set(errors) == {"x"}
    assert_all_small(errors)


@pytest.mark.parametrize("seed", SEEDS)
def test_relu_gradients(seed):
    rng = np.random.default_rng(seed)
    x = away_from_kink(rng, random_shape(seed))
    assert_all_small(check_layer(ReLU(), x, seed=UPSTREAM + seed))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("cls", [Tanh, Sigmoid], ids=["tanh", "sigmoid"])
def test_smooth_activation_gradients(seed, cls):
    rng = np.random.default_rng(seed)
    x = 2.0 * rng.standard_normal(random_shape(seed))
    assert_all_small(check_layer(cls(), x, seed=UPSTREAM + seed))


class FixedMaskDropout(Dropout):
    """The real Dropout, with its generator re-seeded before every forward pass.

    Every forward then draws the same mask, so the layer is a fixed linear map
    ``x -> x * m / (1-p)`` that finite differences can check; forward and
    backward themselves are Dropout's own code.
    """

    def __init__(self, p, mask_seed):
        super().__init__(p, rng=mask_seed)
        self.mask_seed = mask_seed

    def forward(self, x):
        self.rng = np.random.default_rng(self.mask_seed)
        return super().forward(x)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_gradients_with_fixed_mask(seed, p):
    rng = np.random.default_rng(seed)
    n, d = random_shape(seed, lo=4, hi=8)
    x = rng.standard_normal((n, d))
    layer = FixedMaskDropout(p, mask_seed=UPSTREAM + seed)
    assert layer.training
    out = layer.forward(x)
    dropped = out == 0
    assert dropped.any() and not dropped.all(), "the mask should drop some units and keep others"
    np.testing.assert_allclose(out[~dropped], x[~dropped] / (1 - p), rtol=1e-15)
    assert_all_small(check_layer(layer, x, seed=UPSTREAM + seed))
    # The check really used a non-trivial mask: dx is zero exactly where units were dropped.
    layer.forward(x)
    dx = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(dx == 0, dropped)


@pytest.mark.parametrize("seed", SEEDS)
def test_dropout_gradients_eval_mode(seed):
    rng = np.random.default_rng(seed)
    layer = Dropout(0.5, rng=seed)
    layer.training = False
    assert_all_small(check_layer(layer, rng.standard_normal(random_shape(seed)), seed=UPSTREAM + seed))


def _mlp(seed, d_in, hidden, d_out):
    return Sequential(
        Dense(d_in, hidden, rng=seed, dtype=F64),
        LeakyReLU(0.2),
        Dense(hidden, hidden, rng=seed + 100, dtype=F64),
        ReLU(),
        Dense(hidden, hidden, rng=seed + 200, dtype=F64),
        Tanh(),
        Dense(hidden, d_out, rng=seed + 300, dtype=F64),
        Sigmoid(),
        dtype=F64,
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_sequential_gradients(seed):
    rng = np.random.default_rng(seed)
    n, d_in = random_shape(seed)
    hidden, d_out = int(rng.integers(3, 7)), int(rng.integers(1, 4))
    net = _mlp(seed, d_in, hidden, d_out)
    for layer in net.layers:  # non-zero biases
        if "b" in layer.params:
            layer.params["b"][...] = 0.3 * rng.standard_normal(layer.params["b"].shape)
    x = rng.standard_normal((n, d_in))
    # Finite differences are only valid away from the rectifiers' kinks: make sure the
    # pre-activations of LeakyReLU and ReLU are not within a step of 0.
    h = x
    for layer in net.layers:
        if isinstance(layer, LeakyReLU):
            assert np.abs(h).min() > 1e-4, "pre-activation too close to a kink for this seed"
        h = layer.forward(h)
    errors = check_layer(net, x, seed=UPSTREAM + seed)
    assert set(errors) == {"x"} | {name for name, _ in net.named_parameters()}
    assert_all_small(errors)


@pytest.mark.parametrize("seed", SEEDS)
def test_sequential_with_fixed_dropout_gradients(seed):
    rng = np.random.default_rng(seed)
    n, d_in = random_shape(seed)
    net = Sequential(
        Dense(d_in, 6, rng=seed, dtype=F64),
        Tanh(),
        FixedMaskDropout(0.3, mask_seed=UPSTREAM + seed),
        Dense(6, 2, rng=seed + 1, dtype=F64),
        dtype=F64,
    )
    assert_all_small(check_layer(net, rng.standard_normal((n, d_in)), seed=UPSTREAM + seed))


# ---------------------------------------------------------------------------------------
# the check itself can fail
# ---------------------------------------------------------------------------------------
class DoubleDerivativeSigmoid(Sigmoid):
    """The original post's bug: the sigmoid's derivative applied twice."""

    def backward(self, dout, *, need_dx=True, need_param_grads=True):
        out = self._cached()
        return super().backward(dout) * out * (1 - out)


@pytest.mark.parametrize("seed", SEEDS)
def test_gradient_check_catches_double_sigmoid_derivative(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(random_shape(seed))
    errors = check_layer(DoubleDerivativeSigmoid(), x, seed=UPSTREAM + seed)
    assert errors["x"] > 1e-3, f"the buggy backward passed the check: {errors}"
    # ... and also inside a network, where it corrupts every earlier gradient.
    net = Sequential(Dense(x.shape[1], 3, rng=seed, dtype=F64), DoubleDerivativeSigmoid(), dtype=F64)
    errors = check_layer(net, x, seed=UPSTREAM + seed)
    assert min(errors.values()) > 1e-3, f"the buggy backward passed the check: {errors}"


def test_gradient_check_catches_missing_transpose():
    class NoTransposeDense(Dense):
        def backward(self, dout, *, need_dx=True, need_param_grads=True):
            super().backward(dout, need_dx=False)
            self.grads["W"][...] = self.grads["W"].T.reshape(self.grads["W"].shape)
            return dout @ self.params["W"].T

    layer = NoTransposeDense(3, 3, rng=0, dtype=F64)
    # (x and the upstream gradient must differ: with equal ones x.T @ dout is symmetric)
    errors = check_layer(layer, np.random.default_rng(7).standard_normal((4, 3)), seed=0)
    assert errors["W"] > 1e-3 and errors["x"] < TOL


def test_rel_error_and_numerical_gradient_basics():
    a = np.array([1.0, 2.0, 3.0])
    assert rel_error(a, a) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(a, -a) == pytest.approx(1.0)
    x = np.array([[0.5, -1.5], [2.0, 0.25]])
    g = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-9)
    np.testing.assert_array_equal(x, [[0.5, -1.5], [2.0, 0.25]])  # restored after perturbing
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, x.astype(np.float32))


# ---------------------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------------------
def random_logits(seed, scale=3.0):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    return scale * rng.standard_normal((n, 1)), rng


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("target", [1.0, 0.0, 0.9])
def test_bce_scalar_target_gradient(seed, target):
    logits, _ = random_logits(seed)
    assert check_loss(lambda s: bce_with_logits(s, target), logits) < TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_bce_array_target_gradient(seed):
    logits, rng = random_logits(seed)
    targets = rng.uniform(0, 1, size=logits.shape)
    targets[0, 0] = 1.0  # include the end points
    if len(targets) > 1:
        targets[1, 0] = 0.0
    assert check_loss(lambda s: bce_with_logits(s, targets), logits) < TOL


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("real_label", [1.0, 0.9])
def test_discriminator_loss_gradients(seed, real_label):
    logits_real, rng = random_logits(seed)
    logits_fake = 3.0 * rng.standard_normal((int(rng.integers(1, 9)), 1))

    def wrt_real(s):
        loss, d_real, _ = discriminator_loss(s, logits_fake, real_label)
        return loss, d_real

    def wrt_fake(s):
        loss, _, d_fake = discriminator_loss(logits_real, s, real_label)
        return loss, d_fake

    err_real, err_fake = check_loss(wrt_real, logits_real), check_loss(wrt_fake, logits_fake)
    assert err_real < TOL and err_fake < TOL, (err_real, err_fake)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["non_saturating", "minimax"])
def test_generator_loss_gradient(seed, kind):
    logits, _ = random_logits(seed)
    assert check_loss(lambda s: generator_loss(s, kind), logits) < TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_loss_and_network_chain(seed):
    """The loss gradient fed into a network's backward gives d(loss)/d(params)."""
    rng = np.random.default_rng(seed)
    n, d_in = random_shape(seed)
    net = Sequential(
        Dense(d_in, 5, rng=seed, dtype=F64), LeakyReLU(0.2), Dense(5, 1, rng=seed + 1, dtype=F64), dtype=F64
    )
    x = rng.standard_normal((n, d_in))
    targets = rng.uniform(0, 1, size=(n, 1))

    def loss():
        return bce_with_logits(net.forward(x), targets)[0]

    numeric = numerical_gradient(loss, net.flat_params)
    _, dlogits = bce_with_logits(net.forward(x), targets)
    net.backward(dlogits)
    assert rel_error(net.flat_grads, numeric) < TOL


# ---------------------------------------------------------------------------------------
# dtypes and extreme logits
# ---------------------------------------------------------------------------------------
def test_float32_is_the_default_dtype():
    layer = Dense(3, 2, rng=0)
    assert layer.params["W"].dtype == np.float32 and layer.params["b"].dtype == np.float32
    net = Sequential(Dense(3, 4, rng=0), LeakyReLU(), Dense(4, 1, rng=1))
    assert net.dtype == np.float32
    assert net.flat_params.dtype == np.float32 and net.flat_grads.dtype == np.float32
    out = net.forward(np.ones((2, 3)))  # float64 data is cast to the network's dtype
    assert out.dtype == np.float32
    dx = net.backward(np.ones((2, 1), dtype=np.float32))
    assert dx.dtype == np.float32
    assert Sequential(LeakyReLU()).dtype == np.float32
    assert Sequential(Dense(3, 2, rng=0), dtype=np.float64).flat_params.dtype == np.float64


LARGE = 1e4


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_exact_and_finite_for_huge_logits(dtype):
    n = 3
    pos = np.full((n, 1), LARGE, dtype=dtype)
    neg = -pos
    # softplus(s) - t s, analytically: for s = +L, (1 - t) L; for s = -L, t L (up to e^-L == 0).
    cases = [(pos, 0.0, LARGE), (pos, 1.0, 0.0), (neg, 1.0, LARGE), (neg, 0.0, 0.0), (pos, 0.9, 0.1 * LARGE)]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for logits, t, expected in cases:
            loss, grad = bce_with_logits(logits, t)
            assert np.isfinite(loss) and np.all(np.isfinite(grad))
            assert loss == pytest.approx(expected, rel=1e-6, abs=0.0), (logits[0, 0], t, loss)
            sig = 1.0 if logits[0, 0] > 0 else 0.0
            np.testing.assert_allclose(grad, np.full((n, 1), (sig - t) / n), rtol=1e-6, atol=0)
            assert grad.dtype == dtype
        assert bce_with_logits(pos, 0.0)[0] == LARGE  # exact, not merely close

        loss, d_real, d_fake = discriminator_loss(neg, pos)  # D as wrong as it can be
        assert loss == 2 * LARGE
        np.testing.assert_array_equal(d_real, np.full((n, 1), -1.0 / n, dtype=dtype))
        np.testing.assert_array_equal(d_fake, np.full((n, 1), 1.0 / n, dtype=dtype))

        loss, grad = generator_loss(neg, "non_saturating")  # D rejects the fakes: no saturation
        assert loss == LARGE
        np.testing.assert_allclose(grad, -1.0 / n, rtol=1e-6)
        loss, grad = generator_loss(neg, "minimax")  # ... while minimax saturates: gradient 0
        assert loss == 0.0 and np.all(grad == 0)
        loss, grad = generator_loss(pos, "minimax")
        assert loss == -LARGE
        np.testing.assert_allclose(grad, -1.0 / n, rtol=1e-6)


def test_sigmoid_and_tanh_layers_finite_for_huge_inputs():
    x = np.array([[-LARGE, -200.0, 0.0, 200.0, LARGE]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = Sigmoid()
        out = s.forward(x)
        np.testing.assert_array_equal(out, np.array([[0.0, 0.0, 0.5, 1.0, 1.0]], dtype=np.float32))
        dx = s.backward(np.ones_like(x))
        assert np.all(np.isfinite(dx)) and dx[0, 2] == 0.25
        t = Tanh()
        np.testing.assert_array_equal(t.forward(x), np.array([[-1, -1, 0, 1, 1]], dtype=np.float32))
        assert np.all(np.isfinite(t.backward(np.ones_like(x))))


# ---------------------------------------------------------------------------------------
# conditioning: the label concatenated to the input (ganlib.condition)
# ---------------------------------------------------------------------------------------
def _conditional_nets(seed, data_dim=5, latent_dim=3, num_classes=4, embedding_dim=3):
    """A small float64 conditional G ([z, e_y] -> x, tanh) and D ([x, e_y] -> logit), as GAN builds them:
    with a LabelEmbedding first, or (embedding_dim=0) the one-hot label straight into the first Dense."""
    from ganlib.config import GANConfig
    from ganlib.models import build_discriminator, build_generator

    config = GANConfig(
        latent_dim=latent_dim,
        data_dim=data_dim,
        num_classes=num_classes,
        embedding_dim=embedding_dim,
        g_hidden=(6,),
        d_hidden=(7,),
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    G, D = build_generator(config, rng).copy(F64), build_discriminator(config, rng).copy(F64)
    for net in (G, D):  # non-zero biases, so every parameter is exercised
        net.flat_params[...] += 0.1 * rng.standard_normal(net.num_params)
    return G, D, config


def _labels(seed, n, num_classes):
    y = np.random.default_rng(seed + 7).integers(0, num_classes, n)
    y[:num_classes] = np.arange(num_classes)  # every class at least once
    return y


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("embedding_dim", [0, 3])
def test_concatenation_backward_splits_the_gradient(seed, embedding_dim):
    """split_gradient(D.backward(delta)) is dL/dx and dL/de_y, the one-hot treated as a real input."""
    from ganlib.condition import concat_label, one_hot, split_gradient

    _, D, config = _conditional_nets(seed, embedding_dim=embedding_dim)
    n, d, c = 6, config.data_dim, config.num_classes
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-1, 1, (n, d)), _labels(seed, n, c)
    e = one_hot(y, c, F64)
    delta = rng.standard_normal((n, 1))

    def loss():  # L = sum(D([x, e]) * delta): reads x and e, which numerical_gradient perturbs
        return float(np.sum(D.forward(np.concatenate([x, e], axis=1)) * delta))

    np.testing.assert_array_equal(concat_label(x, y, c), np.concatenate([x, e], axis=1))
    D.forward(concat_label(x, y, c))
    dx, de = split_gradient(D.backward(delta), d)
    assert dx.shape == (n, d) and de.shape == (n, c)
    assert rel_error(dx, numerical_gradient(loss, x)) < TOL
    assert rel_error(de, numerical_gradient(loss, e)) < TOL


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("which", ["G", "D"])
@pytest.mark.parametrize("embedding_dim", [0, 3])
def test_conditional_network_gradients(seed, which, embedding_dim):
    """Every parameter (the embedding table too) and the whole input [a, e_y] of a conditional G and D."""
    from ganlib.condition import concat_label

    G, D, config = _conditional_nets(seed, embedding_dim=embedding_dim)
    net, dim = (G, config.latent_dim) if which == "G" else (D, config.data_dim)
    rng = np.random.default_rng(seed)
    inputs = concat_label(rng.standard_normal((6, dim)), _labels(seed, 6, config.num_classes), config.num_classes)
    errors = check_layer(net, inputs, seed=UPSTREAM + seed)
    assert set(errors) == {"x"} | {name for name, _ in net.named_parameters()}
    assert_all_small(errors)


def _generator_chain(G, D, z, y, config, split):
    """L_G (non-saturating) of G([z, e_y]) judged by D with the same label, and G's parameter gradient
    by the generator step's backward pass with the given ``split`` of D's input gradient."""
    from ganlib.condition import concat_label

    c = config.num_classes
    loss, dlogits = generator_loss(D.forward(concat_label(G.forward(concat_label(z, y, c)), y, c)))
    d_input = D.backward(dlogits, need_param_grads=False)
    G.backward(split(d_input, config.data_dim)[0], need_dx=False)
    return loss, G.flat_grads.copy()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("embedding_dim", [0, 3])
def test_conditional_generator_step_gradient(seed, embedding_dim):
    """What GAN.generator_step computes for G (D's input gradient, its image part, G's backward)
    equals the finite-difference gradient of L_G with respect to G's parameters."""
    from ganlib.condition import split_gradient

    G, D, config = _conditional_nets(seed, embedding_dim=embedding_dim)
    rng = np.random.default_rng(seed)
    z, y = rng.standard_normal((8, config.latent_dim)), _labels(seed, 8, config.num_classes)
    _, analytic = _generator_chain(G, D, z, y, config, split_gradient)
    numeric = numerical_gradient(lambda: _generator_chain(G, D, z, y, config, split_gradient)[0], G.flat_params)
    assert rel_error(analytic, numeric) < TOL


def test_gradient_check_catches_a_wrong_split():
    """The check can fail: taking the *last* data_dim columns of D's input gradient (the label's
    columns and part of the image's) instead of the first ones gives wrong gradients for G."""

    def wrong_split(d_input, dim):
        return d_input[:, -dim:], d_input[:, :-dim]

    G, D, config = _conditional_nets(0)
    rng = np.random.default_rng(0)
    z, y = rng.standard_normal((8, config.latent_dim)), _labels(0, 8, config.num_classes)
    _, analytic = _generator_chain(G, D, z, y, config, wrong_split)
    numeric = numerical_gradient(lambda: _generator_chain(G, D, z, y, config, wrong_split)[0], G.flat_params)
    assert rel_error(analytic, numeric) > 1e-2


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("embedding_dim", [0, 3])
def test_conditional_discriminator_step_gradient(seed, embedding_dim):
    """L_D on real images with their labels and fakes with theirs, through [x, e_y]: D's parameter gradient."""
    from ganlib.condition import concat_label

    _, D, config = _conditional_nets(seed, embedding_dim=embedding_dim)
    rng = np.random.default_rng(seed)
    c, m = config.num_classes, 5
    x = rng.uniform(-1, 1, (2 * m, config.data_dim))
    y = _labels(seed, 2 * m, c)

    def loss():
        logits = D.forward(concat_label(x, y, c))
        return discriminator_loss(logits[:m], logits[m:], 0.9)[0]

    logits = D.forward(concat_label(x, y, c))
    _, d_real, d_fake = discriminator_loss(logits[:m], logits[m:], 0.9)
    D.backward(np.concatenate([d_real, d_fake]), need_dx=False)
    assert rel_error(D.flat_grads, numerical_gradient(loss, D.flat_params)) < TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_label_embedding_gradients(seed):
    """LabelEmbedding alone: dL/d[a, e_y] and dL/dE by finite differences, on inputs [a, one-hot]."""
    from ganlib.condition import LabelEmbedding, concat_label

    rng = np.random.default_rng(seed)
    n, d = random_shape(seed)
    c, k = 4, int(rng.integers(2, 6))
    layer = LabelEmbedding(d + c, c, k, rng=seed, dtype=F64)
    x = concat_label(rng.standard_normal((n + c, d)), _labels(seed, n + c, c), c)
    out = layer.forward(x)
    np.testing.assert_array_equal(out[:, :d], x[:, :d])  # a passes through
    np.testing.assert_array_equal(out[:, d:], layer.params["E"][x[:, d:].argmax(axis=1)])  # row y of E
    errors = check_layer(layer, x, seed=UPSTREAM + seed)
    assert set(errors) == {"x", "E"}
    assert_all_small(errors)


def test_gradient_check_catches_an_embedding_without_its_transpose():
    """The check can fail: a LabelEmbedding whose input gradient uses E instead of E^T (square E, so the
    shapes still fit) is caught."""
    from ganlib.condition import LabelEmbedding, concat_label

    class NoTranspose(LabelEmbedding):
        def backward(self, dout, *, need_dx=True, need_param_grads=True):
            dx = super().backward(dout, need_dx=need_dx, need_param_grads=need_param_grads)
            d = self.in_features - self.num_classes
            dx[:, d:] = dout[:, d:] @ self.params["E"]
            return dx

    layer = NoTranspose(3 + 4, 4, 4, rng=0, dtype=F64)
    x = concat_label(np.random.default_rng(0).standard_normal((6, 3)), [0, 1, 2, 3, 1, 2], 4)
    errors = check_layer(layer, x, seed=UPSTREAM)
    assert errors["x"] > 1e-3 and errors["E"] < TOL


@pytest.mark.parametrize("real_label", [1.0, 0.9, 0.7])
@pytest.mark.parametrize("kind", ["non_saturating", "minimax"])
def test_equilibrium_is_the_best_discriminator_when_the_generator_has_won(real_label, kind):
    """With p_g = p_data, D sees the same x as real and as fake: its best constant output minimises
    L_D over a fine grid of D values, and the losses at that D are the ones the formulas give."""
    from ganlib.losses import equilibrium

    eq = equilibrium(real_label, kind)
    d = np.linspace(1e-4, 1 - 1e-4, 200_001)
    loss_d_grid = -(real_label * np.log(d) + (1 - real_label) * np.log1p(-d)) - np.log1p(-d)
    assert abs(d[np.argmin(loss_d_grid)] - eq["d"]) < 1e-4
    at_best = np.full((4, 1), np.log(eq["d"]) - np.log1p(-eq["d"]))
    loss_d, _, _ = discriminator_loss(at_best, at_best, real_label)
    loss_g, _ = generator_loss(at_best, kind)
    assert loss_d == pytest.approx(eq["loss_d"], rel=1e-12) and loss_g == pytest.approx(eq["loss_g"], rel=1e-12)
    if real_label == 1.0:
        assert eq["d"] == 0.5 and eq["loss_d"] == pytest.approx(2 * np.log(2))


def test_equilibrium_rejects_a_real_label_outside_0_1():
    from ganlib.losses import equilibrium

    with pytest.raises(ValueError, match="real_label"):
        equilibrium(1.5)
