"""The exercise checks (ganlib.exercises) accept the right answer and can fail.

For every ``check_*`` function: the reference solution passes and prints its success line;
a stub that raises NotImplementedError gives ExerciseIncomplete ("not written yet"); and
plausible wrong answers (a missing transpose, a forgotten batch sum, the wrong slope branch,
a wrong shape, the forward value, a factor off) are refused with an AssertionError whose
message says what is wrong.

To add the tests for a new check: add a ``Case`` to the ``CASES`` of a module in
tests/exercise_cases/ (one per module of ganlib.exercises), keyed by the check function, with the
reference solution and a dict of wrong answers, each mapped to a piece of the message the check
must give for it. test_every_check_has_its_case fails until you do.
"""

import importlib
import inspect
import pkgutil

import exercise_cases
import numpy as np
import pytest
from exercise_cases import stub

import ganlib.exercises
from ganlib.exercises import CodeFailed, ExerciseIncomplete, WrongAnswer
from ganlib.exercises.backprop import check_dense_backward, check_tanh_backward


def _gather_cases() -> dict:
    """Every module of tests/exercise_cases contributes its CASES."""
    cases = {}
    for info in pkgutil.iter_modules(exercise_cases.__path__):
        cases.update(importlib.import_module(f"exercise_cases.{info.name}").CASES)
    return cases


CASES = _gather_cases()


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


def _named_in_messages(check, function) -> str:
    """The name a check's messages give ``function``: its own (the reader's) or the exercise's."""
    return function.__name__ if CASES[check].names_the_function else check.__name__.removeprefix("check_")


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_the_reference_solution_passes(check, capsys):
    check(CASES[check].solution)
    name = _named_in_messages(check, CASES[check].solution)
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{name}: correct ("), line


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_a_stub_is_not_written_yet(check):
    name = _named_in_messages(check, stub)
    with pytest.raises(
        ExerciseIncomplete, match=rf"^{name}: not written yet: replace `raise NotImplementedError\(\)` in {name} with"
    ):
        check(stub)


NAMING = [check for check, case in CASES.items() if case.names_the_function]


@pytest.mark.parametrize("check", NAMING, ids=[c.__name__ for c in NAMING])
def test_the_messages_name_the_readers_function(check, capsys):
    """Notebook 06 has the reader write nearest_training_distance_mine beside ganlib's nearest_training_distance:
    "not written yet", a wrong answer and "correct" name the function the reader wrote; a lambda gets the exercise's name."""
    exercise = check.__name__.removeprefix("check_")
    mine = f"{exercise}_mine"

    def renamed(function):
        def wrapper(*args):
            return function(*args)

        wrapper.__name__ = mine
        return wrapper

    with pytest.raises(ExerciseIncomplete, match=rf"^{mine}: not written yet: .* in {mine} with your code$"):
        check(renamed(stub))
    with pytest.raises(ExerciseIncomplete, match=rf"^{exercise}: not written yet"):
        check(lambda *args: stub(*args))
    wrong, _ = next(iter(CASES[check].wrong.values()))
    with pytest.raises(WrongAnswer) as caught:
        check(renamed(wrong))
    message = str(caught.value)
    assert message.startswith(f"{mine}: ") and f"{exercise}:" not in message.replace(mine, ""), message
    check(renamed(CASES[check].solution))
    assert capsys.readouterr().out.startswith(f"{mine}: correct ("), "the success line names the reader's function"


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
