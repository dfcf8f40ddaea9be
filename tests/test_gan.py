"""The training algorithm: who changes when, reproducibility, interrupts and divergence."""

import os
import signal
import tracemalloc

import numpy as np
import pytest

from ganlib.gan import CONFIGS, GAN, GANConfig, TrainingDiverged
from ganlib.original_post import OriginalPostGAN, make_gan
from ganlib.training import fit

TINY = CONFIGS["default"].replace(g_hidden=(32,), d_hidden=(32,), latent_dim=8, batch_size=16, epochs=2)


@pytest.fixture
def X():
    return np.random.default_rng(0).uniform(-1, 1, size=(256, 784)).astype(np.float32)


def test_discriminator_step_changes_only_d(X):
    gan = GAN(TINY)
    g0, d0 = gan.G.flat_params.copy(), gan.D.flat_params.copy()
    gan.discriminator_step(X[:16])
    assert np.array_equal(gan.G.flat_params, g0), "the generator changed during a discriminator step"
    assert not np.array_equal(gan.D.flat_params, d0), "the discriminator did not learn"


@pytest.mark.parametrize("loss", ["non_saturating", "minimax"])
def test_generator_step_leaves_discriminator_untouched(X, loss):
    """The original post's framework updated D's shared layers during G's step."""
    gan = GAN(TINY.replace(generator_loss=loss, d_dropout=0.3))
    gan.discriminator_step(X[:16])
    g0 = gan.G.flat_params.copy()
    d_params, d_grads = gan.D.flat_params.copy(), gan.D.flat_grads.copy()
    d_opt = {k: v.copy() for k, v in gan.opt_D.state_dict().items()}
    gan.generator_step(16)
    assert np.array_equal(gan.D.flat_params, d_params)
    assert np.array_equal(gan.D.flat_grads, d_grads)
    for key, value in gan.opt_D.state_dict().items():
        assert np.array_equal(value, d_opt[key]), key
    assert not np.array_equal(gan.G.flat_params, g0), "the generator did not learn"


def test_generator_gradient_flows_through_discriminator(X):
    """G's gradient equals the finite-difference gradient of L_G through D (float64 check)."""
    from ganlib.gradcheck import numerical_gradient, rel_error
    from ganlib.losses import generator_loss

    cfg = TINY.replace(
        g_hidden=(6,), d_hidden=(5,), latent_dim=3, data_dim=4, d_dropout=0.0
    )  # no random masks in a gradient check
    gan = GAN(cfg)
    # Float64 copies of the two networks, for an accurate check.
    G64, D64 = gan.G.copy(np.float64), gan.D.copy(np.float64)
    z = np.random.default_rng(1).standard_normal((7, 3))

    def loss():
        return generator_loss(D64.forward(G64.forward(z)))[0]

    _, dlogits = generator_loss(D64.forward(G64.forward(z)))
    G64.backward(D64.backward(dlogits, need_param_grads=False), need_dx=False)
    analytic = G64.flat_grads.copy()
    numeric = numerical_gradient(loss, G64.flat_params)
    assert rel_error(analytic, numeric) < 1e-7


def test_each_step_draws_a_fresh_latent_batch(X, monkeypatch):
    gan = GAN(TINY.replace(k=2))
    drawn = []
    original = gan.sample_latent
    monkeypatch.setattr(gan, "sample_latent", lambda n: drawn.append(original(n)) or drawn[-1])
    gan.train_iteration([X[:16], X[16:32]])
    assert len(drawn) == 3, "k=2 discriminator steps and one generator step need three latent batches"
    for i in range(3):
        for j in range(i):
            assert not np.array_equal(drawn[i], drawn[j])


def test_same_seed_same_run_other_seed_other_run(X):
    a, b, c = GAN(TINY), GAN(TINY), GAN(TINY.replace(seed=1))
    ha, hb, hc = (g.train(X, epochs=1) for g in (a, b, c))
    assert ha.loss_d == hb.loss_d and ha.loss_g == hb.loss_g
    assert np.array_equal(a.G.flat_params, b.G.flat_params)
    assert ha.loss_d != hc.loss_d


def test_history_has_one_record_per_iteration(X):
    gan = GAN(TINY)
    history = gan.train(X, epochs=2, snapshot_every=4)
    iterations = 2 * (256 // 16)
    assert len(history) == gan.iteration == iterations
    assert all(0 < p < 1 for p in history.d_real + history.d_fake)
    assert history.snapshot_iterations == list(range(0, iterations + 1, 4))
    assert history.snapshots[0].shape == (64, 784)
    assert not np.array_equal(history.snapshots[0], history.snapshots[-1])


def test_fixed_latent_batch_does_not_change_the_run(X):
    a, b = GAN(TINY, n_fixed=4), GAN(TINY, n_fixed=64)
    a.train(X, epochs=1)
    b.train(X, epochs=1)
    assert np.array_equal(a.G.flat_params, b.G.flat_params)


def test_ema_is_the_exponential_moving_average_of_the_generator(X):
    """theta_ema <- decay * theta_ema + (1 - decay) * theta after every G step, from theta_0.

    decay = 0.9 (not 0.5) so that swapping decay and 1 - decay gives a different average."""
    decay = 0.9
    gan = GAN(TINY.replace(ema_decay=decay, ema_bias_correction=False))
    assert gan.sampler is gan.G_ema
    expected = gan.G.flat_params.astype(np.float64)  # the average starts at G's initial weights
    weights_after_each_step = []
    gan.train(
        X,
        epochs=1,
        callback=lambda g: weights_after_each_step.append(g.G.flat_params.copy()),
        callback_every=1,
    )
    assert len(weights_after_each_step) == gan.iteration + 1  # every iteration, plus the epoch's end
    for theta in weights_after_each_step[:-1]:
        expected = decay * expected + (1 - decay) * theta
    np.testing.assert_allclose(gan.G_ema.flat_params, expected, rtol=0, atol=1e-5)
    assert np.abs(gan.G_ema.flat_params - gan.G.flat_params).max() > 1e-3  # it lags behind G


@pytest.mark.parametrize("decay", [0.9, 0.99])
def test_bias_corrected_ema_is_the_weighted_average_of_the_generators_since_step_one(X, decay):
    """With bias correction the average after t steps is sum_s decay^(t-s) theta_s / sum_s decay^(t-s),
    s = 1..t: G's random initialisation theta_0 gets no weight (the first average is a copy of G).

    decay 0.99 over this short run differs from the plain average of the steps and from the
    uncorrected EMA by more than ten times the tolerance, so a rate off by one step fails the test."""
    gan = GAN(TINY.replace(ema_decay=decay))
    assert gan.config.ema_bias_correction  # the default
    thetas = []
    gan.train(X, epochs=1, callback=lambda g: thetas.append(g.G.flat_params.copy()), callback_every=1)
    thetas = np.array(thetas[:-1], dtype=np.float64)  # after step 1, 2, ..., t
    t = len(thetas)
    weights = decay ** np.arange(t - 1, -1, -1, dtype=np.float64)
    expected = weights @ thetas / weights.sum()
    np.testing.assert_allclose(gan.G_ema.flat_params, expected, rtol=0, atol=1e-5)
    off_by_one = weights[1:] @ thetas[:-1] / weights[1:].sum()  # the average one step earlier
    assert np.abs(off_by_one - expected).max() > 1e-4  # ten times the tolerance: the check can tell them apart


def test_bias_corrected_ema_copies_the_generator_at_the_first_step(X):
    gan = GAN(TINY.replace(ema_decay=0.999))
    init = gan.G_ema.flat_params.copy()
    gan.train_iteration([X[: gan.config.batch_size]])
    np.testing.assert_array_equal(gan.G_ema.flat_params, gan.G.flat_params)
    assert np.abs(gan.G_ema.flat_params - init).max() > 0


def test_interrupt_returns_history_and_leaves_model_consistent(X):
    gan = GAN(TINY)

    def interrupt(g):
        if g.iteration == 5:
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C or a notebook interrupt sends

    handler_before = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN in a background job
    history = fit(gan, X, epochs=3, progress=False, callback=interrupt, callback_every=1)
    assert history.interrupted
    assert len(history) == gan.iteration == 5
    assert np.all(np.isfinite(gan.G.flat_params)) and np.all(np.isfinite(gan.D.flat_params))
    assert gan.opt_G.t == gan.opt_D.t == 5
    assert signal.getsignal(signal.SIGINT) == handler_before, "the SIGINT handler was not restored"
    gan.train(X, epochs=1)  # training can go on
    assert not gan.history.interrupted


def test_nan_stops_training_before_the_bad_update(X):
    gan = GAN(TINY)

    def poison(g):
        if g.iteration == 3:
            g.D.layers[0].params["W"][0, 0] = np.nan  # e.g. an exploding update

    with pytest.raises(TrainingDiverged, match="diverged at iteration 3") as info:
        gan.train(X, epochs=2, callback=poison, callback_every=1)
    assert len(info.value.history) == 3
    assert np.all(np.isfinite(gan.G.flat_params)), "the generator was updated with a NaN gradient"


def test_bad_training_data_is_rejected(X):
    gan = GAN(TINY)
    with pytest.raises(ValueError, match=r"shape \(N, 784\)"):
        gan.train(X[:, :100])
    with pytest.raises(ValueError, match="float32"):
        gan.train(X.astype(np.float64))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        gan.train(X * 255)
    bad = X.copy()
    bad[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        gan.train(bad)
    with pytest.raises(ValueError, match="at least"):
        gan.train(X[:8])


def test_config_validation():
    with pytest.raises(ValueError, match="unknown GANConfig field"):
        CONFIGS["default"].replace(learning_rate=0.1)
    with pytest.raises(ValueError, match="generator_loss"):
        GANConfig(generator_loss="wasserstein")
    with pytest.raises(ValueError, match="latent_dist"):
        GANConfig(latent_dist="cauchy")
    assert GANConfig.from_dict(CONFIGS["original_post"].to_dict()) == CONFIGS["original_post"]


def test_original_post_configuration_is_available():
    c = CONFIGS["original_post"]
    with pytest.raises(ValueError, match="OriginalPostGAN"):  # GAN is Algorithm 1 only
        GAN(c)
    gan = make_gan(c)
    assert isinstance(gan, OriginalPostGAN)
    assert [layer.out_features for layer in gan.G.layers if hasattr(layer, "out_features")] == [256, 784]
    assert [layer.out_features for layer in gan.D.layers if hasattr(layer, "out_features")] == [64, 1]


def test_memory_does_not_grow_with_iterations(X):
    """The original post's layers kept a cache entry per forward pass: +1 GB per epoch."""
    gan = GAN(TINY)
    gan.train(X, epochs=1)  # warm up
    tracemalloc.start()
    gan.train(X, epochs=2, snapshot_every=10**9)
    before, _ = tracemalloc.get_traced_memory()
    gan.train(X, epochs=10, snapshot_every=10**9)
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    per_iteration = (after - before) / (10 * 16)
    # the history grows by four floats (~130 bytes); one leaked cache of the
    # smallest activation (16 x 32 float32) alone would add 2 KB per iteration
    assert per_iteration < 1_000, f"memory grows by {per_iteration:.0f} bytes per iteration"


def test_sample_does_not_disturb_training_stream(X):
    a, b = GAN(TINY), GAN(TINY)
    a.sample(10)
    a.train(X, epochs=1)
    b.train(X, epochs=1)
    assert np.array_equal(a.G.flat_params, b.G.flat_params)
    s = a.sample(5, rng=3)
    assert s.shape == (5, 784) and s.dtype == np.float32 and np.abs(s).max() <= 1
    assert np.array_equal(s, a.sample(5, rng=3))
