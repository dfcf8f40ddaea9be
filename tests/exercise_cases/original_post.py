"""Notebook 09 (ganlib.exercises.original_post): the post's logit gradient and its momentum."""

from exercise_cases import Case
from ganlib.exercises.original_post import check_ema_momentum_step, check_post_logit_gradient
from ganlib.layers import sigmoid


def post_gradient_solution(logits, target):
    d = sigmoid(logits)
    return (d - target) / len(logits) * d * (1 - d)


def ema_solution(param, velocity, grad, lr, momentum):
    velocity = momentum * velocity + (1 - momentum) * grad
    return param - lr * velocity, velocity


def ema_classic(param, velocity, grad, lr, momentum):
    velocity = momentum * velocity + grad
    return param - lr * velocity, velocity


def ema_weights_swapped(param, velocity, grad, lr, momentum):
    velocity = (1 - momentum) * velocity + momentum * grad
    return param - lr * velocity, velocity


def ema_old_velocity(param, velocity, grad, lr, momentum):
    new = momentum * velocity + (1 - momentum) * grad
    return param - lr * velocity, new  # moves with the velocity before the update


def ema_in_place(param, velocity, grad, lr, momentum):
    velocity *= momentum
    velocity += (1 - momentum) * grad
    return param - lr * velocity, velocity


CASES = {
    check_post_logit_gradient: Case(
        post_gradient_solution,
        {
            "the cross-entropy's gradient (once)": (lambda s, t: (sigmoid(s) - t) / len(s), "is wrong"),
            "no 1/2 in the squared error": (lambda s, t: 2 * post_gradient_solution(s, t), "off by a factor of 2"),
            "sum, not mean": (lambda s, t: post_gradient_solution(s, t) * len(s), "8 = N times too large"),
            "wrong sign": (lambda s, t: -post_gradient_solution(s, t), "wrong sign"),
            "derivative of the logit, not of D": (
                lambda s, t: (sigmoid(s) - t) / len(s) * s * (1 - s),
                "is wrong",
            ),
        },
    ),
    check_ema_momentum_step: Case(
        ema_solution,
        {
            "classic momentum": (ema_classic, "off by a factor of 5"),
            "weights swapped": (ema_weights_swapped, "velocity (step 1, momentum 0.8) is wrong"),
            "moves with the old velocity": (ema_old_velocity, "param (step 1, momentum 0.8) is wrong"),
            "velocity changed in place": (ema_in_place, "changed its argument velocity in place"),
            "one output": (lambda param, velocity, grad, lr, momentum: param - lr * grad, "must return 2"),
        },
    ),
}
