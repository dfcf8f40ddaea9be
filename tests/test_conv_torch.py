"""Convolution layers against PyTorch: same weights, same inputs, same outputs and gradients.

ganlib is channels-last, (N, H, W, C); PyTorch is (N, C, H, W). Conv2d's weight (k, k, C_in, C_out)
is torch's (C_out, C_in, k, k) permuted; ConvTranspose2d's (C_in, k, k, C_out) is torch's
(C_in, C_out, k, k) permuted."""

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")  # conftest turns this skip into a failure in CI
import torch.nn.functional as F  # noqa: E402

from ganlib import BatchNorm, Conv2d, ConvTranspose2d  # noqa: E402
from ganlib.config import CONFIGS  # noqa: E402
from ganlib.models import build_discriminator, build_generator  # noqa: E402

F64 = np.float64


def nchw(a):
    return torch.tensor(np.ascontiguousarray(np.asarray(a).transpose(0, 3, 1, 2)), requires_grad=True)


def nhwc(t):
    return t.detach().numpy().transpose(0, 2, 3, 1)


def close(mine, theirs, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=atol)


CONV = [(3, 1, 1), (4, 2, 1), (5, 2, 2), (3, 2, 0), (2, 2, 0)]
TRANSPOSED = [(4, 2, 1, 0), (4, 2, 1, 1), (3, 2, 1, 1), (5, 2, 2, 1), (3, 1, 1, 0)]


@pytest.mark.parametrize("k, s, p", CONV)
def test_conv2d_equals_torch(k, s, p):
    rng = np.random.default_rng(0)
    layer = Conv2d(3, 5, k, stride=s, padding=p, rng=1, dtype=F64)
    layer.params["b"][...] = rng.standard_normal(5)
    x = rng.standard_normal((2, 9, 8, 3))
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    xt = nchw(x)
    w = torch.tensor(layer.params["W"].transpose(3, 2, 0, 1).copy(), requires_grad=True)
    b = torch.tensor(layer.params["b"].copy(), requires_grad=True)
    ot = F.conv2d(xt, w, b, stride=s, padding=p)
    ot.backward(torch.tensor(dout.transpose(0, 3, 1, 2).copy()))
    close(out, nhwc(ot))
    close(dx, nhwc(xt.grad))
    close(layer.grads["W"], w.grad.numpy().transpose(2, 3, 1, 0))
    close(layer.grads["b"], b.grad.numpy())


@pytest.mark.parametrize("channels", [(3, 4), (3, 20)], ids=["scatter", "sub-pixel"])
@pytest.mark.parametrize("k, s, p, op", TRANSPOSED)
def test_conv_transpose2d_equals_torch(k, s, p, op, channels):
    rng = np.random.default_rng(0)
    c_in, c_out = channels
    layer = ConvTranspose2d(c_in, c_out, k, stride=s, padding=p, output_padding=op, rng=1, dtype=F64)
    layer.params["b"][...] = rng.standard_normal(c_out)
    x = rng.standard_normal((2, 5, 4, c_in))
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    xt = nchw(x)
    w = torch.tensor(layer.params["W"].transpose(0, 3, 1, 2).copy(), requires_grad=True)
    b = torch.tensor(layer.params["b"].copy(), requires_grad=True)
    ot = F.conv_transpose2d(xt, w, b, stride=s, padding=p, output_padding=op)
    ot.backward(torch.tensor(dout.transpose(0, 3, 1, 2).copy()))
    close(out, nhwc(ot))
    close(dx, nhwc(xt.grad))
    close(layer.grads["W"], w.grad.numpy().transpose(0, 2, 3, 1))
    close(layer.grads["b"], b.grad.numpy())


@pytest.mark.parametrize("shape", [(6, 3), (4, 5, 5, 3)], ids=["rows", "maps"])
def test_batchnorm_equals_torch_in_training_and_evaluation(shape):
    rng = np.random.default_rng(0)
    layer = BatchNorm(3, momentum=0.1, eps=1e-5, dtype=F64)
    torch_bn = (
        torch.nn.BatchNorm1d(3, dtype=torch.float64)
        if len(shape) == 2
        else torch.nn.BatchNorm2d(3, dtype=torch.float64)
    )
    gamma, beta = rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    layer.params["gamma"][...], layer.params["beta"][...] = gamma, beta
    with torch.no_grad():
        torch_bn.weight.copy_(torch.tensor(gamma))
        torch_bn.bias.copy_(torch.tensor(beta))
    to_torch = nchw if len(shape) == 4 else (lambda a: torch.tensor(np.asarray(a), requires_grad=True))
    from_torch = nhwc if len(shape) == 4 else (lambda t: t.detach().numpy())
    for step in range(3):  # three training steps: outputs, gradients, running statistics
        x = rng.standard_normal(shape) * 2 + step
        out = layer.forward(x)
        dout = rng.standard_normal(out.shape)
        dx = layer.backward(dout)
        torch_bn.zero_grad()
        xt = to_torch(x)
        ot = torch_bn(xt)
        ot.backward(to_torch(dout).detach() if len(shape) == 2 else torch.tensor(dout.transpose(0, 3, 1, 2).copy()))
        close(out, from_torch(ot), rtol=1e-9)
        close(dx, from_torch(xt.grad), rtol=1e-8, atol=1e-10)
        close(layer.grads["gamma"], torch_bn.weight.grad.numpy(), rtol=1e-9)
        close(layer.grads["beta"], torch_bn.bias.grad.numpy(), rtol=1e-9)
        close(layer.buffers["running_mean"], torch_bn.running_mean.numpy())
        close(layer.buffers["running_var"], torch_bn.running_var.numpy())
    layer.training = False
    torch_bn.eval()
    x = rng.standard_normal(shape)
    close(layer.forward(x), from_torch(torch_bn(to_torch(x))), rtol=1e-9)


def test_dcgan_networks_equal_their_torch_twins():
    """The whole G and the convolutional D of the DCGAN configuration (narrower), forward and input gradient."""
    config = CONFIGS["dcgan"].replace(
        g_channels=(6, 4), d_channels=(4, 6), latent_dim=5, d_architecture="dcgan", d_dropout=0.0
    )
    G, D = (
        build_generator(config, np.random.default_rng(0)).copy(F64),
        build_discriminator(config, np.random.default_rng(1)).copy(F64),
    )
    (g0, g1), (d0, d1) = config.g_channels, config.d_channels
    tg = torch.nn.Sequential(
        torch.nn.Linear(5, 49 * g0), torch.nn.Unflatten(1, (7, 7, g0)), Permute(0, 3, 1, 2),
        torch.nn.BatchNorm2d(g0), torch.nn.ReLU(), torch.nn.ConvTranspose2d(g0, g1, 4, 2, 1),
        torch.nn.BatchNorm2d(g1), torch.nn.ReLU(), torch.nn.ConvTranspose2d(g1, 1, 4, 2, 1), torch.nn.Tanh(),
        Permute(0, 2, 3, 1), torch.nn.Flatten(),
    ).double()  # fmt: skip
    td = torch.nn.Sequential(
        torch.nn.Unflatten(1, (28, 28, 1)), Permute(0, 3, 1, 2), torch.nn.Conv2d(1, d0, 4, 2, 1), torch.nn.LeakyReLU(0.2),
        torch.nn.Conv2d(d0, d1, 4, 2, 1), torch.nn.LeakyReLU(0.2), Permute(0, 2, 3, 1), torch.nn.Flatten(),
        torch.nn.Linear(49 * d1, 1),
    ).double()  # fmt: skip
    _copy_weights(G, tg)
    _copy_weights(D, td)
    z = np.random.default_rng(2).standard_normal((8, 5))
    x, zt = G.forward(z), torch.tensor(z, requires_grad=True)
    xt = tg(zt)
    close(x, xt.detach().numpy(), rtol=1e-9, atol=1e-11)
    logits, lt = D.forward(x), td(xt)
    close(logits, lt.detach().numpy(), rtol=1e-9, atol=1e-11)
    G.backward(D.backward(np.ones_like(logits)))
    lt.sum().backward()
    close(G.layers[0].grads["W"], tg[0].weight.grad.numpy().T, rtol=1e-8, atol=1e-11)


class Permute(torch.nn.Module):
    def __init__(self, *dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(*self.dims)


def _copy_weights(net, torch_net):
    """ganlib's parameters, in order, into the torch twin's layers of the same kind."""
    theirs = [
        m
        for m in torch_net
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.BatchNorm2d))
    ]
    mine = [layer for layer in net.layers if layer.params]
    assert len(mine) == len(theirs)
    with torch.no_grad():
        for layer, module in zip(mine, theirs):
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.copy_(torch.tensor(layer.params["gamma"]))
                module.bias.copy_(torch.tensor(layer.params["beta"]))
                continue
            w = layer.params["W"]
            if isinstance(module, torch.nn.Linear):
                w = w.T
            elif isinstance(module, torch.nn.Conv2d):
                w = w.transpose(3, 2, 0, 1)
            else:
                w = w.transpose(0, 3, 1, 2)
            module.weight.copy_(torch.tensor(w.copy()))
            module.bias.copy_(torch.tensor(layer.params["b"]))
