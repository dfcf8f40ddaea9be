"""Cross-checks against PyTorch: same weights, same inputs, same results.

PyTorch's autograd and optimizers are an independent implementation of the
same mathematics, so agreement to ~1e-10 in float64 rules out sign slips,
missing transposes, off-by-one bias corrections and similar errors that a
self-consistent implementation could share with its own tests.
"""

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")  # conftest turns this skip into a failure in CI
import torch.nn.functional as F  # noqa: E402

from ganlib import (  # noqa: E402
    SGD,
    Adam,
    Dense,
    LeakyReLU,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    bce_with_logits,
    discriminator_loss,
    generator_loss,
)
from ganlib.gradcheck import rel_error  # noqa: E402

F64 = np.float64
RTOL64 = 1e-10


@pytest.fixture(autouse=True, scope="module")
def _torch_setup():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tt(a, grad=False):
    """NumPy -> torch tensor (a copy, same dtype)."""
    return torch.tensor(np.array(a), requires_grad=grad)


def assert_close(name, mine, theirs, rtol=RTOL64):
    """Norm-based relative error; prints mine vs torch on failure."""
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    mine = np.asarray(mine)
    assert mine.shape == theirs.shape, f"{name}: shape mine {mine.shape} vs torch {theirs.shape}"
    err = rel_error(mine, theirs)
    if not err < rtol:
        flat_m, flat_t = mine.ravel(), theirs.ravel()
        worst = int(np.argmax(np.abs(flat_m - flat_t)))
        pytest.fail(
            f"{name}: relative error {err:.3e} >= {rtol:.0e}\n"
            f"  mine vs torch (first entries): {flat_m[:5]} vs {flat_t[:5]}\n"
            f"  worst entry {worst}: mine {flat_m[worst]!r} vs torch {flat_t[worst]!r}"
        )


def torch_linear(dense: Dense) -> "torch.nn.Linear":
    """An nn.Linear with the Dense layer's weights (torch stores W transposed, (out, in))."""
    W, b = dense.params["W"], dense.params["b"]
    lin = torch.nn.Linear(dense.in_features, dense.out_features, dtype=torch.from_numpy(W).dtype)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(W.T.copy()))
        lin.bias.copy_(torch.from_numpy(b.copy()))
    return lin


def torch_model(net: Sequential) -> "torch.nn.Sequential":
    mods = []
    for layer in net.layers:
        if isinstance(layer, Dense):
            mods.append(torch_linear(layer))
        elif isinstance(layer, ReLU):
            mods.append(torch.nn.ReLU())
        elif isinstance(layer, LeakyReLU):
            mods.append(torch.nn.LeakyReLU(layer.slope))
        elif isinstance(layer, Tanh):
            mods.append(torch.nn.Tanh())
        elif isinstance(layer, Sigmoid):
            mods.append(torch.nn.Sigmoid())
        else:  # pragma: no cover
            raise TypeError(layer)
    return torch.nn.Sequential(*mods)


def torch_flat(model, grads=False):
    """Parameters (or gradients) in ganlib's flat order: per layer, W (as (in, out)) then b."""
    parts = []
    for mod in model:
        if isinstance(mod, torch.nn.Linear):
            w = mod.weight.grad if grads else mod.weight
            b = mod.bias.grad if grads else mod.bias
            parts += [w.detach().T.reshape(-1), b.detach().reshape(-1)]
    return torch.cat(parts).numpy()


# ---------------------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dense_matches_linear(seed):
    rng = np.random.default_rng(seed)
    n, d_in, d_out = (int(v) for v in rng.integers(1, 40, size=3))
    dense = Dense(d_in, d_out, rng=seed, dtype=F64)
    dense.params["b"][...] = rng.standard_normal(d_out)
    lin = torch_linear(dense)
    x, dout = rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))

    out = dense.forward(x)
    dx = dense.backward(dout)
    xt = tt(x, grad=True)
    out_t = lin(xt)
    out_t.backward(tt(dout))

    assert_close("out", out, out_t)
    assert_close("dx", dx, xt.grad)
    assert_close("dW", dense.grads["W"], lin.weight.grad.T)
    assert_close("db", dense.grads["b"], lin.bias.grad)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    "make",
    [
        lambda: (LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        lambda: (LeakyReLU(0.01), torch.nn.LeakyReLU(0.01)),
        lambda: (ReLU(), torch.nn.ReLU()),
        lambda: (Tanh(), torch.nn.Tanh()),
        lambda: (Sigmoid(), torch.nn.Sigmoid()),
    ],
    ids=["leaky0.2", "leaky0.01", "relu", "tanh", "sigmoid"],
)
def test_activation_matches_torch(seed, make):
    mine, theirs = make()
    rng = np.random.default_rng(seed)
    x = 3.0 * rng.standard_normal((int(rng.integers(1, 30)), int(rng.integers(1, 30))))
    dout = rng.standard_normal(x.shape)
    out = mine.forward(x)
    dx = mine.backward(dout)
    xt = tt(x, grad=True)
    out_t = theirs(xt)
    out_t.backward(tt(dout))
    assert_close("out", out, out_t)
    assert_close("dx", dx, xt.grad)


@pytest.mark.parametrize("seed", [0, 1])
def test_discriminator_mlp_matches_torch(seed):
    rng = np.random.default_rng(seed)
    net = Sequential(
        Dense(784, 64, rng=seed, dtype=F64), LeakyReLU(0.2), Dense(64, 1, rng=seed + 1, dtype=F64), dtype=F64
    )
    net.flat_params[...] += 0.05 * rng.standard_normal(net.num_params)  # non-zero biases
    model = torch_model(net)
    x, dout = rng.uniform(-1, 1, (32, 784)), rng.standard_normal((32, 1))

    out = net.forward(x)
    dx = net.backward(dout)
    xt = tt(x, grad=True)
    out_t = model(xt)
    out_t.backward(tt(dout))

    assert_close("out", out, out_t)
    assert_close("dx", dx, xt.grad)
    assert_close("flat grads", net.flat_grads, torch_flat(model, grads=True))
    for i in (0, 2):
        assert_close(f"{i}.W grad", net.layers[i].grads["W"], model[i].weight.grad.T)
        assert_close(f"{i}.b grad", net.layers[i].grads["b"], model[i].bias.grad)


def test_generator_mlp_matches_torch():
    rng = np.random.default_rng(5)
    net = Sequential(
        Dense(16, 32, rng=0, dtype=F64),
        ReLU(),
        Dense(32, 48, rng=1, dtype=F64),
        LeakyReLU(0.1),
        Dense(48, 784, rng=2, dtype=F64),
        Tanh(),
        Dense(784, 1, rng=3, dtype=F64),
        Sigmoid(),
        dtype=F64,
    )
    net.flat_params[...] += 0.05 * rng.standard_normal(net.num_params)
    model = torch_model(net)
    z, dout = rng.standard_normal((20, 16)), rng.standard_normal((20, 1))
    out = net.forward(z)
    dz = net.backward(dout)
    zt = tt(z, grad=True)
    out_t = model(zt)
    out_t.backward(tt(dout))
    assert_close("out", out, out_t)
    assert_close("dz", dz, zt.grad)
    assert_close("flat grads", net.flat_grads, torch_flat(model, grads=True))


# ---------------------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------------------
def _logits(seed, n=17, scale=4.0):
    return scale * np.random.default_rng(seed).standard_normal((n, 1))


def torch_loss_and_grad(fn, logits):
    s = tt(logits, grad=True)
    loss = fn(s)
    loss.backward()
    return loss.item(), s.grad


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("target", [1.0, 0.0, 0.9, "array"])
def test_bce_matches_torch(seed, target):
    s = _logits(seed)
    t = np.random.default_rng(seed + 50).uniform(0, 1, s.shape) if target == "array" else target
    loss, grad = bce_with_logits(s, t)
    t_t = tt(t) if target == "array" else torch.full(s.shape, float(target), dtype=torch.float64)
    loss_t, grad_t = torch_loss_and_grad(lambda x: F.binary_cross_entropy_with_logits(x, t_t), s)
    assert_close("loss", loss, loss_t)
    assert_close("dlogits", grad, grad_t)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("real_label", [1.0, 0.9])
def test_discriminator_loss_matches_torch(seed, real_label):
    real, fake = _logits(seed, n=12), _logits(seed + 10, n=9)
    loss, d_real, d_fake = discriminator_loss(real, fake, real_label)
    rt, ft = tt(real, grad=True), tt(fake, grad=True)
    loss_t = F.binary_cross_entropy_with_logits(
        rt, torch.full_like(rt, real_label)
    ) + F.binary_cross_entropy_with_logits(ft, torch.zeros_like(ft))
    loss_t.backward()
    assert_close("loss", loss, loss_t.item())
    assert_close("d_real", d_real, rt.grad)
    assert_close("d_fake", d_fake, ft.grad)


@pytest.mark.parametrize("seed", [0, 1])
def test_generator_losses_match_torch(seed):
    s = _logits(seed)
    loss, grad = generator_loss(s, "non_saturating")
    loss_t, grad_t = torch_loss_and_grad(lambda x: F.binary_cross_entropy_with_logits(x, torch.ones_like(x)), s)
    assert_close("non-saturating loss", loss, loss_t)
    assert_close("non-saturating grad", grad, grad_t)

    loss, grad = generator_loss(s, "minimax")
    # log(1 - sigmoid(s)).mean(), computed stably as -softplus(s).mean() ...
    loss_t, grad_t = torch_loss_and_grad(lambda x: -F.softplus(x).mean(), s)
    assert_close("minimax loss", loss, loss_t)
    assert_close("minimax grad", grad, grad_t)
    # ... which for moderate logits is the naive expression too.
    naive_t, naive_grad_t = torch_loss_and_grad(lambda x: torch.log(1 - torch.sigmoid(x)).mean(), s / 4)
    naive, naive_grad = generator_loss(s / 4, "minimax")
    assert_close("minimax loss (naive torch form)", naive, naive_t, rtol=1e-9)
    assert_close("minimax grad (naive torch form)", naive_grad, naive_grad_t, rtol=1e-9)


# ---------------------------------------------------------------------------------------
# optimizers
# ---------------------------------------------------------------------------------------
def _small_d(seed, dtype):
    return Sequential(
        Dense(10, 8, rng=seed, dtype=dtype), LeakyReLU(0.2), Dense(8, 1, rng=seed + 1, dtype=dtype), dtype=dtype
    )


def _train_both(net, model, make_opt, make_torch_opt, steps, seed, dtype, rtol, lr_schedule=None):
    """Run both sides for ``steps`` steps on fresh random batches with a BCE loss; compare after each."""
    opt, opt_t = make_opt(net), make_torch_opt(model.parameters())
    rng = np.random.default_rng(seed + 99)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    assert_close("initial params", net.flat_params, torch_flat(model), rtol=rtol)
    for step in range(steps):
        x = rng.standard_normal((16, 10)).astype(dtype)
        targets = rng.uniform(0, 1, (16, 1)).astype(dtype)
        _, dlogits = bce_with_logits(net.forward(x), targets)
        net.backward(dlogits, need_dx=False)

        opt_t.zero_grad()
        F.binary_cross_entropy_with_logits(model(torch.from_numpy(x)), torch.from_numpy(targets).to(tdtype)).backward()
        assert_close(f"grads before step {step}", net.flat_grads, torch_flat(model, grads=True), rtol=rtol)

        if lr_schedule is not None:
            for group in opt_t.param_groups:
                group["lr"] = lr_schedule(step)
            assert opt.current_lr == pytest.approx(lr_schedule(step), rel=1e-15)
        opt.step()
        opt_t.step()
        assert_close(f"params after step {step + 1}", net.flat_params, torch_flat(model), rtol=rtol)
    return opt


@pytest.mark.parametrize("momentum,decay_rate", [(0.0, 0.0), (0.9, 0.0), (0.5, 0.1), (0.0, 1e-2)])
def test_sgd_matches_torch(momentum, decay_rate):
    lr = 0.1
    net = _small_d(3, F64)
    model = torch_model(net)
    opt = _train_both(
        net,
        model,
        lambda n: SGD(n, lr=lr, momentum=momentum, decay_rate=decay_rate),
        lambda p: torch.optim.SGD(p, lr=lr, momentum=momentum),
        steps=8,
        seed=3,
        dtype=F64,
        rtol=RTOL64,
        lr_schedule=lambda t: lr / (1.0 + decay_rate * t),
    )
    assert opt.t == 8


@pytest.mark.parametrize("betas", [(0.5, 0.999), (0.9, 0.999)], ids=["gan-betas", "default-betas"])
def test_adam_matches_torch(betas):
    net = _small_d(4, F64)
    model = torch_model(net)
    opt = _train_both(
        net,
        model,
        lambda n: Adam(n, lr=1e-2, beta1=betas[0], beta2=betas[1], eps=1e-8),
        lambda p: torch.optim.Adam(p, lr=1e-2, betas=betas, eps=1e-8),
        steps=8,
        seed=4,
        dtype=F64,
        rtol=RTOL64,
    )
    assert opt.t == 8


def test_adam_default_hyperparameters_match_torch_with_gan_betas():
    net = _small_d(6, F64)
    model = torch_model(net)
    opt = _train_both(
        net,
        model,
        lambda n: Adam(n),
        lambda p: torch.optim.Adam(p, lr=2e-4, betas=(0.5, 0.999)),
        steps=5,
        seed=6,
        dtype=F64,
        rtol=RTOL64,
    )
    assert (opt.lr, opt.beta1, opt.beta2, opt.eps) == (2e-4, 0.5, 0.999, 1e-8)


@pytest.mark.parametrize("which", ["adam", "sgd"])
def test_optimizers_match_torch_float32(which):
    net = _small_d(5, np.float32)
    assert net.flat_params.dtype == np.float32
    model = torch_model(net)
    assert next(model.parameters()).dtype == torch.float32
    if which == "adam":
        make, make_t = (
            (lambda n: Adam(n, lr=1e-2, beta1=0.5)),
            (lambda p: torch.optim.Adam(p, lr=1e-2, betas=(0.5, 0.999))),
        )
        schedule = None
    else:
        make = lambda n: SGD(n, lr=0.05, momentum=0.9, decay_rate=0.05)  # noqa: E731
        make_t = lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)  # noqa: E731
        schedule = lambda t: 0.05 / (1.0 + 0.05 * t)  # noqa: E731
    _train_both(net, model, make, make_t, steps=6, seed=5, dtype=np.float32, rtol=1e-5, lr_schedule=schedule)
    assert net.flat_params.dtype == np.float32


# ---------------------------------------------------------------------------------------
# a conditional GAN: the label, one-hot or embedded, concatenated to z and to x (ganlib.condition)
# ---------------------------------------------------------------------------------------
class TorchConditional(torch.nn.Module):
    """PyTorch's own way to condition: look the label up in an nn.Embedding (or F.one_hot when ganlib's
    network feeds the one-hot label itself), torch.cat it to the input, then the same layers."""

    def __init__(self, net: Sequential, num_classes: int):
        from types import SimpleNamespace

        from ganlib.condition import LabelEmbedding

        super().__init__()
        self.num_classes, self.embed, layers = num_classes, None, net.layers
        if isinstance(layers[0], LabelEmbedding):
            E = layers[0].params["E"]
            self.embed = torch.nn.Embedding(*E.shape, dtype=torch.float64)
            with torch.no_grad():
                self.embed.weight.copy_(torch.from_numpy(E.copy()))
            layers = layers[1:]
        self.body = torch_model(SimpleNamespace(layers=layers))

    def forward(self, a, y):
        y = torch.from_numpy(np.asarray(y))
        self.label = self.embed(y) if self.embed is not None else F.one_hot(y, self.num_classes).to(a.dtype)
        if self.label.requires_grad:
            self.label.retain_grad()  # for the test of the gradient w.r.t. the label
        return self.body(torch.cat([a, self.label], dim=1))

    def flat_grads(self):
        parts = [self.embed.weight.grad.reshape(-1).numpy()] if self.embed is not None else []
        return np.concatenate([*parts, torch_flat(self.body, grads=True)])


def _conditional_pair(seed, embedding_dim, num_classes=10):
    """A float64 conditional G and D as GAN builds them (MNIST sizes, narrower), and torch copies."""
    from ganlib.config import GANConfig
    from ganlib.models import build_discriminator, build_generator

    config = GANConfig(
        num_classes=num_classes,
        embedding_dim=embedding_dim,
        latent_dim=16,
        g_hidden=(32, 48),
        d_hidden=(40, 24),
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    G, D = build_generator(config, rng).copy(F64), build_discriminator(config, rng).copy(F64)
    for net in (G, D):
        net.flat_params[...] += 0.05 * rng.standard_normal(net.num_params)
    return config, G, D, TorchConditional(G, num_classes), TorchConditional(D, num_classes)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("embedding_dim", [0, 10])
def test_conditional_discriminator_matches_torch(seed, embedding_dim):
    from ganlib.condition import concat_label, split_gradient

    config, _, D, _, D_t = _conditional_pair(seed, embedding_dim)
    rng = np.random.default_rng(seed)
    x, y, dout = rng.uniform(-1, 1, (24, 784)), rng.integers(0, 10, 24), rng.standard_normal((24, 1))
    out = D.forward(concat_label(x, y, 10))
    dx, de = split_gradient(D.backward(dout), 784)
    x_t = tt(x, grad=True)
    out_t = D_t(x_t, y)
    out_t.backward(tt(dout))
    assert_close("logits", out, out_t)
    assert_close("dL/dx (image part)", dx, x_t.grad)
    assert_close("flat grads", D.flat_grads, D_t.flat_grads())
    if embedding_dim:  # dL/de_y = dL/dE[y] E^T: the gradient of the looked-up row, carried back to the one-hot
        assert_close("dL/de_y (label part)", de, D_t.label.grad @ D_t.embed.weight.detach().T)
    else:
        x_t2, e_t = tt(x), tt(np.eye(10)[y], grad=True)  # the one-hot as a real input, to get its gradient
        D_t.body(torch.cat([x_t2, e_t], dim=1)).backward(tt(dout))
        assert_close("dL/de_y (label part)", de, e_t.grad)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("embedding_dim", [0, 10])
@pytest.mark.parametrize("loss_kind", ["non_saturating", "minimax"])
def test_conditional_generator_step_matches_torch(seed, embedding_dim, loss_kind):
    """G's gradient through a frozen conditional D, with the same label on both sides, against autograd."""
    from ganlib.condition import concat_label, split_gradient

    config, G, D, G_t, D_t = _conditional_pair(seed, embedding_dim)
    rng = np.random.default_rng(seed + 10)
    z, y = rng.standard_normal((20, config.latent_dim)), rng.integers(0, 10, 20)

    x_fake = G.forward(concat_label(z, y, 10))
    loss, dlogits = generator_loss(D.forward(concat_label(x_fake, y, 10)), loss_kind)
    dx_fake, _ = split_gradient(D.backward(dlogits, need_param_grads=False), 784)
    G.backward(dx_fake, need_dx=False)

    for p in D_t.parameters():
        p.requires_grad_(False)
    logits_t = D_t(G_t(tt(z), y), y)
    if loss_kind == "non_saturating":
        loss_t = F.binary_cross_entropy_with_logits(logits_t, torch.ones_like(logits_t))
    else:
        loss_t = -F.softplus(logits_t).mean()  # mean log(1 - D) = -mean softplus(s)
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=1e-12)
    assert_close("G flat grads", G.flat_grads, G_t.flat_grads())


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("embedding_dim", [0, 10])
def test_conditional_discriminator_step_matches_torch(seed, embedding_dim):
    """L_D with real labels on the real half and drawn labels on the fake half, label smoothing 0.9."""
    from ganlib.condition import concat_label

    config, G, D, G_t, D_t = _conditional_pair(seed, embedding_dim)
    rng = np.random.default_rng(seed + 20)
    m = 16
    x_real, y_real = rng.uniform(-1, 1, (m, 784)), rng.integers(0, 10, m)
    z, y_fake = rng.standard_normal((m, config.latent_dim)), rng.integers(0, 10, m)
    x_fake = G.forward(concat_label(z, y_fake, 10))
    y = np.concatenate([y_real, y_fake])
    logits = D.forward(concat_label(np.concatenate([x_real, x_fake]), y, 10))
    loss, d_real, d_fake = discriminator_loss(logits[:m], logits[m:], 0.9)
    D.backward(np.concatenate([d_real, d_fake]), need_dx=False)

    with torch.no_grad():
        x_fake_t = G_t(tt(z), y_fake)
    logits_t = D_t(torch.cat([tt(x_real), x_fake_t]), y)
    loss_t = F.binary_cross_entropy_with_logits(
        logits_t[:m], torch.full((m, 1), 0.9, dtype=torch.float64)
    ) + F.binary_cross_entropy_with_logits(logits_t[m:], torch.zeros((m, 1), dtype=torch.float64))
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=1e-12)
    assert_close("D flat grads", D.flat_grads, D_t.flat_grads())
