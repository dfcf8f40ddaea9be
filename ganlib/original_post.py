r"""What the original blog post's framework really computed, as explicit alternatives to Algorithm 1.

The post that started this series describes the minimax objective of Goodfellow et al. (2014),
but it trained with its own NumPy framework, whose code differs from the description. These
are the facts, read from the framework at zhoubaohang/deep-learning-notes, commit 284111b
(:data:`UPSTREAM`, folder ``Deep Neural Network/nn/``; :func:`permalink` gives the link to
the lines). Each is an option of :class:`ganlib.config.GANConfig`, off by default;
``CONFIGS["original_post"]`` turns them all on.

1. **The generator loss** (``generator_loss="non_saturating"``). It prints
   :math:`-\frac1m\sum\log D(G(z))` (gan.py 81-83) and sends ``Dz - 1.`` (gan.py 126), the
   gradient of that loss with respect to the logit: the non-saturating loss, not the minimax
   :math:`\log(1 - D(G(z)))` of its text. Not a bug; the text and the code just differ.

2. **The sigmoid's derivative, twice** (``loss_gradient="through_sigmoid_again"``).
   ``Dx - 1.``, ``Dz`` and ``Dz - 1.`` (gan.py 109, 112, 126) are :math:`\sigma(s) - t`,
   the cross-entropy's gradient with respect to the *logit* s. But the networks end in
   ``Activation('sigmoid')``, whose backward multiplies by :math:`\sigma(s)(1 - \sigma(s))`
   once more (utils.py 35-42, 58-69). The logit receives

   .. math::
       (\sigma(s) - t)\,\sigma(s)\,(1 - \sigma(s)) = \frac{\partial}{\partial s}\,\tfrac12\big(\sigma(s) - t\big)^2,

   the gradient of a squared error on D's probability (:func:`half_squared_error`): D and
   G trained on a least-squares loss through a sigmoid, not on the cross-entropy they
   printed. Its size is at most 4/27 (at D = 1/3 or 2/3 from the target) and vanishes as
   D becomes confident either way: a fake that D rejects (D -> 0) gives G a gradient of
   about -D, as small as the minimax loss's, so the non-saturating loss saturates again.

3. **The generator's step moves D too** (``g_step_updates_d=True``). G's gradient goes back
   through ``Discriminator(layers=self.discriminator.layers.copy())`` (gan.py 125-126), a new
   list holding the *same* layer objects, and every ``Dense.backward`` updates its own weights
   (layers.py 93-109). So D takes a third step per iteration, descending G's loss: it learns
   to call the fakes real. Each layer computes the gradient it passes down *before* its own
   update (layers.py 98 before 106-107), so G still receives the gradient at D's weights of
   that moment. With item 2, D's two steps on the same fakes have logit-gradients
   :math:`D^2(1-D)` (target 0) and :math:`-D(1-D)^2` (target 1), whose sum
   :math:`D(1-D)(2D-1)` vanishes at D = 1/2 and pulls D(G(z)) back to 1/2 from either side
   (without item 2 the sum is :math:`2D - 1`: the same fixed point). D's training signal on
   fakes cancels out: it learns only to call real images real.

4. **Two discriminator updates per iteration** (``d_split_update=True``). The D step is
   ``forward(x); backward(Dx - 1.)``, then ``forward(G(z)); backward(Dz)`` (gan.py 108-112):
   since the layers update themselves in backward, D takes one step on the real batch, then
   one on the fakes, which it sees with the weights of the first step. Algorithm 1 takes one
   step on the sum of the two losses.

5. **One bank of latent codes** (``latent_source="bank"``). ``Z = uniform(-1, 1, (100, m))``
   is drawn once before training, m = the 50,000 training images (gan.py 88-89), and batch j
   of *every* epoch uses its columns ``j*B:(j+1)*B`` (gan.py 105, 118), for the D step and
   the G step alike. The generator sees only those 50,000 codes, each at the same place of
   every epoch. (With k > 1 it would also repeat the same real batch k times, gan.py
   104-106; the post used k = 1.)

6. **Momentum as an exponential average** (``momentum_style="ema"``). The layers' optimizer
   ``'momentem'`` computes ``v = 0.9 v + 0.1 dW`` (optimizer.py 18-22, beta1 = 0.9 from
   layers.py 57) and the layer steps ``W -= lr * v`` (layers.py 104-107), with ``dW`` the
   batch mean (layers.py 100-102). From v = 0 that is exactly 0.1 times the classic
   velocity ``v = 0.9 v + dW``: classic momentum with a learning rate ten times smaller.
   Andrew Ng's course writes momentum this way; it is a convention, not a bug, but it
   matters when the learning rate is copied from elsewhere.

7. **Learning-rate decay, once per epoch and compounded** (``lr_decay="per_epoch_compounded"``).
   After epoch i (gan.py 131) the rate becomes ``1 / (1 + decay_rate * i) * learning_rate``
   (model.py 36-41), the *current* rate, and the new rate reaches both networks (gan.py
   142-146). After 100 epochs with decay_rate 1e-4 it is 0.01 / 1.654 = 0.0060; the formula
   read as in its docstring ("t - the iteration number", model.py 39), per step and not
   compounded, would leave 0.01 / 6 after 50,000 steps.

8. **Initial weights** (``init="1/fan_in"``): ``randn(out, in) * 1. / in`` and zero biases
   (layers.py 79-80), a standard deviation of 1/784 for D's first layer, about 38 times
   below Glorot's. Both networks start almost constant: D(x) = 1/2 and G(z) = 0 (grey).

Everything else is the post's set-up: G 100-256-784 with a tanh output, D 784-64-1 with a
sigmoid, LeakyReLU slope 0.01 (the post's own script, ``GAN/main.py`` 18-26), learning
rate 0.01 for both, decay 1e-4, k = 1, batch 100, 100 epochs (``GAN/main.py`` 29, 32),
50,000 training images in [-1, 1] shuffled each epoch (``GAN/main.py`` 14-16, gan.py 97).
Gradients are batch means in both codes. The post's framework computed in float64; ganlib
trains in float32.

:data:`ganlib.config.POST_DEVIATIONS` is the list of these settings with the post's values.
Items 6-8 are options of the optimizer (:class:`ganlib.optim.SGD`) and of the layers
(:class:`ganlib.layers.Dense`); items 2-5 change the training loop itself, so they live
here, in :class:`OriginalPostGAN`, a subclass of :class:`ganlib.gan.GAN` that overrides its
steps, and :class:`~ganlib.gan.GAN` itself stays Algorithm 1. :func:`make_gan` picks the
class a configuration needs.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .condition import check_labels, split_gradient
from .config import POST_LOOP_DEVIATIONS, GANConfig
from .gan import GAN
from .layers import sigmoid
from .losses import bce_with_logits, generator_loss
from .models import sample_prior

__all__ = [
    "UPSTREAM",
    "OriginalPostGAN",
    "draw_latent_bank",
    "half_squared_error",
    "make_gan",
    "permalink",
    "through_sigmoid_again",
]

UPSTREAM = "zhoubaohang/deep-learning-notes@284111b32f02c2a9677d23937f773d797cd7b620"


def permalink(file: str, start: int, end: int | None = None) -> str:
    """The GitHub link to lines ``start``-``end`` of ``file`` (e.g. ``"nn/gan.py"``) of
    the post's framework, folder ``Deep Neural Network``, at the commit :data:`UPSTREAM`."""
    repo, commit = UPSTREAM.split("@")
    lines = f"L{start}" + (f"-L{end}" if end is not None and end != start else "")
    return f"https://github.com/{repo}/blob/{commit}/Deep%20Neural%20Network/{file}#{lines}"


def make_gan(config: GANConfig, **kwargs) -> GAN:
    """A :class:`~ganlib.gan.GAN` for ``config``, or an :class:`OriginalPostGAN` if it turns on
    one of the post's changes to the training loop (``ganlib.config.POST_LOOP_DEVIATIONS``)."""
    if any(name in config.post_deviations() for name in POST_LOOP_DEVIATIONS):
        return OriginalPostGAN(config, **kwargs)
    return GAN(config, **kwargs)


def through_sigmoid_again(logits: np.ndarray, dlogits: np.ndarray) -> np.ndarray:
    r"""The post's bug: a logit-gradient multiplied by the sigmoid's derivative once more.

    ``logits`` s and ``dlogits`` :math:`\partial L/\partial s` of shape (N, 1); returns
    ``dlogits`` times :math:`\sigma(s)(1 - \sigma(s))`, same shape. For the cross-entropy's
    :math:`(\sigma(s) - t)/N` this is :math:`(D - t)\,D(1 - D)/N`, the gradient of
    :func:`half_squared_error`.
    """
    d = sigmoid(logits)
    return dlogits * d * (1 - d)


def half_squared_error(logits: np.ndarray, target: float) -> tuple[float, np.ndarray]:
    r"""The loss the post really descended: :math:`\frac1N\sum_n \tfrac12(\sigma(s_n) - t)^2`.

    ``logits`` (N, 1), ``target`` t in [0, 1]. Returns ``(loss, dlogits)`` with
    :math:`\partial L/\partial s_n = (\sigma(s_n) - t)\,\sigma(s_n)(1 - \sigma(s_n))/N`,
    shape (N, 1): the same as ``through_sigmoid_again(logits, bce_with_logits(logits, t)[1])``.
    """
    d = sigmoid(logits)
    n = logits.shape[0]
    return float(np.mean(0.5 * (d - target) ** 2)), (d - target) * d * (1 - d) / n


def draw_latent_bank(config: GANConfig, rows: int) -> np.ndarray:
    """The post's bank of latent codes: ``rows`` codes (rows, latent_dim) float32 from the prior.

    Drawn from a stream of its own, seeded by ``config.seed``, so the same configuration
    always gives the same bank and a checkpoint needs to store only its size.
    """
    return sample_prior(np.random.default_rng([config.seed, 2]), (int(rows), config.latent_dim), config.latent_dist)


class OriginalPostGAN(GAN):
    """Algorithm 1 as the original post's code ran it: :class:`~ganlib.gan.GAN` with items 2-5 above.

    Each is its configuration's switch (``loss_gradient``, ``g_step_updates_d``,
    ``d_split_update``, ``latent_source``); with all four off this trains exactly as ``GAN``
    does (a test checks it, and checks the faithful configuration against a transcription of
    the post's own loop).
    """

    def __init__(self, config: GANConfig, **kwargs):
        self.latent_bank = None  # latent_source="bank" only: drawn at the first train()
        self._bank_row = 0  # the first code of this iteration's rows in the bank
        self._given_codes = None  # codes the steps use instead of fresh ones (the bank's, or a test's)
        super().__init__(config, **kwargs)

    def _check_algorithm(self, config: GANConfig) -> None:
        """Every variant of the loop is welcome here."""

    # -- where the codes come from (item 5) ---------------------------------------------------
    def epoch_minibatches(self, n: int):
        """GAN's minibatches; with a bank, iteration i of every epoch will reuse the bank's rows i*m to (i+1)*m."""
        m = self.config.batch_size
        if self.config.latent_source == "bank":
            self.ensure_latent_bank((n // (m * self.config.k)) * m)
        for i, rows in enumerate(super().epoch_minibatches(n)):
            self._bank_row = i * m
            yield rows

    def ensure_latent_bank(self, rows: int) -> None:
        """Draw the bank of ``rows`` codes once; later calls check that the data still fits it."""
        if self.latent_bank is None:
            self.latent_bank = draw_latent_bank(self.config, rows)
        elif len(self.latent_bank) != rows:
            raise ValueError(
                f"this run's bank holds {len(self.latent_bank)} latent codes, one per example of an epoch, "
                f"but this data gives epochs of {rows}; train on data of the same size"
            )

    @contextlib.contextmanager
    def _codes(self, z):
        """Within the block, every step draws these codes z (m, latent_dim) instead of fresh ones (None: no change)."""
        before = self._given_codes
        self._given_codes = before if z is None else z
        try:
            yield
        finally:
            self._given_codes = before

    def sample_latent(self, n: int) -> np.ndarray:
        return super().sample_latent(n) if self._given_codes is None else self._given_codes

    def train_iteration(self, batches, labels=None, *, z=None):
        """GAN's iteration; all its steps use the codes ``z`` if given, else this iteration's rows of the bank
        (if there is one), as the post's loop did (gan.py 105, 118)."""
        if z is None and self.latent_bank is not None:
            z = self.latent_bank[self._bank_row : self._bank_row + len(batches[0])]
        with self._codes(z):
            return super().train_iteration(batches, labels)

    # -- the gradient into the logits (item 2) ----------------------------------------------
    def logit_gradient(self, logits: np.ndarray, dlogits: np.ndarray) -> np.ndarray:
        """The loss's own ``dlogits``, or with ``loss_gradient="through_sigmoid_again"`` the post's bug."""
        if self.config.loss_gradient == "through_sigmoid_again":
            return through_sigmoid_again(logits, dlogits)
        return dlogits

    # -- the steps (items 2-4) ------------------------------------------------------------------
    def discriminator_step(self, x_real: np.ndarray, y_real=None, *, z=None) -> tuple[float, float, float]:
        """GAN's D step (item 2's gradient), or with ``d_split_update`` the post's two updates: one on the
        real batch (m, 784), then one on the fakes, which D sees with the weights of the first (gan.py
        108-112). loss_d is the sum of the two halves' cross-entropies (what the post printed). If the
        real half's loss is not finite nothing changes; if only the fake half's is, the real update stays.
        ``z`` (m, latent_dim): the fakes' codes (default: fresh, or the bank's within ``train_iteration``)."""
        with self._codes(z):
            return self._discriminator_step(x_real, y_real)

    def _discriminator_step(self, x_real, y_real):
        m = len(x_real)
        y_fake = self.sample_labels(m)
        z = self.sample_latent(m)
        if y_fake is not None:
            y_real = check_labels(y_real, m, self.config.num_classes)
        if not self.config.d_split_update:
            x_fake = self.G.forward(self._with_label(z, y_fake))
            xs = np.concatenate([x_real, x_fake])
            ys = None if y_fake is None else np.concatenate([y_real, y_fake])
            return self._d_update(xs, ys, np.r_[np.full(m, self.config.real_label), np.zeros(m)], m)
        loss_real, d_x, _ = self._d_update(x_real, y_real, np.full(m, self.config.real_label), m)
        if not np.isfinite(loss_real):
            return loss_real, d_x, float("nan")
        x_fake = self.G.forward(self._with_label(z, y_fake))
        loss_fake, _, d_gz = self._d_update(x_fake, y_fake, np.zeros(m), 0)
        return loss_real + loss_fake, d_x, d_gz

    def _d_update(self, x, y, targets, m_real: int) -> tuple[float, float, float]:
        """One D update on rows x (their first ``m_real`` real) with per-row targets; returns
        (the summed mean cross-entropies of the real and fake rows, mean D(real), mean D(fake))."""
        logits = self.D.forward(self._with_label(x, y))
        parts = [(logits[:m_real], targets[:m_real]), (logits[m_real:], targets[m_real:])]
        losses, grads = zip(*(bce_with_logits(s, t[:, None]) for s, t in parts if len(s)))
        loss = float(sum(losses))
        if np.isfinite(loss):
            self.D.backward(self.logit_gradient(logits, np.concatenate(grads)), need_dx=False)
            self.opt_D.step()
        means = [float(sigmoid(s).mean()) if len(s) else float("nan") for s, _ in parts]
        return loss, means[0], means[1]

    def generator_step(self, m: int, z=None) -> float:
        """GAN's G step (item 2's gradient), or with ``g_step_updates_d`` the post's bug: D's layers, shared
        with G's step, take this step too, descending G's loss. D's gradients and dx are computed together,
        at D's weights before its update, as in the post (layers.py 98 before 106-107). ``z``: as in
        :meth:`discriminator_step`."""
        with self._codes(z):
            return self._generator_step(m)

    def _generator_step(self, m: int) -> float:
        y = self.sample_labels(m)
        x_fake = self.G.forward(self._with_label(self.sample_latent(m), y))
        logits = self.D.forward(self._with_label(x_fake, y))
        loss, dlogits = generator_loss(logits, self.config.generator_loss)
        if np.isfinite(loss):
            dlogits = self.logit_gradient(logits, dlogits)
            d_input = self.D.backward(dlogits, need_param_grads=self.config.g_step_updates_d)
            if self.config.g_step_updates_d:
                self.opt_D.step()
            dx_fake, _ = split_gradient(d_input, self.config.data_dim)
            self.G.backward(dx_fake, need_dx=False)
            self.opt_G.step()
            if self.ema is not None:
                self.ema.update()
        return loss
