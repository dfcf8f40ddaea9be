"""ganlib's one file format: a ``.npz`` of plain arrays plus a JSON metadata document.

Checkpoints, shipped generators and the classifier are all archives:

* **Plain arrays, no pickle.** Only arrays of numbers (and the metadata's text) are ever
  read, so opening an untrusted file can never run code. The metadata is one JSON object
  stored as the string array ``"metadata.json"``; it always holds ``format``,
  ``format_version``, ``kind`` (``"gan"``, ``"generator"``, ``"classifier"``) and
  ``ganlib_version``.
* **Bounded reading** (:mod:`ganlib.io.reader`). :func:`~ganlib.io.reader.open_archive` reads the zip's directory and the metadata;
  each array is then read only when asked for, after its declared shape, type and size
  (the member's .npy header and the zip directory) have been checked against what the
  caller expects, a chunk at a time and never past its declared size. A damaged or
  hostile file cannot make ganlib allocate more than the caller allows, and whatever
  the zip and .npy readers raise becomes a :class:`CheckpointError` naming the file.
* **Atomic writes** (:func:`atomic_write`, also used for ganlib's other output files). An archive is written to a hidden temporary file in the target's
  folder (``.NAME.XXXXXX.partial``), flushed to disk, and only then renamed over the
  target (``os.replace``): readers see the old file or the new one, never half of one,
  and a failed or killed save leaves the previous file intact. The temporary file is
  created with mode 0o666 so that the process umask applies, exactly as for ``open()``;
  nothing process-wide is changed.

:class:`CheckpointError` is raised for any file that cannot be read as what was asked.
"""

from __future__ import annotations

import json
import os
import secrets
import zipfile
from pathlib import Path

import numpy as np

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "METADATA_KEY",
    "MAX_ARRAY_BYTES",
    "CheckpointError",
    "atomic_write",
    "find_archives",
    "write_archive",
]

FORMAT = "ganlib-checkpoint"
FORMAT_VERSION = 1
METADATA_KEY = "metadata.json"
PARTIAL_SUFFIX = ".partial"


class CheckpointError(ValueError):
    """A checkpoint file is missing, damaged, or does not fit what was asked of it."""


# -- writing -----------------------------------------------------------------------------------
def atomic_write(path, write) -> Path:
    """Create or replace the file ``path`` atomically: ``write(f)`` fills a binary file ``f``. Returns the path.

    The data go to a hidden temporary file in the same folder (``.NAME.XXXXXXXX.partial``),
    are flushed to disk, and only then renamed over ``path``: readers see the old file or
    the new one, never half of one. Any failure (an exception in ``write``, a full disk,
    Ctrl-C) removes the temporary file and leaves an existing ``path`` untouched; a process
    killed outright leaves at most that ``.partial`` file, safe to delete. Parent folders
    are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for open()
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX and Windows: readers see old or new, never half
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_archive(path, kind: str, metadata: dict, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` and ``metadata`` (plus the format fields) to ``path`` atomically. Returns the path.

    ``path`` must end in ``.npz``; parent folders are created. Any failure (a full disk,
    Ctrl-C) removes the temporary file and leaves an existing ``path`` untouched
    (see :func:`atomic_write`). ``metadata`` must be JSON-serialisable (NumPy scalars are
    converted); a value that is not raises ``ValueError`` before anything is written.
    """
    from .. import __version__

    path = Path(path)
    if path.suffix != ".npz":
        raise CheckpointError(f"checkpoint path must end in .npz, got {path}")
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, "ganlib_version": __version__}
    document = {**metadata, **header}  # the format fields always win
    try:
        text = json.dumps(document, default=_json_scalar)
    except (TypeError, ValueError) as err:
        raise ValueError(f"cannot save {path}: its metadata is not JSON-serialisable ({err})") from err
    contents = {METADATA_KEY: np.array(text), **arrays}
    return atomic_write(path, lambda f: np.savez_compressed(f, **contents))


def _json_scalar(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# -- reading -----------------------------------------------------------------------------------
#: The largest array member ganlib reads (uncompressed), 1 GiB; the metadata's limit is 4 MiB.
#: Sizes are checked against the member's .npy header and the zip directory before reading,
#: and a member is decompressed a chunk at a time, never past its declared size.
MAX_ARRAY_BYTES = 1 << 30
MAX_METADATA_BYTES = 1 << 22


def prefixed(prefix: str, state: dict) -> dict:
    """``{"a": x}`` -> ``{"prefix/a": x}``: how a network's or optimizer's state is stored."""
    return {f"{prefix}/{name}": value for name, value in state.items()}


def unprefixed(prefix: str, arrays: dict) -> dict:
    """The inverse of :func:`prefixed`: the entries under ``prefix/``, with the prefix removed."""
    p = prefix + "/"
    return {name[len(p) :]: value for name, value in arrays.items() if name.startswith(p)}


def find_archives(roots) -> list[Path]:
    """The ``.npz`` files under the folders ``roots`` (recursively) that are ganlib archives.

    Only each zip's directory is read (is there a ``metadata.json`` member?), so this is
    fast even for large files; unreadable files are skipped. Sorted, without duplicates.
    """
    found = set()
    for root in map(Path, roots):
        if not root.is_dir():
            continue
        for path in root.rglob("*.npz"):
            try:
                with zipfile.ZipFile(path) as zf:
                    if METADATA_KEY + ".npy" in zf.namelist():
                        found.add(path.resolve())
            except (OSError, zipfile.BadZipFile):
                continue
    return sorted(found)
