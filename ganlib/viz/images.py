"""Images as arrays and files: pixels for display, grids, PNG and GIF encoding, input checks.

No plotting library is needed here (Pillow encodes PNG and GIF); :mod:`ganlib.viz` draws
figures with Matplotlib on top of these. Images come the way the rest of ganlib makes them:
``(N, 784)`` float in ``[-1, 1]`` (a tanh generator's output, or MNIST after
:func:`ganlib.data.mnist.to_tanh_range`), or ``uint8`` in ``[0, 255]``; any square size works
(``D = side * side``), and ``(N, side, side)`` is accepted too.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

__all__ = [
    "GRID_PAD_VALUE",
    "IMAGE_SIZE",
    "check_images",
    "image_grid",
    "save_gif",
    "save_grid_png",
    "to_png_bytes",
    "to_uint8",
    "upscale",
]

IMAGE_SIZE = 28 * 28
GRID_PAD_VALUE = 128  # mid-grey lines: visible between black MNIST backgrounds and white strokes


def check_images(samples, name: str = "samples") -> np.ndarray:
    """Validate a batch of images in [-1, 1]: shape (N, 784), finite, in range. Returns float32."""
    x = np.asarray(samples)
    if x.ndim == 3 and x.shape[1:] == (28, 28):
        x = x.reshape(len(x), IMAGE_SIZE)
    if x.ndim != 2 or x.shape[1] != IMAGE_SIZE:
        raise ValueError(f"{name} must have shape (N, 784) (or (N, 28, 28)), got {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    if x.dtype == np.uint8:
        raise TypeError(
            f"{name} are uint8 pixels 0..255; the metrics take images in [-1, 1]: "
            "convert with ganlib.data.mnist.to_tanh_range(images)"
        )
    x = x.astype(np.float32, copy=False)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contain NaN or Inf")
    lo, hi = float(x.min()), float(x.max())
    if lo < -1.001 or hi > 1.001:
        raise ValueError(f"{name} must lie in [-1, 1] (a tanh generator's output), got values in [{lo:.3g}, {hi:.3g}]")
    return x


def to_uint8(images) -> np.ndarray:
    """Pixel values for display: float in [-1, 1] -> uint8 in [0, 255] (-1 black, +1 white).

    Floats outside [-1, 1] are clipped; NaN raises. ``uint8`` input is returned unchanged.
    Any shape; the result has the same shape.
    """
    a = np.asarray(images)
    if a.dtype == np.uint8:
        return a
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"images must be float in [-1, 1] or uint8 in [0, 255], got dtype {a.dtype}")
    a = a.astype(np.float32)
    if np.isnan(a).any():
        raise ValueError("images contain NaN (did training diverge?)")
    return np.rint((np.clip(a, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)


def _as_square_images(images) -> np.ndarray:
    """(N, D) with D = side^2, (N, side, side) or one image (D,) -> (N, side, side), original dtype."""
    a = np.asarray(images)
    if a.ndim == 1:
        a = a[None]
    if a.ndim == 3 and a.shape[1] == a.shape[2]:
        return a
    if a.ndim != 2:
        raise ValueError(f"images must have shape (N, 784) (or (N, side, side)), got {a.shape}")
    side = math.isqrt(a.shape[1])
    if side * side != a.shape[1] or side == 0:
        raise ValueError(f"images must have shape (N, D) with D a perfect square such as 784 = 28 x 28, got {a.shape}")
    return a.reshape(len(a), side, side)


def image_grid(images, nrow: int | None = None, pad: int = 2, pad_value: int = GRID_PAD_VALUE) -> np.ndarray:
    """Tile images into one picture.

    Parameters
    ----------
    images : (N, 784) float in [-1, 1] or uint8 (also (N, 28, 28), or any square size)
    nrow : images per row (default: ceil(sqrt(N)), a near-square grid)
    pad : pixels between images and around the border
    pad_value : grey level (0-255) of the padding

    Returns
    -------
    uint8 array of shape (H, W) with H = rows * (side + pad) + pad, W = nrow * (side + pad) + pad.
    """
    tiles = to_uint8(_as_square_images(images))
    n, side = len(tiles), tiles.shape[1]
    if n == 0:
        raise ValueError("image_grid needs at least one image, got an empty batch")
    nrow = int(nrow) if nrow is not None else math.ceil(math.sqrt(n))
    if nrow < 1:
        raise ValueError(f"nrow must be >= 1, got {nrow}")
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    nrow = min(nrow, n)
    rows = math.ceil(n / nrow)
    step = side + pad
    grid = np.full((rows * step + pad, nrow * step + pad), pad_value, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, nrow)
        grid[pad + r * step : pad + r * step + side, pad + c * step : pad + c * step + side] = tile
    return grid


def upscale(image2d: np.ndarray, scale: int) -> np.ndarray:
    """Enlarge a picture (H, W) ``scale`` times by nearest neighbour: each pixel becomes a block."""
    scale = int(scale)
    if scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale}")
    return image2d if scale == 1 else np.repeat(np.repeat(image2d, scale, axis=0), scale, axis=1)


def to_png_bytes(image2d, scale: int = 4) -> bytes:
    """Encode a greyscale picture as PNG, enlarged ``scale`` times by nearest neighbour (crisp pixels).

    ``image2d``: (H, W) uint8, or float in [-1, 1] (e.g. ``image_grid(...)`` or one 28 x 28 digit).
    Returns the PNG file's bytes (for ``IPython.display.Image`` or ``ipywidgets.Image``).
    """
    from PIL import Image

    a = np.asarray(image2d)
    if a.ndim != 2:
        raise ValueError(f"to_png_bytes takes one greyscale picture of shape (H, W), got {a.shape}")
    buf = io.BytesIO()
    # optimize=False: ~1 ms for a 224 x 224 digit against ~12 ms, for a 5% larger file;
    # the explorer re-encodes on every slider move.
    Image.fromarray(upscale(to_uint8(a), scale), mode="L").save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def save_grid_png(images, path, nrow: int | None = None, scale: int = 2, pad: int = 2) -> Path:
    """Write ``image_grid(images, nrow, pad)`` as a PNG file, enlarged ``scale`` times. Returns the path.

    ``images``: (N, 784) float in [-1, 1] or uint8. Parent folders are created; the file is
    replaced atomically (:func:`ganlib.io.archive.atomic_write`).
    """
    from ..io.archive import atomic_write

    png = to_png_bytes(image_grid(images, nrow=nrow, pad=pad), scale=scale)
    return atomic_write(path, lambda f: f.write(png))


def _snapshots_and_iterations(history_or_snapshots, iterations):
    if hasattr(history_or_snapshots, "snapshots"):
        snaps = list(history_or_snapshots.snapshots)
        if iterations is None:
            iterations = list(history_or_snapshots.snapshot_iterations)
    else:
        snaps = list(history_or_snapshots)
    if not snaps:
        raise ValueError("no snapshots to animate: train with a History that records snapshots first")
    if iterations is not None and len(iterations) != len(snaps):
        raise ValueError(f"got {len(snaps)} snapshots but {len(iterations)} iteration numbers")
    return snaps, iterations


def save_gif(
    history_or_snapshots,
    path,
    fps: float = 4,
    nrow: int = 8,
    scale: int = 1,
    iterations=None,
    levels: int = 32,
    hold_last: float = 1.5,
) -> Path:
    """Animate the fixed latent batch across training: one frame per snapshot, labelled with its iteration.

    Parameters
    ----------
    history_or_snapshots : a :class:`ganlib.gan.History` (its ``snapshots``, each (n_fixed, 784)
        float16 in [-1, 1], and ``snapshot_iterations``), or a sequence of such arrays
    path : where to write the ``.gif`` (parent folders are created; the file is replaced atomically)
    fps : frames per second; the last frame stays ``hold_last`` seconds so the result can be seen
    nrow : images per row of each frame's grid
    scale : integer nearest-neighbour enlargement
    iterations : labels for a plain sequence of snapshots (default: frame numbers)
    levels : grey levels kept (<= 256); fewer levels make a smaller file

    Returns the path written, as a :class:`pathlib.Path`. The GIF is greyscale
    (a palette of ``levels`` greys) and loops forever.
    """
    from PIL import Image, ImageDraw, ImageFont

    snaps, iterations = _snapshots_and_iterations(history_or_snapshots, iterations)
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if not 2 <= int(levels) <= 256:
        raise ValueError(f"levels must be in [2, 256], got {levels}")
    step = 256 / int(levels)
    font = ImageFont.load_default()
    label_height = 14
    frames = []
    for i, snap in enumerate(snaps):
        grid = upscale(image_grid(np.asarray(snap, dtype=np.float32), nrow=nrow), scale)
        grid = (np.floor(grid / step) * step + step / 2).clip(0, 255).astype(np.uint8) if levels < 256 else grid
        canvas = np.zeros((grid.shape[0] + label_height, grid.shape[1]), dtype=np.uint8)
        canvas[label_height:] = grid
        frame = Image.fromarray(canvas, mode="L")
        label = f"iteration {iterations[i]}" if iterations is not None else f"frame {i}"
        ImageDraw.Draw(frame).text((3, 1), label, fill=255, font=font)
        frames.append(frame)
    from ..io.archive import atomic_write

    ms = int(round(1000 / fps))
    durations = [ms] * len(frames)
    durations[-1] = max(ms, int(round(1000 * hold_last)))
    return atomic_write(
        path,
        lambda f: frames[0].save(
            f, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0, optimize=True
        ),
    )
