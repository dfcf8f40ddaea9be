"""Notebook 04 (ganlib.exercises.training): the discriminator's step and the generator's step."""

import numpy as np

from exercise_cases import Case
from ganlib.exercises.training import check_discriminator_step, check_generator_step
from ganlib.losses import discriminator_loss, generator_loss


def d_step(gan, x_real, x_fake, real_label=None, fake_sign=1.0, separate=False, touch_g=False, step=True):
    m = len(x_real)
    a = gan.config.real_label if real_label is None else real_label
    logits = gan.D.forward(np.concatenate([x_real, x_fake]))
    loss, d_real, d_fake = discriminator_loss(logits[:m], logits[m:], a)
    if separate:  # the fake half's backward overwrites the real half's gradients
        gan.D.forward(x_real)
        gan.D.backward(d_real)
        gan.D.forward(x_fake)
        gan.D.backward(d_fake)
    else:
        gan.D.backward(np.concatenate([d_real, fake_sign * d_fake]))
    if step:
        gan.opt_D.step()
    if touch_g:
        gan.opt_G.step()
    return loss


def d_ascent(gan, x_real, x_fake):
    """Ascends L_D: every gradient's sign flipped before the step."""
    loss = d_step(gan, x_real, x_fake, step=False)
    gan.D.flat_grads[...] *= -1
    gan.opt_D.step()
    return loss


def g_step(gan, z, kind="non_saturating", param_grads=False, step_d=False, sign=1.0, step=True):
    logits = gan.D.forward(gan.G.forward(z))
    loss, dlogits = generator_loss(logits, kind)
    dx = gan.D.backward(sign * dlogits, need_param_grads=param_grads)
    gan.G.backward(dx)
    if step:
        gan.opt_G.step()
    if step_d:
        gan.opt_D.step()
    return loss


CASES = {
    check_discriminator_step: Case(
        d_step,
        {
            "label smoothing ignored": (lambda g, r, f: d_step(g, r, f, real_label=1.0), "(real label 0.9) is wrong"),
            "fake gradient's sign flipped": (
                lambda g, r, f: d_step(g, r, f, fake_sign=-1.0),
                "D's gradients (real label 1.0) is wrong",
            ),
            "ascends L_D": (d_ascent, "D's gradients (real label 1.0) is wrong"),
            "real half's gradients overwritten": (
                lambda g, r, f: d_step(g, r, f, separate=True),
                "D's gradients (real label 1.0) is wrong",
            ),
            "no optimizer step": (
                lambda g, r, f: d_step(g, r, f, step=False),
                "D's parameters after the step (real label 1.0) is wrong",
            ),
            "G stepped too": (lambda g, r, f: d_step(g, r, f, touch_g=True), "G's parameters changed"),
            "no return": (lambda g, r, f: d_step(g, r, f) and None, "the loss (real label 1.0) is None"),
        },
    ),
    check_generator_step: Case(
        g_step,
        {
            "saturating (minimax) loss": (lambda g, z: g_step(g, z, kind="minimax"), "is wrong"),
            "D updated during the G step": (
                lambda g, z: g_step(g, z, param_grads=True, step_d=True),
                "D's parameters changed",
            ),
            "D's gradients computed (need_param_grads forgotten)": (
                lambda g, z: g_step(g, z, param_grads=True),
                "D's gradients changed",
            ),
            "sign error": (lambda g, z: g_step(g, z, sign=-1.0), "G's gradients (seed 0) is wrong"),
            "no optimizer step": (
                lambda g, z: g_step(g, z, step=False),
                "G's parameters after the step (seed 0) is wrong",
            ),
        },
    ),
}
