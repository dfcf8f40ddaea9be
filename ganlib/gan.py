r"""Training a GAN: Goodfellow et al. (2014), Algorithm 1, on top of ganlib's layers.

For each iteration:

1. ``k`` times: sample a minibatch of noise :math:`z \sim p_z` and of data
   :math:`x \sim p_{data}`; update the discriminator by descending
   :math:`L_D = -\frac1m\sum[\log D(x) + \log(1 - D(G(z)))]`.
2. Sample a *fresh* noise minibatch and update the generator by descending
   :math:`L_G` (the non-saturating :math:`-\frac1m\sum\log D(G(z))` by default,
   or the minimax :math:`\frac1m\sum\log(1 - D(G(z)))`).
   The gradient flows back *through* the discriminator, whose parameters stay
   untouched during this step.

The configuration (network sizes, optimizers, tricks) is a :class:`ganlib.config.GANConfig`;
the named ones are in :data:`ganlib.config.CONFIGS`. A few of its options reproduce what the
original blog post's framework computed instead (a second sigmoid derivative, D moved by G's
step, two D updates per iteration, one bank of latent codes); each is marked where it branches
off below and explained, with the post's code lines, in :mod:`ganlib.original_post`.

A **conditional** GAN (``config.num_classes > 0``, Mirza & Osindero 2014) runs the same
algorithm with labels: real minibatches come with their labels, fakes get labels drawn
uniformly, and both networks see the label beside their input
(:func:`ganlib.condition.concat_label`). Train with ``gan.train(X, y)``.

Usage::

    from ganlib.gan import GAN
    from ganlib.config import CONFIGS
    from ganlib.data.mnist import load_mnist, to_tanh_range
    X = to_tanh_range(load_mnist("train")[0])       # (50000, 784) float32 in [-1, 1]
    gan = GAN(CONFIGS["default"])
    history = gan.train(X, epochs=5)
    images = gan.sample(16)                          # (16, 784) float32 in [-1, 1]

    cgan = GAN(CONFIGS["conditional"])
    X, y = load_mnist("train")
    cgan.train(to_tanh_range(X), y, epochs=5)        # y: (50000,) digit labels
    threes = cgan.sample(16, digits=3)               # (16, 784): sixteen 3s
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .condition import balanced_labels, check_labels, concat_label, sample_labels, split_gradient
from .config import CONFIGS, GANConfig, build_discriminator, build_generator, sample_prior
from .layers import sigmoid
from .losses import discriminator_loss, generator_loss
from .network import Sequential
from .optim import SGD, Adam
from .original_post import discriminator_step_split, draw_latent_bank, through_sigmoid_again
from .training.progress import deferred_keyboard_interrupt, progress_bar

__all__ = ["GAN", "History", "TrainingDiverged"]


@dataclass
class History:
    """Per-iteration records of a run (lists grow as training goes on).

    ``loss_d``, ``loss_g``: the two losses; ``d_real``, ``d_fake``: mean D(x) and
    D(G(z)) over the discriminator's last minibatch. ``snapshots``: G's output
    for the fixed latent batch at ``snapshot_iterations``, as float16
    (n_fixed, data_dim) each: half the memory, plenty for display.
    """

    loss_d: list = field(default_factory=list)
    loss_g: list = field(default_factory=list)
    d_real: list = field(default_factory=list)
    d_fake: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)
    snapshot_iterations: list = field(default_factory=list)
    interrupted: bool = False

    def __len__(self) -> int:
        return len(self.loss_d)

    def arrays(self) -> dict[str, np.ndarray]:
        """The records as arrays, e.g. for plotting or saving."""
        return {
            "loss_d": np.asarray(self.loss_d, dtype=np.float64),
            "loss_g": np.asarray(self.loss_g, dtype=np.float64),
            "d_real": np.asarray(self.d_real, dtype=np.float64),
            "d_fake": np.asarray(self.d_fake, dtype=np.float64),
            "snapshots": np.asarray(self.snapshots, dtype=np.float16),
            "snapshot_iterations": np.asarray(self.snapshot_iterations, dtype=np.int64),
        }

    @classmethod
    def from_arrays(cls, arrays: dict) -> History:
        h = cls()
        for name in ("loss_d", "loss_g", "d_real", "d_fake", "snapshot_iterations"):
            getattr(h, name).extend(np.asarray(arrays[name]).tolist())
        h.snapshots.extend(np.asarray(arrays["snapshots"], dtype=np.float16))
        return h


class TrainingDiverged(RuntimeError):
    """A loss became NaN or Inf. The weights are those before the offending step."""

    def __init__(self, message: str, history: History):
        super().__init__(message)
        self.history = history


class GAN:
    """A generator G, a discriminator D, their optimizers and one random generator.

    Every random draw of a run (initial weights, latent batches, minibatch
    order, dropout masks) comes from ``self.rng``, seeded by ``config.seed``, so
    a run is reproducible and can be resumed bit for bit from a checkpoint.
    """

    def __init__(self, config: GANConfig | None = None, *, n_fixed: int = 64, **overrides):
        config = config or CONFIGS["default"]
        if overrides:
            config = config.replace(**overrides)
        self.config = config
        self.rng = np.random.default_rng(config.seed)
        self.G = build_generator(config, self.rng)
        self.D = build_discriminator(config, self.rng)
        self.opt_G, self.opt_D = self._make_optimizer(self.G, config.lr_g), self._make_optimizer(self.D, config.lr_d)
        # The fixed latent batch comes from its own stream so that showing progress
        # never changes the training run.
        self.fixed_z = self._draw_latent(np.random.default_rng([config.seed, 1]), n_fixed)
        self.fixed_y = balanced_labels(n_fixed, config.num_classes) if config.num_classes else None
        self.G_ema = build_generator(config, np.random.default_rng(0)) if config.ema_decay else None
        if self.G_ema is not None:
            self.G_ema.flat_params[...] = self.G.flat_params
            self._ema_delta = np.empty_like(self.G.flat_params)  # reused every step: no allocation
        self.latent_bank = None  # latent_source="bank" only: drawn at the first train() (original_post)
        self.epoch = 0  # completed epochs
        self.iteration = 0  # completed iterations (one G step each)
        self.history = History()

    # -- building blocks ----------------------------------------------------------------
    def _make_optimizer(self, net, lr):
        c = self.config
        if c.optimizer == "adam":
            return Adam(net, lr=lr, beta1=c.beta1, beta2=c.beta2)
        return SGD(
            net, lr=lr, momentum=c.momentum, decay_rate=c.decay_rate, momentum_style=c.momentum_style, decay=c.lr_decay
        )

    def _draw_latent(self, rng, n: int) -> np.ndarray:
        return sample_prior(rng, (n, self.config.latent_dim), self.config.latent_dist)

    def sample_latent(self, n: int) -> np.ndarray:
        """n latent vectors z ~ p_z, shape (n, latent_dim), float32, drawn from the run's generator."""
        return self._draw_latent(self.rng, n)

    def sample_labels(self, n: int) -> np.ndarray | None:
        """n labels (n,) for fakes, uniform over the classes, from the run's generator; None (and
        nothing drawn) for an unconditional GAN."""
        return sample_labels(self.rng, n, self.config.num_classes) if self.config.num_classes else None

    def _with_label(self, a: np.ndarray, y) -> np.ndarray:
        """A network's input: ``a`` (N, D) itself, or ``[a, one_hot(y)]`` (N, D + C) if conditional."""
        return concat_label(a, y, self.config.num_classes)

    @property
    def sampler(self) -> Sequential:
        """The generator used for samples: the EMA of G's weights if enabled, else G itself."""
        return self.G_ema if self.G_ema is not None else self.G

    def generate(self, z: np.ndarray, y=None) -> np.ndarray:
        """Samples for given latents: z (N, latent_dim) -> (N, data_dim) float32 (images in [-1, 1]).

        A conditional GAN needs the labels too, ``y`` (N,) integers in [0, num_classes)."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.config.latent_dim:
            raise ValueError(f"z must have shape (N, {self.config.latent_dim}), got {z.shape}")
        if not np.all(np.isfinite(z)):
            raise ValueError("z contains NaN or Inf: the generator would only return NaN images")
        return self.sampler.forward(self._with_label(z, y))

    def sample(self, n: int, rng=None, digits=None) -> np.ndarray:
        """n new samples (n, data_dim), e.g. images in [-1, 1]. Uses ``rng`` (default: a fresh one) so that
        sampling does not disturb the training run's random stream.

        Conditional GAN only: ``digits`` is one label for all n, or (n,) labels; None gives every
        class equally often, in the order 0, 1, ..., C-1, 0, 1, ... (:func:`~ganlib.condition.balanced_labels`).
        """
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be a whole number >= 0, got {n!r}")
        rng = np.random.default_rng(rng)
        c = self.config.num_classes
        if digits is not None and not c:
            raise ValueError("this GAN is unconditional (num_classes = 0): it cannot be asked for a digit")
        y = None
        if c:
            y = balanced_labels(n, c) if digits is None else np.full(n, digits) if np.ndim(digits) == 0 else digits
            y = check_labels(y, n, c)
        parts = [self.generate(self._draw_latent(rng, min(1000, n - i)), _rows(y, i, 1000)) for i in range(0, n, 1000)]
        return np.concatenate(parts) if parts else np.zeros((0, self.config.data_dim), dtype=np.float32)

    # -- Algorithm 1 ---------------------------------------------------------------------
    def discriminator_step(
        self, x_real: np.ndarray, y_real=None, *, z: np.ndarray | None = None
    ) -> tuple[float, float, float]:
        """One update of D on a real minibatch (m, 784) and m fakes G(z), z fresh unless given (m, latent_dim).

        A conditional GAN also takes the real labels ``y_real`` (m,); the fakes get labels
        drawn uniformly. Returns (loss_d, mean D(x), mean D(G(z))). The step is skipped (and
        ``TrainingDiverged`` raised by ``train``) when the loss is not finite.
        """
        m = len(x_real)
        y_fake = self.sample_labels(m)  # None for an unconditional GAN
        z = self.sample_latent(m) if z is None else z
        if self.config.d_split_update:  # the original post: a step on the reals, then one on the fakes
            return discriminator_step_split(self, x_real, z, y_real, y_fake)
        x_fake = self.G.forward(self._with_label(z, y_fake))
        # Real and fake go through D as one batch of 2m rows: one larger matrix
        # product is faster than two small ones, and the result is the same.
        y = None if y_fake is None else np.concatenate([check_labels(y_real, m, self.config.num_classes), y_fake])
        logits = self.D.forward(self._with_label(np.concatenate([x_real, x_fake]), y))
        loss, d_real, d_fake = discriminator_loss(logits[:m], logits[m:], self.config.real_label)
        if np.isfinite(loss):
            dlogits = self.logit_gradient(logits, np.concatenate([d_real, d_fake]))
            self.D.backward(dlogits, need_dx=False)  # no one needs dL/dx here
            self.opt_D.step()
        return loss, float(sigmoid(logits[:m]).mean()), float(sigmoid(logits[m:]).mean())

    def generator_step(self, m: int, z: np.ndarray | None = None) -> float:
        """One update of G through a frozen D, on m latents z (fresh unless given; and labels, if
        conditional). Returns loss_g."""
        y = self.sample_labels(m)  # None for an unconditional GAN
        x_fake = self.G.forward(self._with_label(self.sample_latent(m) if z is None else z, y))
        logits = self.D.forward(self._with_label(x_fake, y))
        loss, dlogits = generator_loss(logits, self.config.generator_loss)
        if np.isfinite(loss):
            dlogits = self.logit_gradient(logits, dlogits)
            if self.config.g_step_updates_d:
                # The original post's bug: D's layers, shared with G's step, take this step
                # too, descending G's loss. D's gradients and dx are computed together, at
                # D's weights before its update, as in the post.
                d_input = self.D.backward(dlogits)
                self.opt_D.step()
            else:
                # D passes the gradient on to G but computes no gradients for itself:
                # its parameters, gradients and optimizer state stay exactly as they were.
                d_input = self.D.backward(dlogits, need_param_grads=False)  # (m, data_dim [+ num_classes])
            # G made only the image: its part of the gradient goes on; the label's part is unused.
            dx_fake, _ = split_gradient(d_input, self.config.data_dim)
            self.G.backward(dx_fake, need_dx=False)
            self.opt_G.step()
            self._update_ema()
        return loss

    def logit_gradient(self, logits: np.ndarray, dlogits: np.ndarray) -> np.ndarray:
        """The gradient that goes back into D's logits (N, 1): the loss's own ``dlogits``, or,
        with ``loss_gradient="through_sigmoid_again"``, the original post's bug: ``dlogits``
        times the sigmoid's derivative once more (:func:`ganlib.original_post.through_sigmoid_again`)."""
        if self.config.loss_gradient == "through_sigmoid_again":
            return through_sigmoid_again(logits, dlogits)
        return dlogits

    def _update_ema(self) -> None:
        r""":math:`\bar\theta \leftarrow \bar\theta + (1 - \beta_t)(\theta - \bar\theta)`, in place.

        With a constant :math:`\beta_t = \beta` the average starts at G's random initialisation
        and keeps :math:`\beta^t` of it after t steps (37% after 1,000 steps at 0.999): early
        samples look grey. With ``ema_bias_correction`` (the default) the rate is

        .. math:: \beta_t = \beta \, \frac{1 - \beta^{t}}{1 - \beta^{t+1}}, \qquad t = \text{G steps averaged before},

        which keeps :math:`\bar\theta` equal to Adam's bias-corrected average of G's weights
        after each step, :math:`\sum_{s \le t} \beta^{t-s} \theta_s / \sum_{s \le t} \beta^{t-s}`:
        the initialisation gets no weight (:math:`\beta_0 = 0` copies G), and
        :math:`\beta_t \to \beta` within a few thousand steps.
        """
        if self.G_ema is None:
            return
        beta = self.config.ema_decay
        if self.config.ema_bias_correction:
            t = self.opt_G.t - 1  # this step's G update is already done; t earlier ones are averaged
            beta = beta * (1.0 - beta**t) / (1.0 - beta ** (t + 1))
        delta = np.subtract(self.G.flat_params, self.G_ema.flat_params, out=self._ema_delta)
        delta *= 1.0 - beta
        self.G_ema.flat_params += delta

    def train_iteration(
        self, batches, labels=None, *, z: np.ndarray | None = None
    ) -> tuple[float, float, float, float]:
        """k discriminator steps (one real minibatch each, with its labels if conditional), then one generator step.

        Each step draws fresh latents, unless ``z`` (m, latent_dim) is given: then every
        step of the iteration uses it, as the original post did with its bank of codes.
        """
        for x_real, y_real in zip(batches, labels or [None] * len(batches)):
            loss_d, d_real, d_fake = self.discriminator_step(x_real, y_real, z=z)
            if not np.isfinite(loss_d):
                break
        loss_g = self.generator_step(len(batches[0]), z) if np.isfinite(loss_d) else float("nan")
        if np.isfinite(loss_d) and np.isfinite(loss_g):
            self.iteration += 1  # a diverged iteration changed nothing, so it does not count
        return loss_d, loss_g, d_real, d_fake

    def train(
        self,
        X: np.ndarray,
        y=None,
        *,
        epochs: int | None = None,
        progress: bool = True,
        snapshot_every: int | None = None,
        callback=None,
        callback_every: int = 100,
    ) -> History:
        """Train for ``epochs`` more epochs (default ``config.epochs``) on X (N, 784) float32 in [-1, 1].

        A conditional GAN also needs the labels ``y`` (N,), integers in [0, num_classes);
        an unconditional one takes none.

        ``snapshot_every``: iterations between snapshots of the fixed latent batch
        (default: one per epoch). ``callback(gan)`` runs every ``callback_every``
        iterations and at the end of each epoch (e.g. a live plot).
        Ctrl-C (or a notebook interrupt) stops after the current iteration,
        leaving the model consistent, and returns the history so far with
        ``history.interrupted = True``. A non-finite loss raises
        :class:`TrainingDiverged` before the offending update is applied.
        """
        X = self._check_data(X)
        y = self._check_labels(y, len(X))
        epochs = self.config.epochs if epochs is None else int(epochs)
        m, k = self.config.batch_size, self.config.k
        per_epoch = len(X) // (m * k)
        if per_epoch == 0:
            raise ValueError(f"need at least batch_size * k = {m * k} training examples, got {len(X)}")
        snapshot_every = snapshot_every or per_epoch
        if self.config.latent_source == "bank":
            self._ensure_latent_bank(per_epoch * m)
        if not self.history.snapshots:
            self._snapshot()
        bar = progress_bar(epochs * per_epoch, progress, unit="it", smoothing=0.1)
        self.history.interrupted = False
        with deferred_keyboard_interrupt() as interrupted:
            for _ in range(epochs):
                order = self.rng.permutation(len(X))
                for i in range(per_epoch):
                    idx = order[i * m * k : (i + 1) * m * k]
                    rows = [np.sort(idx[j * m : (j + 1) * m]) for j in range(k)]
                    labels = None if y is None else [y[r] for r in rows]
                    # The original post's bank: iteration i of every epoch reuses the same codes.
                    z = self.latent_bank[i * m : (i + 1) * m] if self.latent_bank is not None else None
                    self._record(*self.train_iteration([X[r] for r in rows], labels, z=z))
                    if self.iteration % snapshot_every == 0:
                        self._snapshot()
                    if callback is not None and self.iteration % callback_every == 0:
                        callback(self)
                    bar.update(1)
                    if self.iteration % 50 == 0:
                        bar.set_postfix(
                            loss_d=f"{self.history.loss_d[-1]:.3f}", loss_g=f"{self.history.loss_g[-1]:.3f}"
                        )
                    if interrupted():
                        self.history.interrupted = True
                        bar.close()
                        return self.history
                self.epoch += 1
                self.opt_G.end_epoch()  # only the original post's per-epoch decay reads this
                self.opt_D.end_epoch()
                if callback is not None:
                    callback(self)
        bar.close()
        return self.history

    def _ensure_latent_bank(self, rows: int) -> None:
        """Draw the bank of ``rows`` codes once; later calls check that the data still fits it."""
        if self.latent_bank is None:
            self.latent_bank = draw_latent_bank(self.config, rows)
        elif len(self.latent_bank) != rows:
            raise ValueError(
                f"this run's bank holds {len(self.latent_bank)} latent codes, one per example of an epoch, "
                f"but this data gives epochs of {rows}; train on data of the same size"
            )

    def _record(self, loss_d, loss_g, d_real, d_fake) -> None:
        if not (np.isfinite(loss_d) and np.isfinite(loss_g)):
            raise TrainingDiverged(
                f"training diverged at iteration {self.iteration}: loss_d={loss_d}, loss_g={loss_g}. "
                "The weights are those before this step. Try a smaller learning rate, "
                "check the data for NaN, or resume from the last checkpoint.",
                self.history,
            )
        h = self.history
        h.loss_d.append(float(loss_d))
        h.loss_g.append(float(loss_g))  # noqa: E702
        h.d_real.append(d_real)
        h.d_fake.append(d_fake)  # noqa: E702

    def _snapshot(self) -> None:
        self.history.snapshots.append(self.generate(self.fixed_z, self.fixed_y).astype(np.float16))
        self.history.snapshot_iterations.append(self.iteration)

    def _check_data(self, X) -> np.ndarray:
        d = self.config.data_dim
        if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] != d:
            raise ValueError(
                f"X must be an array of shape (N, {d}), got {getattr(X, 'shape', type(X).__name__)}; "
                "for MNIST use ganlib.data.mnist.to_tanh_range(load_mnist('train')[0])"
            )
        if X.dtype != np.float32:
            raise ValueError(f"X must be float32 (got {X.dtype}); for MNIST use ganlib.data.mnist.to_tanh_range")
        if not np.all(np.isfinite(X)):
            raise ValueError("X contains NaN or Inf; clean the data before training")
        if self.config.g_output == "tanh" and (X.min() < -1.0 or X.max() > 1.0):
            raise ValueError("X must lie in [-1, 1], the range of the generator's tanh output")
        return X

    def _check_labels(self, y, n: int) -> np.ndarray | None:
        c = self.config.num_classes
        if not c:
            if y is not None:
                raise ValueError(
                    "this GAN is unconditional (num_classes = 0) and takes no labels; for a conditional GAN "
                    "use CONFIGS['conditional'] (and pass epochs by keyword: train(X, epochs=5))"
                )
            return None
        if y is None:
            raise ValueError(f"this GAN is conditional ({c} classes): train(X, y) needs the labels y, shape ({n},)")
        return check_labels(y, n, c)


def _rows(y, start: int, size: int):
    """``y[start:start + size]``, or None when there are no labels."""
    return None if y is None else y[start : start + size]
