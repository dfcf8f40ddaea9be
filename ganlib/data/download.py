"""Downloading MNIST: each file streamed to a temporary name, its checksum verified, then moved into place.

Used by :func:`ganlib.data.mnist.load_mnist` on first use outside a checkout (the per-user
folder), or on request. A bad or partial download never appears under the real name.
"""

from __future__ import annotations

import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from ..training.progress import progress_bar
from .idx import MNISTError, read_idx
from .mnist import MNIST_FILES, _find_file, default_data_dir

__all__ = ["DEFAULT_MIRROR", "MIRROR_VARIABLE", "default_mirror", "download_mnist"]


#: Where :func:`download_mnist` fetches ``<name>.gz`` from (the mirror PyTorch uses, because
#: yann.lecun.com itself is often unavailable). ``$GANLIB_MNIST_MIRROR`` overrides it.
DEFAULT_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"


MIRROR_VARIABLE = "GANLIB_MNIST_MIRROR"


#: Largest download we accept (bytes); the biggest MNIST .gz is about 10 MB.
MAX_DOWNLOAD_BYTES = 200_000_000


#: Seconds to wait for the server (connect and each read) before giving up.
DOWNLOAD_TIMEOUT = 60


_CHUNK = 1 << 20  # write 1 MiB at a time so memory stays flat


def default_mirror() -> str:
    """``$GANLIB_MNIST_MIRROR`` if set, else :data:`DEFAULT_MIRROR`."""
    return os.environ.get(MIRROR_VARIABLE) or DEFAULT_MIRROR


def download_mnist(
    data_dir: str | os.PathLike | None = None, base_url: str | None = None, progress: bool = True
) -> Path:
    """Download any missing or invalid MNIST files into ``data_dir``; return the directory.

    Each ``<base_url><name>.gz`` is streamed into a temporary file in ``data_dir``, its
    uncompressed sha256 is verified with :func:`read_idx`, and only then is it moved into
    place with ``os.replace`` (atomic), so an interrupted or bad download never leaves a
    partial file under the real name. Files that are already present and valid (``.gz`` or
    uncompressed) are not downloaded again.

    Args:
        data_dir: target directory (created if needed); None means :func:`default_data_dir`.
        base_url: mirror URL ending in ``/`` (default :func:`default_mirror`).
        progress: show a tqdm progress bar (if tqdm is installed).

    Raises:
        MNISTError: a download failed (network, HTTP error, timeout) or the downloaded file
            is not the canonical MNIST file; the message names the URL.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    base_url = base_url or default_mirror()
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
        read_idx(tmp_path, sha256, fix_hint=hint)
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
        bar = progress_bar(total, progress, desc=desc, unit="B", unit_scale=True, unit_divisor=1024)
        written = 0
        try:
            while chunk := response.read(_CHUNK):
                written += len(chunk)
                if written > MAX_DOWNLOAD_BYTES:
                    raise MNISTError(
                        f"download of {url} exceeds {MAX_DOWNLOAD_BYTES:,} bytes; this is not an MNIST file"
                    )
                out.write(chunk)
                bar.update(len(chunk))
        finally:
            bar.close()
    if total is not None and written != total:
        raise MNISTError(f"download of {url} is incomplete: got {written:,} of {total:,} bytes")
