"""Building the networks a configuration describes, and drawing their input z.

:func:`build_generator` maps z (N, latent_dim) to an example (N, data_dim); :func:`build_discriminator`
maps an example to one logit (N, 1). Both are :class:`~ganlib.network.Sequential` stacks of the
layers in :mod:`ganlib.layers`, built from a :class:`~ganlib.config.GANConfig`: Dense + LeakyReLU
blocks of the widths ``g_hidden`` / ``d_hidden`` (with dropout in D if asked), or, with
``architecture="dcgan"``, the convolutional networks of :func:`build_dcgan_generator` and
:func:`build_dcgan_discriminator` (images enter and leave as rows of 784, like the MLP's);
``d_architecture`` gives D an architecture of its own (``CONFIGS["dcgan"]``: a convolutional G
against the MLP's D). A conditional network
(``num_classes > 0``) takes the one-hot label beside its input (:mod:`ganlib.condition`).
:func:`sample_prior` is the one place ganlib draws z.
"""

from __future__ import annotations

import numpy as np

from .condition import LabelEmbedding
from .config import GANConfig
from .conv import Conv2d
from .conv_transpose import ConvTranspose2d
from .layers import Dense, Dropout, LeakyReLU, ReLU, Tanh
from .network import Sequential
from .normalization import BatchNorm
from .reshape import Flatten, Reshape

__all__ = [
    "build_dcgan_discriminator",
    "build_dcgan_generator",
    "build_discriminator",
    "build_generator",
    "sample_prior",
]


def sample_prior(rng: np.random.Generator, shape, dist: str = "gaussian") -> np.ndarray:
    """float32 draws of z from the prior p_z: ``"gaussian"`` N(0, 1) or ``"uniform"`` U(-1, 1)
    per coordinate, of the given shape, e.g. ``(N, latent_dim)``. The one place ganlib draws z."""
    if dist == "gaussian":
        return rng.standard_normal(shape, dtype=np.float32)
    if dist == "uniform":
        return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
    raise ValueError(f"latent distribution must be 'gaussian' or 'uniform', got {dist!r}")


def _label_input(config: GANConfig, width: int, rng) -> tuple[list, int]:
    """A conditional network's first layers and input width: its input is [a, one-hot label] (N, width + C);
    with ``embedding_dim`` k > 0 a LabelEmbedding turns it into [a, E[y]] (N, width + k) first."""
    if not config.num_classes:
        return [], width
    if not config.embedding_dim:
        return [], width + config.num_classes
    embed = LabelEmbedding(width + config.num_classes, config.num_classes, config.embedding_dim, rng=rng)
    return [embed], width + config.embedding_dim


def build_generator(config: GANConfig, rng) -> Sequential:
    """z (N, latent_dim) -> x (N, data_dim): Dense + LeakyReLU blocks, then Dense + Tanh
    (images in (-1, 1)), or a linear output layer when ``config.g_output == "linear"``.
    A conditional generator takes [z, one-hot label], (N, latent_dim + num_classes)."""
    if config.architecture == "dcgan":
        return build_dcgan_generator(config, rng)
    layers, width = _label_input(config, config.latent_dim, rng)
    widths = [width, *config.g_hidden]
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [Dense(fan_in, fan_out, rng=rng, init=config.init), LeakyReLU(config.leaky_slope)]
    layers.append(Dense(widths[-1], config.data_dim, rng=rng, init=config.init))
    if config.g_output == "tanh":
        layers.append(Tanh())
    return Sequential(*layers)


def build_discriminator(config: GANConfig, rng) -> Sequential:
    """x (N, data_dim) -> logit (N, 1); D(x) = sigmoid(logit), folded into the loss for stability.
    Convolutional when ``config.discriminator_architecture()`` is ``"dcgan"``, else Dense blocks of ``d_hidden``.
    A conditional discriminator takes [x, one-hot label], (N, data_dim + num_classes)."""
    if config.discriminator_architecture() == "dcgan":
        return build_dcgan_discriminator(config, rng)
    layers, width = _label_input(config, config.data_dim, rng)
    widths = [width, *config.d_hidden]
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [Dense(fan_in, fan_out, rng=rng, init=config.init), LeakyReLU(config.leaky_slope)]
        if config.d_dropout:
            layers.append(Dropout(config.d_dropout, rng=rng))  # shares the run's generator: one state to save
    layers.append(Dense(widths[-1], 1, rng=rng, init=config.init))
    return Sequential(*layers)


def build_dcgan_generator(config: GANConfig, rng) -> Sequential:
    """z (N, latent_dim) -> x (N, 784), through images (Radford et al., 2016):

    Dense -> (N, 7, 7, c0) -> BatchNorm, ReLU -> transposed conv 4x4 stride 2 -> (N, 14, 14, c1)
    -> BatchNorm, ReLU -> transposed conv 4x4 stride 2 -> (N, 28, 28, 1) -> tanh -> (N, 784).

    A 4x4 kernel at stride 2 (padding 1) doubles the size exactly and gives every output pixel
    the same number of kernel taps, which avoids the checkerboard of a 3x3 or 5x5 kernel
    (Odena et al., 2016, https://distill.pub/2016/deconv-checkerboard/)."""
    c0, c1 = config.g_channels
    init = config.init
    return Sequential(
        Dense(config.latent_dim, 7 * 7 * c0, rng=rng, init=init),
        Reshape(7, 7, c0),
        BatchNorm(c0),
        ReLU(),
        ConvTranspose2d(c0, c1, 4, stride=2, padding=1, rng=rng, init=init),
        BatchNorm(c1),
        ReLU(),
        ConvTranspose2d(c1, 1, 4, stride=2, padding=1, rng=rng, init=init),
        Tanh(),
        Flatten(),
    )


def build_dcgan_discriminator(config: GANConfig, rng) -> Sequential:
    """x (N, 784) -> logit (N, 1): (N, 28, 28, 1) -> conv 4x4 stride 2 -> (N, 14, 14, c0) -> LeakyReLU
    -> conv 4x4 stride 2 -> (N, 7, 7, c1) -> LeakyReLU -> Dense -> (N, 1). No BatchNorm: D's real and fake
    rows go through it as one batch in D's step (ganlib.gan) but as fakes alone in G's step, so
    BatchNorm would normalise the two steps' inputs differently."""
    c0, c1 = config.d_channels
    layers = [Reshape(28, 28, 1)]
    for c_in, c_out in ((1, c0), (c0, c1)):
        layers += [
            Conv2d(c_in, c_out, 4, stride=2, padding=1, rng=rng, init=config.init),
            LeakyReLU(config.leaky_slope),
        ]
        if config.d_dropout:
            layers.append(Dropout(config.d_dropout, rng=rng))
    layers += [Flatten(), Dense(7 * 7 * c1, 1, rng=rng, init=config.init)]
    return Sequential(*layers)
