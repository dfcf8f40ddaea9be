"""``python -m ganlib train``: a new run or a resumed one, into a folder of five outputs.

Everything the command line can get wrong is found before training starts: the options (by
:data:`ganlib.config.FIELD_RULES`), the checkpoint to resume, the output folder, MNIST. A run
that diverges or fails still saves the model (``checkpoint-diverged.npz``,
``checkpoint-rescued.npz``), in a temporary folder if ``--out`` cannot take it.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path

from .errors import UserError, whole_option
from .options import FAST_TRAIN_EPOCHS, FAST_TRAIN_IMAGES, TRAIN_OUTPUTS, config_overrides, fast_mode, option_name
from .outputs import check_folder

__all__ = ["run"]


def run(args) -> int:
    from ..data.mnist import load_mnist, to_tanh_range

    limit = None if args.limit is None else whole_option("--limit", args.limit)
    snapshot_every = None if args.snapshot_every is None else whole_option("--snapshot-every", args.snapshot_every)
    gan, epochs = _resumed(args) if args.resume else _new(args)
    out = args.out if args.out is not None else _default_out(args)
    check_folder("--out", out, TRAIN_OUTPUTS)
    limit, epochs, shrunk = _fast_budget(args, gan, limit, epochs)
    images, labels = load_mnist("train")
    X = to_tanh_range(images[:limit])
    y = labels[:limit] if gan.config.num_classes else None  # a conditional GAN trains on the digits' labels
    if shrunk:
        print(f"GANLIB_FAST=1: a shrunk run of {len(X):,} images, {epochs} epoch(s); unset it to train in full")
    _check_enough_images(gan, len(X), args.limit is not None, args.resume is not None)
    print(f"training {epochs} epoch(s) on {len(X):,} images; writing to {out}/")
    return _train(gan, X, y, epochs, out, progress=not args.no_progress, snapshot_every=snapshot_every)


def _default_out(args) -> Path:
    """runs/CONFIG for a new run; the checkpoint's own folder for a resumed one."""
    return args.resume.parent if args.resume else Path("runs") / (args.config or "default")


def _new(args):
    from ..config import CONFIGS
    from ..original_post import make_gan

    try:
        gan = make_gan(CONFIGS[args.config or "default"].replace(**config_overrides(args)))
    except ValueError as err:  # valid values that together make networks too large: name the options
        message = str(err).removeprefix("invalid GANConfig: ")
        for name in ("latent_dim", "g_hidden", "d_hidden", "g_channels", "d_channels"):
            message = re.sub(rf"\b{name}\b", option_name(name), message)
        raise UserError(message) from None
    return gan, gan.config.epochs


def _resumed(args):
    """The checkpoint to resume, checked in full (what loads will save again), and the epochs to train."""
    from ..io.checkpoint import load_checkpoint
    from ..io.reader import open_archive

    overrides = config_overrides(args)
    epochs = overrides.pop("epochs", None)
    given = [option_name(name) for name in overrides] + (["--config"] if args.config else [])
    if given:
        raise UserError(
            f"--resume continues with the checkpoint's own configuration, so {' and '.join(given)} cannot be "
            f"given with it (only --epochs can): drop {'them' if len(given) > 1 else 'it'}, or start a new run "
            "without --resume"
        )
    with open_archive(args.resume) as archive:  # any kind of ganlib file: say which it is, if not a checkpoint
        kind = archive.metadata.get("kind")
    if kind != "gan":
        what = "a generator file, for sampling" if kind == "generator" else f"a {kind!r} file"
        raise UserError(
            f"--resume {args.resume}: this is {what}, not a training checkpoint; it holds no discriminator or "
            "optimizer state to continue from: give the run's checkpoint.npz"
        )
    gan = load_checkpoint(args.resume)
    if epochs is None:
        epochs = max(0, gan.config.epochs - gan.epoch)
        if epochs == 0:
            print(
                f"the checkpoint has trained all {gan.config.epochs} epochs of its configuration; --epochs N trains N more"
            )
    return gan, epochs


def _fast_budget(args, gan, limit, epochs):
    """With ``GANLIB_FAST=1``: the first FAST_TRAIN_IMAGES images (or one iteration's worth, if more) and at most
    FAST_TRAIN_EPOCHS epochs, except what --limit and --epochs say. Returns (limit, epochs, shrunk)."""
    if not fast_mode() or (args.limit is not None and args.epochs is not None):
        return limit, epochs, False
    if limit is None:
        limit = max(FAST_TRAIN_IMAGES, gan.config.batch_size * gan.config.k)
    if args.epochs is None:
        epochs = min(epochs, FAST_TRAIN_EPOCHS)
    return limit, epochs, True


def _check_enough_images(gan, n: int, limited: bool, resumed: bool) -> None:
    m, k = gan.config.batch_size, gan.config.k
    if n >= m * k:
        return
    if limited:
        why = f"--limit leaves {n:,}: raise --limit"
    else:
        why = (
            f"the training set has {n:,}: "
            + ("start a new run" if resumed else "choose")
            + " a smaller --batch-size or --k"
        )
    raise UserError(f"one iteration needs batch_size * k = {m} * {k} = {m * k:,} images, but {why}")


def _train(gan, X, y, epochs: int, out: Path, progress: bool, snapshot_every) -> int:
    from ..gan import TrainingDiverged
    from ..training import fit

    start = time.perf_counter()
    try:
        history = fit(gan, X, y, epochs=epochs, progress=progress, snapshot_every=snapshot_every)
    except TrainingDiverged as err:
        where = _save_checkpoint_safely(gan, out / "checkpoint-diverged.npz")
        print(f"error: {err}\n  The model as it was before that step is in {where}.", file=sys.stderr)
        return 1
    except BaseException:  # a bug or no memory left: keep what was trained, then let the error be seen
        try:
            where = _save_checkpoint_safely(gan, out / "checkpoint-rescued.npz")
            print(f"error: training failed; the model trained so far is in {where}", file=sys.stderr)
        except UserError as err:
            print(f"error: training failed, and {err}", file=sys.stderr)
        raise
    seconds = time.perf_counter() - start
    _write_outputs(gan, out, seconds)
    state = "interrupted; saved what was trained so far" if history.interrupted else "done"
    print(f"{state} after {gan.iteration} iterations in {seconds:.0f} s")
    return 130 if history.interrupted else 0


def _save_checkpoint_safely(gan, path: Path) -> Path:
    """Save ``gan`` to ``path``, or, if that fails, to a new folder in the system's temporary folder."""
    from ..io import checkpoint

    try:
        return checkpoint.save_checkpoint(gan, path)
    except Exception as err:  # noqa: BLE001 - whatever went wrong, the model must be written somewhere
        first = err
    try:
        fallback = Path(tempfile.mkdtemp(prefix="ganlib-rescued-")) / path.name
        print(f"error: could not write {path} ({first}); writing {fallback} instead", file=sys.stderr)
        return checkpoint.save_checkpoint(gan, fallback)
    except Exception as err:  # noqa: BLE001
        raise UserError(
            f"could not write {path} ({first}), nor a copy in the temporary folder ({err}): the model is lost; "
            "free some disk space before training again"
        ) from err


def _write_outputs(gan, out: Path, seconds: float) -> None:
    """The checkpoint first (anywhere, if ``out`` fails), then the generator, pictures and summary, each replacing
    the file there atomically."""
    from ..io.archive import atomic_write
    from ..io.generator import save_generator
    from ..viz import images

    checkpoint = _save_checkpoint_safely(gan, out / "checkpoint.npz")
    if checkpoint == out / "checkpoint.npz":
        print(f"  wrote {checkpoint}")
    nrow = gan.config.num_classes or None  # conditional: a column per digit (fixed labels 0, 1, ..., 9, 0, ...)
    summary = json.dumps(_summary(gan, seconds), indent=2).encode()
    writers = {
        "generator.npz": lambda p: save_generator(gan, p, {"train_seconds": round(seconds, 1)}),
        "samples.png": lambda p: images.save_grid_png(gan.generate(gan.fixed_z, gan.fixed_y), p, nrow=nrow),
        "progress.gif": lambda p: images.save_gif(gan.history, p, nrow=nrow or 8),
        "history.json": lambda p: atomic_write(p, lambda f: f.write(summary)),
    }
    for i, (name, write) in enumerate(writers.items()):
        try:
            write(out / name)
        except (OSError, ValueError) as err:
            left = list(writers)[i:]
            raise UserError(
                f"could not write {out / name} ({err}); {_listed(left)} in {out} {'is' if len(left) == 1 else 'are'} "
                f"as before this run, and the trained model is in {checkpoint}: fix that, then write them with "
                f"`python -m ganlib train --resume {checkpoint} --epochs 0 --out {out}`"
            ) from err
        print(f"  wrote {out / name}")


def _listed(names) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _summary(gan, seconds: float) -> dict:
    return {
        "iterations": gan.iteration,
        "epochs": gan.epoch,
        "train_seconds": round(seconds, 1),
        "final_loss_d": gan.history.loss_d[-1] if gan.history.loss_d else None,
        "final_loss_g": gan.history.loss_g[-1] if gan.history.loss_g else None,
        "config": gan.config.to_dict(),
    }
