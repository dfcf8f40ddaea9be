r"""Reading IDX files, the format of the original MNIST distribution, safely.

IDX layout (all integers big-endian): two zero bytes, a dtype code byte (only ``0x08`` =
uint8 is supported here), an ndim byte (1..4), ndim uint32 dimension sizes, then the raw
data in row-major order, optionally gzip-compressed.

The reader trusts nothing in the file: the header is validated before any allocation,
the declared size must agree with the file (or the gzip trailer), the payload is capped
at :data:`MAX_IDX_BYTES`, and an optional sha256 of the uncompressed contents is checked.
Every problem raises :class:`MNISTError` (a ``ValueError``) naming the file; a missing
file raises :class:`MNISTFileNotFoundError`, which is also a ``FileNotFoundError``.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = ["MAX_IDX_BYTES", "MNISTError", "MNISTFileNotFoundError", "read_idx"]

#: Largest IDX payload we agree to allocate (bytes). MNIST's biggest file holds 47,040,000
#: bytes; the cap stops a corrupt header from asking for gigabytes.
MAX_IDX_BYTES = 100_000_000


_CHUNK = 1 << 20  # read 1 MiB at a time so memory stays flat
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_MIN_SIZE = 18  # 10-byte header + 8-byte trailer, with an empty deflate stream
_IDX_UINT8 = 0x08
_IDX_DTYPE_NAMES = {0x08: "uint8", 0x09: "int8", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64"}


class MNISTError(ValueError):
    """A data file is missing, corrupt, or not the expected MNIST file."""


class MNISTFileNotFoundError(MNISTError, FileNotFoundError):
    """A data file does not exist (catchable as MNISTError or FileNotFoundError)."""


def read_idx(path: str | os.PathLike, expected_sha256: str | None = None, *, fix_hint: str = "") -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into a uint8 array.

    IDX layout (all integers big-endian): two zero bytes, a dtype code byte (only 0x08 =
    uint8 is supported), an ndim byte (1..4), ndim uint32 dimension sizes, then the raw data
    in row-major order. Gzip is detected from the magic bytes ``1f 8b``, not from the name.

    The header is validated *before* the data array is allocated: dimensions must be
    positive, hold at most ``MAX_IDX_BYTES`` bytes, and agree with the file size (raw files)
    or with the gzip ISIZE trailer (uncompressed size mod 2**32; so a gzip file must be a
    single gzip member, which is what ``gzip``/Python write). The data stream must then
    deliver exactly that many bytes, no fewer and no more.

    Args:
        path: file to read.
        expected_sha256: if given, hex sha256 that the uncompressed contents (header + data)
            must have.
        fix_hint: a sentence appended to every error message, saying how to get a good file.

    Returns:
        A new, writable uint8 array whose shape is the header's dims, e.g. (60000, 28, 28).

    Raises:
        MNISTFileNotFoundError: the file does not exist.
        MNISTError: anything else wrong with the file (message names the file).
    """
    return _read_idx(Path(path), expected_sha256, fix_hint)


def _read_idx(path: Path, expected_sha256: str | None, fix_hint: str) -> np.ndarray:
    """:func:`read_idx` with a caller-chosen fix hint appended to error messages."""
    try:
        file_size = path.stat().st_size
    except FileNotFoundError as exc:
        raise MNISTFileNotFoundError(f"IDX file not found: {path}. {fix_hint}") from exc
    except (OSError, ValueError) as exc:  # no permission, a symlink loop, a name too long, a NUL byte
        raise MNISTError(f"{path}: cannot access the file ({type(exc).__name__}: {exc}). {fix_hint}") from exc
    if not path.is_file():
        raise MNISTError(f"{path} is not a regular file (a directory?); expected an IDX file. {fix_hint}")
    if file_size == 0:
        raise MNISTError(
            f"{path}: file is empty (0 bytes), expected an IDX file (optionally gzip-compressed). {fix_hint}"
        )

    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the `with raw` below
    except OSError as exc:  # e.g. no read permission
        raise MNISTError(f"{path}: cannot open the file ({type(exc).__name__}: {exc}). {fix_hint}") from exc
    with raw:
        is_gzip = raw.read(2) == _GZIP_MAGIC
        if is_gzip:
            content_size = _gzip_isize(path, raw, file_size, fix_hint)
        else:
            content_size = file_size
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if is_gzip else raw
        try:
            return _parse_idx_stream(stream, path, content_size, is_gzip, expected_sha256, fix_hint)
        except (OSError, EOFError, zlib.error) as exc:
            # gzip reports bad CRCs, bad headers and truncation with these; turn them into
            # one exception type with a useful message (the original stays chained).
            what = "corrupt or truncated gzip data" if is_gzip else "read error"
            raise MNISTError(f"{path}: {what} ({type(exc).__name__}: {exc}). {fix_hint}") from exc
        finally:
            if is_gzip:
                stream.close()  # closes the GzipFile only; `raw` is closed by `with`


def _gzip_isize(path: Path, raw, file_size: int, fix_hint: str) -> int:
    """Return the gzip ISIZE trailer (uncompressed size mod 2**32) of an open gzip file."""
    if file_size < _GZIP_MIN_SIZE:
        raise MNISTError(
            f"{path}: truncated gzip file: {file_size} bytes, a gzip file has at least {_GZIP_MIN_SIZE}. {fix_hint}"
        )
    raw.seek(file_size - 4)
    (isize,) = struct.unpack("<I", raw.read(4))  # the trailer is little-endian
    return isize


def _read_exact(stream, n: int) -> bytes:
    """Read up to ``n`` bytes, looping over short reads; fewer only at end of stream."""
    parts, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _parse_idx_header(stream, path: Path, fix_hint: str) -> tuple[bytes, tuple[int, ...]]:
    """Read and validate the IDX header; return (header bytes, dims). Allocates nothing big."""
    head = _read_exact(stream, 4)
    if len(head) < 4:
        raise MNISTError(
            f"{path}: too short to be an IDX file ({len(head)} bytes of "
            f"content, the header alone needs at least 8). {fix_hint}"
        )
    zero0, zero1, dtype_code, ndim = head
    if zero0 or zero1:
        raise MNISTError(
            f"{path}: not an IDX file: it starts with bytes {head.hex(' ')}, expected "
            f"00 00 08 0N (IDX header) or 1f 8b (gzip). {fix_hint}"
        )
    if dtype_code != _IDX_UINT8:
        found = _IDX_DTYPE_NAMES.get(dtype_code, "an unknown type")
        raise MNISTError(
            f"{path}: IDX dtype code 0x{dtype_code:02x} ({found}) is not supported, expected 0x08 (uint8). {fix_hint}"
        )
    if not 1 <= ndim <= 4:
        raise MNISTError(f"{path}: IDX header says ndim={ndim}, expected 1..4. {fix_hint}")
    dim_bytes = _read_exact(stream, 4 * ndim)
    if len(dim_bytes) < 4 * ndim:
        raise MNISTError(
            f"{path}: IDX header truncated: expected {4 * ndim} bytes of dimensions, found {len(dim_bytes)}. {fix_hint}"
        )
    dims = struct.unpack(f">{ndim}I", dim_bytes)
    if min(dims) == 0:
        raise MNISTError(f"{path}: IDX header has a zero dimension {dims}. {fix_hint}")
    n_bytes = math.prod(dims)  # Python int: cannot overflow
    if n_bytes > MAX_IDX_BYTES:
        raise MNISTError(
            f"{path}: IDX header declares shape {dims} = {n_bytes:,} bytes, more than the "
            f"{MAX_IDX_BYTES:,}-byte limit; the header is corrupt or this is not MNIST. "
            f"{fix_hint}"
        )
    return head + dim_bytes, dims


def _check_declared_size(
    path: Path, header_size: int, dims: tuple[int, ...], content_size: int, is_gzip: bool, fix_hint: str
) -> None:
    """Check that header + data size agrees with the file size / gzip ISIZE trailer."""
    expected = header_size + math.prod(dims)
    if is_gzip:
        if expected % 2**32 != content_size:
            raise MNISTError(
                f"{path}: IDX header (shape {dims}) implies {expected:,} uncompressed "
                f"bytes, but the gzip trailer says {content_size:,} (mod 2**32); the file "
                f"is truncated or corrupt. {fix_hint}"
            )
    elif expected != content_size:
        raise MNISTError(
            f"{path}: IDX header (shape {dims}) implies a file of {expected:,} bytes, "
            f"but the file has {content_size:,} bytes. {fix_hint}"
        )


def _parse_idx_stream(
    stream, path: Path, content_size: int, is_gzip: bool, expected_sha256: str | None, fix_hint: str
) -> np.ndarray:
    """Parse a whole IDX stream (already decompressed if gzip) into a uint8 array."""
    header, dims = _parse_idx_header(stream, path, fix_hint)
    _check_declared_size(path, len(header), dims, content_size, is_gzip, fix_hint)

    hasher = hashlib.sha256(header)
    data = np.empty(dims, dtype=np.uint8)  # safe now: size is capped and matches the file
    flat = data.reshape(-1)  # a view: filling it fills `data`
    pos = 0
    while pos < flat.size:
        chunk = stream.read(min(_CHUNK, flat.size - pos))
        if not chunk:
            raise MNISTError(
                f"{path}: data truncated: expected {flat.size:,} data bytes after the header, found {pos:,}. {fix_hint}"
            )
        flat[pos : pos + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        hasher.update(chunk)
        pos += len(chunk)
    if stream.read(1):  # for gzip this also makes the module check the CRC
        raise MNISTError(
            f"{path}: unexpected extra bytes after the {flat.size:,} data "
            f"bytes declared by the header (shape {dims}). {fix_hint}"
        )

    if expected_sha256 is not None and hasher.hexdigest() != expected_sha256.lower():
        raise MNISTError(
            f"{path}: sha256 of the uncompressed contents is {hasher.hexdigest()}, expected "
            f"{expected_sha256.lower()}; the file is corrupt or not the canonical MNIST "
            f"file. {fix_hint}"
        )
    return data
