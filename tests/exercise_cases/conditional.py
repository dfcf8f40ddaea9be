"""Notebook 08 (ganlib.exercises.conditional): the label's concatenation and the per-digit agreement."""

import numpy as np

from exercise_cases import Case
from ganlib.exercises.conditional import check_class_agreement, check_concat_label


def _one_hot(y, c):
    e = np.zeros((len(y), c))
    e[np.arange(len(y)), y] = 1
    return e


def concat_solution(a, y, num_classes):
    return np.concatenate([a, _one_hot(y, num_classes)], axis=1)


def concat_label_first(a, y, num_classes):
    return np.concatenate([_one_hot(y, num_classes), a], axis=1)


def concat_wrong_axis(a, y, num_classes):
    # rows appended below a, not columns beside it (the one-hot cut to a's width to make it fit)
    return np.concatenate([a, _one_hot(y, num_classes)[:, : a.shape[1]]], axis=0)


def concat_integer_label(a, y, num_classes):
    return np.concatenate([a, y[:, None].astype(float)], axis=1)


def concat_shifted_one_hot(a, y, num_classes):
    # the 1 one column to the left (labels counted from 1): label 0 lands in the last column
    return np.concatenate([a, _one_hot((y - 1) % num_classes, num_classes)], axis=1)


def agreement_solution(predicted, asked):
    return np.array([np.mean(predicted[asked == c] == c) for c in range(10)])


def agreement_by_predicted(predicted, asked):
    # the fraction of the samples *read as* c that were asked for as c: precision, not agreement
    return np.array([np.mean(asked[predicted == c] == c) if np.any(predicted == c) else 0.0 for c in range(10)])


def agreement_over_all(predicted, asked):
    # divided by all N samples, not by the samples asked for as c
    return np.array([np.sum((predicted == c) & (asked == c)) / len(asked) for c in range(10)])


def agreement_overall(predicted, asked):
    return float(np.mean(predicted == asked))


CASES = {
    check_concat_label: Case(
        concat_solution,
        {
            "label first": (concat_label_first, "the first 5 columns must be a itself"),
            "wrong axis of concatenation": (concat_wrong_axis, "has shape (12, 5)"),
            "the integer label, not one-hot": (concat_integer_label, "has shape (6, 6)"),
            "labels counted from 1": (concat_shifted_one_hot, "(N = 6, D = 5, C = 10) is wrong"),
        },
        names_the_function=True,
    ),
    check_class_agreement: Case(
        agreement_solution,
        {
            "by predicted digit": (agreement_by_predicted, "agreement is wrong"),
            "over all samples": (agreement_over_all, "agreement is wrong"),
            "one overall number": (agreement_overall, "has shape ()"),
        },
        names_the_function=True,
    ),
}
