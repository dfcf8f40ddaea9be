"""Application: pictures. Matplotlib is imported only when a figure is drawn.

============= ===================================================================
images        pixels: [-1, 1] to 8-bit, grids, upscaling, PNG and GIF files
figures       Matplotlib figures: grids, loss curves, the live training display
============= ===================================================================

``from ganlib import viz`` gives the figures (``viz.show_grid``, ``viz.plot_losses``, ...)
and the pixel module as ``viz.images``.
"""

from . import images
from .figures import *  # noqa: F403 - the figures are this package's public face
from .figures import __all__ as _figures

__all__ = ["images", *_figures]
