r"""Training a GAN: Goodfellow et al. (2014), Algorithm 1, on top of ganlib's layers.

Paper: https://arxiv.org/abs/1406.2661. For each iteration:

1. ``k`` times: sample a minibatch of noise :math:`z \sim p_z` and of data
   :math:`x \sim p_{data}`; update the discriminator by descending
   :math:`L_D = -\frac1m\sum[\log D(x) + \log(1 - D(G(z)))]`.
2. Sample a *fresh* noise minibatch and update the generator by descending
   :math:`L_G` (the non-saturating :math:`-\frac1m\sum\log D(G(z))` by default,
   or the minimax :math:`\frac1m\sum\log(1 - D(G(z)))`).
   The gradient flows back *through* the discriminator, whose parameters stay
   untouched during this step.

:meth:`GAN.discriminator_step` is step 1, :meth:`GAN.generator_step` step 2,
:meth:`GAN.train_iteration` one iteration and :meth:`GAN.train` the loop over epochs.
The configuration (network sizes, optimizers, tricks) is a :class:`ganlib.config.GANConfig`;
the named ones are in :data:`ganlib.config.CONFIGS`. What the original blog post's code
computed instead is a subclass, :class:`ganlib.original_post.OriginalPostGAN`.

A **conditional** GAN (``config.num_classes > 0``, Mirza & Osindero 2014) runs the same
algorithm with labels: real minibatches come with their labels, fakes get labels drawn
uniformly, and both networks see the label beside their input
(:func:`ganlib.condition.concat_label`). Train with ``gan.train(X, y)``.

Usage::

    from ganlib.gan import GAN
    from ganlib.config import CONFIGS
    from ganlib.data import load_mnist, to_tanh_range
    X = to_tanh_range(load_mnist("train")[0])       # (50000, 784) float32 in [-1, 1]
    gan = GAN(CONFIGS["default"])
    history = gan.train(X, epochs=5)                 # silent; ganlib.training.fit adds a progress bar
    images = gan.sample(16)                          # (16, 784) float32 in [-1, 1]

    cgan = GAN(CONFIGS["conditional"])
    X, y = load_mnist("train")
    cgan.train(to_tanh_range(X), y, epochs=5)        # y: (50000,) digit labels
    threes = cgan.sample(16, digits=3)               # (16, 784): sixteen 3s
"""

from __future__ import annotations

import numpy as np

from .batches import minibatches
from .checks import check_whole
from .condition import balanced_labels, check_labels, concat_label, sample_labels, split_gradient
from .config import CONFIGS, POST_LOOP_DEVIATIONS, GANConfig
from .history import History, StopTraining, TrainingDiverged
from .layers import sigmoid
from .losses import discriminator_loss, generator_loss
from .models import build_discriminator, build_generator, sample_prior
from .network import Sequential
from .optim import SGD, Adam, MovingAverage

__all__ = ["GAN", "History", "StopTraining", "TrainingDiverged", "iter_samples"]


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
        self._check_algorithm(config)
        self.config = config
        self.rng = np.random.default_rng(config.seed)
        self.G = build_generator(config, self.rng)
        self.D = build_discriminator(config, self.rng)
        self.opt_G, self.opt_D = self._make_optimizer(self.G, config.lr_g), self._make_optimizer(self.D, config.lr_d)
        # The fixed latent batch comes from its own stream so that showing progress
        # never changes the training run.
        self.fixed_z = self._draw_latent(np.random.default_rng([config.seed, 1]), n_fixed)
        self.fixed_y = balanced_labels(n_fixed, config.num_classes) if config.num_classes else None
        self.G_ema, self.ema = None, None  # the moving average of G's weights, if the configuration keeps one
        if config.ema_decay:
            self.G_ema = build_generator(config, np.random.default_rng(0)).eval()  # it only ever samples
            self.ema = MovingAverage(self.G, self.G_ema, config.ema_decay, bias_correction=config.ema_bias_correction)
        self.epoch = 0  # completed epochs
        self.iteration = 0  # completed iterations (one G step each)
        self.history = History()

    def _check_algorithm(self, config: GANConfig) -> None:
        """This class runs Algorithm 1 only; the original post's variants of the loop are a subclass's."""
        changed = sorted(name for name in POST_LOOP_DEVIATIONS if name in config.post_deviations())
        if changed:
            raise ValueError(
                f"this configuration turns on the original post's deviations {changed}, which GAN does not "
                "run (it is Algorithm 1); use ganlib.original_post.OriginalPostGAN, or make_gan(config) "
                "from that module, which picks the class"
            )

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
        """The generator used for samples: the moving average of G's weights if kept, else G itself."""
        return self.G_ema if self.G_ema is not None else self.G

    def generate(self, z: np.ndarray, y=None) -> np.ndarray:
        """Samples for given latents: z (N, latent_dim) -> (N, data_dim) float32 (images in [-1, 1]).

        A conditional GAN needs the labels too, ``y`` (N,) integers in [0, num_classes)."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.config.latent_dim:
            raise ValueError(f"z must have shape (N, {self.config.latent_dim}), got {z.shape}")
        if not np.all(np.isfinite(z)):
            raise ValueError("z contains NaN or Inf: the generator would only return NaN images")
        with self.sampler.evaluating():  # BatchNorm's running statistics, not this batch's
            return self.sampler.forward(self._with_label(z, y))

    def sample(self, n: int, rng=None, digits=None) -> np.ndarray:
        """n new samples (n, data_dim), e.g. images in [-1, 1]. Uses ``rng`` (default: a fresh one) so that
        sampling does not disturb the training run's random stream.

        Conditional GAN only: ``digits`` is one label for all n, or (n,) labels; None gives every
        class equally often, in the order 0, 1, ..., C-1, 0, 1, ... (:func:`~ganlib.condition.balanced_labels`).
        """
        n = check_whole(n, "n")
        c = self.config.num_classes
        if digits is not None and not c:
            raise ValueError("this GAN is unconditional (num_classes = 0): it cannot be asked for a digit")
        y = None
        if c:
            y = balanced_labels(n, c) if digits is None else np.full(n, digits) if np.ndim(digits) == 0 else digits
            y = check_labels(y, n, c)
        with self.sampler.evaluating():
            parts = list(iter_samples(self.sampler, self.config, n, np.random.default_rng(rng), labels=y))
        return np.concatenate(parts) if parts else np.zeros((0, self.config.data_dim), dtype=np.float32)

    # -- Algorithm 1 ---------------------------------------------------------------------
    def discriminator_step(self, x_real: np.ndarray, y_real=None) -> tuple[float, float, float]:
        """One update of D on a real minibatch (m, 784) and m fakes G(z), z fresh (m, latent_dim).

        A conditional GAN also takes the real labels ``y_real`` (m,); the fakes get labels
        drawn uniformly. Returns (loss_d, mean D(x), mean D(G(z))). The step is skipped (and
        ``TrainingDiverged`` raised by ``train``) when the loss is not finite.
        """
        m = len(x_real)
        y_fake = self.sample_labels(m)  # None for an unconditional GAN
        x_fake = self.G.forward(self._with_label(self.sample_latent(m), y_fake))
        # Real and fake go through D as one batch of 2m rows: one larger matrix
        # product is faster than two small ones, and the result is the same.
        y = None if y_fake is None else np.concatenate([check_labels(y_real, m, self.config.num_classes), y_fake])
        logits = self.D.forward(self._with_label(np.concatenate([x_real, x_fake]), y))  # (2m, 1)
        loss, dlogits_real, dlogits_fake = discriminator_loss(logits[:m], logits[m:], self.config.real_label)
        if np.isfinite(loss):
            self.D.backward(np.concatenate([dlogits_real, dlogits_fake]), need_dx=False)  # no one needs dL/dx here
            self.opt_D.step()
        return loss, float(sigmoid(logits[:m]).mean()), float(sigmoid(logits[m:]).mean())

    def generator_step(self, m: int) -> float:
        """One update of G through a frozen D, on m fresh latents z (and labels, if conditional). Returns loss_g."""
        y = self.sample_labels(m)  # None for an unconditional GAN
        x_fake = self.G.forward(self._with_label(self.sample_latent(m), y))
        logits = self.D.forward(self._with_label(x_fake, y))
        loss, dlogits = generator_loss(logits, self.config.generator_loss)
        if np.isfinite(loss):
            # D passes the gradient on to G but computes no gradients for itself:
            # its parameters, gradients and optimizer state stay exactly as they were.
            d_input = self.D.backward(dlogits, need_param_grads=False)  # (m, data_dim [+ num_classes])
            # G made only the image: its part of the gradient goes on; the label's part is unused.
            dx_fake, _ = split_gradient(d_input, self.config.data_dim)
            self.G.backward(dx_fake, need_dx=False)
            self.opt_G.step()
            if self.ema is not None:
                self.ema.update()
        return loss

    def train_iteration(self, batches, labels=None) -> tuple[float, float, float, float]:
        """k discriminator steps (one real minibatch each, with its labels if conditional), then one generator step.

        Returns (loss_d, loss_g, mean D(x), mean D(G(z))) of the last discriminator step and the generator step.
        """
        for x_real, y_real in zip(batches, labels or [None] * len(batches)):
            loss_d, d_real, d_fake = self.discriminator_step(x_real, y_real)
            if not np.isfinite(loss_d):
                break
        loss_g = self.generator_step(len(batches[0])) if np.isfinite(loss_d) else float("nan")
        if np.isfinite(loss_d) and np.isfinite(loss_g):
            self.iteration += 1  # a diverged iteration changed nothing, so it does not count
        return loss_d, loss_g, d_real, d_fake

    def epoch_minibatches(self, n: int) -> list[list[np.ndarray]]:
        """One epoch's iterations over n examples: for each, k index arrays of batch_size rows.

        A new permutation every epoch from the run's generator (:func:`ganlib.batches.minibatches`);
        the examples left over when n is not a multiple of batch_size * k wait for the next epoch's
        permutation."""
        m, k = self.config.batch_size, self.config.k
        batches = minibatches(self.rng, n, m, drop_last=True, sort=True)
        return [batches[i * k : (i + 1) * k] for i in range(len(batches) // k)]

    def train(
        self,
        X: np.ndarray,
        y=None,
        *,
        epochs: int | None = None,
        snapshot_every=None,
        callback=None,
        callback_every=100,
    ) -> History:
        """Train for ``epochs`` more epochs (default ``config.epochs``) on X (N, 784) float32 in [-1, 1].

        A conditional GAN also needs the labels ``y`` (N,), integers in [0, num_classes);
        an unconditional one takes none.

        ``snapshot_every``: iterations between snapshots of the fixed latent batch
        (default: one per epoch). ``callback(gan)`` runs every ``callback_every``
        iterations and at the end of each epoch (e.g. a live plot); it may raise
        :class:`StopTraining` to stop there, which returns the history so far with
        ``history.interrupted = True``. A non-finite loss raises :class:`TrainingDiverged`
        before the offending update is applied. :func:`ganlib.training.fit` runs this with a
        progress bar and a Ctrl-C that stops at the next safe moment.
        """
        X, y = self._check_data(X), self._check_labels(y, len(X))
        epochs = self.config.epochs if epochs is None else check_whole(epochs, "epochs")
        callback_every = check_whole(callback_every, "callback_every", 1)
        m, k = self.config.batch_size, self.config.k
        if len(X) < m * k:
            raise ValueError(f"need at least batch_size * k = {m * k} training examples, got {len(X)}")
        snapshot_every = snapshot_every or len(X) // (m * k)
        if not self.history.snapshots:
            self._snapshot()
        self.history.interrupted = False
        try:
            for _ in range(epochs):
                for rows in self.epoch_minibatches(len(X)):
                    labels = None if y is None else [y[r] for r in rows]
                    self._record(*self.train_iteration([X[r] for r in rows], labels))
                    if self.iteration % snapshot_every == 0:
                        self._snapshot()
                    if callback is not None and self.iteration % callback_every == 0:
                        callback(self)
                self.epoch += 1
                self.opt_G.end_epoch()  # only SGD's per-epoch decay (the original post's) reads this
                self.opt_D.end_epoch()
                if callback is not None:
                    callback(self)
        except StopTraining:
            self.history.interrupted = True
        return self.history

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
        h.loss_g.append(float(loss_g))
        h.d_real.append(d_real)
        h.d_fake.append(d_fake)

    def _snapshot(self) -> None:
        self.history.snapshots.append(self.generate(self.fixed_z, self.fixed_y).astype(np.float16))
        self.history.snapshot_iterations.append(self.iteration)

    def _check_data(self, X) -> np.ndarray:
        d = self.config.data_dim
        if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] != d:
            raise ValueError(
                f"X must be an array of shape (N, {d}), got {getattr(X, 'shape', type(X).__name__)}; "
                "for MNIST use ganlib.data.to_tanh_range(load_mnist('train')[0])"
            )
        if X.dtype != np.float32:
            raise ValueError(f"X must be float32 (got {X.dtype}); for MNIST use ganlib.data.to_tanh_range")
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


def iter_samples(G: Sequential, config: GANConfig, n: int, rng: np.random.Generator, labels=None, chunk: int = 1000):
    """n samples of G, ``chunk`` rows at a time: the one place ganlib draws many samples.

    z comes from the prior of ``config`` (``latent_dim``, ``latent_dist``), each chunk's codes
    drawn from ``rng`` just before it is generated, so the result equals drawing all n at once
    while memory stays at one chunk. A conditional G (``config.num_classes > 0``) needs
    ``labels`` (n,); they are used in order. Yields float32 arrays (rows, data_dim).
    """
    n, chunk = check_whole(n, "n"), check_whole(chunk, "chunk", 1)
    for start in range(0, n, chunk):
        z = sample_prior(rng, (min(chunk, n - start), config.latent_dim), config.latent_dist)
        y = None if labels is None else labels[start : start + len(z)]
        yield G.forward(concat_label(z, y, config.num_classes))
