"""Application: the latent-space explorer, an ipywidgets app (also served by Voila).

============= ===================================================================
latent        latent-space maths: seeds, interpolation (lerp, slerp), directions
view          the widgets and how they are laid out; rendering digits as PNG
analysis      the classifier's reading and the nearest training image beside the digit
widget        LatentExplorer: the view, wired to a generator
============= ===================================================================

``from ganlib.explorer import LatentExplorer`` imports ipywidgets; ``ganlib.explorer.latent``
alone does not.
"""

__all__ = ["LatentExplorer", "render_png"]


def __getattr__(name):  # the widgets load only when asked for: latent maths needs no ipywidgets
    if name == "LatentExplorer":
        from .widget import LatentExplorer

        return LatentExplorer
    if name == "render_png":
        from .view import render_png

        return render_png
    raise AttributeError(f"module 'ganlib.explorer' has no attribute {name!r}")
