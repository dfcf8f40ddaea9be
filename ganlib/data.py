"""MNIST loading for ganlib: IDX parsing, checksums, splits, scaling, download.

The four MNIST files are committed to the repository under ``data/mnist`` (see the README
there for source, licence and checksums), so normally nothing is downloaded::

    from ganlib.data import load_mnist, to_tanh_range
    images, labels = load_mnist("train")      # uint8 (50000, 784), uint8 (50000,)
    x = to_tanh_range(images)                 # float32 in [-1, 1], for a tanh generator

Everything here depends only on NumPy and the standard library (tqdm is used for a
download progress bar if it happens to be installed).

Every problem with a data file raises :class:`MNISTError` (a ``ValueError``); a missing file
raises :class:`MNISTFileNotFoundError`, which is also a ``FileNotFoundError``. The messages
name the file, say what was expected and what was found, and how to fix it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import math
import os
import struct
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

__all__ = [
    "DEFAULT_MIRROR",
    "MNIST_FILES",
    "SPLITS",
    "MNISTError",
    "MNISTFileNotFoundError",
    "default_data_dir",
    "read_idx",
    "load_mnist",
    "to_tanh_range",
    "to_unit_range",
    "download_mnist",
]

#: Where :func:`download_mnist` fetches ``<name>.gz`` from (the mirror PyTorch uses, because
#: yann.lecun.com itself is often unavailable).
DEFAULT_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"

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

#: Largest IDX payload we agree to allocate (bytes). MNIST's biggest file holds 47,040,000
#: bytes; the cap stops a corrupt header from asking for gigabytes.
MAX_IDX_BYTES = 100_000_000

#: Largest download we accept (bytes); the biggest MNIST .gz is about 10 MB.
MAX_DOWNLOAD_BYTES = 200_000_000

#: Seconds to wait for the server (connect and each read) before giving up.
DOWNLOAD_TIMEOUT = 60

_CHUNK = 1 << 20  # read/write 1 MiB at a time so memory stays flat
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_MIN_SIZE = 18  # 10-byte header + 8-byte trailer, with an empty deflate stream
_IDX_UINT8 = 0x08
_IDX_DTYPE_NAMES = {0x08: "uint8", 0x09: "int8", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64"}


class MNISTError(ValueError):
    """A data file is missing, corrupt, or not the expected MNIST file."""


class MNISTFileNotFoundError(MNISTError, FileNotFoundError):
    """A data file does not exist (catchable as MNISTError or FileNotFoundError)."""


# --------------------------------------------------------------------------- locations


def default_data_dir() -> Path:
    """Directory holding the MNIST files.

    ``$GANLIB_DATA_DIR`` if set (and non-empty), else ``<repository root>/data/mnist``. The
    default is computed from this file's location, not from the current working directory,
    so notebooks in any folder find the data.
    """
    env = os.environ.get("GANLIB_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parent.parent / "data" / "mnist"


def _find_file(data_dir: Path, name: str) -> Path | None:
    """Return ``data_dir/<name>.gz`` or ``data_dir/<name>`` (first that exists), else None."""
    for candidate in (data_dir / f"{name}.gz", data_dir / name):
        if candidate.is_file():
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
    env = os.environ.get("GANLIB_DATA_DIR")
    env_note = f"currently {env!r}" if env else "currently unset"
    return (
        "The MNIST files are committed to the repository under data/mnist: restore them with "
        "`git checkout -- data/mnist` (or re-clone); or set GANLIB_DATA_DIR "
        f"({env_note}) to a directory that holds them; or pass download=True to load_mnist "
        f"(or call ganlib.data.download_mnist({str(data_dir)!r})) to fetch them from "
        f"{DEFAULT_MIRROR}."
    )


# --------------------------------------------------------------------------- IDX reading


def read_idx(path: str | os.PathLike, expected_sha256: str | None = None) -> np.ndarray:
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

    Returns:
        A new, writable uint8 array whose shape is the header's dims, e.g. (60000, 28, 28).

    Raises:
        MNISTFileNotFoundError: the file does not exist.
        MNISTError: anything else wrong with the file (message names the file).
    """
    return _read_idx(Path(path), expected_sha256, _restore_hint(Path(path)))


def _read_idx(path: Path, expected_sha256: str | None, fix_hint: str) -> np.ndarray:
    """:func:`read_idx` with a caller-chosen fix hint appended to error messages."""
    try:
        file_size = path.stat().st_size
    except FileNotFoundError as exc:
        raise MNISTFileNotFoundError(f"IDX file not found: {path}. {_missing_hint(path.parent)}") from exc
    if file_size == 0:
        raise MNISTError(
            f"{path}: file is empty (0 bytes), expected an IDX file (optionally gzip-compressed). {fix_hint}"
        )

    with open(path, "rb") as raw:
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


# --------------------------------------------------------------------------- loading


@functools.lru_cache(maxsize=4)  # the four MNIST files
def _cached_read(resolved_path: str, mtime_ns: int, size: int, name: str) -> np.ndarray:
    """Read and verify one MNIST file; cached per (path, mtime, size), returned read-only.

    mtime and size are part of the key so a file replaced on disk is read again.
    """
    info = MNIST_FILES[name]
    array = read_idx(resolved_path, info["sha256"])
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
    stat = path.stat()
    return _cached_read(str(path.resolve()), stat.st_mtime_ns, stat.st_size, name)


def load_mnist(
    split: str = "train",
    data_dir: str | os.PathLike | None = None,
    download: bool = False,
    base_url: str = DEFAULT_MIRROR,
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
        base_url: mirror passed to :func:`download_mnist` when downloading.

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

    if download and any(_find_file(data_dir, name) is None for name in names):
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


# --------------------------------------------------------------------------- download


def download_mnist(
    data_dir: str | os.PathLike | None = None, base_url: str = DEFAULT_MIRROR, progress: bool = True
) -> Path:
    """Download any missing or invalid MNIST files into ``data_dir``; return the directory.

    Each ``<base_url><name>.gz`` is streamed into a temporary file in ``data_dir``, its
    uncompressed sha256 is verified with :func:`read_idx`, and only then is it moved into
    place with ``os.replace`` (atomic), so an interrupted or bad download never leaves a
    partial file under the real name. Files that are already present and valid (``.gz`` or
    uncompressed) are not downloaded again.

    Args:
        data_dir: target directory (created if needed); None means :func:`default_data_dir`.
        base_url: mirror URL ending in ``/``, e.g. ``DEFAULT_MIRROR``.
        progress: show a tqdm progress bar (if tqdm is installed).

    Raises:
        MNISTError: a download failed (network, HTTP error, timeout) or the downloaded file
            is not the canonical MNIST file; the message names the URL.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    if not base_url.endswith("/"):
        base_url += "/"
    for name, info in MNIST_FILES.items():
        existing = _find_file(data_dir, name)
        if existing is not None and _is_valid(existing, info["sha256"]):
            continue
        _download_one(base_url + name + ".gz", data_dir / f"{name}.gz", info["sha256"], progress)
    return data_dir


def _is_valid(path: Path, sha256: str) -> bool:
    """True if ``path`` is a readable IDX file with the given uncompressed sha256."""
    try:
        read_idx(path, sha256)
    except MNISTError:
        return False
    return True


def _download_one(url: str, target: Path, sha256: str, progress: bool) -> None:
    """Fetch ``url`` to ``target`` atomically, verifying the uncompressed sha256 first."""
    tmp = tempfile.NamedTemporaryFile(delete=False, dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp_path = Path(tmp.name)
    hint = (
        f"The file at {url} is not the canonical MNIST file, so nothing was saved to "
        f"{target}; check base_url or try another mirror (default {DEFAULT_MIRROR})."
    )
    try:
        with tmp:
            _fetch(url, tmp, progress, desc=target.name)
        _read_idx(tmp_path, sha256, hint)
        os.replace(tmp_path, target)
    except MNISTError:
        raise  # already names the URL via `hint`
    except urllib.error.HTTPError as exc:  # before URLError/OSError: it subclasses both
        raise MNISTError(
            f"could not download {url}: HTTP {exc.code} {exc.reason}; check "
            f"base_url (files are fetched as <base_url><name>.gz)"
        ) from exc
    except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, disk errors
        raise MNISTError(f"could not download {url} to {target}: {type(exc).__name__}: {exc}") from exc
    finally:
        # After a successful os.replace the temp name no longer exists: no-op then.
        tmp_path.unlink(missing_ok=True)


def _fetch(url: str, out, progress: bool, desc: str) -> None:
    """Stream the body of ``url`` into the open binary file ``out``."""
    request = urllib.request.Request(url, headers={"User-Agent": "ganlib"})
    with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        bar = _progress_bar(total, desc) if progress else None
        written = 0
        try:
            while chunk := response.read(_CHUNK):
                written += len(chunk)
                if written > MAX_DOWNLOAD_BYTES:
                    raise MNISTError(
                        f"download of {url} exceeds {MAX_DOWNLOAD_BYTES:,} bytes; this is not an MNIST file"
                    )
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
    if total is not None and written != total:
        raise MNISTError(f"download of {url} is incomplete: got {written:,} of {total:,} bytes")


def _progress_bar(total: int | None, desc: str):
    """A tqdm progress bar in bytes, or None if tqdm is not installed."""
    try:
        from tqdm.auto import tqdm  # optional dependency, imported only when downloading
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024)
