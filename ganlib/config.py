"""The training configuration: every choice that defines a GAN run, in one frozen dataclass.

:class:`GANConfig` lists the fields with their defaults and why; :data:`CONFIGS` names the
configurations the series uses; :func:`build_generator` and :func:`build_discriminator`
turn a configuration into networks; :func:`sample_prior` draws the latent codes z.
The training algorithm that uses them is in :mod:`ganlib.gan`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .layers import Dense, Dropout, LeakyReLU, Tanh
from .losses import GENERATOR_LOSSES
from .network import Sequential
from .optim import SGD

__all__ = ["CONFIGS", "IMAGE_DIM", "GANConfig", "build_discriminator", "build_generator", "sample_prior"]

IMAGE_DIM = 28 * 28


@dataclass(frozen=True)
class GANConfig:
    """Everything that defines a training run. Each default is commented with why.

    The last six fields, ``init="1/fan_in"`` and ``generator_loss`` reproduce what the original
    post's framework really computed (zhoubaohang/deep-learning-notes at commit 284111b,
    folder ``Deep Neural Network/nn/``; :mod:`ganlib.original_post` explains each):

    ====================  =========================  =====================================================
    field                 the post's value           what its code did (file: lines)
    ====================  =========================  =====================================================
    generator_loss        ``"non_saturating"``       prints -log D(G(z)) and sends D(G(z)) - 1 (gan.py: 81-83, 126);
                                                     its text describes the minimax loss
    loss_gradient         ``"through_sigmoid_       sends the logit-gradients D - t into the sigmoid layer's
                          again"``                   backward, which multiplies by D(1 - D) again
                                                     (gan.py: 109, 112, 126; utils.py: 35-42, 58-69)
    g_step_updates_d      ``True``                   G's step goes back through a shallow copy of D's layer list,
                                                     whose backward updates D (gan.py: 125-126; layers.py: 93-109)
    d_split_update        ``True``                   D steps on the real batch, then on the fakes (gan.py: 108-112)
    latent_source         ``"bank"``                 Z drawn once, batch j of every epoch uses the same codes
                                                     (gan.py: 89, 105, 118)
    momentum_style        ``"ema"``                  v = 0.9 v + 0.1 g, then W -= lr v (optimizer.py: 18-22;
                                                     layers.py: 104-107; beta1 = 0.9 at layers.py: 57)
    lr_decay              ``"per_epoch_compounded"`` lr = lr / (1 + 1e-4 i) after epoch i (gan.py: 131, 142-146;
                                                     model.py: 36-41)
    init                  ``"1/fan_in"``             W = randn(out, in) / in (layers.py: 79)
    ====================  =========================  =====================================================

    Each defaults to Algorithm 1's behaviour and can be switched on or off on its own.
    """

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
    decay_rate: float = 0.0  # SGD only: lr_t = lr / (1 + decay_rate * t), t the steps taken (see lr_decay)
    batch_size: int = 128  # examples per minibatch, m in Algorithm 1
    k: int = 1  # discriminator steps per generator step (Algorithm 1; the paper used k = 1)
    generator_loss: str = "non_saturating"  # or "minimax" (saturates early in training)
    real_label: float = 1.0  # < 1 gives one-sided label smoothing for D's real targets
    ema_decay: float = 0.0  # > 0 keeps an exponential moving average of G's weights for sampling
    epochs: int = 30  # passes over the training set
    seed: int = 0  # seeds every random number the run draws
    init: object = "glorot"  # Dense weight initialisation: "glorot", "he", "1/fan_in" (the post's), or a std
    data_dim: int = IMAGE_DIM  # size of one example: 784 for MNIST, 1 for the 1-D toy problem
    g_output: str = "tanh"  # "tanh" for data in [-1, 1] (images), "linear" for unbounded data
    # The original post's deviations from Algorithm 1, each off by default (what the post's
    # code did, with the upstream file and line: ganlib.original_post; CONFIGS["original_post"]
    # turns all of them on). Each can be switched on or off on its own.
    loss_gradient: str = "logit"  # "through_sigmoid_again": dL/ds times sigma'(s) once more
    g_step_updates_d: bool = False  # True: G's step also moves D, down G's loss (D learns to call fakes real)
    d_split_update: bool = False  # True: D takes two steps per iteration, on the real batch, then on the fakes
    latent_source: str = "fresh"  # "bank": one bank of codes drawn once, the same rows in every epoch
    momentum_style: str = "classic"  # SGD: "ema" is v = mu v + (1 - mu) g (classic momentum at lr (1 - mu))
    lr_decay: str = "per_step"  # SGD: "per_epoch_compounded" divides the current rate once per epoch

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
            (0.0 < self.real_label <= 1.0, "real_label must be in (0, 1]"),
            (0.0 <= self.ema_decay < 1.0, "ema_decay must be in [0, 1)"),
            (0.0 <= self.d_dropout < 1.0, "d_dropout must be in [0, 1)"),
            (
                self.loss_gradient in ("logit", "through_sigmoid_again"),
                "loss_gradient must be 'logit' or 'through_sigmoid_again'",
            ),
            (self.latent_source in ("fresh", "bank"), "latent_source must be 'fresh' or 'bank'"),
            (self.momentum_style in SGD.MOMENTUM_STYLES, f"momentum_style must be one of {SGD.MOMENTUM_STYLES}"),
            (self.lr_decay in SGD.DECAYS, f"lr_decay must be one of {SGD.DECAYS}"),
            (
                isinstance(self.g_step_updates_d, bool) and isinstance(self.d_split_update, bool),
                "g_step_updates_d and d_split_update must be True or False",
            ),
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
    # The original blog post, as its framework's code really trained it (ganlib.original_post
    # has each fact with its upstream file and line): G 100-256-784 tanh, D 784-64-1 sigmoid,
    # LeakyReLU 0.01, SGD lr 0.01 with momentum 0.9, decay 1e-4, k = 1, batch 100, uniform z,
    # 100 epochs, the non-saturating generator loss, and its seven deviations, bugs and all.
    "original_post": GANConfig(
        latent_dist="uniform",
        g_hidden=(256,),
        d_hidden=(64,),
        leaky_slope=0.01,
        optimizer="sgd",
        lr_g=0.01,
        lr_d=0.01,
        momentum=0.9,
        decay_rate=1e-4,
        batch_size=100,
        k=1,
        epochs=100,
        generator_loss="non_saturating",  # what its code computed; its text describes the minimax loss
        init="1/fan_in",
        loss_gradient="through_sigmoid_again",
        g_step_updates_d=True,
        d_split_update=True,
        latent_source="bank",
        momentum_style="ema",
        lr_decay="per_epoch_compounded",
    ),
}
# The same set-up with every deviation switched off (the option's default, Algorithm 1):
# what the post's networks, optimizer and schedule do when trained correctly.
CONFIGS["original_post_fixed"] = CONFIGS["original_post"].replace(
    init="glorot",
    loss_gradient="logit",
    g_step_updates_d=False,
    d_split_update=False,
    latent_source="fresh",
    momentum_style="classic",
    lr_decay="per_step",
)


def sample_prior(rng: np.random.Generator, shape, dist: str = "gaussian") -> np.ndarray:
    """float32 draws of z from the prior p_z: ``"gaussian"`` N(0, 1) or ``"uniform"`` U(-1, 1)
    per coordinate, of the given shape, e.g. ``(N, latent_dim)``. The one place ganlib draws z."""
    if dist == "gaussian":
        return rng.standard_normal(shape, dtype=np.float32)
    if dist == "uniform":
        return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
    raise ValueError(f"latent distribution must be 'gaussian' or 'uniform', got {dist!r}")


def build_generator(config: GANConfig, rng) -> Sequential:
    """z (N, latent_dim) -> x (N, data_dim): Dense + LeakyReLU blocks, then Dense + Tanh
    (images in (-1, 1)), or a linear output layer when ``config.g_output == "linear"``."""
    widths = [config.latent_dim, *config.g_hidden]
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [Dense(fan_in, fan_out, rng=rng, init=config.init), LeakyReLU(config.leaky_slope)]
    layers.append(Dense(widths[-1], config.data_dim, rng=rng, init=config.init))
    if config.g_output == "tanh":
        layers.append(Tanh())
    return Sequential(*layers)


def build_discriminator(config: GANConfig, rng) -> Sequential:
    """x (N, data_dim) -> logit (N, 1); D(x) = sigmoid(logit), folded into the loss for stability."""
    widths = [config.data_dim, *config.d_hidden]
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [Dense(fan_in, fan_out, rng=rng, init=config.init), LeakyReLU(config.leaky_slope)]
        if config.d_dropout:
            layers.append(Dropout(config.d_dropout, rng=rng))  # shares the run's generator: one state to save
    layers.append(Dense(widths[-1], 1, rng=rng, init=config.init))
    return Sequential(*layers)
