"""Reading ganlib's archives safely: the directory and metadata first, then each array only when asked,
after its declared shape, type and size have been checked (:mod:`ganlib.io.archive` describes the format).

Whatever the zip and .npy readers raise for a damaged or hostile file becomes a
:class:`~ganlib.io.archive.CheckpointError` naming the file; nothing is read past the size a
member declares, and never more than the caller allows.
"""

from __future__ import annotations

import contextlib
import json
import lzma
import math
import stat
import struct
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from .archive import FORMAT, FORMAT_VERSION, MAX_ARRAY_BYTES, MAX_METADATA_BYTES, METADATA_KEY, CheckpointError

__all__ = ["Archive", "open_archive", "read_archive"]


_CHUNK = 1 << 20


_COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}  # what np.savez* writes


# What the zip and .npy readers raise for a damaged file: a bad CRC or header (BadZipFile), a
# bad deflate stream (zlib.error), an unknown compression method (NotImplementedError), an
# encrypted member (RuntimeError), truncation (EOFError), a bad .npy header (ValueError,
# SyntaxError, TypeError, TokenError), ...
_DAMAGE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    NotImplementedError,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
    TypeError,
    SyntaxError,
    tokenize.TokenError,  # NumPy re-reads a header that does not parse with the tokenizer
    KeyError,
    IndexError,
    OverflowError,
    struct.error,
)


class Archive:
    """An open archive: its metadata (read and checked on opening), and its arrays, each read on request.

    Use :func:`open_archive`, as a context manager. Only the members asked for are read:
    :meth:`header` reads a member's .npy header (shape, dtype) and nothing else, and
    :meth:`array` checks that header against what the caller expects before reading the data.
    """

    def __init__(self, path: Path, zf: zipfile.ZipFile):
        self.path, self._zf = path, zf
        self._members = {info.filename[:-4]: info for info in zf.infolist() if info.filename.endswith(".npy")}
        self.metadata: dict = {}

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zf.close()

    def names(self, prefix: str = "") -> list[str]:
        """The arrays' names (without the metadata), those under ``prefix/`` only if given."""
        start = prefix + "/" if prefix else ""
        return sorted(n for n in self._members if n != METADATA_KEY and n.startswith(start))

    def header(self, name: str) -> tuple[tuple[int, ...], np.dtype]:
        """The shape and dtype that member ``name`` declares, reading only its header."""
        with self._reading(name), self._open(name) as f:
            shape, _, dtype = self._read_header(name, f)
        return shape, dtype

    def declared_size(self, prefix: str) -> int:
        """How many values the arrays under ``prefix/`` declare in total (headers only)."""
        return sum(math.prod(self.header(name)[0]) for name in self.names(prefix))

    def array(self, name: str, shape=None, kinds: str = "biuf", max_bytes: int = MAX_ARRAY_BYTES) -> np.ndarray:
        """Read member ``name``, after checking its header: ``shape`` (a tuple, None for any
        length along an axis; None for any shape), dtype kind in ``kinds`` (``"f"`` float, ``"i"``
        int, ``"u"`` unsigned, ``"b"`` bool, ``"U"`` text) and at most ``max_bytes`` of data.
        Raises :class:`CheckpointError` naming the file and the member."""
        with self._reading(name), self._open(name) as f:
            found, fortran, dtype = self._read_header(name, f)
            self._check(name, found, dtype, shape, kinds, max_bytes)
            nbytes = math.prod(found) * dtype.itemsize
            if self._members[name].file_size != f.tell() + nbytes:
                raise CheckpointError(
                    f"{self.path}: array {name!r} is damaged: its header declares {nbytes:,} bytes of data, "
                    f"the archive's directory {self._members[name].file_size - f.tell():,}"
                )
            data = _read_exact(f, nbytes)
            if len(data) < nbytes or f.read(1):  # reading to the end also checks the CRC
                raise CheckpointError(f"{self.path}: array {name!r} is damaged: {len(data):,} of {nbytes:,} bytes")
            return np.frombuffer(data, dtype=dtype).reshape(found, order="F" if fortran else "C")

    def _check(self, name, found, dtype, shape, kinds, max_bytes) -> None:
        what = f"{self.path}: array {name!r}"
        if dtype.kind not in kinds or dtype.itemsize == 0 or (dtype.kind != "U" and dtype.itemsize > 8):
            raise CheckpointError(f"{what} holds {dtype} values; expected {_kind_names(kinds)}")
        if any(d < 0 for d in found) or (
            shape is not None
            and (len(found) != len(shape) or any(e is not None and e != d for e, d in zip(shape, found)))
        ):
            expected = "any shape" if shape is None else str(tuple("N" if e is None else e for e in shape))
            raise CheckpointError(f"{what} has shape {found}, expected {expected}")
        if math.prod(found) * dtype.itemsize > max_bytes:
            raise CheckpointError(
                f"{what} declares shape {found} of {dtype}, {math.prod(found) * dtype.itemsize:,} bytes: "
                f"more than the {max_bytes:,} allowed; the file is damaged or not a ganlib checkpoint"
            )

    def _open(self, name: str):
        info = self._members.get(name)
        if info is None:
            raise CheckpointError(f"{self.path} has no array {name!r}: the file is incomplete, or not of this kind")
        if info.flag_bits & 0x1:
            raise CheckpointError(f"{self.path}: array {name!r} is encrypted; ganlib archives never are")
        if info.compress_type not in _COMPRESSION:
            raise CheckpointError(
                f"{self.path}: array {name!r} uses zip compression method {info.compress_type}; "
                "ganlib archives use deflate (or none): re-save it with ganlib"
            )
        return self._zf.open(info)

    def _read_header(self, name: str, f) -> tuple[tuple[int, ...], bool, np.dtype]:
        version = npy_format.read_magic(f)
        if version not in ((1, 0), (2, 0)):
            raise CheckpointError(f"{self.path}: array {name!r} is in .npy format {version}, expected 1.0 or 2.0")
        read = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
        shape, fortran, dtype = read(f)
        return tuple(int(d) for d in shape), bool(fortran), dtype

    @contextlib.contextmanager
    def _reading(self, name: str):
        """Turn whatever the zip and .npy readers raise for damaged data into a CheckpointError."""
        try:
            yield
        except CheckpointError:
            raise
        except _DAMAGE as err:
            raise CheckpointError(
                f"{self.path}: array {name!r} is damaged ({type(err).__name__}: {err}); "
                "the file is damaged or not a checkpoint: re-save it, or use an earlier copy"
            ) from err


def _kind_names(kinds: str) -> str:
    names = {"f": "floats", "i": "integers", "u": "unsigned integers", "b": "booleans", "U": "text"}
    return " or ".join(names[k] for k in kinds)


def _read_exact(f, n: int) -> bytearray:
    """Up to ``n`` bytes from ``f``, a chunk at a time (fewer only at the end of the stream)."""
    data, got = bytearray(n), 0
    view = memoryview(data)
    while got < n:
        chunk = f.read(min(_CHUNK, n - got))
        if not chunk:
            break
        view[got : got + len(chunk)] = chunk
        got += len(chunk)
    return data[:got] if got < n else data


def open_archive(path, kinds: tuple[str, ...] | None = None, hint: str = "") -> Archive:
    """Open an archive and read its metadata; the arrays are read on request (:meth:`Archive.array`).

    ``kinds``: the accepted values of ``metadata["kind"]`` (None accepts any). Raises
    :class:`CheckpointError`, naming the file, for anything that is not a readable archive
    of an accepted kind written by this or an older ganlib; a missing file's message ends
    with ``hint`` (how to make one). Use as a context manager: ``with open_archive(p) as a:``.
    """
    path = Path(path)
    _check_is_file(path, hint)
    try:
        zf = zipfile.ZipFile(path)
    except _DAMAGE as err:
        raise CheckpointError(
            f"{path} is not a readable ganlib checkpoint ({type(err).__name__}: {err}); "
            f"{_looks_like(path)}the file is damaged or not a checkpoint: re-save it, or use an earlier copy"
        ) from err
    archive = Archive(path, zf)
    try:
        archive.metadata = _metadata(archive)
        kind = archive.metadata.get("kind")
        if kinds is not None and (not isinstance(kind, str) or kind not in kinds):
            raise CheckpointError(f"{path} holds a {kind!r}, but a {' or '.join(map(repr, kinds))} was expected")
    except BaseException:
        archive.close()
        raise
    return archive


def read_archive(path, kinds: tuple[str, ...] | None = None, hint: str = "") -> tuple[dict, dict[str, np.ndarray]]:
    """Read a whole archive: returns ``(metadata, arrays)``, every array (numbers or booleans,
    at most :data:`MAX_ARRAY_BYTES` each). Errors as for :func:`open_archive`."""
    with open_archive(path, kinds, hint) as archive:
        return archive.metadata, {name: archive.array(name) for name in archive.names()}


def _check_is_file(path: Path, hint: str) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {path}: check the path{hint}") from None
    except (OSError, ValueError) as err:  # no permission, a symlink loop, a name too long, a NUL byte
        raise CheckpointError(f"cannot read {path} ({type(err).__name__}: {err}): check the path") from None
    if stat.S_ISDIR(mode):
        raise CheckpointError(f"{path} is a folder; give the checkpoint file in it (a .npz){hint}")
    if not stat.S_ISREG(mode):
        raise CheckpointError(f"{path} is not a regular file; give a checkpoint file (a .npz)")


def _looks_like(path: Path) -> str:
    """A hint for a file that is not a zip: what it seems to be instead."""
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except OSError:
        return ""
    return "it is a single .npy array, not a ganlib checkpoint (.npz); " if magic == npy_format.MAGIC_PREFIX else ""


def _metadata(archive: Archive) -> dict:
    path = archive.path
    if METADATA_KEY not in archive._members:
        raise CheckpointError(f"{path} has no {METADATA_KEY!r} entry: it is an .npz file but not a ganlib checkpoint")
    raw = archive.array(METADATA_KEY, shape=(), kinds="U", max_bytes=MAX_METADATA_BYTES)
    try:
        text = raw.tobytes().decode("utf-32-be" if raw.dtype.str.startswith(">") else "utf-32-le")
        meta = json.loads(text.rstrip("\0"))
    except (ValueError, RecursionError) as err:  # bad text, bad JSON, nesting too deep, a number too long
        raise CheckpointError(f"{path}: its metadata is not valid JSON ({type(err).__name__}: {err})") from err
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
