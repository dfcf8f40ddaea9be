r"""DCGAN training speed: ganlib against an equivalent PyTorch model, side by side in one run.

What it measures
----------------
The all-convolutional DCGAN: ``CONFIGS["dcgan"]`` with ``d_architecture="dcgan"`` and no dropout
(the shipped configuration trains its G against the MLP's D, which a screen at equal CPU time
preferred: docs/results.md), without the moving average (PyTorch's twin keeps none): G is z(100) ->
Dense 7x7x64 -> BatchNorm, ReLU -> ConvTranspose2d 64->32 (k4 s2 p1) -> BatchNorm, ReLU ->
ConvTranspose2d 32->1 -> tanh; D is Conv2d 1->32 (k4 s2 p1) -> LeakyReLU -> Conv2d 32->64 ->
LeakyReLU -> Dense 3136->1; Adam (2e-4, betas 0.5, 0.999), batch 128, one D step on real and fake
as one batch of 2m rows, one G step through D with D's parameters frozen. float32 throughout.

* ganlib: ``gan.train_iteration([x_batch])``, channels-last (N, H, W, C).
* PyTorch: the same layers (``nn.Conv2d``, ``nn.ConvTranspose2d``, ``nn.BatchNorm2d``, NCHW, its
  native layout), the same initial weights, ``BCEWithLogitsLoss``, ``zero_grad(set_to_none=True)``,
  ``torch.optim.Adam``; D frozen in G's step with ``requires_grad_(False)``.
  ``torch.set_num_threads(T)`` with T = numpy's BLAS threads, one inter-op thread.

Only the iterations are timed, on pre-built batches; the two alternate in rounds (ABBA order)
and the medians over rounds are compared. It also prints each layer's forward and backward time
at the model's shapes (ganlib and PyTorch), the GEMM-bound limit (the bare matrix products of one
ganlib iteration, timed alone), and where ganlib's time goes.

The LAST line is ``dcgan_ratio_vs_torch=X.XX``: ganlib samples/s over PyTorch samples/s (> 1:
ganlib is faster). As on a user's machine (no OpenBLAS overrides)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.speed.dcgan --threads 1
    python -m benchmarks.speed.dcgan --quick          # a smoke test, seconds
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks import harness


def ganlib_gan(batch: int, channels=None):
    from ganlib.config import CONFIGS
    from ganlib.gan import GAN

    changes = {"ema_decay": 0.0, "batch_size": batch, "d_architecture": "dcgan", "d_dropout": 0.0}
    if channels:
        changes.update(g_channels=channels[0], d_channels=channels[1])
    return GAN(CONFIGS["dcgan"].replace(**changes))


class Permute:
    """A torch module permuting axes: NHWC rows in, NCHW maps for torch's layers, and back."""

    def __new__(cls, torch, *dims):
        class _Permute(torch.nn.Module):
            def forward(self, x):
                return x.permute(*dims)

        return _Permute()


def torch_twin(torch, net):
    """A torch.nn.Sequential computing what the ganlib network does, with its weights (NCHW inside)."""
    from ganlib import BatchNorm, Conv2d, ConvTranspose2d, Dense, Flatten, LeakyReLU, ReLU, Reshape, Tanh

    nn, modules, maps = torch.nn, [], False
    for layer in net.layers:
        if isinstance(layer, Reshape):
            modules += [nn.Unflatten(1, layer.shape), Permute(torch, 0, 3, 1, 2)]
            maps = True
        elif isinstance(layer, Flatten):
            modules += [Permute(torch, 0, 2, 3, 1), nn.Flatten()]
            maps = False
        elif isinstance(layer, Dense):
            modules.append(_with_weights(torch, nn.Linear(layer.in_features, layer.out_features), layer.params["W"].T))
        elif isinstance(layer, Conv2d):
            m = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding)
            modules.append(_with_weights(torch, m, layer.params["W"].transpose(3, 2, 0, 1)))
        elif isinstance(layer, ConvTranspose2d):
            m = nn.ConvTranspose2d(
                layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding
            )
            modules.append(_with_weights(torch, m, layer.params["W"].transpose(0, 3, 1, 2)))
        elif isinstance(layer, BatchNorm):
            modules.append(nn.BatchNorm2d(layer.num_features) if maps else nn.BatchNorm1d(layer.num_features))
        elif isinstance(layer, LeakyReLU):  # ReLU is LeakyReLU(0)
            modules.append(nn.ReLU() if isinstance(layer, ReLU) else nn.LeakyReLU(layer.slope))
        elif isinstance(layer, Tanh):
            modules.append(nn.Tanh())
        else:
            raise TypeError(f"no torch twin for {layer!r}")
    return nn.Sequential(*modules)


def _with_weights(torch, module, weight):
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
        module.bias.zero_()
    return module


class TorchGAN:
    """The twin's training iteration, Algorithm 1 as ganlib's GAN.train_iteration runs it."""

    def __init__(self, torch, gan):
        self.torch, self.m, self.latent = torch, gan.config.batch_size, gan.config.latent_dim
        self.G, self.D = torch_twin(torch, gan.G), torch_twin(torch, gan.D)
        c = gan.config
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=c.lr_g, betas=(c.beta1, c.beta2))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=c.lr_d, betas=(c.beta1, c.beta2))
        self.loss = torch.nn.BCEWithLogitsLoss()
        self.targets = torch.cat([torch.full((self.m, 1), c.real_label), torch.zeros(self.m, 1)])
        self.ones = torch.ones(self.m, 1)

    def iteration(self, real) -> None:
        torch = self.torch
        fake = self.G(torch.randn(self.m, self.latent))
        loss_d = self.loss(self.D(torch.cat([real, fake.detach()])), self.targets)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        self.D.requires_grad_(False)
        loss_g = self.loss(self.D(self.G(torch.randn(self.m, self.latent))), self.ones)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.D.requires_grad_(True)


def layer_shapes(net, batch: int) -> list[tuple]:
    """(layer, input) for every layer with parameters, at this batch, from one forward pass."""
    x = np.zeros((batch, _input_width(net)), np.float32)
    pairs = []
    with net.evaluating():
        for layer in net.layers:
            if layer.params:
                pairs.append((layer, x))
            x = layer.forward(x)
    return pairs


def _input_width(net) -> int:
    first = next(layer for layer in net.layers if hasattr(layer, "in_features") or hasattr(layer, "shape"))
    return first.in_features if hasattr(first, "in_features") else int(np.prod(first.shape))


def time_layer(layer, x, repeats: int) -> tuple[float, float]:
    """Median seconds of ganlib's forward, and of its backward (parameters and input)."""
    out = layer.forward(x)
    dout = np.ones_like(out)
    fwd = harness.median(harness.time_calls(lambda: layer.forward(x), repeats))
    both = harness.median(harness.time_calls(lambda: (layer.forward(x), layer.backward(dout)), repeats))
    return fwd, max(both - fwd, 0.0)


def time_torch_layer(torch, module, x_nchw, repeats: int) -> tuple[float, float]:
    x = x_nchw.clone().requires_grad_(True)
    out = module(x)
    dout = torch.ones_like(out)

    def forward():
        with torch.no_grad():
            module(x)

    def both():
        module(x).backward(dout)

    fwd = harness.median(harness.time_calls(forward, repeats))
    total = harness.median(harness.time_calls(both, repeats))
    return fwd, max(total - fwd, 0.0)


def gemm_shapes(layer, x) -> list[tuple[int, int, int]]:
    """The (M, K, N) of the matrix products ganlib runs for this layer: forward, dW, dx."""
    from ganlib import Conv2d, ConvTranspose2d, Dense

    n = len(x)
    if isinstance(layer, Dense):
        i, o = layer.in_features, layer.out_features
        return [(n, i, o), (i, n, o), (n, o, i)]
    if not isinstance(layer, (Conv2d, ConvTranspose2d)):
        return []  # BatchNorm: elementwise work only
    k, s = layer.kernel_size, layer.stride
    ci, co = layer.in_channels, layer.out_channels
    h, w = x.shape[1:3]
    if isinstance(layer, Conv2d):
        ho, wo = layer.output_shape(h, w)
        m = n * ho * wo
        dx = _transposed_gemm(n, ho, wo, co, ci, k, s)
        return [(m, k * k * ci, co), (k * k * ci, m, co), dx]
    return [_transposed_gemm(n, h, w, ci, co, k, s), (ci, n * h * w, k * k * co), (n * h * w, k * k * co, ci)]


def _transposed_gemm(n, h, w, c_in, c_out, k, s) -> tuple[int, int, int]:
    """The product inside ganlib.conv.transposed_convolution (sub-pixel when s | k and C_out >= 16)."""
    if k % s == 0 and c_out >= 16:
        q = k // s
        return (n * (h + q - 1) * (w + q - 1), q * q * c_in, s * s * c_out)
    return (n * h * w, c_in, k * k * c_out)


def time_gemms(shapes, repeats: int) -> float:
    """Median seconds of all the bare products, float32, contiguous operands."""
    rng = np.random.default_rng(0)
    pairs = [(rng.standard_normal((m, k), np.float32), rng.standard_normal((k, nn), np.float32)) for m, k, nn in shapes]
    return harness.median(harness.time_calls(lambda: [a @ b for a, b in pairs], repeats))


def iteration_gemms(gan) -> list[tuple]:
    """One training iteration's products: G forward twice, D forward on 2m and m rows, the D step's
    backward (dW everywhere, dx above D's first layer), the G step's backward through D (dx only)
    and through G (dW everywhere, dx above G's first layer)."""
    m = gan.config.batch_size

    def products(net, batch):  # the layers that run matrix products (not BatchNorm)
        return [(layer, x) for layer, x in layer_shapes(net, batch) if gemm_shapes(layer, x)]

    g, d_one, d_two = products(gan.G, m), products(gan.D, m), products(gan.D, 2 * m)
    shapes = []
    for pairs in (g, g):
        shapes += [gemm_shapes(layer, x)[0] for layer, x in pairs]
    for i, (layer, x) in enumerate(d_two):
        fwd, dw, dx = gemm_shapes(layer, x)
        shapes += [fwd, dw] + ([dx] if i else [])
    for layer, x in d_one:
        fwd, _, dx = gemm_shapes(layer, x)
        shapes += [fwd, dx]
    for i, (layer, x) in enumerate(g):
        _, dw, dx = gemm_shapes(layer, x)
        shapes += [dw] + ([dx] if i else [])
    return shapes


def report_layers(torch, gan, repeats: int) -> None:
    print("\nper layer, at the model's shapes (ms; D's layers at 2m rows, as in its step)")
    print(f"{'layer':<44} {'input':<20} {'ganlib fwd':>10} {'bwd':>7} {'torch fwd':>10} {'bwd':>7}")
    m, total = gan.config.batch_size, [0.0, 0.0]
    for net, batch in ((gan.G, m), (gan.D, 2 * m)):
        twin = torch_twin(torch, net)
        compute = [mod for mod in twin if any(True for _ in mod.parameters())]
        for (layer, x), module in zip(layer_shapes(net, batch), compute):
            ours = time_layer(layer, x, repeats)
            xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy() if x.ndim == 4 else x.copy())
            theirs = time_torch_layer(torch, module, xt, repeats)
            total[0] += sum(ours)
            total[1] += sum(theirs)
            shape = "x".join(map(str, x.shape))
            print(f"{layer!r:<44} {shape:<20} {1e3 * ours[0]:10.2f} {1e3 * ours[1]:7.2f} "
                  f"{1e3 * theirs[0]:10.2f} {1e3 * theirs[1]:7.2f}")  # fmt: skip
    print(f"{'sum of the above (fwd + bwd)':<65} {1e3 * total[0]:10.2f} {'':7} {1e3 * total[1]:10.2f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    harness.add_common_arguments(parser, threads=1, quick="two rounds of two iterations, narrow channels")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds (default 7)")
    parser.add_argument("--iterations", type=int, default=20, help="iterations per round and side (default 20)")
    a = parser.parse_args(argv)
    torch = harness.require_torch()
    threads = harness.limit_threads(a.threads, torch=torch)
    rounds, iterations, repeats = (2, 2, 2) if a.quick else (a.rounds, a.iterations, 10)
    gan = ganlib_gan(16 if a.quick else 128, ((8, 4), (4, 8)) if a.quick else None)
    twin = TorchGAN(torch, gan)
    m = gan.config.batch_size
    data = np.random.default_rng(0).uniform(-1, 1, (m * iterations, 784)).astype(np.float32)
    batches = [data[i * m : (i + 1) * m] for i in range(iterations)]
    torch_batches = [torch.from_numpy(b) for b in batches]
    print(harness.machine_line(torch))
    print("environment: " + ", ".join(harness.openblas_variables()))

    def run_ganlib():
        return harness.median(harness.time_calls(lambda: [gan.train_iteration([b]) for b in batches], 1))

    def run_torch():
        return harness.median(harness.time_calls(lambda: [twin.iteration(b) for b in torch_batches], 1))

    run_ganlib(), run_torch()  # warm-up
    times = harness.interleaved({"ganlib": run_ganlib, "torch": run_torch}, rounds)
    rate = {name: m * iterations / harness.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"{name:>7}: {rate[name]:8.0f} samples/s   seconds per round {harness.describe_spread(t, '.3f')}")
    gemm = time_gemms(iteration_gemms(gan), repeats)
    print(f"GEMM-bound limit (the iteration's {len(iteration_gemms(gan))} bare products): {m / gemm:8.0f} samples/s; "
          f"ganlib reaches {rate['ganlib'] * gemm / m:.0%} of it")  # fmt: skip
    report_layers(torch, gan, repeats)
    print(f"\n{threads} thread(s); load after: {harness.loadavg()}")
    print(f"dcgan_ratio_vs_torch={rate['ganlib'] / rate['torch']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
