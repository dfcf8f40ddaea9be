"""Notebook 04 (ganlib.exercises.training): one iteration of Algorithm 1, the discriminator's step and the
generator's step through a frozen discriminator.

Each check builds the same small seeded GAN (12-pixel "images", no dropout, no moving average)
twice, runs ganlib's own step (:meth:`ganlib.gan.GAN.discriminator_step`,
:meth:`ganlib.gan.GAN.generator_step`) on one copy and the reader's function on the other, on
the same minibatch, and compares the loss, both networks' gradients and parameters after the
step. Adam's step hardly depends on the gradient's size, so the gradients are compared too.
"""

from __future__ import annotations

import numpy as np

from ..config import GANConfig
from ..gan import GAN
from . import WrongAnswer, call, compare, correct

__all__ = ["check_discriminator_step", "check_generator_step"]

_TOL = 1e-5  # float32 networks: the same computation in another order agrees to about 1e-7
_AGAINST = "ganlib's GAN"


def _small_gan(seed: int, real_label: float) -> GAN:
    config = GANConfig(
        latent_dim=5, g_hidden=(8,), d_hidden=(10,), data_dim=12, batch_size=6, real_label=real_label, seed=seed
    )
    gan = GAN(config, n_fixed=4)
    rng = np.random.default_rng([seed, 7])
    for _ in range(2):  # a few steps first, so that Adam's moments are not zero and the networks not symmetric
        gan.train_iteration([np.tanh(rng.standard_normal((6, 12))).astype(np.float32)])
    return gan


def _state(net):
    return net.flat_params.copy(), net.flat_grads.copy()


def _unchanged(name: str, what: str, before, after, hint: str) -> None:
    __tracebackhide__ = True
    for part, b, a in zip(("parameters", "gradients"), before, after):
        if not np.array_equal(a, b):
            raise WrongAnswer(
                f"{name}: {what}'s {part} changed, but this step must leave {what} untouched\nHint: {hint}"
            )


def _compare_net(name, net, got_net, ref_net, errors, case, hint):
    __tracebackhide__ = True
    errors[f"{net} grads"] = max(
        errors.get(f"{net} grads", 0.0),
        compare(
            name,
            f"{net}'s gradients",
            got_net.flat_grads,
            ref_net.flat_grads,
            tol=_TOL,
            against=_AGAINST,
            case=case,
            hint=hint,
        ),
    )
    errors[f"{net} params"] = max(
        errors.get(f"{net} params", 0.0),
        compare(
            name,
            f"{net}'s parameters after the step",
            got_net.flat_params,
            ref_net.flat_params,
            tol=_TOL,
            against=_AGAINST,
            case=case,
            hint=hint,
        ),
    )


def _loss(name, got, expected, errors, case, hint):
    __tracebackhide__ = True
    errors["loss"] = max(
        errors.get("loss", 0.0),
        compare(name, "the loss", got, expected, tol=_TOL, against=_AGAINST, case=case, hint=hint),
    )


def check_discriminator_step(discriminator_step, seed: int = 0) -> None:
    """Check ``discriminator_step(gan, x_real, x_fake) -> loss_d``: D's loss on a real and a fake
    minibatch (label smoothing: ``gan.config.real_label``), its gradient, one step of ``gan.opt_D``;
    G untouched. Against :meth:`GAN.discriminator_step` on the same minibatches, real labels 1 and 0.9."""
    __tracebackhide__ = True
    name = "discriminator_step"
    hint = (
        "logits = gan.D.forward(x) for the real and the fake batch; discriminator_loss(s_real, s_fake, "
        "gan.config.real_label) gives the loss and dL/dlogit for each half; gan.D.backward(...) on both halves "
        "at once (np.concatenate), then gan.opt_D.step(). Do not touch G."
    )
    errors: dict[str, float] = {}
    for real_label in (1.0, 0.9):
        case = f"real label {real_label}"
        x_real = np.tanh(np.random.default_rng([seed, 3]).standard_normal((6, 12))).astype(np.float32)
        ref, mine = _small_gan(seed, real_label), _small_gan(seed, real_label)  # two identical GANs
        probe = _small_gan(seed, real_label)  # the fakes ganlib's step will draw: the same random stream
        x_fake = probe.G.forward(probe.sample_latent(len(x_real)))
        loss_ref = ref.discriminator_step(x_real)[0]
        g_before = _state(mine.G)
        loss = call(discriminator_step, {"gan": mine, "x_real": x_real, "x_fake": x_fake}, name=name)
        _unchanged(name, "G", g_before, _state(mine.G), "the discriminator's step updates D only.")
        _loss(name, loss, loss_ref, errors, case, hint)
        _compare_net(name, "D", mine.D, ref.D, errors, case, hint)
    correct(name, errors, against=_AGAINST, note="; real labels 1 and 0.9, G untouched")


def check_generator_step(generator_step, seed: int = 0) -> None:
    """Check ``generator_step(gan, z) -> loss_g``: G's non-saturating loss through a frozen D, the
    gradient passed back through D without D's own gradients (``need_param_grads=False``), one step
    of ``gan.opt_G``; D's parameters and gradients untouched. Against :meth:`GAN.generator_step`."""
    __tracebackhide__ = True
    name = "generator_step"
    hint = (
        "x_fake = gan.G.forward(z); logits = gan.D.forward(x_fake); loss, dlogits = generator_loss(logits) "
        "(non-saturating); dx = gan.D.backward(dlogits, need_param_grads=False); gan.G.backward(dx); "
        "gan.opt_G.step(). D is frozen: no D step, and D.flat_grads left as they were."
    )
    errors: dict[str, float] = {}
    for s in (seed, seed + 1):
        case = f"seed {s}"
        ref, mine = _small_gan(s, 0.9), _small_gan(s, 0.9)  # two identical GANs
        z = _small_gan(s, 0.9).sample_latent(6)  # what ganlib's step draws
        loss_ref = ref.generator_step(6)
        d_before = _state(mine.D)
        loss = call(generator_step, {"gan": mine, "z": z}, name=name)
        _unchanged(
            name,
            "D",
            d_before,
            _state(mine.D),
            "the gradient flows through D to G, but D is frozen: no gan.opt_D.step(), and "
            "gan.D.backward(dlogits, need_param_grads=False) so that D's gradients are not overwritten.",
        )
        _loss(name, loss, loss_ref, errors, case, hint)
        _compare_net(name, "G", mine.G, ref.G, errors, case, hint)
    correct(name, errors, against=_AGAINST, note="; D untouched")
