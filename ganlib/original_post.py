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

This module holds the alternatives that do not fit in one line of :mod:`ganlib.gan`: the
second sigmoid derivative, the split discriminator step and the latent bank.
"""

from __future__ import annotations

import numpy as np

from .condition import check_labels, concat_label
from .config import GANConfig, sample_prior
from .layers import sigmoid
from .losses import bce_with_logits

__all__ = [
    "UPSTREAM",
    "discriminator_step_split",
    "draw_latent_bank",
    "half_squared_error",
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


def discriminator_step_split(
    gan, x_real: np.ndarray, z: np.ndarray, y_real=None, y_fake=None
) -> tuple[float, float, float]:
    """The post's D step: one update on the real batch (m, 784), then one on the fakes G(z).

    The fakes go through D with the weights the first update left, as in the post (gan.py
    108-112). Returns (loss_d, mean D(x), mean D(G(z))) as :meth:`ganlib.gan.GAN.discriminator_step`
    does, with loss_d the sum of the two halves' cross-entropies (what the post printed).
    If the real half's loss is not finite nothing changes; if only the fake half's is, the
    real half's update has been applied. A conditional GAN passes the real labels ``y_real``
    and the fakes' ``y_fake`` (m,) too; both networks see them beside their inputs.
    """
    if y_fake is not None:
        y_real = check_labels(y_real, len(x_real), gan.config.num_classes)
    logits_real = gan.D.forward(concat_label(x_real, y_real, gan.config.num_classes))
    loss_real, dlogits_real = bce_with_logits(logits_real, gan.config.real_label)
    d_x = float(sigmoid(logits_real).mean())
    if not np.isfinite(loss_real):
        return loss_real, d_x, float("nan")
    gan.D.backward(gan.logit_gradient(logits_real, dlogits_real), need_dx=False)
    gan.opt_D.step()

    x_fake = gan.G.forward(concat_label(z, y_fake, gan.config.num_classes))
    logits_fake = gan.D.forward(concat_label(x_fake, y_fake, gan.config.num_classes))
    loss_fake, dlogits_fake = bce_with_logits(logits_fake, 0.0)
    if np.isfinite(loss_fake):
        gan.D.backward(gan.logit_gradient(logits_fake, dlogits_fake), need_dx=False)
        gan.opt_D.step()
    return loss_real + loss_fake, d_x, float(sigmoid(logits_fake).mean())


def draw_latent_bank(config: GANConfig, rows: int) -> np.ndarray:
    """The post's bank of latent codes: ``rows`` codes (rows, latent_dim) float32 from the prior.

    Drawn from a stream of its own, seeded by ``config.seed``, so the same configuration
    always gives the same bank and a checkpoint needs to store only its size.
    """
    return sample_prior(np.random.default_rng([config.seed, 2]), (int(rows), config.latent_dim), config.latent_dist)
