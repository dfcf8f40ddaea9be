"""The original post's deviations: each computes what the post's code computed, and each switches off alone.

The post's framework is zhoubaohang/deep-learning-notes at commit 284111b, folder
``Deep Neural Network/nn/`` (``ganlib.original_post`` cites the lines). Each option gets a
small hand-checked case; at the end, :class:`PostTranscription` re-implements the post's
training loop the way its code runs (columns are examples, every layer updates itself in
its own backward) and ganlib's GAN must follow it step for step, with every deviation on,
and with each switched off.
"""

import dataclasses
import json

import numpy as np
import pytest

from ganlib import SGD, Dense, LeakyReLU, Sequential
from ganlib.config import CONFIGS, GANConfig
from ganlib.gan import GAN
from ganlib.gradcheck import check_loss, numerical_gradient, rel_error
from ganlib.io.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ganlib.layers import sigmoid
from ganlib.losses import bce_with_logits, generator_loss
from ganlib.models import build_discriminator, build_generator
from ganlib.original_post import OriginalPostGAN, half_squared_error, make_gan, permalink, through_sigmoid_again

POST = CONFIGS["original_post"]
# The seven deviations of the post's code from Algorithm 1, and their Algorithm 1 values.
DEVIATIONS = {
    "loss_gradient": "logit",
    "g_step_updates_d": False,
    "d_split_update": False,
    "latent_source": "fresh",
    "momentum_style": "classic",
    "lr_decay": "per_step",
    "init": "glorot",
}
# The post's networks, shrunk for tests: z 5 -> 7 -> 12 "pixels" -> 6 -> 1.
TINY_POST = POST.replace(latent_dim=5, g_hidden=(7,), d_hidden=(6,), data_dim=12, batch_size=4, epochs=3)


@pytest.fixture
def X():
    return np.random.default_rng(0).uniform(-1, 1, size=(24, 12)).astype(np.float32)


def float64_gan(config: GANConfig) -> GAN:
    """An OriginalPostGAN (whatever its switches: all off, it trains as GAN does) whose networks and
    optimizers compute in float64, for exact comparisons."""
    gan = OriginalPostGAN(config)
    gan.G, gan.D = gan.G.copy(np.float64), gan.D.copy(np.float64)
    gan.opt_G, gan.opt_D = gan._make_optimizer(gan.G, config.lr_g), gan._make_optimizer(gan.D, config.lr_d)
    return gan


# ------------------------------------------------------------------------------ the configurations
def test_original_post_config_is_the_posts_setup():
    """GAN/main.py 18-32 (architecture, lr, decay, epochs, k, batch), gan.py 89 (uniform z of size 100)."""
    c = POST
    assert (c.latent_dim, c.latent_dist, c.g_hidden, c.d_hidden) == (100, "uniform", (256,), (64,))
    assert (c.leaky_slope, c.optimizer, c.lr_g, c.lr_d, c.decay_rate) == (0.01, "sgd", 0.01, 0.01, 1e-4)
    assert (c.momentum, c.batch_size, c.k, c.epochs, c.generator_loss) == (0.9, 100, 1, 100, "non_saturating")
    assert (c.real_label, c.d_dropout, c.ema_decay, c.g_output) == (1.0, 0.0, 0.0, "tanh")
    assert {name: getattr(c, name) for name in DEVIATIONS} == {
        "loss_gradient": "through_sigmoid_again",
        "g_step_updates_d": True,
        "d_split_update": True,
        "latent_source": "bank",
        "momentum_style": "ema",
        "lr_decay": "per_epoch_compounded",
        "init": "1/fan_in",
    }


def test_original_post_fixed_switches_every_deviation_off_and_nothing_else():
    fixed = CONFIGS["original_post_fixed"]
    assert {name: getattr(fixed, name) for name in DEVIATIONS} == DEVIATIONS
    differ = {f.name for f in dataclasses.fields(GANConfig) if getattr(fixed, f.name) != getattr(POST, f.name)}
    assert differ == set(DEVIATIONS)


def test_defaults_are_algorithm_1():
    default = GANConfig()
    assert {name: getattr(default, name) for name in DEVIATIONS} == DEVIATIONS
    for name in ("default", "reference"):
        assert {n: getattr(CONFIGS[name], n) for n in DEVIATIONS} == DEVIATIONS


@pytest.mark.parametrize(
    "field, value",
    [
        ("loss_gradient", "sigmoid_twice"),
        ("latent_source", "reused"),
        ("momentum_style", "nesterov"),
        ("lr_decay", "per_epoch"),
        ("g_step_updates_d", 1),
        ("d_split_update", "yes"),
    ],
)
def test_invalid_option_values_are_rejected(field, value):
    with pytest.raises(ValueError, match=field):
        GANConfig(**{field: value})


def test_permalink_points_at_the_commit_and_lines():
    assert permalink("nn/gan.py", 125, 126) == (
        "https://github.com/zhoubaohang/deep-learning-notes/blob/284111b32f02c2a9677d23937f773d797cd7b620/"
        "Deep%20Neural%20Network/nn/gan.py#L125-L126"
    )


# ------------------------------------------------------------------------------ 1. the sigmoid, twice
def test_double_sigmoid_gradient_is_that_of_half_squared_error():
    """(D - t) D (1 - D) / N = d/ds mean 1/2 (sigma(s) - t)^2, by hand, by finite differences (float64)."""
    s = np.array([[-3.0], [-0.5], [0.0], [0.7], [4.0]])
    n = len(s)
    for t in (0.0, 1.0):
        d = 1 / (1 + np.exp(-s))
        by_hand = (d - t) * d * (1 - d) / n
        buggy = through_sigmoid_again(s, bce_with_logits(s, t)[1])
        assert np.allclose(buggy, by_hand, rtol=1e-14, atol=0)
        assert np.allclose(half_squared_error(s, t)[1], by_hand, rtol=1e-14, atol=0)
        assert check_loss(lambda x, t=t: half_squared_error(x, t), s) < 1e-8
        # ...and it is not the gradient of the cross-entropy the post printed:
        assert rel_error(buggy, bce_with_logits(s, t)[1]) > 0.5
    # At s = 0 (D = 1/2, target 1) the cross-entropy sends -1/2 per example, the post -1/8.
    assert through_sigmoid_again(np.zeros((1, 1)), np.array([[-0.5]]))[0, 0] == -0.125


@pytest.mark.torch
def test_double_sigmoid_gradient_matches_pytorch_autograd():
    torch = pytest.importorskip("torch")
    s = np.random.default_rng(3).normal(0, 3, size=(9, 1))
    for t in (0.0, 1.0):
        st = torch.tensor(s, requires_grad=True)
        (0.5 * (torch.sigmoid(st) - t) ** 2).mean().backward()
        assert rel_error(half_squared_error(s, t)[1], st.grad.numpy()) < 1e-12
        assert rel_error(through_sigmoid_again(s, bce_with_logits(s, t)[1]), st.grad.numpy()) < 1e-12


def test_double_sigmoid_saturates_the_non_saturating_loss():
    """When D rejects a fake (D -> 0), the post's G gradient -D(1-D)^2 is about -D, like the minimax loss's."""
    s = np.array([[-8.0]])
    d = float(sigmoid(s)[0, 0])
    post = through_sigmoid_again(s, generator_loss(s, "non_saturating")[1])[0, 0]
    assert post == pytest.approx(-d * (1 - d) ** 2, rel=1e-12)
    assert post == pytest.approx(generator_loss(s, "minimax")[1][0, 0], rel=1e-3)
    assert abs(generator_loss(s, "non_saturating")[1][0, 0]) > 0.99  # without the bug: about -1


def _one_layer(config):
    """A GAN whose D is a single Dense 12 -> 1 (logit s = x W + b), plain SGD: steps are easy to write by hand."""
    cfg = config.replace(
        latent_dim=5, g_hidden=(7,), d_hidden=(), data_dim=12, batch_size=4, momentum=0.0, init="glorot"
    )
    return float64_gan(cfg)


@pytest.mark.parametrize("loss_gradient", ["through_sigmoid_again", "logit"])
def test_discriminator_step_sends_the_chosen_gradient(X, loss_gradient):
    cfg = GANConfig(optimizer="sgd", lr_d=0.1, loss_gradient=loss_gradient)
    gan = _one_layer(cfg)
    z = gan.sample_latent(4)
    x_all = np.concatenate([X[:4], gan.G.forward(z)]).astype(np.float64)
    W0, b0 = gan.D.layers[0].params["W"].copy(), gan.D.layers[0].params["b"].copy()
    d = sigmoid(x_all @ W0 + b0)
    t = np.array([[1.0]] * 4 + [[0.0]] * 4)
    dlogits = (d - t) / 4  # the cross-entropy's gradient: a mean over each half of the batch
    if loss_gradient == "through_sigmoid_again":
        dlogits = dlogits * d * (1 - d)
    gan.discriminator_step(X[:4], z=z)
    assert np.allclose(gan.D.layers[0].params["W"], W0 - 0.1 * x_all.T @ dlogits, rtol=1e-12, atol=1e-15)
    assert np.allclose(gan.D.layers[0].params["b"], b0 - 0.1 * dlogits.sum(0), rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------------------ 2. G's step moves D
@pytest.mark.parametrize("loss_gradient", ["logit", "through_sigmoid_again"])
def test_generator_step_updates_d_by_exactly_the_posts_step(X, loss_gradient):
    """gan.py 125-126: D descends G's loss (target 1 on the fakes); G gets dx at D's weights before that step."""
    cfg = GANConfig(optimizer="sgd", lr_d=0.1, lr_g=0.05, g_step_updates_d=True, loss_gradient=loss_gradient)
    gan = _one_layer(cfg)
    z = gan.sample_latent(4)
    W0, b0 = gan.D.layers[0].params["W"].copy(), gan.D.layers[0].params["b"].copy()
    x_fake = gan.G.forward(z)
    d = sigmoid(x_fake @ W0 + b0)
    dlogits = (d - 1) / 4
    if loss_gradient == "through_sigmoid_again":
        dlogits = dlogits * d * (1 - d)
    # G's expected step, from a copy of G that receives dx = dlogits W0^T (D's weights before its step)
    G_copy = gan.G.copy()
    G_copy.forward(z)
    G_copy.backward(dlogits @ W0.T)
    expected_G = gan.G.flat_params - 0.05 * G_copy.flat_grads

    gan.generator_step(4, z)
    assert np.allclose(gan.D.layers[0].params["W"], W0 - 0.1 * x_fake.T @ dlogits, rtol=1e-12, atol=1e-15)
    assert np.allclose(gan.D.layers[0].params["b"], b0 - 0.1 * dlogits.sum(0), rtol=1e-12, atol=1e-15)
    assert np.allclose(gan.G.flat_params, expected_G, rtol=1e-12, atol=1e-15)
    assert gan.opt_D.t == 1  # the step went through D's optimizer (its momentum and its counter)


@pytest.mark.torch
def test_generator_step_gradient_on_d_matches_pytorch(X):
    """The D update in G's step descends -mean log D(G(z)) with respect to D's weights (autograd)."""
    torch = pytest.importorskip("torch")
    gan = float64_gan(TINY_POST.replace(loss_gradient="logit", momentum=0.0, init="glorot"))
    z = gan.sample_latent(4)
    Ws = [torch.tensor(p.copy(), requires_grad=True) for p in gan.D.parameters()]
    x_fake = torch.tensor(gan.G.forward(z))
    h = torch.nn.functional.leaky_relu(x_fake @ Ws[0] + Ws[1], 0.01)
    (-torch.nn.functional.logsigmoid(h @ Ws[2] + Ws[3])).mean().backward()
    before = gan.D.flat_params.copy()
    gan.generator_step(4, z)
    step = np.concatenate([w.grad.numpy().ravel() for w in Ws]) * gan.opt_D.current_lr
    assert rel_error(before - gan.D.flat_params, step) < 1e-12


def test_fakes_are_pinned_at_one_half_when_g_step_updates_d():
    """D's two steps on the same fakes cancel at D = 1/2: D(1-D)(2D-1) with the bug, 2D - 1 without."""
    for s in np.linspace(-4, 4, 17).reshape(-1, 1):
        s = s.reshape(1, 1)
        d = float(sigmoid(s)[0, 0])
        total = sum(
            through_sigmoid_again(s, bce_with_logits(s, t)[1])[0, 0] for t in (0.0, 1.0)
        )  # target 0 in D's step, target 1 in G's step
        assert total == pytest.approx(d * (1 - d) * (2 * d - 1), abs=1e-15)
        assert np.sign(total) == np.sign(d - 0.5)  # descending it moves D(G(z)) towards 1/2


# ------------------------------------------------------------------------------ 3. D's two updates
def test_split_discriminator_step_takes_two_updates(X):
    """gan.py 108-112: a step on the real batch, then one on the fakes, seen with the updated weights."""
    gan = _one_layer(GANConfig(optimizer="sgd", lr_d=0.1, d_split_update=True))
    z = gan.sample_latent(4)
    x_real, x_fake = X[:4].astype(np.float64), gan.G.forward(z)
    W, b = gan.D.layers[0].params["W"].copy(), gan.D.layers[0].params["b"].copy()
    d_real = sigmoid(x_real @ W + b)
    g = (d_real - 1) / 4
    W1, b1 = W - 0.1 * x_real.T @ g, b - 0.1 * g.sum(0)
    d_fake = sigmoid(x_fake @ W1 + b1)
    g = d_fake / 4
    W2, b2 = W1 - 0.1 * x_fake.T @ g, b1 - 0.1 * g.sum(0)

    loss, mean_real, mean_fake = gan.discriminator_step(X[:4], z=z)
    assert np.allclose(gan.D.layers[0].params["W"], W2, rtol=1e-12, atol=1e-15)
    assert np.allclose(gan.D.layers[0].params["b"], b2, rtol=1e-12, atol=1e-15)
    assert gan.opt_D.t == 2
    assert loss == pytest.approx(float(np.mean(-np.log(d_real) - np.log(1 - d_fake))), rel=1e-12)
    assert (mean_real, mean_fake) == (pytest.approx(d_real.mean()), pytest.approx(d_fake.mean()))


def test_joint_discriminator_step_is_one_update():
    gan = make_gan(TINY_POST.replace(d_split_update=False))
    gan.discriminator_step(np.zeros((4, 12), np.float32))
    assert gan.opt_D.t == 1


# ------------------------------------------------------------------------------ 4. the latent bank
def _record_latents(gan):
    """Wrap train_iteration to record, per iteration, the z of the D step and of the G step."""
    records = []
    sample_latent, train_iteration = gan.sample_latent, gan.train_iteration

    def recording_sample_latent(n):
        z = sample_latent(n)
        records[-1].append(z.copy())
        return z

    def recording_train_iteration(batches, labels=None, *, z=None):
        records.append([] if z is None else [z.copy(), z.copy()])
        return train_iteration(batches, labels, z=z)

    gan.sample_latent, gan.train_iteration = recording_sample_latent, recording_train_iteration
    return records


def test_latent_bank_is_drawn_once_and_reused_identically_every_epoch(X):
    """gan.py 89, 105, 118: batch j of every epoch uses the bank's codes j*B:(j+1)*B, in the D and G steps."""
    gan = make_gan(TINY_POST)
    records = _record_latents(gan)
    gan.train(X, epochs=3)
    per_epoch = len(X) // 4
    assert gan.latent_bank.shape == (per_epoch * 4, 5) and gan.latent_bank.dtype == np.float32
    assert gan.latent_bank.min() >= -1 and gan.latent_bank.max() <= 1  # the post's uniform(-1, 1)
    assert len(records) == 3 * per_epoch
    for i, (z_d, z_g) in enumerate(records):
        j = i % per_epoch
        assert np.array_equal(z_d, gan.latent_bank[j * 4 : (j + 1) * 4]) and np.array_equal(z_g, z_d)
    bank = gan.latent_bank.copy()
    gan.train(X, epochs=1)  # a later call keeps the same bank
    assert np.array_equal(gan.latent_bank, bank)
    with pytest.raises(ValueError, match="bank holds"):
        gan.train(X[:16], epochs=1)


def test_fresh_latents_differ_every_step(X):
    gan = make_gan(TINY_POST.replace(latent_source="fresh"))
    records = _record_latents(gan)
    gan.train(X, epochs=2)
    assert gan.latent_bank is None
    codes = np.concatenate([z for pair in records for z in pair])
    assert len(np.unique(codes, axis=0)) == len(codes)  # no code is ever used twice


def test_resume_with_the_posts_options_is_bit_for_bit(X, tmp_path):
    """The bank (rebuilt from the seed and its size) and the per-epoch rate survive a checkpoint."""
    straight = make_gan(TINY_POST)
    straight.train(X, epochs=3)
    first = make_gan(TINY_POST)
    first.train(X, epochs=1)
    save_checkpoint(first, tmp_path / "c.npz")
    resumed = load_checkpoint(tmp_path / "c.npz")
    assert np.array_equal(resumed.latent_bank, first.latent_bank)
    assert resumed.opt_G.current_lr == first.opt_G.current_lr < POST.lr_g
    resumed.train(X, epochs=2)
    assert resumed.history.loss_d == straight.history.loss_d
    for a, b in [(resumed.G, straight.G), (resumed.D, straight.D)]:
        assert np.array_equal(a.flat_params, b.flat_params)


def _edited_copy(src, dst, meta=None, arrays=None):
    """``src``'s checkpoint written to ``dst`` with ``meta(metadata)`` / ``arrays(dict)`` applied in place."""
    with np.load(src) as f:
        contents = {k: f[k] for k in f.files}
    document = json.loads(str(contents.pop("metadata.json")))
    if meta is not None:
        meta(document)
    if arrays is not None:
        arrays(contents)
    contents["metadata.json"] = np.array(json.dumps(document))
    np.savez(dst, **contents)
    return dst


@pytest.mark.parametrize(
    ("meta", "arrays", "message"),
    [
        (lambda m: m.update(latent_bank_rows=-4), None, "'latent_bank_rows' must be a whole number"),
        (lambda m: m.update(latent_bank_rows=True), None, "'latent_bank_rows' must be a whole number"),
        (lambda m: m.update(latent_bank_rows=8.0), None, "'latent_bank_rows' must be a whole number"),
        (lambda m: m.update(latent_bank_rows=0), None, "not a whole number of batches"),
        (lambda m: m.update(latent_bank_rows=m["latent_bank_rows"] + 1), None, "not a whole number of batches"),
        (lambda m: m.update(latent_bank_rows=4 * 10**9), None, "more than the"),  # 80 GB of codes: never drawn
        (lambda m: m.update(latent_bank_rows=2 * m["latent_bank_rows"]), None, "more than the 6 recorded"),
        (lambda m: m["config"].update(latent_source="fresh"), None, "its configuration draws fresh codes"),
        (None, lambda a: a.update({"opt_G/epochs": np.array(2)}), "counted 2 epochs, the checkpoint 1"),
        (None, lambda a: a.update({"opt_D/epochs": np.array(1.0)}), "holds float64 values"),
    ],
)
def test_a_checkpoints_bank_size_and_epoch_count_are_checked(X, tmp_path, meta, arrays, message):
    """The bank is not stored but drawn again from the seed, so its size must be what the configuration
    and the counters imply (bounded like any array); SGD's epoch count must be the checkpoint's."""
    gan = make_gan(TINY_POST)
    gan.train(X, epochs=1)  # 24 examples, batch 4: a bank of 24 codes, 6 iterations
    good = save_checkpoint(gan, tmp_path / "good.npz")
    assert load_checkpoint(good).latent_bank.shape == (24, TINY_POST.latent_dim)
    bad = _edited_copy(good, tmp_path / "bad.npz", meta, arrays)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(bad)


def test_an_untrained_bank_gan_and_an_older_checkpoint_load(X, tmp_path):
    """Before training there is no bank yet (0 codes); a file from before the epoch count loads with the
    checkpoint's epoch count."""
    fresh = load_checkpoint(save_checkpoint(make_gan(TINY_POST), tmp_path / "fresh.npz"))
    assert fresh.latent_bank is None
    gan = make_gan(TINY_POST.replace(decay_rate=0.1))
    gan.train(X, epochs=2)
    path = save_checkpoint(gan, tmp_path / "c.npz")
    old = _edited_copy(
        path, tmp_path / "old.npz", arrays=lambda a: [a.pop(k) for k in ("opt_G/epochs", "opt_D/epochs")]
    )
    loaded = load_checkpoint(old)
    assert loaded.opt_G.epochs == loaded.opt_D.epochs == 2 and loaded.opt_G.current_lr == gan.opt_G.current_lr


# ------------------------------------------------------------------------------ 5. momentum, 6. decay
def _sgd_on(params: np.ndarray, **kwargs) -> tuple[SGD, Sequential]:
    net = Sequential(Dense(2, 3, rng=0, dtype=np.float64))
    net.flat_params[...] = params
    return SGD(net, **kwargs), net


def test_ema_momentum_and_per_epoch_compounded_decay_follow_the_posts_loop():
    """optimizer.py 18-22 and layers.py 104-107 (v = 0.9 v + 0.1 g; W -= lr v); gan.py 131 and
    model.py 41 (after epoch i: lr = 1 / (1 + decay_rate * i) * lr), over 4 epochs of 3 steps."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal(9)
    opt, net = _sgd_on(w, lr=0.01, momentum=0.9, decay_rate=0.05, momentum_style="ema", decay="per_epoch_compounded")
    # The post's loop, written out:
    lr, v, w_post = 0.01, np.zeros(9), w.copy()
    for epoch in range(1, 5):
        for _ in range(3):
            g = rng.standard_normal(9)
            v = 0.9 * v + (1.0 - 0.9) * g
            w_post -= lr * v
            net.flat_grads[...] = g
            opt.step()
        lr = 1.0 / (1.0 + 0.05 * epoch) * lr
        opt.end_epoch()
        assert opt.current_lr == lr  # exactly: the same operations in the same order
    assert rel_error(net.flat_params, w_post) < 1e-14


def test_ema_momentum_is_classic_momentum_at_a_tenth_of_the_rate():
    rng = np.random.default_rng(1)
    w = rng.standard_normal(9)
    ema, net_ema = _sgd_on(w, lr=0.01, momentum=0.9, momentum_style="ema")
    classic, net_classic = _sgd_on(w, lr=0.001, momentum=0.9)
    ten_times, net_ten = _sgd_on(w, lr=0.01, momentum=0.9)
    for _ in range(20):
        g = rng.standard_normal(9)
        for opt, net in [(ema, net_ema), (classic, net_classic), (ten_times, net_ten)]:
            net.flat_grads[...] = g
            opt.step()
    assert rel_error(net_ema.flat_params - w, net_classic.flat_params - w) < 1e-13
    assert rel_error(net_ema.flat_params - w, net_ten.flat_params - w) > 0.5


def test_decay_variants():
    opt, _ = _sgd_on(np.zeros(9), lr=0.01, decay_rate=1e-4, decay="per_epoch_compounded")
    opt.step()
    assert opt.current_lr == 0.01  # steps do not decay it; epochs do
    for _ in range(100):
        opt.end_epoch()
    assert opt.current_lr == pytest.approx(0.01 / np.prod(1 + 1e-4 * np.arange(1, 101)), rel=1e-12)
    assert opt.current_lr == pytest.approx(0.006045, abs=1e-6)  # 0.60 of the rate left after 100 epochs
    per_step, _ = _sgd_on(np.zeros(9), lr=0.01, decay_rate=1e-4)
    per_step.t = 50_000
    per_step.end_epoch()  # no effect on the per-step decay
    assert per_step.current_lr == pytest.approx(0.01 / 6)


def test_sgd_state_round_trip_and_old_checkpoints():
    opt, _ = _sgd_on(np.zeros(9), lr=0.01, momentum=0.9, decay_rate=0.1, decay="per_epoch_compounded")
    for _ in range(3):
        opt.end_epoch()
    state = opt.state_dict()
    fresh, _ = _sgd_on(np.zeros(9), lr=0.01, momentum=0.9, decay_rate=0.1, decay="per_epoch_compounded")
    fresh.load_state_dict(state)
    assert (fresh.epochs, fresh.current_lr) == (3, opt.current_lr)
    del state["epochs"]  # written before the per-epoch decay existed
    fresh.load_state_dict(state)
    assert fresh.epochs == 0 and fresh.current_lr == 0.01


def test_gan_advances_the_per_epoch_decay_once_per_epoch(X):
    gan = make_gan(TINY_POST.replace(decay_rate=0.1))
    gan.train(X, epochs=2)
    expected = 1 / (1 + 0.1 * 2) * (1 / (1 + 0.1 * 1) * 0.01)
    assert gan.opt_G.current_lr == expected and gan.opt_D.current_lr == expected


# ------------------------------------------------------------------------------ 7. initial weights
def test_init_one_over_fan_in():
    """layers.py 79-80: W = randn(out, in) * 1. / in, b = 0."""
    layer = Dense(784, 64, rng=0, init="1/fan_in", dtype=np.float64)
    W = layer.params["W"]
    assert abs(W.std() / (1 / 784) - 1) < 0.02 and abs(W.mean()) < 3 * (1 / 784) / np.sqrt(W.size)
    assert not layer.params["b"].any()
    rng = np.random.default_rng(0)
    G, D = build_generator(POST, rng), build_discriminator(POST, rng)
    for net, fan_ins in [(G, (100, 256)), (D, (784, 64))]:
        stds = [p.std() for name, p in net.named_parameters() if name.endswith("W")]
        assert np.allclose(np.array(stds) * fan_ins, 1, atol=0.1), stds
    glorot = build_discriminator(POST.replace(init="glorot"), rng)
    assert glorot.layers[0].params["W"].std() > 30 * D.layers[0].params["W"].std()


# ------------------------------------------------------------------------------ all together
class PostTranscription:
    """The post's training loop as its code runs, written out for the test (gan.py 96-131).

    Columns are examples; a Dense keeps W (out, in) and updates itself inside ``backward``,
    with the error passed down computed first (layers.py 93-109); activations as in
    utils.py. ``flags`` switch each deviation to what Algorithm 1 does instead, so the
    transcription also says what each option of ganlib must compute when off.
    """

    def __init__(self, gan: GAN, flags: dict):
        c = gan.config
        self.f, self.lr, self.decay, self.beta = flags, c.lr_g, c.decay_rate, c.momentum
        leaky = {"act": "leaky", "slope": c.leaky_slope}
        self.G = [self._dense(gan.G.layers[0]), dict(leaky), self._dense(gan.G.layers[2]), {"act": "tanh"}]
        self.D = [self._dense(gan.D.layers[0]), dict(leaky), self._dense(gan.D.layers[2]), {"act": "sigmoid"}]
        self.steps = {"G": 0, "D": 0}
        self.loss_d, self.loss_g = [], []

    @staticmethod
    def _dense(layer):
        W = layer.params["W"].T.astype(np.float64)
        return {"W": W.copy(), "b": layer.params["b"].astype(np.float64)[:, None].copy(), "vW": 0 * W, "vb": 0}

    def _forward(self, net, A):
        for layer in net:
            if "W" in layer:  # Z = W A + b, layers.py 86
                layer["A_prev"] = A
                A = layer["W"] @ A + layer["b"]
            else:
                layer["Z"] = A
                if layer["act"] == "leaky":
                    A = np.where(A < 0, layer["slope"] * A, A)
                elif layer["act"] == "tanh":
                    A = np.tanh(A)
                else:
                    A = 1.0 / (1.0 + np.exp(-A))
                layer["A"] = A
        return A

    def _backward(self, net, delta, name, update=True):
        """Returns (delta for the input, [(dW, db) per Dense, top first]); updates if asked."""
        grads = []
        for layer in reversed(net):
            if "W" in layer:
                m = delta.shape[1]
                dW, db = delta @ layer["A_prev"].T / m, delta.sum(axis=1, keepdims=True) / m
                delta = layer["W"].T @ delta  # before the update, as layers.py 98 comes before 106
                grads.append((dW, db))
                if update:
                    self._update(layer, dW, db, name)
            elif layer["act"] == "leaky":
                delta = delta * np.where(layer["Z"] < 0, layer["slope"], 1.0)
            elif layer["act"] == "tanh":
                delta = (1 - layer["A"] ** 2) * delta
            elif self.f["loss_gradient"] == "through_sigmoid_again":  # the sigmoid's backward, utils.py 66
                delta = delta * layer["A"] * (1 - layer["A"])
        if update:
            self.steps[name] += 1
        return delta, grads

    def _rate(self, name):
        if self.f["lr_decay"] == "per_step":
            return self.lr / (1 + self.decay * self.steps[name])
        return self.lr

    def _update(self, layer, dW, db, name):
        keep = 1 - self.beta if self.f["momentum_style"] == "ema" else 1.0
        layer["vW"] = self.beta * layer["vW"] + keep * dW
        layer["vb"] = self.beta * layer["vb"] + keep * db
        layer["W"] -= self._rate(name) * layer["vW"]
        layer["b"] -= self._rate(name) * layer["vb"]

    def _apply_sum(self, grads_a, grads_b):
        dense = [layer for layer in reversed(self.D) if "W" in layer]
        for layer, (dWa, dba), (dWb, dbb) in zip(dense, grads_a, grads_b):
            self._update(layer, dWa + dWb, dba + dbb, "D")
        self.steps["D"] += 1

    def iteration(self, x, z_d, z_g):
        x, z_d, z_g = x.T.astype(np.float64), z_d.T.astype(np.float64), z_g.T.astype(np.float64)
        Dx = self._forward(self.D, x)
        if self.f["d_split_update"]:  # gan.py 108-112
            self._backward(self.D, Dx - 1.0, "D")
            Dz = self._forward(self.D, self._forward(self.G, z_d))
            self._backward(self.D, Dz, "D")
        else:  # one step on the sum of the two batch means
            _, real = self._backward(self.D, Dx - 1.0, "D", update=False)
            Dz = self._forward(self.D, self._forward(self.G, z_d))
            _, fake = self._backward(self.D, Dz, "D", update=False)
            self._apply_sum(real, fake)
        self.loss_d.append(np.mean(-np.log(Dx) - np.log(1.0 - Dz)))
        Dz = self._forward(self.D, self._forward(self.G, z_g))  # gan.py 120-126
        if self.f["generator_loss"] == "non_saturating":
            self.loss_g.append(np.mean(-np.log(Dz)))
            sent = Dz - 1.0
        else:
            self.loss_g.append(np.mean(np.log(1.0 - Dz)))
            sent = -Dz
        delta, _ = self._backward(self.D, sent, "D", update=self.f["g_step_updates_d"])
        self._backward(self.G, delta, "G")

    def end_epoch(self, epoch):
        if self.f["lr_decay"] == "per_epoch_compounded":  # gan.py 131, model.py 41
            self.lr = 1.0 / (1.0 + self.decay * epoch) * self.lr

    def params(self, net):
        dense = [layer for layer in net if "W" in layer]
        return np.concatenate([p for layer in dense for p in (layer["W"].T.ravel(), layer["b"].ravel())])


SWITCHES = [None, *DEVIATIONS, "generator_loss"]


@pytest.mark.parametrize("switched_off", SWITCHES)
def test_ganlib_follows_the_transcription_of_the_posts_loop(X, switched_off):
    """Every deviation on (CONFIGS["original_post"], shrunk), or one switched off: ganlib's
    GAN and the transcription agree on every loss and on the final weights (float64)."""
    config = TINY_POST.replace(decay_rate=0.05)  # a decay large enough to matter over 3 epochs
    if switched_off == "generator_loss":
        config = config.replace(generator_loss="minimax")  # what the post's text describes
    elif switched_off is not None:
        config = config.replace(**{switched_off: DEVIATIONS[switched_off]})
    gan = float64_gan(config)
    flags = {name: getattr(config, name) for name in (*DEVIATIONS, "generator_loss")}
    post = PostTranscription(gan, flags)
    records, batches = _record_latents(gan), []
    train_iteration = gan.train_iteration

    def recording(batch_list, labels=None, *, z=None):
        batches.append(batch_list[0].copy())
        return train_iteration(batch_list, labels, z=z)

    gan.train_iteration = recording
    gan.train(X, epochs=3)

    per_epoch = len(X) // 4
    for i, (x, (z_d, z_g)) in enumerate(zip(batches, records)):
        post.iteration(x, z_d, z_g)
        if (i + 1) % per_epoch == 0:
            post.end_epoch((i + 1) // per_epoch)
    assert rel_error(np.array(gan.history.loss_d), np.array(post.loss_d)) < 1e-12
    assert rel_error(np.array(gan.history.loss_g), np.array(post.loss_g)) < 1e-12
    assert rel_error(gan.D.flat_params, post.params(post.D)) < 1e-12
    assert rel_error(gan.G.flat_params, post.params(post.G)) < 1e-12


def test_the_transcription_can_tell_each_option_apart(X):
    """The comparison above is sharp: ganlib with every deviation on differs from the
    transcription with any one of them off (so a silently ignored option would fail it)."""
    config = TINY_POST.replace(decay_rate=0.05)
    for name in [n for n in DEVIATIONS if n not in ("init", "latent_source")] + ["generator_loss"]:
        gan = float64_gan(config)
        flags = {n: getattr(config, n) for n in (*DEVIATIONS, "generator_loss")}
        flags[name] = DEVIATIONS.get(name, "minimax")
        post = PostTranscription(gan, flags)
        records = _record_latents(gan)
        batches = []
        train_iteration = gan.train_iteration

        def recording(batch_list, labels=None, *, z=None, batches=batches, train_iteration=train_iteration):
            batches.append(batch_list[0].copy())
            return train_iteration(batch_list, labels, z=z)

        gan.train_iteration = recording
        gan.train(X, epochs=3)
        for i, (x, (z_d, z_g)) in enumerate(zip(batches, records)):
            post.iteration(x, z_d, z_g)
            if (i + 1) % 6 == 0:
                post.end_epoch((i + 1) // 6)
        assert rel_error(gan.D.flat_params, post.params(post.D)) > 1e-6, name


def test_leaky_slope_layers_are_what_the_transcription_assumes():
    """The transcription reads G and D as Dense, LeakyReLU, Dense (+ tanh / sigmoid folded in the loss)."""
    gan = make_gan(TINY_POST)
    assert [type(layer) for layer in gan.D.layers] == [Dense, LeakyReLU, Dense]
    assert [type(layer).__name__ for layer in gan.G.layers] == ["Dense", "LeakyReLU", "Dense", "Tanh"]


def test_gradient_of_the_posts_d_loss_through_the_network_float64():
    """With the bug, D's parameter gradient is that of the half squared error (finite differences)."""
    gan = float64_gan(TINY_POST.replace(init="glorot"))
    D = gan.D
    x = np.random.default_rng(2).uniform(-1, 1, (5, 12))

    def loss():
        return half_squared_error(D.forward(x), 1.0)[0]

    logits = D.forward(x)
    D.backward(gan.logit_gradient(logits, bce_with_logits(logits, 1.0)[1]))
    analytic = D.flat_grads.copy()
    numeric = np.concatenate([numerical_gradient(loss, p).ravel() for p in D.parameters()])
    assert rel_error(analytic, numeric) < 1e-7


def test_the_posts_options_work_for_a_conditional_gan(X):
    """Every option also runs with labels (num_classes > 0): the split D step and G's step see them too."""
    y = np.arange(len(X)) % 3
    gan = make_gan(TINY_POST.replace(num_classes=3, embedding_dim=2))
    gan.train(X, y, epochs=2)
    assert np.all(np.isfinite(gan.history.loss_d)) and np.all(np.isfinite(gan.history.loss_g))
    assert gan.opt_D.t == 3 * gan.iteration  # real, fake, and G's step, every iteration
    assert gan.sample(6, digits=2).shape == (6, 12)
