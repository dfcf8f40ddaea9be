"""The training configuration: every choice that defines a GAN run, in one frozen dataclass.

:class:`GANConfig` lists the fields with their defaults and why; :data:`CONFIGS` names the
configurations the series uses; :func:`build_generator` and :func:`build_discriminator`
turn a configuration into networks; :func:`sample_prior` draws the latent codes z.
A configuration with ``num_classes > 0`` is a conditional GAN: both networks take the class
label too, next to their usual input (:mod:`ganlib.condition`).
The training algorithm that uses them is in :mod:`ganlib.gan`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .layers import Dense, Dropout, LabelEmbedding, LeakyReLU, Tanh
from .losses import GENERATOR_LOSSES
from .network import Sequential

__all__ = ["CONFIGS", "IMAGE_DIM", "GANConfig", "build_discriminator", "build_generator", "sample_prior"]

IMAGE_DIM = 28 * 28


@dataclass(frozen=True)
class GANConfig:
    """Everything that defines a training run. Each default is commented with why."""

    latent_dim: int = 100  # as in Goodfellow et al. (2014) and the original post
    latent_dist: str = "gaussian"  # "gaussian" N(0, I) or "uniform" U(-1, 1)^d (the original post)
    g_hidden: tuple = (256, 512)  # generator widths between z and the 784 tanh outputs
    d_hidden: tuple = (512, 256)  # discriminator widths between the image and its single logit
    leaky_slope: float = 0.2  # LeakyReLU slope in both networks (Radford et al., 2016)
    d_dropout: float = 0.0  # dropout after each hidden layer of D (0 = none)
    optimizer: str = "adam"  # "adam" or "sgd"
    lr_g: float = 2e-4  # generator learning rate
    lr_d: float = 2e-4  # discriminator learning rate
    beta1: float = 0.5  # Adam's first-moment decay; 0.5 is steadier than 0.9 for GANs
    beta2: float = 0.999
    momentum: float = 0.0  # SGD only
    decay_rate: float = 0.0  # SGD only: lr_t = lr / (1 + decay_rate * t), as in the original post
    batch_size: int = 128  # examples per minibatch, m in Algorithm 1
    k: int = 1  # discriminator steps per generator step (Algorithm 1; the paper used k = 1)
    generator_loss: str = "non_saturating"  # or "minimax" (saturates early in training)
    real_label: float = 1.0  # < 1 gives one-sided label smoothing for D's real targets
    ema_decay: float = 0.0  # > 0 keeps an exponential moving average of G's weights for sampling
    epochs: int = 30  # passes over the training set
    seed: int = 0  # seeds every random number the run draws
    init: object = "glorot"  # Dense weight initialisation (see ganlib.layers.Dense)
    data_dim: int = IMAGE_DIM  # size of one example: 784 for MNIST, 1 for the 1-D toy problem
    g_output: str = "tanh"  # "tanh" for data in [-1, 1] (images), "linear" for unbounded data
    num_classes: int = 0  # 0: unconditional; C > 0: a conditional GAN, the label next to z and to x (condition.py)
    embedding_dim: int = 50  # conditional only: the label enters as a learned embedding this wide (0: one-hot itself)

    def __post_init__(self):
        checks = [
            (self.latent_dist in ("gaussian", "uniform"), "latent_dist must be 'gaussian' or 'uniform'"),
            (self.optimizer in ("adam", "sgd"), "optimizer must be 'adam' or 'sgd'"),
            (self.generator_loss in GENERATOR_LOSSES, f"generator_loss must be one of {GENERATOR_LOSSES}"),
            (
                min(self.latent_dim, self.batch_size, self.k, self.data_dim) >= 1,
                "latent_dim, batch_size, k, data_dim must be >= 1",
            ),
            (self.g_output in ("tanh", "linear"), "g_output must be 'tanh' or 'linear'"),
            (self.epochs >= 0, "epochs must be >= 0"),
            (self.num_classes >= 0, "num_classes must be >= 0 (0 = unconditional)"),
            (self.embedding_dim >= 0, "embedding_dim must be >= 0 (0 = the one-hot label itself)"),
            (0.0 < self.real_label <= 1.0, "real_label must be in (0, 1]"),
            (0.0 <= self.ema_decay < 1.0, "ema_decay must be in [0, 1)"),
            (0.0 <= self.d_dropout < 1.0, "d_dropout must be in [0, 1)"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"invalid GANConfig: {message}")
        object.__setattr__(self, "g_hidden", tuple(int(h) for h in self.g_hidden))
        object.__setattr__(self, "d_hidden", tuple(int(h) for h in self.d_hidden))

    def replace(self, **changes) -> GANConfig:
        """A copy with some fields changed; unknown names raise a clear error."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(
                f"unknown GANConfig field(s) {sorted(unknown)}; valid: {[f.name for f in dataclasses.fields(self)]}"
            )
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> GANConfig:
        return cls().replace(**d)


CONFIGS = {
    # What the training notebook and `python -m ganlib train` use. The plain
    # reference set-up drops digits as it trains (KL to uniform 0.20 and a class
    # at 0.8% after 12 epochs); each trick below was kept because it measurably
    # helped class coverage (README, "Choosing the default configuration"):
    "default": GANConfig(
        d_dropout=0.3,  # D cannot memorise individual images as easily: G keeps all modes
        real_label=0.9,  # one-sided label smoothing: D's confidence, and G's gradients, stay bounded
        ema_decay=0.999,  # sample from a moving average of G: smooths out its oscillation between modes
        epochs=30,
    ),
    # The fixed architecture of benchmarks/bench_train.py (no tricks).
    "reference": GANConfig(g_hidden=(256, 512), d_hidden=(512, 256), leaky_slope=0.2, batch_size=128),
    # The original blog post: G 100-256-784 tanh, D 784-64-1 sigmoid, leaky slope 0.01,
    # SGD lr 0.01 with decay 1e-4, k = 1, batch 100, uniform z, 100 epochs. It collapses.
    "original_post": GANConfig(
        latent_dist="uniform",
        g_hidden=(256,),
        d_hidden=(64,),
        leaky_slope=0.01,
        optimizer="sgd",
        lr_g=0.01,
        lr_d=0.01,
        decay_rate=1e-4,
        batch_size=100,
        k=1,
        epochs=100,
        generator_loss="minimax",
    ),
}


# A conditional GAN (Mirza & Osindero, 2014): the default set-up, with the digit's label
# concatenated to z and to x, as a one-hot vector that each network's first layer turns
# into a learned 50-wide embedding (embedding_dim, GANConfig's default; ganlib.condition).
# Built from the default, so that it follows it. README, "The conditional generator", has
# the measurements: the wider the embedding, the sooner the networks use the label.
CONFIGS["conditional"] = CONFIGS["default"].replace(num_classes=10)


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
    A conditional discriminator takes [x, one-hot label], (N, data_dim + num_classes)."""
    layers, width = _label_input(config, config.data_dim, rng)
    widths = [width, *config.d_hidden]
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [Dense(fan_in, fan_out, rng=rng, init=config.init), LeakyReLU(config.leaky_slope)]
        if config.d_dropout:
            layers.append(Dropout(config.d_dropout, rng=rng))  # shares the run's generator: one state to save
    layers.append(Dense(widths[-1], 1, rng=rng, init=config.init))
    return Sequential(*layers)
