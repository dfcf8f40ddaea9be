"""Tests for ganlib.data.mnist: MNIST splits, IDX validation, scaling and downloading.

Corrupt files are built in tmp_path from the small t10k labels file (10,008 bytes) so the
tests stay fast; the download tests serve copies of the shipped files from a local
http.server on 127.0.0.1.
"""

import functools
import gzip
import os
import shutil
import socket
import struct
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import ganlib.data.mnist as data
from ganlib.data.download import download_mnist
from ganlib.data.mnist import (
    MNIST_FILES,
    MNISTError,
    MNISTFileNotFoundError,
    load_mnist,
    read_idx,
    to_tanh_range,
    to_unit_range,
)

REPO_DATA = Path(__file__).resolve().parent.parent / "data" / "mnist"
LABELS = "t10k-labels-idx1-ubyte"  # smallest file: used for corruption tests
LABELS_SHA = MNIST_FILES[LABELS]["sha256"]

# Digit counts of the canonical MNIST files (widely published).
TRAIN_FULL_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@functools.cache
def uncompressed(name: str) -> bytes:
    """Canonical uncompressed contents of a shipped MNIST file."""
    return gzip.decompress((REPO_DATA / f"{name}.gz").read_bytes())


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def assert_names(excinfo, path) -> None:
    """The error message must name the offending file."""
    assert str(path) in str(excinfo.value)


# --------------------------------------------------------------------------- splits


@pytest.mark.parametrize("split, n", [("train", 50000), ("validation", 10000), ("test", 10000), ("train_full", 60000)])
def test_split_shapes_dtypes_and_ranges(split, n):
    images, labels = load_mnist(split, data_dir=REPO_DATA)
    assert images.shape == (n, 784) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.uint8
    assert images.min() == 0 and images.max() == 255
    counts = np.bincount(labels, minlength=10)
    assert len(counts) == 10 and (counts > 0).all()  # labels are exactly 0..9, all present


def test_label_counts_and_first_labels_are_canonical():
    _, train_labels = load_mnist("train_full", data_dir=REPO_DATA)
    _, test_labels = load_mnist("test", data_dir=REPO_DATA)
    assert np.bincount(train_labels).tolist() == TRAIN_FULL_COUNTS
    assert np.bincount(test_labels).tolist() == TEST_COUNTS
    assert train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_train_and_validation_are_slices_of_train_full():
    full_x, full_y = load_mnist("train_full", data_dir=REPO_DATA)
    train_x, train_y = load_mnist("train", data_dir=REPO_DATA)
    val_x, val_y = load_mnist("validation", data_dir=REPO_DATA)
    np.testing.assert_array_equal(train_x, full_x[:50000])
    np.testing.assert_array_equal(train_y, full_y[:50000])
    np.testing.assert_array_equal(val_x, full_x[50000:])
    np.testing.assert_array_equal(val_y, full_y[50000:])


def test_images_are_row_major_28x28():
    images, _ = load_mnist("train_full", data_dir=REPO_DATA)
    raw = np.frombuffer(uncompressed("train-images-idx3-ubyte"), np.uint8, offset=16)
    np.testing.assert_array_equal(images[0].reshape(28, 28), raw[:784].reshape(28, 28))


def test_results_are_cached_and_read_only():
    images, labels = load_mnist("train", data_dir=REPO_DATA)
    again, _ = load_mnist("train", data_dir=REPO_DATA)
    assert np.shares_memory(images, again)  # second call did not re-read the file
    with pytest.raises(ValueError):
        images[0, 0] = 1
    with pytest.raises(ValueError):
        labels[0] = 1
    with pytest.raises(ValueError):
        images.flags.writeable = True  # views of the cache cannot be unlocked
    private = images.copy()
    private[0, 0] = 1  # copies are writable


def test_unknown_split_lists_valid_splits():
    with pytest.raises(ValueError, match="train_full") as excinfo:
        load_mnist("training", data_dir=REPO_DATA)
    assert "validation" in str(excinfo.value) and "test" in str(excinfo.value)


def test_uncompressed_files_load_like_gz(tmp_path):
    for name in MNIST_FILES:
        write(tmp_path / name, uncompressed(name))
    for split in ("train_full", "test"):
        raw_x, raw_y = load_mnist(split, data_dir=tmp_path)
        gz_x, gz_y = load_mnist(split, data_dir=REPO_DATA)
        np.testing.assert_array_equal(raw_x, gz_x)
        np.testing.assert_array_equal(raw_y, gz_y)


def test_gzip_is_detected_by_content_not_name(tmp_path):
    gz_without_suffix = write(tmp_path / "labels", gzip.compress(uncompressed(LABELS)))
    raw_with_suffix = write(tmp_path / "labels.gz", uncompressed(LABELS))
    a = read_idx(gz_without_suffix, LABELS_SHA)
    b = read_idx(raw_with_suffix, LABELS_SHA)
    assert a.shape == (10000,) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)


def test_default_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("GANLIB_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # must not depend on the working directory
    assert data.default_data_dir() == REPO_DATA
    monkeypatch.setenv("GANLIB_DATA_DIR", str(tmp_path / "elsewhere"))
    assert data.default_data_dir() == tmp_path / "elsewhere"


# --------------------------------------------------------------------------- scaling


def test_to_tanh_range_is_exactly_minus_one_to_one():
    pixels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    x = to_tanh_range(pixels)
    assert x.dtype == np.float32 and x.shape == (16, 16)
    assert x.min() == -1.0 and x.max() == 1.0
    assert np.all(np.diff(x.ravel()) > 0)  # strictly increasing: no two pixels collide


@pytest.mark.parametrize("bad", [np.zeros(3, np.float32), np.zeros(3, np.int64), np.zeros(3, np.float64)])
def test_to_tanh_range_rejects_non_uint8(bad):
    with pytest.raises(TypeError, match="uint8"):
        to_tanh_range(bad)


def test_to_unit_range_inverts_and_clips():
    pixels = np.arange(256, dtype=np.uint8)
    back = to_unit_range(to_tanh_range(pixels))
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, pixels / 255.0, atol=1e-6)
    np.testing.assert_array_equal(to_unit_range(np.array([-3.0, 1.5])), [0.0, 1.0])


# --------------------------------------------------------------------------- corrupt files


def test_missing_file_read_idx(tmp_path):
    path = tmp_path / "nope.gz"
    with pytest.raises(MNISTFileNotFoundError) as excinfo:
        read_idx(path)
    assert isinstance(excinfo.value, FileNotFoundError)
    assert isinstance(excinfo.value, MNISTError)
    assert_names(excinfo, path)


def test_missing_file_load_mnist_says_where_and_how(tmp_path):
    with pytest.raises(MNISTError) as excinfo:
        load_mnist("test", data_dir=tmp_path)
    message = str(excinfo.value)
    assert str(tmp_path / "t10k-images-idx3-ubyte.gz") in message
    assert str(tmp_path / "t10k-images-idx3-ubyte") in message
    assert "GANLIB_DATA_DIR" in message and "download=True" in message


def _deny(monkeypatch, path: Path, when: str) -> None:
    """Make ``path`` unsearchable (``when="stat"``: looking it up fails) or unreadable (``"open"``),
    with the PermissionError the system gives: by chmod as a normal user; as root, whom chmod does
    not stop, by making those calls raise it."""
    if os.geteuid() != 0:
        target = path.parent if when == "stat" else path
        mode = target.stat().st_mode
        target.chmod(0o600 if when == "stat" else 0o000)
        monkeypatch.undo = lambda: target.chmod(mode)  # restored below, before tmp_path is removed
        return
    error = PermissionError(13, "Permission denied", str(path))
    if when == "stat":
        real_stat, real_lstat = Path.stat, os.lstat

        def stat(self, **kwargs):
            if self == path:
                raise error
            return real_stat(self, **kwargs)

        def lstat(p, *args, **kwargs):
            if Path(p) == path:
                raise error
            return real_lstat(p, *args, **kwargs)

        monkeypatch.setattr(Path, "stat", stat)
        monkeypatch.setattr(os, "lstat", lstat)
    else:
        real_open = open

        def fake_open(p, *args, **kwargs):
            if Path(p) == path:
                raise error
            return real_open(p, *args, **kwargs)

        monkeypatch.setattr("ganlib.data.idx.open", fake_open, raising=False)


def _path_problem(tmp_path, monkeypatch, problem) -> Path:
    """The path of the t10k labels file, with the given problem, beside a good t10k images file."""
    good = REPO_DATA / f"{LABELS}.gz"
    shutil.copy(REPO_DATA / "t10k-images-idx3-ubyte.gz", tmp_path)
    if problem == "a folder":
        (tmp_path / f"{LABELS}.gz").mkdir()
    elif problem == "a symlink loop":
        (tmp_path / f"{LABELS}.gz").symlink_to(tmp_path / f"{LABELS}.gz")
    elif problem in ("a folder we may not search", "an unreadable file"):
        shutil.copy(good, tmp_path / f"{LABELS}.gz")
        _deny(monkeypatch, tmp_path / f"{LABELS}.gz", "stat" if "search" in problem else "open")
    return tmp_path / f"{LABELS}.gz"


PATH_PROBLEMS = {
    "a folder": "not a regular file",
    "a symlink loop": "cannot access the file",
    "a folder we may not search": "cannot access the file",
    "an unreadable file": "cannot open the file",
}


@pytest.mark.parametrize("problem", list(PATH_PROBLEMS))
def test_path_problems_are_mnist_errors_naming_the_file(tmp_path, monkeypatch, problem):
    path = _path_problem(tmp_path, monkeypatch, problem)
    try:
        with pytest.raises(MNISTError, match=PATH_PROBLEMS[problem]) as excinfo:
            read_idx(path)
        assert_names(excinfo, path)
        with pytest.raises(MNISTError, match=PATH_PROBLEMS[problem]) as excinfo:
            load_mnist("test", data_dir=tmp_path)  # the labels file is the one with the problem
        assert "t10k-labels-idx1-ubyte.gz" in str(excinfo.value)
    finally:
        getattr(monkeypatch, "undo", lambda: None)()


def test_the_images_file_is_read_before_the_labels_file(tmp_path):
    """(What the test above relies on: the labels file's problem is found after the images load.)"""
    shutil.copy(REPO_DATA / "t10k-images-idx3-ubyte.gz", tmp_path)
    with pytest.raises(MNISTFileNotFoundError, match=LABELS):
        load_mnist("test", data_dir=tmp_path)


@pytest.mark.parametrize("name", ["x" * 300 + ".gz", "nul\0byte.gz"])
def test_impossible_names_are_mnist_errors(tmp_path, name):
    with pytest.raises(MNISTError, match="cannot access the file") as excinfo:
        read_idx(tmp_path / name)
    assert_names(excinfo, tmp_path / name)
    with pytest.raises(MNISTError):
        load_mnist("test", data_dir=tmp_path / name)


def _cut_middle_keep_trailer(gz: bytes) -> bytes:
    """Drop the middle of the deflate stream but keep the 8-byte trailer (ISIZE still ok)."""
    return gz[: len(gz) // 2] + gz[-8:]


@pytest.mark.parametrize(
    "cut",
    [
        lambda gz: gz[:-100],
        lambda gz: gz[: len(gz) // 2],
        lambda gz: gz[:20],
        lambda gz: gz[:12],
        _cut_middle_keep_trailer,
    ],
    ids=["tail", "half", "20-bytes", "12-bytes", "middle-keep-trailer"],
)
def test_truncated_gzip(tmp_path, cut):
    gz = (REPO_DATA / f"{LABELS}.gz").read_bytes()
    path = write(tmp_path / f"{LABELS}.gz", cut(gz))
    with pytest.raises(MNISTError) as excinfo:
        read_idx(path, LABELS_SHA)
    assert_names(excinfo, path)


def test_bit_flip_in_data_fails_checksum(tmp_path):
    content = bytearray(uncompressed(LABELS))
    content[5000] ^= 0x01  # still a valid label (or 10/11): only the checksum can tell
    path = write(tmp_path / f"{LABELS}.gz", gzip.compress(bytes(content)))
    with pytest.raises(MNISTError, match="sha256") as excinfo:
        read_idx(path, LABELS_SHA)
    assert_names(excinfo, path)
    assert LABELS_SHA in str(excinfo.value)
    read_idx(path)  # without a checksum the (structurally fine) file loads


def test_bit_flip_in_compressed_stream(tmp_path):
    gz = bytearray((REPO_DATA / f"{LABELS}.gz").read_bytes())
    gz[len(gz) // 2] ^= 0x10  # the gzip CRC or the deflate decoder must notice
    path = write(tmp_path / f"{LABELS}.gz", bytes(gz))
    with pytest.raises(MNISTError) as excinfo:
        read_idx(path)
    assert_names(excinfo, path)


def test_load_mnist_rejects_corrupt_file_in_data_dir(tmp_path):
    for name in MNIST_FILES:
        shutil.copy(REPO_DATA / f"{name}.gz", tmp_path)
    content = bytearray(uncompressed(LABELS))
    content[-1] ^= 0x02
    path = write(tmp_path / f"{LABELS}.gz", gzip.compress(bytes(content)))
    with pytest.raises(MNISTError) as excinfo:
        load_mnist("test", data_dir=tmp_path)
    assert_names(excinfo, path)


def idx(header: bytes, dims, payload: bytes) -> bytes:
    """Build IDX bytes from a 4-byte magic, dims and payload."""
    return header + struct.pack(f">{len(dims)}I", *dims) + payload


@pytest.mark.parametrize(
    "content, match",
    [
        (idx(b"\x00\x00\x09\x01", [4], b"\x00" * 4), "dtype"),  # int8, unsupported
        (idx(b"\x00\x00\x0d\x01", [4], b"\x00" * 16), "dtype"),  # float32, unsupported
        (idx(b"\x01\x00\x08\x01", [4], b"\x00" * 4), "not an IDX"),  # nonzero magic bytes
        (b"\x00\x00\x08\x00" + b"\x00" * 8, "ndim"),  # ndim 0
        (idx(b"\x00\x00\x08\x05", [1] * 5, b"\x00"), "ndim"),  # ndim 5
        (idx(b"\x00\x00\x08\x02", [0, 5], b""), "zero"),  # empty dimension
        (b"\x00\x00\x08\x03\x00\x00", "truncated"),  # header cut short
    ],
    ids=["int8", "float32", "magic", "ndim0", "ndim5", "zero-dim", "short-header"],
)
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_bad_header(tmp_path, content, match, compress):
    path = write(tmp_path / "file.idx", gzip.compress(content) if compress else content)
    with pytest.raises(MNISTError, match=match) as excinfo:
        read_idx(path)
    assert_names(excinfo, path)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_absurd_count_is_rejected_without_allocating(tmp_path, compress):
    content = idx(b"\x00\x00\x08\x03", [4_000_000_000, 28, 28], b"\x00" * 1000)
    path = write(tmp_path / "huge", gzip.compress(content) if compress else content)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(MNISTError, match="limit") as excinfo:
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, f"peak allocation {peak} bytes"
    assert time.perf_counter() - start < 1.0
    assert_names(excinfo, path)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("payload", [b"\x01" * 5, b"\x01" * 11], ids=["short", "long"])
def test_dims_do_not_match_size(tmp_path, compress, payload):
    content = idx(b"\x00\x00\x08\x01", [10], payload)  # header says 10 bytes of data
    path = write(tmp_path / "labels", gzip.compress(content) if compress else content)
    with pytest.raises(MNISTError) as excinfo:
        read_idx(path)
    assert "10" in str(excinfo.value)
    assert_names(excinfo, path)


def test_gzip_with_appended_member_is_rejected(tmp_path):
    good = gzip.compress(uncompressed(LABELS))
    path = write(tmp_path / f"{LABELS}.gz", good + gzip.compress(b"\x07" * 8))
    with pytest.raises(MNISTError) as excinfo:
        read_idx(path)
    assert_names(excinfo, path)


PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
    b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.mark.parametrize(
    "content",
    [
        PNG_BYTES,
        b"<html><body>404 Not Found</body></html>\n",
        gzip.compress(b"just some text, not an IDX file\n"),
        b"\x1f\x8b",  # gzip magic only
    ],
    ids=["png", "html", "gzipped-text", "gzip-magic-only"],
)
def test_foreign_file(tmp_path, content):
    path = write(tmp_path / "train-images-idx3-ubyte.gz", content)
    with pytest.raises(MNISTError) as excinfo:
        read_idx(path, MNIST_FILES["train-images-idx3-ubyte"]["sha256"])
    assert_names(excinfo, path)


def test_empty_file(tmp_path):
    path = write(tmp_path / f"{LABELS}.gz", b"")
    with pytest.raises(MNISTError, match="empty") as excinfo:
        read_idx(path)
    assert_names(excinfo, path)


# --------------------------------------------------------------------------- download


def test_download_fetches_all_files(tmp_path, serve, mirror):
    base_url, requests = serve(mirror)
    target = tmp_path / "new" / "dir"  # created by download_mnist
    assert download_mnist(target, base_url=base_url, progress=False) == target
    assert sorted(p.name for p in target.iterdir()) == sorted(f"{n}.gz" for n in MNIST_FILES)
    assert len(requests) == 4
    images, labels = load_mnist("test", data_dir=target)
    assert images.shape == (10000, 784) and labels.shape == (10000,)


def test_download_skips_valid_files(tmp_path, serve, mirror):
    base_url, requests = serve(mirror)
    target = tmp_path / "target"
    shutil.copytree(mirror, target)
    download_mnist(target, base_url=base_url, progress=False)
    assert requests == []
    (target / f"{LABELS}.gz").unlink()
    download_mnist(target, base_url=base_url, progress=False)
    assert requests == [f"/{LABELS}.gz"]
    read_idx(target / f"{LABELS}.gz", LABELS_SHA)


@pytest.mark.parametrize(
    "bad_content",
    [
        lambda: gzip.compress(uncompressed(LABELS)),  # valid IDX, wrong file
        lambda: (REPO_DATA / "train-images-idx3-ubyte.gz").read_bytes()[:5000],  # truncated
    ],
    ids=["wrong-file", "truncated"],
)
def test_download_of_corrupt_file_leaves_nothing(tmp_path, serve, mirror, bad_content):
    # train-images is fetched first, so after the failure the target must be empty.
    write(mirror / "train-images-idx3-ubyte.gz", bad_content())
    base_url, _ = serve(mirror)
    target = tmp_path / "target"
    with pytest.raises(MNISTError) as excinfo:
        download_mnist(target, base_url=base_url, progress=False)
    assert f"{base_url}train-images-idx3-ubyte.gz" in str(excinfo.value)
    assert list(target.iterdir()) == []  # no partial file, no temp file


def test_download_404_names_url(tmp_path, serve):
    empty = tmp_path / "empty"
    empty.mkdir()
    base_url, _ = serve(empty)
    target = tmp_path / "target"
    with pytest.raises(MNISTError, match="404") as excinfo:
        download_mnist(target, base_url=base_url, progress=False)
    assert f"{base_url}train-images-idx3-ubyte.gz" in str(excinfo.value)
    assert list(target.iterdir()) == []


def test_download_connection_refused_names_url(tmp_path, monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    with socket.socket() as sock:  # find a free port, then close it: nobody listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/"
    with pytest.raises(MNISTError) as excinfo:
        download_mnist(tmp_path, base_url=base_url, progress=False)
    assert base_url in str(excinfo.value)
    assert list(tmp_path.iterdir()) == []


def test_load_mnist_download_true_uses_env_dir(tmp_path, serve, mirror, monkeypatch):
    base_url, requests = serve(mirror)
    target = tmp_path / "fresh"
    monkeypatch.setenv("GANLIB_DATA_DIR", str(target))
    images, labels = load_mnist("validation", download=True, base_url=base_url)
    assert len(requests) == 4
    expected_x, expected_y = load_mnist("validation", data_dir=REPO_DATA)
    np.testing.assert_array_equal(images, expected_x)
    np.testing.assert_array_equal(labels, expected_y)
    load_mnist("test", download=True, base_url=base_url)  # files present: no new requests
    assert len(requests) == 4
