r"""Checks for notebook 06 (exploring the latent space): two pieces the reader writes.

Each check calls the reader's function on random float64 inputs and compares what it returns
with ganlib's own implementation (:func:`ganlib.explorer.latent.slerp`,
:class:`ganlib.evaluation.metrics.NearestNeighbours`), never with numbers written in the notebook.
Their messages name the reader's function as the notebook names it
(``nearest_training_distance_mine``, not ``nearest_training_distance``; :func:`ganlib.exercises.function_name`).

================================== ==================================================================
check_slerp                        ``slerp(a, b, t) -> (d,)``, spherical interpolation (White, 2016)
check_nearest_training_distance    ``nearest_training_distance(samples, train) -> (distances, indices)``
================================== ==================================================================
"""

from __future__ import annotations

import numpy as np

from ..evaluation import metrics
from ..explorer import latent
from . import WrongAnswer, call, compare, correct, function_name, outputs

__all__ = ["check_nearest_training_distance", "check_slerp"]


def check_slerp(slerp, seed: int = 0) -> None:
    """Check ``slerp(a, b, t) -> (d,)``: the point at ``t`` on the great-circle path from ``a`` to ``b``,
    its norm moving linearly from ``|a|`` to ``|b|``."""
    __tracebackhide__ = True
    name = function_name(slerp, "slerp")  # the reader's name for it, e.g. slerp_mine
    rng = np.random.default_rng(seed)
    d = 100
    a, b = rng.standard_normal(d), 1.3 * rng.standard_normal(d)  # two norms, so the norm must move linearly
    hint = (
        "with a_hat = a/|a|, b_hat = b/|b| and the angle omega = arccos(a_hat . b_hat), the direction is "
        "(sin((1-t) omega) a_hat + sin(t omega) b_hat) / sin(omega), a unit vector; multiply it by "
        "(1-t)|a| + t|b|. A straight line (1-t) a + t b cuts inside the shell."
    )
    errors = []
    for t in (0.0, 0.25, 0.5, 0.9, 1.0):
        expected = latent.slerp(a, b, t)
        got = call(slerp, {"a": a, "b": b, "t": t}, name=name)
        errors.append(
            compare(
                name,
                "z",
                got,
                expected,
                against="ganlib.explorer.latent.slerp",
                shape_of="a",
                case=f"t = {t}",
                hint=hint,
            )
        )
    correct(name, {"z": max(errors)}, against="ganlib.explorer.latent.slerp", note=", five values of t")


def check_nearest_training_distance(nearest_training_distance, seed: int = 0) -> None:
    """Check ``nearest_training_distance(samples, train) -> (distances (N,), indices (N,))``: for each
    sample, the Euclidean distance to its nearest training image and that image's row."""
    __tracebackhide__ = True
    name = function_name(nearest_training_distance, "nearest_training_distance")  # e.g. ..._mine
    rng = np.random.default_rng(seed)
    n, m, d = 9, 60, 784
    # float32 values, so that ganlib's float32 search sees exactly the same numbers
    train = rng.uniform(-1, 1, (m, d)).astype(np.float32).astype(np.float64)
    samples = rng.uniform(-1, 1, (n, d)).astype(np.float32).astype(np.float64)
    samples[4] = train[17]  # an exact copy: distance 0
    expected_d, expected_i = metrics.NearestNeighbours(train).query(samples)
    result = call(nearest_training_distance, {"samples": samples, "train": train}, name=name)
    got_d, got_i = outputs(name, result, ("distances", "indices"))
    hint = (
        "|x - y|^2 = |x|^2 - 2 x.y + |y|^2 for every pair at once: samples @ train.T is (N, M); take the square root "
        "of the smallest squared distance in each row (clip tiny negatives to 0) and its argmin. Both outputs are (N,)."
    )
    against = "ganlib.evaluation.metrics"
    if np.ndim(got_i) == 1 and len(got_i) == n and np.asarray(got_i)[4] != 17:
        raise WrongAnswer(f"{name}: indices: sample 4 is a copy of training image 17, got {got_i[4]}\nHint: {hint}")
    errors = {
        "distances": compare(
            name,
            "distances",
            got_d,
            expected_d,
            tol=1e-5,
            against=against,
            shape_of="(N,)",
            hint=hint,
        ),
        "indices": compare(name, "indices", got_i, expected_i, against=against, shape_of="(N,)", hint=hint),
    }
    correct(name, errors, against=against, note=f", {n} samples, {m} training images")
