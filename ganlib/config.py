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
import math
from dataclasses import dataclass

import numpy as np

from .layers import Dense, Dropout, LabelEmbedding, LeakyReLU, Tanh
from .losses import GENERATOR_LOSSES
from .network import Sequential
from .optim import SGD

__all__ = [
    "CONFIGS",
    "FIELD_RULES",
    "IMAGE_DIM",
    "MAX_NETWORK_PARAMS",
    "GANConfig",
    "build_discriminator",
    "build_generator",
    "sample_prior",
]

IMAGE_DIM = 28 * 28

#: The most parameters one network may have: 20 million, 80 MB of float32 weights (the default G
#: has 0.56 million). A configuration asking for more is refused before anything is built, so a
#: mistyped width or a damaged checkpoint cannot make ganlib allocate gigabytes.
MAX_NETWORK_PARAMS = 20_000_000
MAX_HIDDEN_LAYERS = 32
INITS = ("glorot", "he", "1/fan_in")  # Dense's named initialisations (ganlib.layers); "1/fan_in" is the original post's


# -- the rule of each field: check its type and range, return the value in its plain Python type --
def _interval(text: str):
    """``"[0, 1)"`` -> a test ``inside(x)`` for that interval (``inf`` for no upper bound)."""
    low, high = (float(part) if part.strip() == "inf" else int(part) for part in text[1:-1].replace("_", "").split(","))
    above = (lambda x: x >= low) if text[0] == "[" else (lambda x: x > low)
    below = (lambda x: x <= high) if text[-1] == "]" else (lambda x: x < high)
    return lambda x: above(x) and below(x)


def _shown(value) -> str:
    """The value and its type for an error message, cut short if long."""
    try:
        text = repr(value)
    except ValueError:  # an integer of more than 4300 digits
        return "an integer too large to print"
    return f"{text[:40]}...({len(text)} characters)" if len(text) > 60 else f"{text} ({type(value).__name__})"


def _integer(interval: str):
    """A whole number (Python or NumPy integer, not bool) in ``interval``, e.g. ``"[1, inf)"``."""
    inside = _interval(interval)

    def rule(name, value):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be a whole number in {interval}, got {_shown(value)}")
        if not inside(int(value)):
            raise ValueError(f"{name} must be in {interval}, got {_shown(value)}")
        return int(value)

    return rule


def _real(interval: str):
    """A finite number (int or float, Python or NumPy, not bool) in ``interval``, e.g. ``"[0, 1)"``."""
    inside = _interval(interval)

    def rule(name, value):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{name} must be a number in {interval}, got {_shown(value)}")
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            number = math.inf
        if not (math.isfinite(number) and inside(number)):
            raise ValueError(f"{name} must be in {interval}, got {_shown(value)}")
        return number

    return rule


def _boolean(name, value):
    """True or False (a NumPy bool too); not 0, 1 or a string."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {_shown(value)}")
    return bool(value)


def _choice(*options):
    def rule(name, value):
        if not isinstance(value, str) or value not in options:
            raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {_shown(value)}")
        return value

    return rule


def _widths(name, value):
    """Hidden-layer widths: a list or tuple of whole numbers >= 1 (at most MAX_HIDDEN_LAYERS of them)."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = tuple(value)
    if not isinstance(value, (list, tuple)) or len(value) > MAX_HIDDEN_LAYERS:
        raise ValueError(
            f"{name} must be a list of at most {MAX_HIDDEN_LAYERS} layer widths, e.g. (256, 512); got {_shown(value)}"
        )
    return tuple(_integer("[1, inf)")(f"each width in {name}", w) for w in value)


def _init(name, value):
    if isinstance(value, str) and value in INITS:
        return value
    try:
        return _real("(0, inf)")(name, value)
    except ValueError:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, INITS))} or a positive standard deviation, got {_shown(value)}"
        ) from None


#: One rule per GANConfig field: ``rule(name, value)`` returns the value to store or raises
#: ValueError saying what is wrong. A new field adds its rule here (tests check that every field has one).
FIELD_RULES = {
    "latent_dim": _integer("[1, inf)"),
    "latent_dist": _choice("gaussian", "uniform"),
    "g_hidden": _widths,
    "d_hidden": _widths,
    "leaky_slope": _real("[0, 1)"),
    "d_dropout": _real("[0, 1)"),
    "optimizer": _choice("adam", "sgd"),
    "lr_g": _real("(0, inf)"),
    "lr_d": _real("(0, inf)"),
    "beta1": _real("[0, 1)"),
    "beta2": _real("[0, 1)"),
    "momentum": _real("[0, 1)"),
    "decay_rate": _real("[0, inf)"),
    "batch_size": _integer("[1, 1_000_000]"),
    "k": _integer("[1, 1000]"),
    "generator_loss": _choice(*GENERATOR_LOSSES),
    "real_label": _real("(0, 1]"),
    "ema_decay": _real("[0, 1)"),
    "ema_bias_correction": _boolean,
    "epochs": _integer("[0, 1_000_000]"),
    "seed": _integer("[0, 18_446_744_073_709_551_616)"),  # [0, 2**64)
    "init": _init,
    "data_dim": _integer("[1, inf)"),
    "g_output": _choice("tanh", "linear"),
    "num_classes": _integer("[0, 100_000]"),
    "embedding_dim": _integer("[0, 100_000]"),
    # The original post's deviations (ganlib.original_post), each a switch or a named choice:
    "loss_gradient": _choice("logit", "through_sigmoid_again"),
    "g_step_updates_d": _boolean,
    "d_split_update": _boolean,
    "latent_source": _choice("fresh", "bank"),
    "momentum_style": _choice(*SGD.MOMENTUM_STYLES),
    "lr_decay": _choice(*SGD.DECAYS),
}


def _mlp_params(widths) -> int:
    """Weights and biases of Dense layers between consecutive ``widths`` (Python ints: no overflow)."""
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(widths[:-1], widths[1:]))


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
    ema_bias_correction: bool = True  # average G's weights since step 1, not since its random init (GAN._update_ema)
    epochs: int = 30  # passes over the training set
    seed: int = 0  # seeds every random number the run draws
    init: object = "glorot"  # Dense weight initialisation: "glorot", "he", "1/fan_in" (the post's), or a std
    data_dim: int = IMAGE_DIM  # size of one example: 784 for MNIST, 1 for the 1-D toy problem
    g_output: str = "tanh"  # "tanh" for data in [-1, 1] (images), "linear" for unbounded data
    num_classes: int = 0  # 0: unconditional; C > 0: a conditional GAN, the label next to z and to x (condition.py)
    embedding_dim: int = 50  # conditional only: the label enters as a learned embedding this wide (0: one-hot itself)
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
        """Check every field against its rule in :data:`FIELD_RULES` (types too: a string is not a
        learning rate, 2.5 is not a width), store each in its plain Python type (NumPy integers
        become ``int``, so the configuration can be saved as JSON), then bound the networks' size."""
        for f in dataclasses.fields(self):
            rule = FIELD_RULES.get(f.name)
            if rule is not None:
                try:
                    object.__setattr__(self, f.name, rule(f.name, getattr(self, f.name)))
                except ValueError as err:
                    raise ValueError(f"invalid GANConfig: {err}") from None
        counts = self.parameter_counts()
        if max(counts) > MAX_NETWORK_PARAMS:
            raise ValueError(
                f"invalid GANConfig: the generator would have {counts[0]:,} parameters and the discriminator "
                f"{counts[1]:,}; each may have at most {MAX_NETWORK_PARAMS:,} (ganlib.config.MAX_NETWORK_PARAMS): "
                "choose smaller latent_dim, g_hidden or d_hidden"
            )

    def parameter_counts(self) -> tuple[int, int]:
        """(generator, discriminator) parameter counts, computed from the widths without building anything.

        A conditional network adds its label embedding (num_classes x embedding_dim) and a first
        layer that is wider by embedding_dim (or by num_classes without an embedding)."""
        extra_width = (self.embedding_dim or self.num_classes) if self.num_classes else 0
        embedding = self.num_classes * self.embedding_dim if self.num_classes else 0
        return (
            embedding + _mlp_params([self.latent_dim + extra_width, *self.g_hidden, self.data_dim]),
            embedding + _mlp_params([self.data_dim + extra_width, *self.d_hidden, 1]),
        )

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
    # What the training notebook and `python -m ganlib train` use: the reference networks
    # below plus four tricks, each kept because it measurably helped (README, "Choosing the
    # default configuration"; notebook 04, section 3; the search: benchmarks/search_log.md).
    # 37 epochs (14,430 iterations) take about 9 minutes on a quiet 2-core machine.
    "default": GANConfig(
        d_dropout=0.3,  # D cannot memorise individual images as easily: G keeps all modes
        real_label=0.9,  # one-sided label smoothing: D's confidence, and G's gradients, stay bounded
        lr_g=8e-4,  # G four times faster than D (benchmarks/search_log.md: the faster G, the better, up to a point)
        ema_decay=0.999,  # sample from a bias-corrected moving average of G: smooths out its oscillation
        epochs=37,
    ),
    # The default until November 2026 (issue 9), kept for comparison: both learning rates 2e-4
    # and a moving average that starts at G's random initialisation; 30 epochs.
    "old_default": GANConfig(
        d_dropout=0.3,
        real_label=0.9,
        ema_decay=0.999,
        ema_bias_correction=False,
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


# A conditional GAN (Mirza & Osindero, 2014): the default set-up, with the digit's label
# concatenated to z and to x, as a one-hot vector that each network's first layer turns
# into a learned 50-wide embedding (embedding_dim, GANConfig's default; ganlib.condition).
# Built from the default, so that it follows it. README, "The conditional generator", has
# the measurements: the wider the embedding, the sooner the networks use the label.
# 45 epochs, not the default's 37: the label takes longer to learn than the digits. At 37
# epochs the classifier agreed with the asked-for digit on 96.8% of samples (the worst digit,
# 9, on 92.2%); at 45 on 97.4% (worst 94.1%), with the Frechet distance 4.3 -> 3.8
# (benchmarks/bench_conditional.py; README, "The conditional generator").
CONFIGS["conditional"] = CONFIGS["default"].replace(num_classes=10, epochs=45)


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
