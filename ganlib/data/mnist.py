"""MNIST for ganlib: the four files, their checksums, the splits and scaling (downloading: :mod:`ganlib.data.download`).

Where the files are looked for is decided by :func:`ganlib.data.paths.mnist_dir`: in a clone of
the repository they are committed under ``data/mnist`` (see the README there for source,
licence and checksums), so nothing is downloaded::

    from ganlib.data.mnist import load_mnist, to_tanh_range
    images, labels = load_mnist("train")      # uint8 (50000, 784), uint8 (50000,)
    x = to_tanh_range(images)                 # float32 in [-1, 1], for a tanh generator

Installed from a wheel, ganlib downloads them into a per-user folder on first use, from
``$GANLIB_MNIST_MIRROR`` or :data:`ganlib.data.download.DEFAULT_MIRROR`, and verifies each file's sha256 before
keeping it. The files are parsed by :mod:`ganlib.data.idx`.

Every problem with a data file raises :class:`MNISTError` (a ``ValueError``); a missing file
raises :class:`MNISTFileNotFoundError`, which is also a ``FileNotFoundError``. The messages
name the file, say what was expected and what was found, and how to fix it.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import numpy as np

from . import paths
from .idx import MNISTError, MNISTFileNotFoundError, read_idx

__all__ = [
    "MNIST_FILES",
    "SPLITS",
    "MNISTError",
    "MNISTFileNotFoundError",
    "default_data_dir",
    "load_mnist",
    "to_tanh_range",
    "to_unit_range",
]


#: Uncompressed base name -> sha256 of the *uncompressed* contents (header + data) and the
#: array shape stored in the file. We check the uncompressed bytes because the gzip wrapper
#: differs between mirrors (ours was re-made), while the contents are canonical.
MNIST_FILES: dict[str, dict] = {
    "train-images-idx3-ubyte": {
        "sha256": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "shape": (60000, 28, 28),
    },
    "train-labels-idx1-ubyte": {
        "sha256": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "shape": (60000,),
    },
    "t10k-images-idx3-ubyte": {
        "sha256": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "shape": (10000, 28, 28),
    },
    "t10k-labels-idx1-ubyte": {
        "sha256": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        "shape": (10000,),
    },
}

#: split name -> (file prefix, rows taken). As in Goodfellow et al. 2014: the last 10,000
#: training images are held out for validation.
SPLITS: dict[str, tuple[str, slice]] = {
    "train": ("train", slice(0, 50000)),
    "validation": ("train", slice(50000, 60000)),
    "test": ("t10k", slice(None)),
    "train_full": ("train", slice(None)),
}


def default_data_dir() -> Path:
    """The folder holding the MNIST files: :func:`ganlib.data.paths.mnist_dir` (``$GANLIB_DATA_DIR``,
    the checkout's ``data/mnist``, or a per-user folder)."""
    return paths.mnist_dir()


def _find_file(data_dir: Path, name: str) -> Path | None:
    """Return ``data_dir/<name>.gz`` or ``data_dir/<name>`` (the first that is there), else None.

    "There" means anything but certainly absent: a folder of that name, a symlink loop or a
    folder we may not search is returned too, so that reading it names the problem.
    """
    for candidate in (data_dir / f"{name}.gz", data_dir / name):
        try:
            os.lstat(candidate)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except (OSError, ValueError):  # no permission, a name too long, a NUL byte: let the reader say so
            pass
        return candidate
    return None


def _restore_hint(path: Path) -> str:
    """How to get a good copy of ``path`` back (used in error messages)."""
    return (
        f"To fix: delete {path} and restore it - the MNIST files are committed to the "
        "repository under data/mnist (`git checkout -- data/mnist`, or re-clone) - or "
        f"re-download it with ganlib.data.download_mnist({str(path.parent)!r})."
    )


def _missing_hint(data_dir: Path) -> str:
    """How to make missing files appear (used in error messages)."""
    env = os.environ.get(paths.DATA_DIR_VARIABLE)
    env_note = f"currently {env!r}" if env else "currently unset"
    return (
        "In a clone of the repository the MNIST files are committed under data/mnist: restore them "
        f"with `git checkout -- data/mnist` (or re-clone); or set {paths.DATA_DIR_VARIABLE} "
        f"({env_note}) to a directory that holds them; or pass download=True to load_mnist "
        f"(or call ganlib.data.download_mnist({str(data_dir)!r})) to fetch them from "
        f"{_mirror()}."
    )


# --------------------------------------------------------------------------- loading


@functools.lru_cache(maxsize=4)  # the four MNIST files
def _cached_read(resolved_path: str, mtime_ns: int, size: int, name: str) -> np.ndarray:
    """Read and verify one MNIST file; cached per (path, mtime, size), returned read-only.

    mtime and size are part of the key so a file replaced on disk is read again.
    """
    info = MNIST_FILES[name]
    array = read_idx(resolved_path, info["sha256"], fix_hint=_restore_hint(Path(resolved_path)))
    if array.shape != info["shape"]:  # cannot happen if the sha256 matched; be explicit
        raise MNISTError(f"{resolved_path}: shape {array.shape}, expected {info['shape']}")
    # Shared between all callers, so nobody may write into it.
    array.flags.writeable = False
    return array


def _load_verified(data_dir: Path, name: str) -> np.ndarray:
    """Return the cached, verified, read-only array for MNIST file ``name`` in ``data_dir``."""
    path = _find_file(data_dir, name)
    if path is None:
        raise MNISTFileNotFoundError(
            f"MNIST file {name} not found: looked for {data_dir / (name + '.gz')} and "
            f"{data_dir / name}. {_missing_hint(data_dir)}"
        )
    try:
        stat = path.stat()
        resolved = str(path.resolve())
    except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise MNISTError(
            f"{path}: cannot access the file ({type(exc).__name__}: {exc}). {_restore_hint(path)}"
        ) from exc
    return _cached_read(resolved, stat.st_mtime_ns, stat.st_size, name)


def load_mnist(
    split: str = "train",
    data_dir: str | os.PathLike | None = None,
    download: bool | None = None,
    base_url: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Load one MNIST split as flat uint8 images and uint8 labels.

    Splits (Goodfellow et al. 2014): ``"train"`` = training file rows [0, 50000),
    ``"validation"`` = rows [50000, 60000), ``"test"`` = the 10,000 t10k images,
    ``"train_full"`` = all 60,000 training images.

    Files are looked up as ``<name>.gz`` then ``<name>`` (uncompressed) in ``data_dir``
    (default :func:`default_data_dir`) and their sha256 is verified. Decoded files are cached
    in-process, so calling this repeatedly (e.g. from notebook cells) reads the disk once.

    Args:
        split: one of ``SPLITS``.
        data_dir: directory with the files; None means :func:`default_data_dir`.
        download: if True and a file is missing, call :func:`download_mnist` first (fetches
            every missing file, not just this split's). Corrupt existing files still raise.
            None (the default) downloads only into the per-user folder that ganlib uses
            when it is installed outside a checkout (first use); a checkout's or
            ``$GANLIB_DATA_DIR``'s missing files are reported instead.
        base_url: mirror passed to :func:`download_mnist` (default :func:`default_mirror`).

    Returns:
        images: uint8, shape (N, 784), values 0..255, each row a 28x28 image flattened
            row-major (``images[i].reshape(28, 28)`` gives it back).
        labels: uint8, shape (N,), values 0..9 (use ``labels.astype(np.int64)`` if you need
            a wider integer type).
        Both are READ-ONLY views of the shared cache (writing raises ValueError); call
        ``.copy()`` for a private, writable array. Scaling with :func:`to_tanh_range`
        makes a new array anyway.

    Raises:
        ValueError: unknown split.
        MNISTFileNotFoundError: a file is missing (and download=False).
        MNISTError: a file is corrupt or fails the checksum.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid splits: {', '.join(SPLITS)}")
    prefix, rows = SPLITS[split]
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
    if download is None:
        download = paths.is_user_data_dir(data_dir)
    if download and any(_find_file(data_dir, name) is None for name in names):
        print(f"MNIST is not in {data_dir} yet: downloading it (checksums are verified).", file=sys.stderr)
        from .download import download_mnist  # here: the downloader reads this module's table of files

        download_mnist(data_dir, base_url=base_url)

    images = _load_verified(data_dir, names[0])
    labels = _load_verified(data_dir, names[1])
    # reshape and slicing give views; views of a read-only array stay read-only and,
    # unlike the cached array itself, cannot be flipped back to writable.
    flat_images = images.reshape(images.shape[0], -1)
    return flat_images[rows], labels[rows]


# --------------------------------------------------------------------------- scaling


def to_tanh_range(images: np.ndarray) -> np.ndarray:
    """Map uint8 pixels 0..255 to float32 in [-1, 1] (x / 127.5 - 1), any shape.

    This matches the output range of a tanh generator, so real and fake images live in the
    same range. 0 maps to exactly -1.0 and 255 to exactly 1.0.

    Raises:
        TypeError: ``images`` is not uint8 (e.g. floats that were already scaled - scaling
            twice would silently squash the data).
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(
            f"to_tanh_range expects uint8 pixels 0..255 (as returned by "
            f"load_mnist), got dtype {images.dtype}; already-scaled floats must "
            f"not be scaled again"
        )
    return images.astype(np.float32) / np.float32(127.5) - np.float32(1.0)


def to_unit_range(x: np.ndarray) -> np.ndarray:
    """Map values in [-1, 1] (e.g. generator output) to float32 in [0, 1], for plotting.

    Computes (x + 1) / 2 and clips to [0, 1], so slight overshoot does not break imshow.
    Any shape; returns a new float32 array.
    """
    x = np.asarray(x, dtype=np.float32)
    return np.clip((x + np.float32(1.0)) * np.float32(0.5), 0.0, 1.0).astype(np.float32)


def _mirror() -> str:
    from .download import default_mirror  # here: the downloader reads this module's table of files

    return default_mirror()
