"""``python -m ganlib sample``: N generated images, as a .npy array or as a .png grid.

A .npy file is streamed a chunk at a time, so memory stays flat whatever ``--n``; a
conditional generator asked for every digit also writes their labels beside it
(``F.npy`` -> ``F.labels.npy``), and the two are replaced together. A .png grid holds at
most :data:`~ganlib.cli.options.MAX_PNG_N` images; a conditional generator's digits are laid
out a column per digit, as in ``train``'s samples.png.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from .errors import UserError, seed_option, whole_option
from .options import MAX_NPY_N, MAX_PNG_N
from .outputs import check_file, check_free_space, labels_path, replace_files

__all__ = ["run"]


def run(args) -> int:
    from ..data.paths import default_conditional_generator_path
    from ..io.generator import load_generator

    out = args.out
    if out.suffix not in (".npy", ".png"):
        raise UserError(
            f"--out {out}: give a .npy file (the array of images) or a .png file (a grid of them), "
            f"not {repr(out.suffix) if out.suffix else 'a name without a suffix'}"
        )
    png = out.suffix == ".png"
    fix = f"; a .png grid holds at most {MAX_PNG_N:,} images, a .npy file up to {MAX_NPY_N:,}" if png else ""
    n = whole_option("--n", args.n, 1, MAX_PNG_N if png else MAX_NPY_N, fix=fix)
    seed = seed_option(args.seed)
    check_file("--out", out)
    checkpoint = args.checkpoint
    if checkpoint is None and args.digit is not None:
        checkpoint = default_conditional_generator_path()  # asking for a digit: the shipped model that can
    G, meta = load_generator(checkpoint)
    labels = _labels(meta, n, args.digit, checkpoint)
    if png:
        _write_png(out, G, meta, n, seed, labels, args.digit, checkpoint)
    else:
        _write_npy(out, G, meta, n, seed, labels, args.digit)
    return 0


def _labels(meta, n: int, digit, checkpoint):
    """The labels of a conditional generator's samples (None for an unconditional one), checked against --digit."""
    from ..io.generator import generator_labels, num_classes_of

    try:
        return generator_labels(meta, n, digit)
    except ValueError as err:
        if not num_classes_of(meta):
            raise UserError(
                f"--digit {digit}: {checkpoint} is an unconditional generator (it draws digits of its own "
                "choosing); drop --digit, or leave out --checkpoint for the shipped conditional generator"
            ) from None
        raise UserError(f"--digit: {err}") from None  # a digit out of range


def _write_npy(out: Path, G, meta, n: int, seed: int, labels, digit) -> None:
    """Stream the samples to ``out`` (and every digit's labels to ``F.labels.npy``), replacing what was there."""
    from numpy.lib import format as npy_format

    from ..io.generator import iter_samples

    with_labels = labels is not None and digit is None
    beside = labels_path(out)
    if with_labels and os.path.lexists(beside) and not beside.is_file():
        raise UserError(
            f"--out {out}: {beside}, where its labels would go, is not a file (a folder?): "
            "remove it, or choose another --out"
        )
    shape = (n, meta["config"]["data_dim"])
    check_free_space("--out", out, 128 + 4 * shape[0] * shape[1] + (128 + 8 * n if with_labels else 0))
    low, high = np.inf, -np.inf

    def write(f):
        nonlocal low, high
        npy_format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": shape})
        for chunk in iter_samples(G, meta, n, seed, digits=labels):
            low, high = min(low, float(chunk.min())), max(high, float(chunk.max()))
            f.write(np.ascontiguousarray(chunk, dtype="<f4").tobytes())

    writes = {out: write, beside: lambda f: np.save(f, labels)} if with_labels else {out: write}
    stale = [] if with_labels or not beside.is_file() else [beside]  # the labels of the images out held before
    try:
        replace_files(writes, remove=stale)
    except OSError as err:
        what = f"{out} and {beside} are" if with_labels else f"{out} is"
        raise UserError(f"could not write {out} ({err}); {what} as they were before") from err
    print(f"wrote {out}: {shape} float32 in [{low:.2f}, {high:.2f}]")
    if labels is not None and digit is not None:
        print(f"  all {len(labels)} of digit {digit}")
    elif with_labels:
        print(f"wrote {beside}: their labels, ({len(labels)},) int64, every digit equally often")
    for path in stale:
        print(f"removed {path}: the labels of the images {out} held before")


def _write_png(out: Path, G, meta, n: int, seed: int, labels, digit, checkpoint) -> None:
    """A grid of the n samples; a conditional generator's every digit a column per digit (labels 0, 1, ..., 9, 0, ...)."""
    from ..config import IMAGE_DIM
    from ..io.generator import num_classes_of, sample_generator
    from ..viz import images

    data_dim = meta["config"]["data_dim"]
    if data_dim != IMAGE_DIM:
        raise UserError(
            f"--out {out}: {checkpoint} makes {data_dim}-dimensional data, not 28x28 images, so there is no picture "
            "to draw: write it to a .npy file"
        )
    samples = sample_generator(G, meta, n, seed, digits=labels)
    per_digit = labels is not None and digit is None
    columns = num_classes_of(meta) if per_digit else None
    try:
        images.save_grid_png(samples, out, nrow=columns)
    except OSError as err:
        raise UserError(f"could not write {out} ({err}); {out} is as it was before") from err
    cols = min(n, columns or math.ceil(math.sqrt(n)))  # as image_grid lays them out
    rows = -(-n // cols)
    layout = (
        f", a column per digit (0 to {columns - 1})"
        if per_digit
        else f", all of digit {digit}"
        if digit is not None
        else ""
    )
    print(f"wrote {out}: {n:,} images in a grid of {rows} x {cols}{layout}")
