"""Training with someone watching: :meth:`ganlib.gan.GAN.train` with a progress bar and a safe Ctrl-C.

The algorithm lives in the teaching core (:mod:`ganlib.gan`) and knows nothing of terminals
or notebooks; :func:`fit` adds what a person running it needs: a ``tqdm`` bar showing the
losses, and an interrupt (Ctrl-C, or a notebook's stop button) that waits for the end of
the current iteration, so it never lands halfway through an optimizer update.
"""

from __future__ import annotations

from ..gan import GAN, History, StopTraining
from .progress import deferred_keyboard_interrupt, progress_bar

__all__ = ["fit"]


def fit(
    gan: GAN,
    X,
    y=None,
    *,
    epochs: int | None = None,
    progress: bool = True,
    snapshot_every: int | None = None,
    callback=None,
    callback_every: int = 100,
) -> History:
    """``gan.train(X, y, ...)`` with a progress bar (``progress=False``: none) and a safe Ctrl-C.

    The arguments are :meth:`~ganlib.gan.GAN.train`'s. An interrupt stops after the current
    iteration and returns the history so far with ``history.interrupted = True``; the model is
    consistent and can be saved or trained further.
    """
    epochs = gan.config.epochs if epochs is None else epochs
    per_epoch = len(X) // (gan.config.batch_size * gan.config.k)
    bar = progress_bar(epochs * per_epoch, progress, unit="it", smoothing=0.1)
    shown = gan.iteration  # the iterations the bar has counted

    def after_each_iteration(g: GAN) -> None:
        # GAN.train calls this after every iteration and once more at the end of each epoch.
        nonlocal shown
        epoch_end = g.iteration == shown
        if not epoch_end:
            bar.update(g.iteration - shown)
            shown = g.iteration
            if g.iteration % 50 == 0:
                bar.set_postfix(loss_d=f"{g.history.loss_d[-1]:.3f}", loss_g=f"{g.history.loss_g[-1]:.3f}")
        if callback is not None and (epoch_end or g.iteration % callback_every == 0):
            callback(g)
        if interrupted():
            raise StopTraining

    with deferred_keyboard_interrupt() as interrupted:
        try:
            return gan.train(
                X, y, epochs=epochs, snapshot_every=snapshot_every, callback=after_each_iteration, callback_every=1
            )
        finally:
            bar.close()
