"""The exercise checks (ganlib.exercises) accept the right answer and can fail.

For every ``check_*`` function: the reference solution passes and prints its success line;
a stub that raises NotImplementedError gives ExerciseIncomplete ("not written yet"); and
plausible wrong answers (a missing transpose, a forgotten batch sum, the wrong slope branch,
a wrong shape, the forward value, a factor off) are refused with an AssertionError whose
message says what is wrong.

To add the tests for a new check: add a ``Case`` to CASES, keyed by the check function, with
the reference solution and a dict of wrong answers, each mapped to a piece of the message
the check must give for it. test_every_check_has_its_case fails until you do.
"""

import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field

import numpy as np
import pytest

import ganlib.exercises
from ganlib.exercises import CodeFailed, ExerciseIncomplete, WrongAnswer
from ganlib.exercises.backprop import (
    check_bce_with_logits_backward,
    check_dense_backward,
    check_leaky_relu_backward,
    check_tanh_backward,
)
from ganlib.layers import sigmoid
from ganlib.losses import bce_with_logits


@dataclass
class Case:
    solution: object  # the reference solution: must pass
    wrong: dict = field(default_factory=dict)  # name -> (wrong answer, a piece of the message it must get)


def stub(*args):
    # what the student version holds before the reader writes anything
    raise NotImplementedError()


# --- notebook 02: backprop -----------------------------------------------------------------------


def dense_solution(dout, x, W):
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def dense_inplace(dout, x, W):
    dx, dW, db = dense_solution(dout, x, W)
    x *= 0  # clobbers the forward pass's input
    return dx, dW, db


def leaky_solution(dout, x, slope):
    return dout * np.where(x > 0, 1.0, slope)


def leaky_inplace(dout, x, slope):
    dout[x <= 0] *= slope
    return dout


def leaky_no_return(dout, x, slope):
    dout * np.where(x > 0, 1.0, slope)  # noqa: B018 - the forgotten return is the point


def tanh_solution(dout, out):
    return dout * (1 - out**2)


def bce_solution(logits, targets):
    return (sigmoid(logits) - targets) / len(logits)


CASES = {
    check_dense_backward: Case(
        dense_solution,
        {
            "no transpose in dx": (lambda dout, x, W: (dout @ W, x.T @ dout, dout.sum(axis=0)), "raised ValueError"),
            "dW transposed": (lambda dout, x, W: (dout @ W.T, dout.T @ x, dout.sum(axis=0)), "transpose"),
            "dx transposed": (lambda dout, x, W: (W @ dout.T, x.T @ dout, dout.sum(axis=0)), "dx has shape (5, 4)"),
            "forgotten batch sum in db": (lambda dout, x, W: (dout @ W.T, x.T @ dout, dout[0]), "db is wrong"),
            "mean instead of sum in db": (
                lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.mean(axis=0)),
                "4 = N times too small",
            ),
            "mean instead of sum in dW": (lambda dout, x, W: (dout @ W.T, x.T @ dout / len(x), dout.sum(0)), "dW"),
            "db summed over the wrong axis": (
                lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.sum(axis=1)),
                "db has shape (4,)",
            ),
            "db with keepdims": (
                lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.sum(axis=0, keepdims=True)),
                "db has shape (1, 3)",
            ),
            "wrong sign": (lambda dout, x, W: (-(dout @ W.T), x.T @ dout, dout.sum(axis=0)), "wrong sign"),
            "two outputs": (lambda dout, x, W: (dout @ W.T, x.T @ dout), "must return 3 arrays"),
            "forward value": (lambda dout, x, W: x @ W, "must return 3 arrays"),
            "input changed in place": (dense_inplace, "changed its argument x in place"),
        },
    ),
    check_leaky_relu_backward: Case(
        leaky_solution,
        {
            "wrong slope branch": (
                lambda dout, x, slope: dout * np.where(x > 0, slope, 1.0),
                "dx (with slope 0.2) is wrong",
            ),
            "hard-coded slope": (lambda dout, x, slope: dout * np.where(x > 0, 1.0, 0.2), "with slope 0.05"),
            "forward value": (lambda dout, x, slope: np.where(x > 0, x, slope * x), "dx (with slope 0.2) is wrong"),
            "dout forgotten": (lambda dout, x, slope: np.where(x > 0, 1.0, slope), "is wrong"),
            "plain ReLU": (lambda dout, x, slope: dout * (x > 0), "is wrong"),
            "wrong shape": (lambda dout, x, slope: (dout * np.where(x > 0, 1.0, slope)).sum(axis=0), "has shape (6,)"),
            "no return": (leaky_no_return, "is None"),
            "dout changed in place": (leaky_inplace, "changed its argument dout in place"),
        },
    ),
    check_tanh_backward: Case(
        tanh_solution,
        {
            "tanh applied again": (lambda dout, out: dout * (1 - np.tanh(out) ** 2), "dx is wrong"),
            "sigmoid's derivative": (lambda dout, out: dout * out * (1 - out), "dx is wrong"),
            "square forgotten": (lambda dout, out: dout * (1 - out), "dx is wrong"),
            "dout forgotten": (lambda dout, out: 1 - out**2, "dx is wrong"),
            "forward value": (lambda dout, out: out, "dx is wrong"),
            "factor 2": (lambda dout, out: 2 * dout * (1 - out**2), "off by a factor of 2"),
            "transposed": (lambda dout, out: (dout * (1 - out**2)).T, "transpose"),
        },
    ),
    check_bce_with_logits_backward: Case(
        bce_solution,
        {
            "sum instead of mean": (lambda s, t: sigmoid(s) - t, "8 = N times too large"),
            "wrong sign": (lambda s, t: (t - sigmoid(s)) / len(s), "wrong sign"),
            "sigmoid's derivative twice": (
                lambda s, t: (sigmoid(s) - t) * sigmoid(s) * (1 - sigmoid(s)) / len(s),
                "dlogits (targets 1) is wrong",
            ),
            "logit instead of probability": (lambda s, t: (s - t) / len(s), "is wrong"),
            "target ignored": (lambda s, t: (sigmoid(s) - 1) / len(s), "dlogits (targets 0) is wrong"),
            "flattened": (lambda s, t: ((sigmoid(s) - t) / len(s)).ravel(), "has shape (8,)"),
            "the loss value": (lambda s, t: bce_with_logits(s, t)[0], "has shape ()"),
            "loss and gradient": (lambda s, t: bce_with_logits(s, t), "not an array of numbers"),
        },
    ),
}


def _all_checks():
    """Every check_* function of every module of ganlib.exercises."""
    found = []
    for info in pkgutil.iter_modules(ganlib.exercises.__path__):
        module = importlib.import_module(f"ganlib.exercises.{info.name}")
        found += [f for name, f in inspect.getmembers(module, inspect.isfunction) if name.startswith("check_")]
    return found


def test_every_check_has_its_case():
    missing = [f"{f.__module__}.{f.__name__}" for f in _all_checks() if f not in CASES]
    assert not missing, f"add a Case (reference solution and wrong answers) to CASES for {missing}"
    for check, case in CASES.items():
        assert len(case.wrong) >= 3, f"{check.__name__}: at least three wrong answers, please"


CHECKS = list(CASES)


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_the_reference_solution_passes(check, capsys):
    check(CASES[check].solution)
    name = check.__name__.removeprefix("check_")
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{name}: correct (") and "relative error vs finite differences" in line, line


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_a_stub_is_not_written_yet(check):
    name = check.__name__.removeprefix("check_")
    with pytest.raises(ExerciseIncomplete, match=rf"{name}: not written yet: replace `raise NotImplementedError\(\)`"):
        check(stub)


WRONG = [(check, label) for check, case in CASES.items() for label in case.wrong]


@pytest.mark.parametrize("check, label", WRONG, ids=[f"{c.__name__}-{label}" for c, label in WRONG])
def test_a_wrong_answer_is_refused(check, label, capsys):
    answer, message = CASES[check].wrong[label]
    with pytest.raises(AssertionError) as caught:
        check(answer)
    assert not isinstance(caught.value, ExerciseIncomplete), "a wrong answer is not an unwritten one"
    assert message in str(caught.value), f"{label}: expected {message!r} in the message, got: {caught.value}"
    assert "correct" not in capsys.readouterr().out


def test_a_crash_keeps_the_readers_traceback():
    def crashes(dout, x, W):
        return dout @ W  # (4, 3) @ (5, 3): ValueError in the reader's code

    with pytest.raises(CodeFailed) as caught:
        check_dense_backward(crashes)
    assert isinstance(caught.value, AssertionError) and not isinstance(caught.value, ExerciseIncomplete)
    assert isinstance(caught.value.__cause__, ValueError)
    assert "dout an array of shape (4, 3), x an array of shape (4, 5), W an array of shape (5, 3)" in str(caught.value)
    shown = "\n".join(caught.value._render_traceback_())  # what a notebook shows
    assert "return dout @ W" in shown and "ValueError: matmul" in shown
    assert "ganlib/exercises/" not in shown and "in call" not in shown  # none of the package's frames


def test_wrong_answers_and_stubs_show_as_one_line_in_a_notebook():
    """IPython renders an exception with _render_traceback_ as the lines it returns."""
    with pytest.raises(WrongAnswer) as caught:
        check_tanh_backward(lambda dout, out: out)
    lines = caught.value._render_traceback_()
    assert len(lines) == 1 and "WrongAnswer" in lines[0] and "tanh_backward: dx is wrong" in lines[0]
    with pytest.raises(ExerciseIncomplete) as caught:
        check_tanh_backward(stub)
    assert "not written yet" in caught.value._render_traceback_()[0]


def test_checks_use_fresh_random_inputs_per_seed():
    """The inputs come from the seed, not from numbers a reader could copy: another seed, other inputs."""
    seen = []

    def spy(dout, out):
        seen.append(out.copy())
        return dout * (1 - out**2)

    check_tanh_backward(spy, seed=0)
    check_tanh_backward(spy, seed=1)
    assert not np.allclose(seen[0], seen[1])
