"""Application: the checks behind the notebooks' implement-it-yourself exercises.

An exercise in a notebook is a function whose body the reader writes (the student version
of the notebook has ``raise NotImplementedError()`` there), followed by a check cell that
calls one ``check_*`` function of this package with it::

    # check your answer
    from ganlib.exercises.backprop import check_dense_backward

    check_dense_backward(dense_backward)

A check feeds the reader's function random float64 inputs and compares what it returns
with centred finite differences (:mod:`ganlib.gradcheck`) or with ganlib's own
implementation, never with numbers that could be copied. It ends in one of three ways:

* the function still raises ``NotImplementedError``: :class:`ExerciseIncomplete`, an
  ``AssertionError`` that says the exercise is not written yet;
* a wrong answer (a wrong value, shape or number of outputs, an input changed in place):
  :class:`WrongAnswer`, an ``AssertionError`` naming the output that is wrong, what was
  expected, the relative error against the tolerance, a diagnosis where one is clear (the
  transpose, the wrong sign, a factor N) and a hint; a crash in the reader's code:
  :class:`CodeFailed`, an ``AssertionError`` naming the inputs, chained to the original
  exception;
* a right answer: one line, e.g. ``dense_backward: correct (dx 3e-10, dW 2e-10, db 1e-10
  relative error vs finite differences)``.

In a notebook, :class:`ExerciseIncomplete` and :class:`WrongAnswer` show as their message
alone (IPython's ``_render_traceback_``), :class:`CodeFailed` with the traceback of the
reader's code only;
the helpers also set ``__tracebackhide__``, which IPython and pytest honour.

One module per notebook, holding that notebook's checks:

============= ===================================================================
objective     notebook 01: the optimal discriminator estimated from samples, the
              Jensen-Shannon divergence, the generator losses' logit gradients
backprop      notebook 02: the backward passes of Dense, LeakyReLU, tanh and
              dropout, and the gradient of the binary cross-entropy from logits
networks      notebook 03: the generator's forward pass, a network's parameter
              count, the discriminator's loss and gradients
training      notebook 04: one iteration of Algorithm 1, the discriminator's step
              and the generator's step through a frozen discriminator
convolution   notebook 05: the convolution's backward pass through im2col and
              col2im, batch normalisation's backward pass in training
latent        notebook 06: spherical interpolation (slerp) of two latent
              codes, the nearest training image by one matrix product
evaluation    notebook 07: the class histogram's KL to uniform, the Frechet
              distance of two Gaussians, the nearest reference image
conditional   notebook 08: the label's one-hot concatenation to G's and
              D's input, the per-digit agreement with the asked-for digit
original_post notebook 09 (appendix): the post's logit gradient (the sigmoid's
              derivative twice) and its momentum (an average of the gradients)
============= ===================================================================

``tests/test_exercises.py`` feeds every check the reference solution, a stub and several
plausible wrong answers.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Mapping

import numpy as np

from ..gradcheck import numerical_gradient, rel_error

__all__ = [
    "ExerciseIncomplete",
    "WrongAnswer",
    "CodeFailed",
    "call",
    "function_name",
    "outputs",
    "compare",
    "correct",
    "compare_gradients",
    "DEFAULT_TOL",
]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TOL = 1e-7  # a right backward pass agrees with finite differences to about 1e-9 in float64


class _ShortTraceback:
    """In IPython (a notebook) the error shows as its message alone, without this package's frames.

    IPython renders an exception that has ``_render_traceback_`` with the lines it returns;
    plain Python and pytest ignore the method and show the usual traceback.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[31m{type(self).__name__}\x1b[39m: {self}"]


class ExerciseIncomplete(_ShortTraceback, AssertionError):
    """The exercise's function still raises ``NotImplementedError``: it has not been written yet."""


class WrongAnswer(_ShortTraceback, AssertionError):
    """The exercise's function returned a wrong answer; the message says which output and how."""


class CodeFailed(AssertionError):
    """The exercise's function raised an exception (other than NotImplementedError); chained to it.

    In IPython it shows as the traceback of the reader's own code (this package's frames
    left out), then the message.
    """

    def _render_traceback_(self) -> list[str]:
        cause = self.__cause__
        frames = [f for f in traceback.extract_tb(cause.__traceback__) if not f.filename.startswith(_PACKAGE_DIR)]
        text = "".join(
            ["Traceback of your code (most recent call last):\n"]
            + traceback.format_list(frames)
            + traceback.format_exception_only(type(cause), cause)
        )
        return [*text.rstrip("\n").split("\n"), "", f"\x1b[31m{type(self).__name__}\x1b[39m: {self}"]


def _name(function) -> str:
    return getattr(function, "__name__", repr(function))


def function_name(function, default: str) -> str:
    """The name the reader gave ``function`` (``slerp_mine``), for a check's messages to use.

    A reader who names the function otherwise than the exercise (``concat_label_mine`` beside
    ganlib's ``concat_label``) should see that name in "not written yet" and in what is wrong;
    ``default``, the exercise's name, for a function without a usable one (a lambda, a partial).
    """
    name = getattr(function, "__name__", "")
    return name if isinstance(name, str) and name.isidentifier() else default


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)} values"
    if isinstance(value, int | float | np.number):
        return f"the number {value:.4g}"
    return f"a {type(value).__name__}"


def call(function: Callable, arguments: Mapping[str, object], name: str | None = None):
    """``function(*arguments.values())``, with what can go wrong turned into a message.

    ``arguments`` maps each parameter's name (as the exercise's signature has it) to its
    value; arrays are passed as copies, and an argument changed in place is a wrong answer.
    ``NotImplementedError`` becomes :class:`ExerciseIncomplete`; any other exception a
    :class:`CodeFailed` that names the inputs (the original exception is chained to it, so
    the line of the reader's code that failed is in the traceback).
    """
    __tracebackhide__ = True
    name = name or _name(function)
    copies = {key: value.copy() if isinstance(value, np.ndarray) else value for key, value in arguments.items()}
    try:
        result = function(*copies.values())
    except NotImplementedError:
        raise ExerciseIncomplete(
            f"{name}: not written yet: replace `raise NotImplementedError()` in {name} with your code"
        ) from None
    except Exception as error:
        inputs = ", ".join(f"{key} {_describe(value)}" for key, value in arguments.items())
        raise CodeFailed(
            f"{name} raised {type(error).__name__}: {error}\n"
            f"It was called with {inputs}; the traceback above shows the line that failed."
        ) from error
    for key, value in arguments.items():
        if isinstance(value, np.ndarray) and not np.array_equal(copies[key], value, equal_nan=True):
            raise WrongAnswer(
                f"{name} changed its argument {key} in place. Compute a new array instead "
                f"(e.g. `{key} * mask`, not `{key} *= mask`): in a network, the caller may still need it."
            )
    return result


def outputs(name: str, result, names: tuple[str, ...]) -> tuple:
    """``result`` as a tuple of ``len(names)`` outputs, or AssertionError if it has another length."""
    __tracebackhide__ = True
    wanted = "(" + ", ".join(names) + ")"
    if not isinstance(result, tuple | list):
        raise WrongAnswer(f"{name} must return {len(names)} arrays {wanted}, got {_describe(result)}")
    if len(result) != len(names):
        raise WrongAnswer(f"{name} must return {len(names)} arrays {wanted}, got {len(result)} values")
    return tuple(result)


def _factor_note(factor: float, batch: int | None) -> str:
    if np.isclose(factor, -1.0, rtol=1e-3):
        return "it has the wrong sign"
    if batch and batch > 1 and np.isclose(factor, batch, rtol=1e-3):
        return f"it is {batch} = N times too large: a sum over the batch where the mean was wanted?"
    if batch and batch > 1 and np.isclose(factor, 1.0 / batch, rtol=1e-3):
        return f"it is {batch} = N times too small: a mean over the batch where the sum was wanted?"
    return f"it is off by a factor of {factor:.4g}"


def compare(
    name: str,
    output: str,
    got,
    expected: np.ndarray,
    *,
    tol: float = DEFAULT_TOL,
    against: str = "finite differences",
    shape_of: str = "",
    batch: int | None = None,
    case: str = "",
    hint: str = "",
) -> float:
    """The relative error of output ``output`` of function ``name``; AssertionError if it is wrong.

    ``expected`` is the right value (from finite differences or ganlib); ``got`` what the
    reader's function returned. Wrong: not an array of numbers, another shape (``shape_of``
    says what the shape should match, e.g. ``"the shape of W"``), NaN or inf, or a relative
    error above ``tol``. The message says which, with the relative error, a diagnosis where
    one is clear (the transpose, the wrong sign, a factor of ``batch`` = N) and ``hint``.
    ``case`` names the inputs when a check tries several (``"with slope 0.05"``).
    """
    __tracebackhide__ = True
    where = f"{name}: {output}" + (f" ({case})" if case else "")
    hint = f"\nHint: {hint}" if hint else ""
    if got is None:
        raise WrongAnswer(f"{where} is None: did you forget to `return` it?{hint}")
    try:
        value = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise WrongAnswer(f"{where} is {_describe(got)}, not an array of numbers{hint}") from None
    expected = np.asarray(expected, dtype=np.float64)
    if value.shape != expected.shape:
        should = f"the shape of {shape_of}, " if shape_of else ""
        note = ""
        if value.ndim == 2 and value.shape == expected.shape[::-1]:
            note = ": is it the transpose of what you want?"
        elif value.size == expected.size:
            note = ": the right number of entries in another shape (keepdims, or a reshape?)"
        raise WrongAnswer(f"{where} has shape {value.shape}, expected {should}{expected.shape}{note}{hint}")
    if not np.all(np.isfinite(value)):
        raise WrongAnswer(f"{where} contains NaN or inf{hint}")
    error = rel_error(value, expected)
    if error > tol:
        note = ""
        norm = float(np.sum(expected * expected))
        if norm > 0:
            factor = float(np.sum(value * expected)) / norm
            if abs(factor - 1.0) > 1e-3 and rel_error(value, factor * expected) < tol:
                note = f"; {_factor_note(factor, batch)}"
        raise WrongAnswer(
            f"{where} is wrong: relative error {error:.1e} vs {against} (tolerance {tol:.0e}){note}{hint}"
        )
    return error


def correct(name: str, errors: Mapping[str, float], against: str = "finite differences", note: str = "") -> None:
    """Print the success line: ``name: correct (dx 3e-10, dW 2e-10 relative error vs finite differences)``."""
    listed = ", ".join(f"{output} {error:.0e}" for output, error in errors.items())
    print(f"{name}: correct ({listed} relative error vs {against}{note})")


def compare_gradients(
    name: str,
    function: Callable,
    arguments: Mapping[str, object],
    loss: Callable[[], float],
    wrt: Mapping[str, np.ndarray],
    errors: dict,
    *,
    shape_of: Mapping[str, str],
    hints: Mapping[str, str],
    **options,
) -> None:
    """Check a backward pass: ``function(*arguments.values())`` must return one gradient per entry of
    ``wrt`` (``{"dx": x, "dW": W, ...}``, in that order), each equal to the centred finite difference
    of ``loss()`` with respect to that array.

    A wrong output raises :class:`WrongAnswer` through :func:`compare` (``shape_of``, ``hints`` and
    ``options`` such as ``batch`` or ``case`` are passed on); otherwise each output's relative
    error goes into ``errors``, the largest one kept when a check calls this for several inputs.
    """
    __tracebackhide__ = True
    expected = {key: numerical_gradient(loss, array) for key, array in wrt.items()}
    result = call(function, arguments, name=name)
    got = dict(zip(expected, outputs(name, result, tuple(expected))))
    for key in expected:
        error = compare(name, key, got[key], expected[key], shape_of=shape_of[key], hint=hints[key], **options)
        errors[key] = max(errors.get(key, 0.0), error)
