"""What a long loop needs around it: a progress bar, and a Ctrl-C that waits for a safe moment.

Both are used by training (:meth:`ganlib.gan.GAN.train`), the classifier's training and
the MNIST download, so they live here once.
"""

from __future__ import annotations

import contextlib
import signal
import threading

__all__ = ["deferred_keyboard_interrupt", "progress_bar"]


class _NoBar:
    """Stands in for a tqdm bar when progress is switched off or tqdm is not installed."""

    def update(self, n=1):
        pass

    def set_postfix(self, **values):
        pass

    def close(self):
        pass


def progress_bar(total: int | None, enabled: bool = True, **tqdm_options):
    """A ``tqdm.auto`` bar (a widget in notebooks, text in a terminal), or a silent stand-in.

    ``total`` may be None (unknown length, e.g. a download without Content-Length).
    Extra options go to tqdm, e.g. ``unit="B", unit_scale=True`` for bytes. tqdm is
    optional: without it, nothing is shown.
    """
    if enabled:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return _NoBar()
        return tqdm(total=total, **tqdm_options)
    return _NoBar()


@contextlib.contextmanager
def deferred_keyboard_interrupt():
    """Turn SIGINT (Ctrl-C, a notebook's interrupt) into a flag, checked between iterations.

    An interrupt can then never land halfway through an optimizer update and leave the
    weights inconsistent. Yields a function that says whether an interrupt arrived.
    Signals can only be caught in the main thread; elsewhere this does nothing.
    The previous handler is restored on exit, whatever it was.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield lambda: bool(received)
    finally:
        signal.signal(signal.SIGINT, previous)
