"""The live training display and GIFs in a notebook: one picture updated in place while a GAN trains.

:class:`LiveTrainingDisplay` is a ``gan.train`` (or :func:`ganlib.training.fit`) callback;
:func:`show_gif` shows a GIF written by :func:`ganlib.viz.images.save_gif`.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from .figures import plot_losses
from .images import image_grid

__all__ = ["LiveTrainingDisplay", "show_gif"]


def _in_notebook_kernel() -> bool:
    """True inside a Jupyter kernel (where rich display works), False in scripts and terminals."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class LiveTrainingDisplay:
    """A ``gan.train`` callback that redraws loss curves and samples in place, in a notebook.

    Usage::

        live = LiveTrainingDisplay()
        gan.train(X, epochs=5, callback=live, callback_every=200)

    Each call renders one PNG (losses, D outputs, and ``gan.generate(gan.fixed_z, gan.fixed_y)``
    as a grid, all at the current iteration) and replaces the previous picture in
    the same output area (``display(..., display_id=True)`` then ``handle.update``),
    so the notebook holds one light image instead of a figure per call. Figures
    are built without pyplot, so none pile up in its registry. Outside a Jupyter kernel (a script, a test) a call
    renders nothing and returns at once. ``render(gan)`` returns the PNG bytes
    anywhere, e.g. for a test or to save the last frame.

    Parameters: ``smooth`` (moving-average window of the curves), ``nrow``
    (images per row of the sample grid), ``max_images`` (grid size), ``dpi``.
    """

    def __init__(self, smooth: int = 50, nrow: int = 8, max_images: int = 64, dpi: int = 72):
        self.smooth, self.nrow, self.max_images, self.dpi = int(smooth), int(nrow), int(max_images), int(dpi)
        self.enabled = _in_notebook_kernel()
        self.handle = None
        self.last_iteration = None
        self.calls = 0

    def render(self, gan) -> bytes:
        """PNG bytes of the current state of ``gan`` (losses, D outputs, samples of the fixed batch)."""
        from matplotlib.figure import Figure  # not pyplot: nothing for the inline backend to re-show

        has_images = gan.config.data_dim > 1 and math.isqrt(gan.config.data_dim) ** 2 == gan.config.data_dim
        fig = Figure(figsize=(13 if has_images else 10, 3.4))
        fig.subplots_adjust(
            left=0.05, right=0.99, bottom=0.15, top=0.9, wspace=0.22
        )  # fixed: faster than a layout engine
        axes = fig.subplots(
            1, 3 if has_images else 2, gridspec_kw={"width_ratios": [1.4, 1.4, 1][: 3 if has_images else 2]}
        )
        if len(gan.history) > 0:
            plot_losses(
                gan.history,
                ax=[axes[0], axes[1]],
                smooth=self.smooth,
                generator_loss=gan.config.generator_loss,
                real_label=gan.config.real_label,
            )
        else:
            for a in axes[:2]:
                a.text(0.5, 0.5, "no iterations yet", ha="center", va="center", transform=a.transAxes)
        if has_images:
            n = self.max_images
            labels = None if gan.fixed_y is None else gan.fixed_y[:n]  # a conditional GAN's labels 0, 1, ..., 9, 0, ...
            samples = gan.generate(gan.fixed_z[:n], labels)
            grid = image_grid(samples, nrow=self.nrow)
            axes[2].imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            axes[2].set_axis_off()
            axes[2].set_title(f"fixed z, epoch {gan.epoch}, iteration {gan.iteration}", fontsize=10)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=self.dpi)
        return buf.getvalue()

    def __call__(self, gan) -> None:
        if not self.enabled or gan.iteration == self.last_iteration:
            return  # outside a notebook, or already drawn (epoch end coinciding with callback_every)
        from IPython.display import Image, display

        image = Image(data=self.render(gan), format="png")
        if self.handle is None:
            self.handle = display(image, display_id=True)
        else:
            self.handle.update(image)
        self.last_iteration = gan.iteration
        self.calls += 1


def show_gif(path_or_bytes, width: int | None = None):
    """A notebook display object for a GIF file (or its bytes): ``IPython.display.Image``, format gif.

    Make it the last expression of a cell (or pass it to ``display``); the animation is
    embedded in the notebook as ``image/gif``, so it also plays in saved notebooks.
    """
    from IPython.display import Image

    data = path_or_bytes if isinstance(path_or_bytes, (bytes, bytearray)) else Path(path_or_bytes).read_bytes()
    if bytes(data[:6]) not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF file")
    return Image(data=bytes(data), format="gif", width=width)
