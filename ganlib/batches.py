"""Minibatches: one epoch's worth of example indices, the one place ganlib shuffles a training set.

Stochastic gradient methods look at the data a minibatch at a time, in a new random order
every epoch, so that each step's gradient is an unbiased estimate of the whole set's.
The GAN (:meth:`ganlib.gan.GAN.epoch_minibatches`) and the evaluation classifier both
take their batches from :func:`minibatches`.
"""

from __future__ import annotations

import numpy as np

from .checks import check_whole

__all__ = ["minibatches"]


def minibatches(
    rng: np.random.Generator, n: int, batch_size: int, *, drop_last: bool = True, sort: bool = False
) -> list[np.ndarray]:
    """One epoch's minibatches over n examples: index arrays of ``batch_size`` rows, in a random order.

    The order is one ``rng.permutation(n)`` (so a run's random stream advances by exactly one
    permutation per epoch). ``drop_last`` leaves out the n mod batch_size examples that do not
    fill a batch (they are as likely as any to be in the next epoch's batches); without it the
    last batch is smaller. ``sort`` sorts each batch's indices, which reads the rows of a large
    array in memory order (a faster gather) and changes nothing else: a batch is a set.
    """
    n, batch_size = check_whole(n, "n"), check_whole(batch_size, "batch_size", 1)
    order = rng.permutation(n)
    stop = n - n % batch_size if drop_last else n
    batches = [order[start : start + batch_size] for start in range(0, stop, batch_size)]
    return [np.sort(b) for b in batches] if sort else batches
