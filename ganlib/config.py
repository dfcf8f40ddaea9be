"""The training configuration: every choice that defines a GAN run, in one frozen dataclass.

:class:`GANConfig` lists the fields with their defaults and why; :data:`FIELD_RULES` says what
values each takes (the command line's options are written from the same rules);
:data:`CONFIGS` names the configurations the series uses. A configuration with
``num_classes > 0`` is a conditional GAN: both networks take the class label too, next to
their usual input (:mod:`ganlib.condition`). :mod:`ganlib.models` turns a configuration into
networks, :mod:`ganlib.gan` trains them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .checks import Rule, boolean, one_of, real, shown, whole, widths
from .losses import GENERATOR_LOSSES
from .optim import SGD

__all__ = [
    "CONFIGS",
    "FIELD_RULES",
    "IMAGE_DIM",
    "IMAGE_SHAPE",
    "MAX_HIDDEN_LAYERS",
    "MAX_NETWORK_PARAMS",
    "POST_DEVIATIONS",
    "POST_LOOP_DEVIATIONS",
    "GANConfig",
]

#: MNIST's images: 28 x 28 grey levels, seen by the networks as rows of 784 numbers in [-1, 1].
IMAGE_SHAPE = (28, 28)
IMAGE_DIM = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]

#: The most parameters one network may have: 20 million, 80 MB of float32 weights (the default G
#: has 0.56 million). A configuration asking for more is refused before anything is built, so a
#: mistyped width or a damaged checkpoint cannot make ganlib allocate gigabytes.
MAX_NETWORK_PARAMS = 20_000_000
MAX_HIDDEN_LAYERS = 32
ARCHITECTURES = ("mlp", "dcgan")  # ganlib.models builds each
INITS = ("glorot", "he", "1/fan_in")  # Dense's named initialisations (ganlib.layers); "1/fan_in" is the original post's


def _init_check(name, value):
    if isinstance(value, str) and value in INITS:
        return value
    try:
        return real("(0, inf)", "")(name, value)
    except ValueError:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, INITS))} or a positive standard deviation, got {shown(value)}"
        ) from None


#: One rule per GANConfig field (:class:`ganlib.checks.Rule`): it checks a value and gives the
#: command line its option (``--lr-g``, ...). A new field adds its rule here (a test checks that
#: every field has one).
FIELD_RULES: dict[str, Rule] = {
    "latent_dim": whole("[1, inf)", "size of z"),
    "latent_dist": one_of("gaussian", "uniform", help="prior of z"),
    "g_hidden": widths(MAX_HIDDEN_LAYERS, "generator hidden widths, e.g. 256 512"),
    "d_hidden": widths(MAX_HIDDEN_LAYERS, "discriminator hidden widths, e.g. 512 256"),
    "architecture": one_of(*ARCHITECTURES, help="mlp (Dense layers) or dcgan (convolutions, notebook 05)"),
    "d_architecture": one_of("same", *ARCHITECTURES, help="D's: same (as --architecture), mlp or dcgan"),
    "g_channels": widths(2, "dcgan: generator channels of its 7x7 and 14x14 maps, e.g. 64 32", example="(64, 32)"),
    "d_channels": widths(2, "dcgan: discriminator channels of its 14x14 and 7x7 maps, e.g. 32 64", example="(32, 64)"),
    "leaky_slope": real("[0, 1)", "LeakyReLU slope"),
    "d_dropout": real("[0, 1)", "dropout probability in D (0 = none)"),
    "optimizer": one_of("adam", "sgd", help="the optimizer of both networks"),
    "lr_g": real("(0, inf)", "generator learning rate"),
    "lr_d": real("(0, inf)", "discriminator learning rate"),
    "beta1": real("[0, 1)", "Adam beta1"),
    "beta2": real("[0, 1)", "Adam beta2"),
    "momentum": real("[0, 1)", "SGD momentum"),
    "decay_rate": real("[0, inf)", "SGD learning-rate decay: lr / (1 + decay_rate * t)"),
    "batch_size": whole("[1, 1_000_000]", "minibatch size m"),
    "k": whole("[1, 1000]", "discriminator steps per generator step"),
    "generator_loss": one_of(*GENERATOR_LOSSES, help="the generator's loss"),
    "real_label": real("(0, 1]", "target for real images (0.9 = one-sided label smoothing)"),
    "ema_decay": real("[0, 1)", "decay of the moving average of G's weights (0 = off)"),
    "ema_bias_correction": boolean("average G's weights from step 1, not from its random initialisation"),
    "epochs": whole("[0, 1_000_000]", "passes over the data"),
    "seed": whole("[0, 18_446_744_073_709_551_616)", "random seed of the run"),  # [0, 2**64)
    "init": Rule("init", _init_check, "weights: glorot, he, 1/fan_in (the post) or a standard deviation"),
    "data_dim": whole("[1, inf)", "size of one example", cli=False),
    "g_output": one_of("tanh", "linear", help="the generator's last activation", cli=False),
    "num_classes": whole("[0, 100_000]", "number of classes of a conditional GAN", cli=False),
    "embedding_dim": whole("[0, 100_000]", "width of a conditional GAN's label embedding", cli=False),
    # The original post's deviations (POST_DEVIATIONS below; ganlib.original_post explains each):
    "loss_gradient": one_of("logit", "through_sigmoid_again", help="logit, or through_sigmoid_again (the post's bug)"),
    "g_step_updates_d": boolean("the generator's step also updates D (the post's bug)"),
    "d_split_update": boolean("D steps on the real batch, then on the fakes (the post)"),
    "latent_source": one_of("fresh", "bank", help="fresh, or bank (the post: one bank of codes reused every epoch)"),
    "momentum_style": one_of(*SGD.MOMENTUM_STYLES, help="SGD momentum: classic, or ema (the post)"),
    "lr_decay": one_of(*SGD.DECAYS, help="SGD decay: per_step, or per_epoch_compounded (the post)"),
}

#: The original blog post's deviations from Algorithm 1, the one list of them: each field and the
#: value the post's code had (Algorithm 1's is the field's default). :mod:`ganlib.original_post`
#: explains each, with the upstream file and line.
POST_DEVIATIONS = {
    "loss_gradient": "through_sigmoid_again",
    "g_step_updates_d": True,
    "d_split_update": True,
    "latent_source": "bank",
    "momentum_style": "ema",
    "lr_decay": "per_epoch_compounded",
    "init": "1/fan_in",
}
#: The four that change the training loop itself, which only
#: :class:`ganlib.original_post.OriginalPostGAN` runs (the other three are options of a layer and
#: of the optimizer).
POST_LOOP_DEVIATIONS = ("loss_gradient", "g_step_updates_d", "d_split_update", "latent_source")


def _mlp_params(widths) -> int:
    """Weights and biases of Dense layers between consecutive ``widths`` (Python ints: no overflow)."""
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(widths[:-1], widths[1:]))


def _dcgan_params(latent_dim: int, g_channels, d_channels) -> tuple[int, int]:
    """(G, D) parameter counts of :func:`ganlib.models.build_dcgan_generator` / ``_discriminator``:
    4x4 kernels (16 weights per input-output channel pair) plus a bias per output channel, and
    BatchNorm's gamma and beta per channel of G's two hidden maps."""
    (g0, g1), (d0, d1) = g_channels, d_channels
    g = (latent_dim + 1) * 49 * g0 + 2 * g0 + (16 * g0 * g1 + g1) + 2 * g1 + (16 * g1 + 1)
    d = (16 * d0 + d0) + (16 * d0 * d1 + d1) + (49 * d1 + 1)
    return g, d


@dataclass(frozen=True)
class GANConfig:
    """Everything that defines a training run. Each default is commented with why.

    Every field is checked against its rule in :data:`FIELD_RULES` when a configuration is made,
    so a configuration that exists can be built and trained. The last six fields and ``init``
    reproduce what the original blog post's code computed (:data:`POST_DEVIATIONS`;
    :mod:`ganlib.original_post`); each defaults to Algorithm 1's behaviour.
    """

    latent_dim: int = 100  # as in Goodfellow et al. (2014) and the original post
    latent_dist: str = "gaussian"  # "gaussian" N(0, I) or "uniform" U(-1, 1)^d (the original post)
    g_hidden: tuple = (256, 512)  # generator widths between z and the 784 tanh outputs
    d_hidden: tuple = (512, 256)  # discriminator widths between the image and its single logit
    architecture: str = "mlp"  # "dcgan": convolutional networks (models.build_dcgan_*), not g_hidden / d_hidden
    d_architecture: str = "same"  # D's own if it differs: "mlp" (then d_hidden is used) or "dcgan" (d_channels)
    g_channels: tuple = (64, 32)  # dcgan: G's 7x7 and 14x14 maps (Radford et al. halve channels as size doubles)
    d_channels: tuple = (32, 64)  # dcgan: D's 14x14 and 7x7 feature maps
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
    ema_bias_correction: bool = True  # average from G's first step, not its init (optim.MovingAverage)
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
        self._check_architecture()
        counts = self.parameter_counts()
        if max(counts) > MAX_NETWORK_PARAMS:
            raise ValueError(
                f"invalid GANConfig: the generator would have {counts[0]:,} parameters and the discriminator "
                f"{counts[1]:,}; each may have at most {MAX_NETWORK_PARAMS:,} (ganlib.config.MAX_NETWORK_PARAMS): "
                "choose smaller latent_dim, g_hidden or d_hidden"
            )

    def discriminator_architecture(self) -> str:
        """``"mlp"`` or ``"dcgan"``: D's architecture, ``architecture`` unless ``d_architecture`` names another."""
        return self.architecture if self.d_architecture == "same" else self.d_architecture

    def _check_architecture(self) -> None:
        """The convolutional networks draw MNIST-sized images from z alone: refuse what they cannot build."""
        archs = {"architecture": self.architecture, "d_architecture": self.discriminator_architecture()}
        convolutional = [who for who, arch in archs.items() if arch == "dcgan"]
        if not convolutional:
            if len(self.g_channels) != 2 or len(self.d_channels) != 2:
                raise ValueError("invalid GANConfig: g_channels and d_channels take two widths each, e.g. (64, 32)")
            return
        problems = []
        if self.data_dim != IMAGE_DIM:
            problems.append(f"data_dim must be {IMAGE_DIM} (28 x 28 images), got {self.data_dim}")
        if self.architecture == "dcgan" and self.g_output != "tanh":
            problems.append(f"g_output must be 'tanh', got {self.g_output!r}")
        if self.num_classes:
            problems.append("num_classes must be 0 (no conditional DCGAN yet: use MLP networks for both)")
        if len(self.g_channels) != 2 or len(self.d_channels) != 2:
            problems.append(
                f"g_channels and d_channels take two widths each, got {self.g_channels} and {self.d_channels}"
            )
        if problems:
            which = " and ".join(f"{who}='dcgan'" for who in convolutional)
            raise ValueError(f"invalid GANConfig for {which}: " + "; ".join(problems))

    def buffer_counts(self) -> tuple[int, int]:
        """(generator, discriminator) counts of non-trained state: BatchNorm's running mean and
        variance, one each per channel of a DCGAN generator's two hidden maps (none elsewhere)."""
        return (2 * sum(self.g_channels), 0) if self.architecture == "dcgan" else (0, 0)

    def state_counts(self) -> tuple[int, int]:
        """(generator, discriminator) numbers saved per network: parameters plus buffers."""
        return tuple(p + b for p, b in zip(self.parameter_counts(), self.buffer_counts()))

    def parameter_counts(self) -> tuple[int, int]:
        """(generator, discriminator) parameter counts, computed from the widths without building anything.

        A conditional network adds its label embedding (num_classes x embedding_dim) and a first
        layer that is wider by embedding_dim (or by num_classes without an embedding)."""
        g_conv, d_conv = _dcgan_params(self.latent_dim, self.g_channels, self.d_channels)
        extra_width = (self.embedding_dim or self.num_classes) if self.num_classes else 0
        embedding = self.num_classes * self.embedding_dim if self.num_classes else 0
        g_mlp = embedding + _mlp_params([self.latent_dim + extra_width, *self.g_hidden, self.data_dim])
        d_mlp = embedding + _mlp_params([self.data_dim + extra_width, *self.d_hidden, 1])
        return (
            g_conv if self.architecture == "dcgan" else g_mlp,
            d_conv if self.discriminator_architecture() == "dcgan" else d_mlp,
        )

    def post_deviations(self) -> dict:
        """The original post's deviations this configuration turns on: {field: value} (empty for Algorithm 1)."""
        defaults = GANConfig.__dataclass_fields__
        return {name: getattr(self, name) for name in POST_DEVIATIONS if getattr(self, name) != defaults[name].default}

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
    # default configuration"; notebook 04, optional sections A and B; the search: benchmarks/search_log.md).
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
    # The fixed architecture of benchmarks/speed/train.py (no tricks).
    "reference": GANConfig(g_hidden=(256, 512), d_hidden=(512, 256), leaky_slope=0.2, batch_size=128),
    # The original blog post, as its framework's code really trained it (ganlib.original_post
    # has each fact with its upstream file and line): G 100-256-784 tanh, D 784-64-1 sigmoid,
    # LeakyReLU 0.01, SGD lr 0.01 with momentum 0.9, decay 1e-4, k = 1, batch 100, uniform z,
    # 100 epochs, the non-saturating generator loss, and its seven deviations, bugs and all.
    "original_post": GANConfig(
        **POST_DEVIATIONS,
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
    ),
}
# The same set-up with every deviation switched off (the option's default, Algorithm 1):
# what the post's networks and learning rate do when trained as Algorithm 1 says. It changes
# more than the bugs: classic momentum is a ten times larger step, and Glorot's initialisation
# and the per-step decay are other choices, not fixes.
_ALGORITHM_1 = {name: GANConfig.__dataclass_fields__[name].default for name in POST_DEVIATIONS}
CONFIGS["original_post_fixed"] = CONFIGS["original_post"].replace(**_ALGORITHM_1)
# Only the three bugs fixed (the sigmoid's derivative applied twice, G's step moving D, one
# bank of codes for the whole run); the post's optimizer, schedule, initialisation and split
# D step kept: the comparison that says what the bugs alone cost.
CONFIGS["original_post_bugs_fixed"] = CONFIGS["original_post"].replace(
    loss_gradient="logit", g_step_updates_d=False, latent_source="fresh"
)


# A conditional GAN (Mirza & Osindero, 2014): the default set-up, with the digit's label
# concatenated to z and to x, as a one-hot vector that each network's first layer turns
# into a learned 50-wide embedding (embedding_dim, GANConfig's default; ganlib.condition).
# Built from the default, so that it follows it. README, "The conditional generator", has
# the measurements: the wider the embedding, the sooner the networks use the label.
# 45 epochs, not the default's 37: the label takes longer to learn than the digits. At 37
# epochs the classifier agreed with the asked-for digit on 96.8% of samples (the worst digit,
# 9, on 92.2%); at 45 on 97.4% (worst 94.1%), with the Frechet distance 4.3 -> 3.8
# (python -m benchmarks.experiments.conditional; README, "The conditional generator").
CONFIGS["conditional"] = CONFIGS["default"].replace(num_classes=10, epochs=45)

# The MLP default with a DCGAN's G (Radford et al., 2016, https://arxiv.org/abs/1511.06434; notebook 05) against
# its MLP D. Chosen at equal CPU time (docs/results.md "The DCGAN", benchmarks/results/dcgan_screen.json): the MLP's
# D beat the convolutional D (32, 64), wider, with a Dense layer, a faster rate or dropout; batch 64 beat 128; G's
# average over ~10,000 steps (0.9999) beat 0.999 (FD 11.1 at the end). 90 epochs: 45 CPU-minutes here.
CONFIGS["dcgan"] = CONFIGS["default"].replace(
    architecture="dcgan", d_architecture="mlp", batch_size=64, ema_decay=0.9999, epochs=90
)
