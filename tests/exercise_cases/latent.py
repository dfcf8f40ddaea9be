"""Notebook 06 (ganlib.exercises.latent): slerp and the nearest training image."""

import numpy as np

from exercise_cases import Case
from ganlib.exercises.latent import check_nearest_training_distance, check_slerp


def slerp_solution(a, b, t):
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    omega = np.arccos(np.clip(np.dot(a / na, b / nb), -1, 1))
    direction = (np.sin((1 - t) * omega) * a / na + np.sin(t * omega) * b / nb) / np.sin(omega)
    return ((1 - t) * na + t * nb) * direction


def slerp_lerp(a, b, t):
    return (1 - t) * a + t * b


def slerp_unnormalised(a, b, t):
    # the formula applied to a and b themselves: right only for unit vectors
    omega = np.arccos(np.clip(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)), -1, 1))
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def slerp_unit(a, b, t):
    # the direction only: the norm forgotten
    r = slerp_solution(a, b, t)
    return r / np.linalg.norm(r)


def slerp_fixed_norm(a, b, t):
    # the norm of a all along, not moving to |b|
    r = slerp_solution(a, b, t)
    return r / np.linalg.norm(r) * np.linalg.norm(a)


def _squared(samples, train):
    return (samples**2).sum(1)[:, None] - 2 * samples @ train.T + (train**2).sum(1)[None, :]


def nearest_solution(samples, train):
    d2 = np.clip(_squared(samples, train), 0, None)
    i = d2.argmin(axis=1)
    return np.sqrt(d2[np.arange(len(samples)), i]), i


def nearest_squared(samples, train):
    d2 = np.clip(_squared(samples, train), 0, None)
    return d2.min(axis=1), d2.argmin(axis=1)


def nearest_wrong_axis(samples, train):
    d2 = np.clip(_squared(samples, train), 0, None)
    return np.sqrt(d2.min(axis=0)), d2.argmin(axis=0)  # for each training image, its nearest sample


def nearest_dot(samples, train):
    s = samples @ train.T  # the largest dot product, not the smallest distance
    i = s.argmax(axis=1)
    return np.sqrt(np.clip(_squared(samples, train), 0, None))[np.arange(len(samples)), i], i


def nearest_farthest(samples, train):
    d2 = np.clip(_squared(samples, train), 0, None)
    return np.sqrt(d2.max(axis=1)), d2.argmax(axis=1)


CASES = {
    check_slerp: Case(
        slerp_solution,
        {
            "lerp instead of slerp": (slerp_lerp, "(t = 0.25) is wrong"),
            "unnormalised vectors": (slerp_unnormalised, "is wrong"),
            "the direction only": (slerp_unit, "(t = 0.0) is wrong"),
            "the norm of a all along": (slerp_fixed_norm, "(t = 0.25) is wrong"),
        },
        names_the_function=True,
    ),
    check_nearest_training_distance: Case(
        nearest_solution,
        {
            "squared distances": (nearest_squared, "distances is wrong"),
            "nearest along the wrong axis": (nearest_wrong_axis, "distances has shape (60,)"),
            "largest dot product": (nearest_dot, "is wrong"),
            "the farthest, not the nearest": (nearest_farthest, "copy of training image 17"),
            "distances only": (lambda samples, train: nearest_solution(samples, train)[0], "must return 2"),
        },
        names_the_function=True,
    ),
}
