r"""Checks for notebook 09 (the original post, an appendix): two pieces of the post's code the reader writes.

================================ ====================================================================
check_post_logit_gradient        ``post_logit_gradient(logits, target) -> dlogits``: the gradient the
                                 post's code sent into D's logits, the sigmoid's derivative applied twice
check_ema_momentum_step          ``ema_momentum_step(param, velocity, grad, lr, momentum) -> (param, velocity)``:
                                 one step of the post's momentum, an exponential average of the gradients
================================ ====================================================================

The first is compared with centred finite differences of the loss that gradient descends,
:func:`ganlib.original_post.half_squared_error`; the second with ganlib's own
:class:`ganlib.optim.SGD` with ``momentum_style="ema"``, over several steps from zero velocity.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..gradcheck import numerical_gradient
from ..optim import SGD
from ..original_post import half_squared_error
from . import call, compare, correct, outputs

__all__ = ["check_ema_momentum_step", "check_post_logit_gradient"]


def check_post_logit_gradient(post_logit_gradient, seed: int = 0) -> None:
    r"""Check ``post_logit_gradient(logits, target) -> dlogits`` (N, 1): the cross-entropy's gradient
    :math:`(\sigma(s) - t)/N` multiplied once more by :math:`\sigma(s)(1 - \sigma(s))`, which is the
    gradient of the mean half squared error :math:`\frac1N \sum_n \frac12 (\sigma(s_n) - t)^2`."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    n = 8
    logits = 2.0 * rng.standard_normal((n, 1))
    hint = (
        "start from the cross-entropy's gradient (sigmoid(s) - t) / N, then multiply it by the sigmoid's "
        "derivative D (1 - D) with D = sigmoid(s), as the post's sigmoid layer did on the way back."
    )
    errors = []
    for target in (1.0, 0.0):
        expected = numerical_gradient(lambda target=target: half_squared_error(logits, target)[0], logits)
        got = call(post_logit_gradient, {"logits": logits, "target": target}, name="post_logit_gradient")
        errors.append(
            compare(
                "post_logit_gradient",
                "dlogits",
                got,
                expected,
                shape_of="logits",
                batch=n,
                case=f"target {target:g}",
                hint=hint,
            )
        )
    correct("post_logit_gradient", {"dlogits": max(errors)}, note=", targets 1 and 0")


def _ganlib_ema_steps(param, grads, lr, momentum):
    """ganlib's SGD with the post's momentum on one flat buffer: the parameters and velocity after each step."""
    buffer = SimpleNamespace(flat_params=param.copy(), flat_grads=np.zeros_like(param))
    opt = SGD(buffer, lr=lr, momentum=momentum, momentum_style="ema")
    trajectory = []
    for g in grads:
        buffer.flat_grads[...] = g
        opt.step()
        trajectory.append((buffer.flat_params.copy(), opt.velocity.copy()))
    return trajectory


def check_ema_momentum_step(ema_momentum_step, seed: int = 0) -> None:
    r"""Check ``ema_momentum_step(param, velocity, grad, lr, momentum) -> (param, velocity)``: the post's
    :math:`v \leftarrow \mu v + (1 - \mu) g`, then :math:`\theta \leftarrow \theta - \eta v`, for several
    steps from :math:`v = 0`, against :class:`ganlib.optim.SGD` with ``momentum_style="ema"``."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    size, steps, lr, momentum = 5, 4, 0.05, 0.8
    param0 = rng.standard_normal(size)
    grads = rng.standard_normal((steps, size))
    expected = _ganlib_ema_steps(param0, grads, lr, momentum)
    hint = (
        "the velocity is a moving average of the gradients, momentum * velocity + (1 - momentum) * grad, and the "
        "parameters move against it: param - lr * (new velocity). Return new arrays, both of shape (size,)."
    )
    param, velocity = param0.copy(), np.zeros(size)
    errors = {"param": 0.0, "velocity": 0.0}
    for step, (g, (want_param, want_velocity)) in enumerate(zip(grads, expected), start=1):
        arguments = {"param": param, "velocity": velocity, "grad": g, "lr": lr, "momentum": momentum}
        result = call(ema_momentum_step, arguments, name="ema_momentum_step")
        param, velocity = outputs("ema_momentum_step", result, ("param", "velocity"))
        case = f"step {step}, momentum {momentum}"
        against = "ganlib.optim.SGD(momentum_style='ema')"
        for key, got, want in (("velocity", velocity, want_velocity), ("param", param, want_param)):
            error = compare(
                "ema_momentum_step", key, got, want, against=against, shape_of="param", case=case, hint=hint
            )
            errors[key] = max(errors[key], error)
        param, velocity = np.asarray(param, np.float64), np.asarray(velocity, np.float64)
    correct("ema_momentum_step", errors, against="ganlib.optim.SGD(momentum_style='ema')", note=f", {steps} steps")
