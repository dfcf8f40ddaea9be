"""Application: pictures. Matplotlib is imported only when a figure is drawn.

============= ===================================================================
images        pixels: [-1, 1] to 8-bit, grids, upscaling, PNG and GIF files
figures       Matplotlib figures: grids, loss curves, class histograms, metric curves
live          the live training display, and GIFs in a notebook
toy           the 1-D toy problem's figure (notebook 01)
============= ===================================================================

``from ganlib import viz`` gives every figure (``viz.show_grid``, ``viz.plot_losses``,
``viz.LiveTrainingDisplay``, ...) and the pixel module as ``viz.images``.
"""

from . import images
from .figures import *  # noqa: F403 - the figures are this package's public face
from .figures import __all__ as _figures
from .live import LiveTrainingDisplay, show_gif
from .toy import plot_1d_gan

__all__ = ["images", *_figures, "LiveTrainingDisplay", "plot_1d_gan", "show_gif"]
