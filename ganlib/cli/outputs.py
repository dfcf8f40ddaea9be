"""Every command's outputs, checked before any work and written by one rule.

The rule: an output that exists is replaced, atomically. Each file is written to a hidden
temporary file beside it and renamed over the old one only once complete
(:func:`ganlib.io.archive.atomic_write`), so a failure midway (a full disk, Ctrl-C, a bug)
leaves the old file as it was. Running a command again with the same outputs therefore just
works, whatever the command; what stays an error is a folder where a file should go, a file
where a folder should go, and a place that cannot be written, each found before any work.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import UserError

__all__ = ["check_file", "check_folder", "check_free_space", "labels_path", "replace_files", "shown_bytes"]


def check_file(option: str, path: Path) -> None:
    """Before any work: ``path`` can be written as a file (replacing the one there, if any)."""
    problem = _problem(path, folder=False)
    if problem is not None:
        raise UserError(f"{option} {path}: {problem}")


def check_folder(option: str, path: Path, names=()) -> None:
    """Before any work: ``path`` can be written as a folder holding the files ``names`` (each replaced if it exists)."""
    problem = _problem(path, folder=True)
    for name in names if problem is None else ():
        if (path / name).is_dir():
            problem = (
                f"{path / name} is a folder, where the file {name} would go: remove it, or choose another {option}"
            )
            break
    if problem is not None:
        raise UserError(f"{option} {path}: {problem}")


def _problem(path: Path, folder: bool) -> str | None:
    """Why ``path`` cannot be written as a file (or ``folder``), or None. Writes nothing but a probe file, removed."""
    if "\0" in str(path):
        return "the name contains a NUL byte; give another name"
    try:
        try:
            os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):  # not there yet (NotADirectory: a parent is a file)
            existing = next(p for p in path.parents if os.path.lexists(p))
            if not existing.is_dir():
                return f"{existing} is not a folder, so nothing can be made in it; choose another path"
            return _probe(existing)
        if path.is_dir() != folder:  # there: it is replaced, by files created beside it (or in it)
            return "is a file; give a folder" if folder else "is a folder; give a file name"
        if not folder and not path.is_file():
            return "is not a regular file (a broken link, a device or a pipe?); give another name"
        return _probe(path if folder else path.parent)
    except OSError as err:  # a name too long, a symlink loop, no permission to look
        return f"cannot write there ({err.strerror or err}); choose another path"


def _probe(folder: Path) -> str | None:
    """None if a file can be created in ``folder`` (where atomic_write puts its temporary file), else why not."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".ganlib-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:  # no permission, a read-only file system, /proc
        return f"cannot write there (no file can be created in {folder}: {err.strerror or err}); choose a folder you can write to"
    return None


def labels_path(out: Path) -> Path:
    """Where ``sample`` writes a conditional generator's labels: ``F.npy`` -> ``F.labels.npy``."""
    return out.with_suffix(".labels.npy")


def shown_bytes(n: int) -> str:
    """A size for a message: ``31.4 kB``, ``2.1 GB``."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def check_free_space(option: str, path: Path, needed: int) -> None:
    """``needed`` bytes fit on ``path``'s disk (the old file stays until the new one is complete, so it counts)."""
    existing = next(p for p in (path.parent, *path.parents) if p.exists())
    free = shutil.disk_usage(existing).free
    if needed > free:
        raise UserError(
            f"{option} {path} would take {shown_bytes(needed)}, but its disk has {shown_bytes(free)} free: "
            "free some space, write elsewhere, or ask for fewer images"
        )


def replace_files(writes: dict[Path, Callable], remove=()) -> None:
    """Write several files as one output: each ``writes[path](f)`` fills a hidden temporary file beside ``path``
    (:func:`ganlib.io.archive.atomic_write`), and only when all are complete are they renamed over their targets,
    and the files ``remove`` (left from an earlier run, that no longer belong) deleted. A failure before that
    leaves every target as it was. Raises ``OSError``."""
    from ..io.archive import atomic_write

    staged = {}
    try:
        for path, write in writes.items():
            staged[path] = atomic_write(path.parent / f".{path.name}.{secrets.token_hex(4)}.staged", write)
        for path, tmp in staged.items():
            os.replace(tmp, path)
        for path in remove:
            if path.is_file():
                path.unlink()
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
