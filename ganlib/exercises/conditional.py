r"""Checks for notebook 08 (a conditional GAN): two pieces the reader writes.

Each check calls the reader's function on random inputs and compares what it returns with
ganlib's own implementation (:func:`ganlib.condition.concat_label`,
:func:`ganlib.evaluation.metrics.class_agreement`), never with numbers written in the notebook.
Their messages name the reader's function as the notebook names it (``concat_label_mine``, not
``concat_label``; :func:`ganlib.exercises.function_name`).

================================== ==================================================================
check_concat_label                 ``concat_label(a, y, num_classes) -> (N, D + C)``, [a, one-hot y]
check_class_agreement              ``class_agreement(predicted, asked) -> (10,)``, per asked-for digit
================================== ==================================================================
"""

from __future__ import annotations

import numpy as np

from .. import condition
from ..evaluation import metrics
from . import WrongAnswer, call, compare, correct, function_name

__all__ = ["check_class_agreement", "check_concat_label"]


def check_concat_label(concat_label, seed: int = 0) -> None:
    """Check ``concat_label(a, y, num_classes) -> (N, D + C)``: each row of ``a`` followed by the one-hot
    vector of its label."""
    __tracebackhide__ = True
    name = function_name(concat_label, "concat_label")  # the reader's name for it, e.g. concat_label_mine
    rng = np.random.default_rng(seed)
    hint = (
        "one_hot = np.zeros((N, num_classes)); one_hot[np.arange(N), y] = 1; then put it to the right of a, "
        "row by row: np.concatenate([a, one_hot], axis=1)."
    )
    against = "ganlib.condition.concat_label"
    errors = []
    for n, dim, c in ((6, 5, 10), (12, 3, 4)):
        a = rng.standard_normal((n, dim))
        y = rng.integers(0, c, size=n)
        expected = condition.concat_label(a, y, c)
        got = call(concat_label, {"a": a, "y": y, "num_classes": c}, name=name)
        if np.shape(got) == expected.shape and not np.allclose(np.asarray(got, dtype=np.float64)[:, :dim], a):
            raise WrongAnswer(f"{name}: the first {dim} columns must be a itself, the one-hot after them\nHint: {hint}")
        errors.append(
            compare(
                name,
                "[a, e_y]",
                got,
                expected,
                against=against,
                shape_of="(N, D + C)",
                case=f"N = {n}, D = {dim}, C = {c}",
                hint=hint,
            )
        )
    correct(name, {"[a, e_y]": max(errors)}, against=against, note=", two shapes")


class _Predicted:
    """A stand-in classifier that returns given predictions, so that ganlib's class_agreement can be called."""

    def __init__(self, predicted):
        self.predicted = predicted

    def predict(self, samples):
        return self.predicted


def check_class_agreement(class_agreement, seed: int = 0) -> None:
    """Check ``class_agreement(predicted, asked) -> (10,)``: entry c is the fraction of the samples asked for as
    digit c that the classifier read as c."""
    __tracebackhide__ = True
    name = function_name(class_agreement, "class_agreement")  # the reader's name for it, e.g. class_agreement_mine
    rng = np.random.default_rng(seed)
    n = 200
    asked = rng.integers(0, 10, size=n)
    asked[:10] = np.arange(10)  # every digit asked for at least once
    predicted = np.where(rng.random(n) < 0.7, asked, rng.integers(0, 10, size=n))  # right 70% of the time
    predicted[asked == 3] = 5  # digit 3 never drawn right, and 5 read far more often than asked for
    expected = metrics.class_agreement(np.zeros((n, 1)), asked, classifier=_Predicted(predicted))
    got = call(class_agreement, {"predicted": predicted, "asked": asked}, name=name)
    hint = (
        "for each digit c, take the samples that were asked for as c (asked == c) and the fraction of them "
        "with predicted == c: np.mean(predicted[asked == c] == c). Returns 10 numbers."
    )
    error = compare(
        name,
        "agreement",
        got,
        expected,
        against="ganlib.evaluation.metrics.class_agreement",
        shape_of="(10,)",
        hint=hint,
    )
    correct(name, {"agreement": error}, against="ganlib.evaluation.metrics", note=f", {n} samples")
