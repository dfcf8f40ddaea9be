"""ganlib's one file format: a ``.npz`` of plain arrays plus a JSON metadata document.

Checkpoints, shipped generators and the classifier are all archives:

* **Plain arrays, no pickle.** Files are read with ``allow_pickle=False``, so opening an
  untrusted file can never run code. The metadata is one JSON object stored as the
  string array ``"metadata.json"``; it always holds ``format``, ``format_version``,
  ``kind`` (``"gan"``, ``"generator"``, ``"classifier"``) and ``ganlib_version``.
* **Atomic writes.** An archive is written to a hidden temporary file in the target's
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
    "CheckpointError",
    "find_archives",
    "read_archive",
    "write_archive",
]

FORMAT = "ganlib-checkpoint"
FORMAT_VERSION = 1
METADATA_KEY = "metadata.json"
PARTIAL_SUFFIX = ".partial"


class CheckpointError(ValueError):
    """A checkpoint file is missing, damaged, or does not fit what was asked of it."""


# -- writing -----------------------------------------------------------------------------------
def write_archive(path, kind: str, metadata: dict, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` and ``metadata`` (plus the format fields) to ``path`` atomically. Returns the path.

    ``path`` must end in ``.npz``; parent folders are created. Any failure (a full disk,
    Ctrl-C) removes the temporary file and leaves an existing ``path`` untouched.
    """
    from . import __version__

    path = Path(path)
    if path.suffix != ".npz":
        raise CheckpointError(f"checkpoint path must end in .npz, got {path}")
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, "ganlib_version": __version__}
    document = {**metadata, **header}  # the format fields always win
    contents = {METADATA_KEY: np.array(json.dumps(document)), **arrays}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for open()
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **contents)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX and Windows: readers see old or new, never half
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


# -- reading -----------------------------------------------------------------------------------
def read_archive(path, kinds: tuple[str, ...] | None = None, hint: str = "") -> tuple[dict, dict[str, np.ndarray]]:
    """Read an archive: returns ``(metadata, arrays)``, ``metadata.json`` parsed and removed from ``arrays``.

    ``kinds``: the accepted values of ``metadata["kind"]`` (None accepts any). Raises
    :class:`CheckpointError`, naming the file, for anything that is not a readable archive
    of an accepted kind written by this or an older ganlib; a missing file's message ends
    with ``hint`` (how to make one).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}: check the path{hint}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as err:
        raise CheckpointError(
            f"{path} is not a readable ganlib checkpoint ({type(err).__name__}: {err}); "
            "the file is damaged or not a checkpoint: re-save it, or use an earlier copy"
        ) from err
    metadata = _metadata(path, arrays.pop(METADATA_KEY, None))
    if kinds is not None and metadata.get("kind") not in kinds:
        raise CheckpointError(
            f"{path} holds a {metadata.get('kind')!r}, but a {' or '.join(map(repr, kinds))} was expected"
        )
    return metadata, arrays


def _metadata(path: Path, raw) -> dict:
    if raw is None:
        raise CheckpointError(f"{path} has no {METADATA_KEY!r} entry: it is an .npz file but not a ganlib checkpoint")
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path}: its metadata is not valid JSON ({err})") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise CheckpointError(f"{path} is not a ganlib checkpoint (format {found!r})")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"{path}: format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path} was written by a newer ganlib (format {version}, this one reads {FORMAT_VERSION}): upgrade ganlib"
        )
    return meta


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
