"""The layers', losses', networks' and optimizers' contracts: errors, views, modes, state, memory."""

import gc
import tracemalloc

import numpy as np
import pytest

from ganlib import (
    SGD,
    Adam,
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

ACTIVATIONS = [lambda: LeakyReLU(0.2), ReLU, Tanh, Sigmoid, lambda: Dropout(0.5, rng=0)]
ACT_IDS = ["leaky_relu", "relu", "tanh", "sigmoid", "dropout"]
ALL_LAYERS = [lambda: Dense(4, 3, rng=0), *ACTIVATIONS]
ALL_IDS = ["dense", *ACT_IDS]


def small_net(seed=0, dtype=np.float32):
    return Sequential(
        Dense(6, 5, rng=seed, dtype=dtype), LeakyReLU(0.2), Dense(5, 1, rng=seed + 1, dtype=dtype), dtype=dtype
    )


# ---------------------------------------------------------------------------------------
# argument errors
# ---------------------------------------------------------------------------------------
def test_dense_wrong_input_width():
    layer = Dense(4, 3, rng=0)
    with pytest.raises(ValueError, match=r"expects input of shape \(N, 4\), got \(2, 5\)"):
        layer.forward(np.zeros((2, 5), np.float32))


def test_sequential_reports_the_failing_layer_width():
    net = Sequential(Dense(4, 3, rng=0), ReLU(), Dense(2, 1, rng=1))  # 3 != 2
    with pytest.raises(ValueError, match=r"Dense\(2 -> 1\) expects input of shape \(N, 2\), got \(5, 3\)"):
        net.forward(np.zeros((5, 4), np.float32))


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4), ()], ids=["1d", "3d", "0d"])
def test_dense_rejects_non_2d_input(shape):
    with pytest.raises(ValueError, match=r"expects a 2-D batch of shape \(N, D\)"):
        Dense(4, 3, rng=0).forward(np.zeros(shape, np.float32))


@pytest.mark.parametrize("make", ACTIVATIONS, ids=ACT_IDS)
@pytest.mark.parametrize("shape", [(4,), ()], ids=["1d", "0d"])
def test_elementwise_layers_reject_a_single_example(make, shape):
    with pytest.raises(ValueError, match=r"expects a batch of shape \(N, D\) or \(N, H, W, C\)"):
        make().forward(np.zeros(shape, np.float32))


@pytest.mark.parametrize("make", ACTIVATIONS, ids=ACT_IDS)
def test_elementwise_layers_take_images(make):
    x = np.random.default_rng(0).standard_normal((2, 3, 3, 4)).astype(np.float32)
    layer = make()
    out = layer.forward(x)
    assert out.shape == x.shape and layer.backward(np.ones_like(out)).shape == x.shape


@pytest.mark.parametrize("make", ALL_LAYERS, ids=ALL_IDS)
def test_layers_reject_non_array_input(make):
    with pytest.raises(ValueError, match="expects a (2-D )?batch"):
        make().forward([[1.0, 2.0, 3.0, 4.0]])


@pytest.mark.parametrize("make", ALL_LAYERS, ids=ALL_IDS)
def test_backward_before_forward(make):
    layer = make()
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        layer.backward(np.ones((2, 3), np.float32))


def test_sequential_backward_before_forward():
    with pytest.raises(RuntimeError, match="before forward"):
        small_net().backward(np.ones((2, 1), np.float32))


@pytest.mark.parametrize("make", ALL_LAYERS, ids=ALL_IDS)
@pytest.mark.parametrize("eval_mode", [False, True], ids=["train", "eval"])
def test_dout_of_wrong_shape(make, eval_mode):
    layer = make()
    layer.training = not eval_mode
    out = layer.forward(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    for bad in [(out.shape[0] + 1, out.shape[1]), (out.shape[0], out.shape[1] + 1), (out.shape[0],)]:
        with pytest.raises(ValueError, match=r"dout has shape .* same shape as the output"):
            layer.backward(np.ones(bad, np.float32))


def test_bce_target_shape_mismatch():
    logits = np.zeros((4, 1))
    with pytest.raises(ValueError, match=r"targets must be a scalar or have the logits' shape \(4, 1\)"):
        bce_with_logits(logits, np.ones(4))
    with pytest.raises(ValueError, match="targets must be a scalar"):
        bce_with_logits(logits, np.ones((3, 1)))


@pytest.mark.parametrize("shape", [(4,), (4, 2), (1, 4, 1), (0, 1)])
def test_bce_logits_must_be_n_by_1(shape):
    with pytest.raises(ValueError, match=r"logits must have shape \(N, 1\)|empty batch"):
        bce_with_logits(np.zeros(shape), 1.0)
    with pytest.raises(ValueError, match=r"logits must have shape \(N, 1\)|empty batch"):
        generator_loss(np.zeros(shape), "minimax")
    with pytest.raises(ValueError, match=r"logits must have shape \(N, 1\)|empty batch"):
        discriminator_loss(np.zeros((3, 1)), np.zeros(shape))


@pytest.mark.parametrize("bad", [-0.1, 1.1, np.array([[0.5], [1.5]])], ids=["neg", "above1", "array"])
def test_bce_targets_outside_unit_interval(bad):
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        bce_with_logits(np.zeros((2, 1)), bad)


def test_discriminator_label_outside_unit_interval():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        discriminator_loss(np.zeros((2, 1)), np.zeros((2, 1)), real_label=1.2)


def test_unknown_generator_loss_kind():
    with pytest.raises(ValueError, match=r"unknown generator loss 'wasserstein'.*non_saturating.*minimax"):
        generator_loss(np.zeros((2, 1)), "wasserstein")


@pytest.mark.parametrize(
    "kwargs,match",
    [({"slope": 1.0}, "slope must be in"), ({"slope": -0.1}, "slope must be in")],
)
def test_bad_layer_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LeakyReLU(**kwargs)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="dropout probability p must be in"):
        Dropout(1.0)
    with pytest.raises(ValueError, match="Dense needs positive sizes"):
        Dense(0, 3)
    with pytest.raises(ValueError, match="init must be 'glorot', 'he'"):
        Dense(3, 3, init="xavier")
    with pytest.raises(ValueError, match="at least one layer"):
        Sequential()
    with pytest.raises(TypeError, match="Sequential takes Layer objects"):
        Sequential(Dense(2, 2), np.tanh)


def test_sequential_rejects_a_layer_used_twice():
    """A layer caches only its latest forward, so reusing one instance would corrupt backward."""
    act = LeakyReLU(0.2)
    with pytest.raises(ValueError, match="same layer object more than once"):
        Sequential(Dense(4, 4, rng=0), act, Dense(4, 4, rng=1), act, Dense(4, 1, rng=2))


def test_a_layer_cannot_join_a_second_network():
    """Its parameters are views of the first network's buffer: a second network's optimizer
    would update a buffer the layer does not read, and training would silently do nothing."""
    dense = Dense(4, 2, rng=0)
    Sequential(dense)
    with pytest.raises(ValueError, match="already belongs to another Sequential"):
        Sequential(dense, LeakyReLU(0.2))


@pytest.mark.parametrize("which", ["params", "grads"])
def test_replacing_a_parameter_array_is_detected(which):
    net = Sequential(Dense(4, 3, rng=0), LeakyReLU(0.2), Dense(3, 1, rng=1))
    x = np.ones((2, 4), dtype=np.float32)
    net.forward(x)
    layer = net.layers[2]
    getattr(layer, which)["W"] = getattr(layer, which)["W"].copy()  # rebinding, not an in-place change
    with pytest.raises(RuntimeError, match=r"parameter 2.W .* replaced by a new array.*in place"):
        net.forward(x)
    with pytest.raises(RuntimeError, match="replaced by a new array"):
        net.backward(np.ones((2, 1), dtype=np.float32))


def test_changing_a_parameter_in_place_is_fine_and_reaches_the_buffer():
    net = Sequential(Dense(4, 3, rng=0))
    net.layers[0].params["W"][...] = 0.5
    net.forward(np.ones((2, 4), dtype=np.float32))
    assert np.all(net.flat_params[:12] == 0.5)


def test_copy_is_independent_and_can_change_precision():
    net = Sequential(Dense(4, 3, rng=0), LeakyReLU(0.2), Dense(3, 1, rng=1))
    x = np.random.default_rng(0).standard_normal((2, 4))
    twin = net.copy(np.float64)
    assert twin.flat_params.dtype == np.float64 and np.array_equal(twin.flat_params, net.flat_params)
    np.testing.assert_allclose(twin.forward(x), net.forward(x), rtol=1e-6)
    before = net.flat_params.copy()
    twin.flat_params += 1.0
    assert np.array_equal(net.flat_params, before), "changing the copy must not change the original"
    assert net.copy().dtype == np.float32


# ---------------------------------------------------------------------------------------
# state dicts
# ---------------------------------------------------------------------------------------
def _changed_state(net, rng):
    return {
        name: value + rng.standard_normal(value.shape).astype(value.dtype) for name, value in net.state_dict().items()
    }


@pytest.mark.parametrize("corruption", ["missing", "unexpected", "shape", "nan", "inf"])
def test_load_state_dict_is_all_or_nothing(corruption):
    net = small_net()
    before = net.flat_params.copy()
    state = _changed_state(net, np.random.default_rng(1))
    last = "2.b"  # corrupt the *last* parameter, after all the valid ones
    match = {
        "missing": r"missing \['2.b'\]",
        "unexpected": r"unexpected \['3.W'\]",
        "shape": r"parameter 2.b: expected shape \(1,\), got \(2,\)",
        "nan": "parameter 2.b contains NaN or Inf",
        "inf": "parameter 2.b contains NaN or Inf",
    }[corruption]
    if corruption == "missing":
        del state[last]
    elif corruption == "unexpected":
        state["3.W"] = np.zeros((1, 1), np.float32)
    elif corruption == "shape":
        state[last] = np.zeros(2, np.float32)
    else:
        state[last] = state[last].copy()
        state[last][0] = np.nan if corruption == "nan" else np.inf
    with pytest.raises(ValueError, match=match):
        net.load_state_dict(state)
    np.testing.assert_array_equal(net.flat_params, before)


def test_load_state_dict_round_trip():
    a, b = small_net(0), small_net(7)
    assert not np.array_equal(a.flat_params, b.flat_params)
    state = a.state_dict()
    b.load_state_dict(state)
    np.testing.assert_array_equal(a.flat_params, b.flat_params)
    # state_dict is a copy: training on after saving does not change the saved state
    a.flat_params += 1.0
    np.testing.assert_array_equal(state["0.W"], b.layers[0].params["W"])
    # and loading keeps the layers' params views of the flat buffer
    assert np.shares_memory(b.layers[0].params["W"], b.flat_params)


def test_optimizer_needs_a_network():
    for bad in [object(), Dense(3, 2, rng=0), [np.zeros(3)]]:
        with pytest.raises(TypeError, match="expects a ganlib Sequential"):
            SGD(bad, lr=0.1)
        with pytest.raises(TypeError, match="expects a ganlib Sequential"):
            Adam(bad)


def test_optimizer_bad_hyperparameters():
    with pytest.raises(ValueError, match="need lr > 0"):
        SGD(small_net(), lr=0.0)
    with pytest.raises(ValueError, match="momentum < 1"):
        SGD(small_net(), lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="beta1, beta2 < 1"):
        Adam(small_net(), beta2=1.0)


def test_optimizer_state_dict_rejects_wrong_state():
    opt = Adam(small_net())
    with pytest.raises(ValueError, match=r"state needs keys \['m', 't', 'v'\]"):
        opt.load_state_dict({"t": np.array(1), "m": opt.m.copy()})
    with pytest.raises(ValueError, match="has shape"):
        opt.load_state_dict({"t": np.array(1), "m": np.zeros(3), "v": np.zeros(3)})


def _step(net, opt, rng):
    x = rng.standard_normal((8, 6)).astype(np.float32)
    targets = rng.uniform(0, 1, (8, 1)).astype(np.float32)
    _, dlogits = bce_with_logits(net.forward(x), targets)
    net.backward(dlogits, need_dx=False)
    opt.step()


@pytest.mark.parametrize(
    "make_opt",
    [lambda n: Adam(n, lr=1e-2), lambda n: SGD(n, lr=0.1, momentum=0.9, decay_rate=0.1)],
    ids=["adam", "sgd"],
)
def test_optimizer_state_dict_round_trip_continues_identically(make_opt):
    steps, resume_at = 10, 4
    # Reference: one uninterrupted run.
    net_a = small_net(0)
    opt_a = make_opt(net_a)
    rng_a = np.random.default_rng(42)
    for _ in range(steps):
        _step(net_a, opt_a, rng_a)

    # Interrupted: run, checkpoint network and optimizer, restore into fresh objects, continue.
    net_b = small_net(0)
    opt_b = make_opt(net_b)
    rng_b = np.random.default_rng(42)
    for _ in range(resume_at):
        _step(net_b, opt_b, rng_b)
    net_state, opt_state = net_b.state_dict(), opt_b.state_dict()
    assert int(opt_state["t"]) == resume_at
    for _ in range(3):  # keep training the original: the checkpoint must be a copy
        _step(net_b, opt_b, np.random.default_rng(0))

    net_c = small_net(9)  # different initial weights, overwritten by the checkpoint
    opt_c = make_opt(net_c)
    net_c.load_state_dict(net_state)
    opt_c.load_state_dict(opt_state)
    assert opt_c.t == resume_at
    rng_c = np.random.default_rng(42)
    for _ in range(resume_at):  # the data stream resumes where it was, too
        rng_c.standard_normal((8, 6)), rng_c.uniform(0, 1, (8, 1))
    for _ in range(steps - resume_at):
        _step(net_c, opt_c, rng_c)
    np.testing.assert_array_equal(net_c.flat_params, net_a.flat_params)

    # Without the optimizer state the continuation differs: the test can tell.
    net_d = small_net(9)
    opt_d = make_opt(net_d)
    net_d.load_state_dict(net_state)
    rng_d = np.random.default_rng(42)
    for _ in range(resume_at):
        rng_d.standard_normal((8, 6)), rng_d.uniform(0, 1, (8, 1))
    for _ in range(steps - resume_at):
        _step(net_d, opt_d, rng_d)
    assert not np.allclose(net_d.flat_params, net_a.flat_params, rtol=1e-6, atol=0)


# ---------------------------------------------------------------------------------------
# flat buffers
# ---------------------------------------------------------------------------------------
def test_layer_params_are_views_of_flat_params():
    net = small_net()
    layers_with_params = [layer for layer in net.layers if layer.params]
    for layer in layers_with_params:
        for key in layer.params:
            assert np.shares_memory(layer.params[key], net.flat_params)
            assert np.shares_memory(layer.grads[key], net.flat_grads)
    assert net.num_params == 6 * 5 + 5 + 5 * 1 + 1
    # Writing the flat buffer changes the layers' arrays ...
    net.flat_params[:] = np.arange(net.num_params, dtype=np.float32)
    np.testing.assert_array_equal(net.layers[0].params["W"].ravel(), np.arange(30))
    np.testing.assert_array_equal(net.layers[0].params["b"], np.arange(30, 35))
    np.testing.assert_array_equal(net.layers[2].params["W"].ravel(), np.arange(35, 40))
    np.testing.assert_array_equal(net.layers[2].params["b"], [40])
    # ... writing a layer's array changes the flat buffer ...
    net.layers[2].params["b"][0] = -7.0
    assert net.flat_params[-1] == -7.0
    # ... and an optimizer step on the flat buffer changes the layer's W.
    net = small_net()
    W_before = net.layers[0].params["W"].copy()
    _, dlogits = bce_with_logits(net.forward(np.ones((3, 6), np.float32)), 1.0)
    net.backward(dlogits)
    grad_W = net.layers[0].grads["W"].copy()
    assert np.any(grad_W != 0)
    SGD(net, lr=0.5).step()
    np.testing.assert_allclose(net.layers[0].params["W"], W_before - 0.5 * grad_W, rtol=1e-6)
    # a forward pass after the step uses the new weights
    np.testing.assert_allclose(
        net.layers[0].forward(np.eye(6, dtype=np.float32)),
        net.layers[0].params["W"] + net.layers[0].params["b"],
        rtol=1e-6,
    )


def test_need_param_grads_false():
    rng = np.random.default_rng(0)
    net = small_net(dtype=np.float64)
    x, dout = rng.standard_normal((7, 6)), rng.standard_normal((7, 1))
    net.forward(x)
    dx_full = net.backward(dout)
    assert np.any(net.flat_grads != 0)
    sentinel = rng.standard_normal(net.num_params)
    net.flat_grads[...] = sentinel
    net.forward(x)
    dx = net.backward(dout, need_param_grads=False)
    np.testing.assert_array_equal(net.flat_grads, sentinel)  # untouched
    np.testing.assert_array_equal(dx, dx_full)  # and dx still right


def test_need_dx_false():
    rng = np.random.default_rng(1)
    net = small_net(dtype=np.float64)
    x, dout = rng.standard_normal((7, 6)), rng.standard_normal((7, 1))
    net.forward(x)
    dx_full = net.backward(dout)
    assert dx_full is not None and dx_full.shape == x.shape
    grads_full = net.flat_grads.copy()
    net.flat_grads[...] = np.nan
    net.forward(x)
    assert net.backward(dout, need_dx=False) is None
    np.testing.assert_array_equal(net.flat_grads, grads_full)
    for make in ALL_LAYERS:  # single layers too
        layer = make()
        layer.forward(rng.standard_normal((3, 4)))
        assert layer.backward(np.ones((3, 3 if isinstance(layer, Dense) else 4)), need_dx=False) is None


def test_gradients_are_overwritten_not_accumulated():
    rng = np.random.default_rng(2)
    net = small_net(dtype=np.float64)
    x, dout = rng.standard_normal((4, 6)), rng.standard_normal((4, 1))
    net.forward(x)
    net.backward(dout)
    first = net.flat_grads.copy()
    net.forward(x)
    net.backward(dout)
    np.testing.assert_array_equal(net.flat_grads, first)


# ---------------------------------------------------------------------------------------
# dropout
# ---------------------------------------------------------------------------------------
def test_dropout_eval_mode_is_identity():
    x = np.random.default_rng(0).standard_normal((50, 40)).astype(np.float32)
    net = Sequential(Dense(40, 30, rng=0), Dropout(0.5, rng=1), Dense(30, 2, rng=2))
    layer = net.layers[1]
    net.eval()
    assert not layer.training
    np.testing.assert_array_equal(layer.forward(x), x)
    dout = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    np.testing.assert_array_equal(layer.backward(dout), dout)
    out1, out2 = net.forward(x), net.forward(x)
    np.testing.assert_array_equal(out1, out2)  # deterministic in eval mode
    net.train()
    assert layer.training
    assert not np.array_equal(net.forward(x), net.forward(x))  # random in training mode


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.8])
def test_dropout_train_mode_keeps_about_1_minus_p_scaled(p):
    layer = Dropout(p, rng=123)
    x = np.ones((400, 250), dtype=np.float32)  # 100,000 units
    out = layer.forward(x)
    kept = out != 0
    frac = kept.mean()
    # Binomial standard error sqrt(p(1-p)/n) <= 0.0016; a 6-sigma bound is 0.01.
    assert abs(frac - (1 - p)) < 0.01, f"kept fraction {frac:.4f}, expected {1 - p}"
    np.testing.assert_allclose(out[kept], 1.0 / (1.0 - p), rtol=1e-6)  # inverted-dropout scaling
    assert abs(out.mean() - 1.0) < 6 * np.sqrt(p / (1 - p) / x.size)  # expectation preserved
    # backward uses the same mask and scale
    dx = layer.backward(np.full_like(x, 2.0))
    np.testing.assert_array_equal(dx, 2.0 * out)
    # a new forward draws a new mask
    assert not np.array_equal(layer.forward(x) != 0, kept)


def test_dropout_is_reproducible_from_its_seed():
    x = np.ones((10, 10), np.float32)
    np.testing.assert_array_equal(Dropout(0.5, rng=7).forward(x), Dropout(0.5, rng=7).forward(x))
    assert not np.array_equal(Dropout(0.5, rng=7).forward(x), Dropout(0.5, rng=8).forward(x))


def test_dropout_zero_p_is_identity_in_training():
    x = np.random.default_rng(0).standard_normal((5, 4))
    layer = Dropout(0.0, rng=0)
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)


# ---------------------------------------------------------------------------------------
# memory
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", ALL_LAYERS, ids=ALL_IDS)
def test_cache_is_replaced_not_accumulated(make):
    layer = make()
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    layer.forward(x1)
    first = layer._cache
    layer.forward(x2)
    cached = layer._cache if isinstance(layer._cache, tuple) else (layer._cache,)
    assert len(cached) <= 2, "the cache should hold the latest forward only, not a growing container"
    assert layer._cache is not first
    assert all(a.shape[0] == 5 for a in cached if isinstance(a, np.ndarray))
    out_width = 3 if isinstance(layer, Dense) else 4
    assert layer.backward(np.ones((5, out_width))).shape == (5, 4)  # backward uses the latest forward
    with pytest.raises(ValueError, match="dout has shape"):
        layer.backward(np.ones((3, out_width)))  # ... not the earlier one


def _traced_growth(net, iterations, batch=16, width=32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, width)).astype(np.float32)
    opt = Adam(net)

    def one():
        _, dlogits = bce_with_logits(net.forward(x), 1.0)
        net.backward(dlogits)
        opt.step()

    tracemalloc.start()
    try:
        # Warm up under tracing, so that the caches alive at the start were traced when
        # allocated: replacing them later is then a wash, not an apparent growth.
        for _ in range(10):
            one()
        gc.collect()
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(iterations):
            one()
        gc.collect()
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return end - start


def _memory_net(first=Dense):
    return Sequential(
        first(32, 64, rng=0),
        LeakyReLU(0.2),
        Dropout(0.3, rng=1),
        Dense(64, 64, rng=2),
        Tanh(),
        Dense(64, 1, rng=3),
        Sigmoid(),
    )


BATCH_INPUT_BYTES = 16 * 32 * 4  # one cached float32 input batch of the first layer
FLAT_BOUND = 8 * 1024  # bytes; measured growth is ~0.5 KB (interpreter noise)


def test_memory_stays_flat_over_many_iterations():
    growth = _traced_growth(_memory_net(), iterations=200)
    # Keeping even one input batch per iteration alive would grow by 200 * 2 KB = 400 KB.
    assert growth < FLAT_BOUND, f"traced memory grew by {growth} bytes over 200 iterations"


def test_memory_check_detects_a_leak():
    """The measurement above is sensitive: a layer that keeps every cache (the original post's bug) fails it."""

    class LeakyCacheDense(Dense):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.history = []

        def forward(self, x):
            self.history.append(x.copy())  # every batch's input kept alive, as a cache stack would
            return super().forward(x)

    growth = _traced_growth(_memory_net(first=LeakyCacheDense), iterations=200)
    assert growth > 100 * BATCH_INPUT_BYTES > FLAT_BOUND, f"a leak of 200 cached inputs went unnoticed ({growth} bytes)"
