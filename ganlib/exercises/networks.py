r"""Checks for notebook 03 (building the generator and the discriminator).

Each check calls the reader's function on random float64 inputs and compares what it returns
with ganlib's own networks (:class:`ganlib.network.Sequential` of :mod:`ganlib.layers`) and
losses, and, for the gradients, with centred finite differences
(:func:`ganlib.gradcheck.numerical_gradient`).

======================================== ============================================================
check_generator_forward                  ``generator_forward(z, weights, biases, slope) -> x``
check_count_parameters                   ``count_parameters(widths) -> int``
check_discriminator_loss_and_gradients   ``discriminator_loss_and_gradients(D, x_real, x_fake,
                                         real_label) -> (loss, grads)``
======================================== ============================================================
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient
from ..layers import Dense, LeakyReLU, Tanh
from ..losses import discriminator_loss
from ..network import Sequential
from . import WrongAnswer, call, compare, correct, outputs

__all__ = ["check_generator_forward", "check_count_parameters", "check_discriminator_loss_and_gradients"]

_EXACT = 1e-12  # the same arithmetic as ganlib's, up to rounding


def _mlp(widths, rng, slope=None, tanh=False) -> Sequential:
    """Dense layers between consecutive ``widths`` in float64, LeakyReLU(slope) between them (if a slope
    is given) and a Tanh at the end (if asked), with random non-zero biases (ganlib's start at 0, which
    would let a forgotten bias pass)."""
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        dense = Dense(fan_in, fan_out, rng=rng, dtype=np.float64)
        layers.append(dense)
        if slope is not None and i < len(widths) - 2:
            layers.append(LeakyReLU(slope))
    if tanh:
        layers.append(Tanh())
    net = Sequential(*layers)
    for layer in net.layers:
        if isinstance(layer, Dense):
            layer.params["b"][...] = 0.5 * rng.standard_normal(layer.out_features)
            layer.params["W"][...] *= 3.0  # larger pre-activations: a forgotten tanh or slope shows
    return net


def check_generator_forward(generator_forward, seed: int = 0) -> None:
    """Check ``generator_forward(z, weights, biases, slope) -> x``, the generator's forward pass.

    ``weights[i]`` (D_i, D_{i+1}) and ``biases[i]`` (D_{i+1},) are the Dense layers in order;
    LeakyReLU(slope) after every one but the last, tanh after the last. Compared with
    ganlib's ``Sequential(Dense, LeakyReLU, ..., Dense, Tanh)`` holding the same weights, for
    two generators of different depths and slopes.
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    errors = []
    for widths, slope in (((6, 8, 7, 5), 0.2), ((4, 9, 3), 0.05)):
        G = _mlp(widths, rng, slope=slope, tanh=True)
        dense = [layer for layer in G.layers if isinstance(layer, Dense)]
        weights = [layer.params["W"].copy() for layer in dense]
        biases = [layer.params["b"].copy() for layer in dense]
        z = rng.standard_normal((5, widths[0]))
        expected = G.forward(z)
        got = call(
            generator_forward,
            {"z": z, "weights": weights, "biases": biases, "slope": slope},
            name="generator_forward",
        )
        case = f"{len(dense)} layers {'-'.join(map(str, widths))}, slope {slope}"
        hint = (
            "h = z, then for each layer h = h @ W + b, followed by LeakyReLU(slope) (np.maximum(h, slope * h)) "
            "after every layer but the last and tanh after the last (section 2); loop over the lists, "
            "whatever their length, and use the argument slope."
        )
        errors.append(
            compare(
                "generator_forward", "x", got, expected, tol=_EXACT, against="ganlib's Sequential", case=case, hint=hint
            )
        )
    correct("generator_forward", {"x": max(errors)}, against="ganlib's Sequential", note=", 3 and 2 layers")


def check_count_parameters(count_parameters, seed: int = 0) -> None:
    """Check ``count_parameters(widths) -> int``: the weights and biases of Dense layers between
    consecutive widths, e.g. ``[100, 256, 512, 784]`` for the default generator, against
    ``Sequential(...).num_params`` for that network and for random ones."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    cases = [[100, 256, 512, 784], [784, 512, 256, 1]]
    cases += [list(rng.integers(1, 40, size=n)) for n in (2, 3, 5)]
    hint = (
        "a Dense(D_in, D_out) has a D_in x D_out weight matrix and D_out biases (section 4); sum over the "
        "consecutive pairs (D_in, D_out) of widths, whatever its length."
    )
    for widths in cases:
        widths = [int(w) for w in widths]
        expected = Sequential(*[Dense(a, b, rng=0) for a, b in zip(widths[:-1], widths[1:])]).num_params
        got = call(count_parameters, {"widths": list(widths)}, name="count_parameters")
        if isinstance(got, np.ndarray) and got.ndim == 0:
            got = got.item()
        if isinstance(got, float | np.floating) and float(got).is_integer():
            got = int(got)
        if not isinstance(got, int | np.integer) or isinstance(got, bool):
            shown = f"an array of shape {got.shape}" if isinstance(got, np.ndarray) else repr(got)
            raise WrongAnswer(f"count_parameters must return one whole number, got {shown}\nHint: {hint}")
        if got != expected:
            off = f"{abs(expected - got):,} too {'few' if got < expected else 'many'}"
            raise WrongAnswer(
                f"count_parameters({widths}) returned {got:,}, but a Sequential of Dense layers of these widths has "
                f"{expected:,} parameters ({off})\nHint: {hint}"
            )
    print(f"count_parameters: correct (the same count as Sequential.num_params for {len(cases)} networks)")


def check_discriminator_loss_and_gradients(discriminator_loss_and_gradients, seed: int = 0) -> None:
    """Check ``discriminator_loss_and_gradients(D, x_real, x_fake, real_label) -> (loss, grads)``.

    ``loss`` is ``L_D = mean(bce(s_real, real_label)) + mean(bce(s_fake, 0))`` with ``s = D(x)``,
    compared with :func:`ganlib.losses.discriminator_loss`; ``grads`` its gradient with respect to
    ``D.flat_params``, compared with finite differences. A small float64 D without dropout, real
    and fake batches of different sizes (m = 6, n = 4), and real labels 1 and 0.9.
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    name = "discriminator_loss_and_gradients"
    D = _mlp((12, 16, 1), rng, slope=0.2)
    x_real, x_fake = rng.standard_normal((6, 12)), rng.standard_normal((4, 12))
    hints = {
        "loss": (
            "L_D = mean over the m real rows of softplus(s) - a * s, plus mean over the n fake rows of softplus(s), "
            "with a = real_label (section 9): two means, one per batch."
        ),
        "grads": (
            "dL/ds is (sigmoid(s) - a) / m on the real rows and sigmoid(s) / n on the fake rows; D.backward turns "
            "each into parameter gradients, and overwrites D.flat_grads: copy the first before the second backward, "
            "then add them (section 9)."
        ),
    }
    errors = {"loss": 0.0, "grads": 0.0}
    for real_label in (1.0, 0.9):

        def loss(real_label=real_label):
            return discriminator_loss(D.forward(x_real), D.forward(x_fake), real_label)[0]

        expected = {"loss": loss(), "grads": numerical_gradient(loss, D.flat_params)}
        result = call(
            discriminator_loss_and_gradients,
            {"D": D, "x_real": x_real, "x_fake": x_fake, "real_label": real_label},
            name=name,
        )
        got = dict(zip(expected, outputs(name, result, ("loss", "grads"))))
        for key, tol, against in (("loss", _EXACT, "ganlib's discriminator_loss"), ("grads", 1e-7, None)):
            error = compare(
                name,
                key,
                got[key],
                expected[key],
                tol=tol,
                against=against or "finite differences",
                shape_of="D.flat_params" if key == "grads" else "",
                case=f"real label {real_label}",
                hint=hints[key],
            )
            errors[key] = max(errors[key], error)
    correct(name, errors, note="; the loss vs ganlib's discriminator_loss; real labels 1 and 0.9")
