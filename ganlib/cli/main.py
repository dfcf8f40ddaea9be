"""The command line: ``python -m ganlib {train, sample, evaluate, train-classifier} ...``.

Examples::

    python -m ganlib train --out runs/default              # the default configuration
    python -m ganlib train --config original_post --epochs 100 --out runs/post
    python -m ganlib train --resume runs/default/checkpoint.npz --epochs 10
    python -m ganlib sample --checkpoint runs/default/checkpoint.npz --n 100 --out samples.npy
    python -m ganlib sample --n 100 --out samples.npy       # from the shipped generator
    python -m ganlib train --config conditional --out runs/conditional   # a conditional GAN: choose the digit
    python -m ganlib sample --checkpoint runs/conditional/generator.npz --n 100 --digit 3 --out threes.npy
    python -m ganlib sample --n 100 --digit 3 --out threes.npy    # from the shipped conditional generator
    python -m ganlib evaluate                               # the shipped generator
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

#: The most images ``sample`` writes (31 GB of float32, streamed to the file a chunk at a time)
#: and ``evaluate`` measures (held in memory: 313 MB, each compared with 50,000 training images).
MAX_SAMPLE_N = 10_000_000
MAX_EVALUATE_N = 100_000
TRAIN_OUTPUTS = ("checkpoint.npz", "generator.npz", "samples.png", "progress.gif", "history.json")


class UserError(Exception):
    """A problem the user can fix (an option's value, a file): reported as one line, exit status 2."""


def _config_overrides(args) -> dict:
    """The GANConfig fields given on the command line (those not left at None)."""
    from ..config import GANConfig

    names = {f.name for f in dataclasses.fields(GANConfig)}
    return {k: v for k, v in vars(args).items() if k in names and v is not None}


def _init_value(text: str):
    """``--init``: a standard deviation if the text is a number, else a name (checked by GANConfig)."""
    try:
        return float(text)
    except ValueError:
        return text


def _add_config_options(parser) -> None:
    from ..config import GANConfig

    group = parser.add_argument_group("configuration (each overrides the chosen --config)")
    help_by_field = {
        "latent_dim": "size of z",
        "latent_dist": "prior of z: gaussian or uniform",
        "g_hidden": "generator hidden widths, e.g. 256 512",
        "d_hidden": "discriminator hidden widths, e.g. 512 256",
        "leaky_slope": "LeakyReLU slope",
        "d_dropout": "dropout probability in D (0 = none)",
        "optimizer": "adam or sgd",
        "lr_g": "generator learning rate",
        "lr_d": "discriminator learning rate",
        "beta1": "Adam beta1",
        "beta2": "Adam beta2",
        "momentum": "SGD momentum",
        "decay_rate": "SGD learning-rate decay: lr / (1 + decay_rate * t)",
        "batch_size": "minibatch size m",
        "k": "discriminator steps per generator step",
        "generator_loss": "non_saturating or minimax",
        "real_label": "target for real images (0.9 = one-sided label smoothing)",
        "ema_decay": "decay of the moving average of G's weights (0 = off)",
        "ema_bias_correction": "average G's weights from step 1, not from its random initialisation",
        "epochs": "passes over the data",
        "seed": "random seed of the run",
        # The original post's deviations (ganlib.original_post), e.g. --config original_post --no-g-step-updates-d
        "loss_gradient": "logit, or through_sigmoid_again (the post's bug)",
        "g_step_updates_d": "the generator's step also updates D (the post's bug)",
        "d_split_update": "D steps on the real batch, then on the fakes (the post)",
        "latent_source": "fresh, or bank (the post: one bank of codes reused every epoch)",
        "momentum_style": "SGD momentum: classic, or ema (the post)",
        "lr_decay": "SGD decay: per_step, or per_epoch_compounded (the post)",
        "init": "weights: glorot, he, 1/fan_in (the post) or a standard deviation",
    }
    choices = {
        "latent_dist": ["gaussian", "uniform"],
        "optimizer": ["adam", "sgd"],
        "generator_loss": ["non_saturating", "minimax"],
        "loss_gradient": ["logit", "through_sigmoid_again"],
        "latent_source": ["fresh", "bank"],
        "momentum_style": ["classic", "ema"],
        "lr_decay": ["per_step", "per_epoch_compounded"],
    }
    for f in dataclasses.fields(GANConfig):
        if f.name not in help_by_field:
            continue
        kwargs = {"default": None, "help": f"{help_by_field[f.name]} (default: from --config)"}
        if isinstance(f.default, bool):
            kwargs["action"] = argparse.BooleanOptionalAction  # --name / --no-name
        elif isinstance(f.default, tuple):
            kwargs.update(nargs="+", type=int)
        elif f.name in choices:
            kwargs.update(choices=choices[f.name])
        elif isinstance(f.default, bool):  # --flag / --no-flag; type=bool would read "False" as True
            kwargs.update(action=argparse.BooleanOptionalAction)
        elif f.name == "init":
            kwargs["type"] = _init_value
        else:
            kwargs["type"] = type(f.default)
        group.add_argument("--" + f.name.replace("_", "-"), dest=f.name, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    from ..config import CONFIGS

    parser = argparse.ArgumentParser(
        prog="python -m ganlib", description="Train, sample and evaluate NumPy GANs on MNIST."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = sub.add_parser(
        "train",
        help="train a GAN on MNIST train[0:50000]",
        description="Train a GAN (Goodfellow et al. 2014, Algorithm 1) on MNIST.",
    )
    train.add_argument(
        "--config", choices=sorted(CONFIGS), default="default", help="named configuration (default: default)"
    )
    train.add_argument(
        "--out",
        type=Path,
        default=Path("runs/default"),
        help="output folder: checkpoint.npz, generator.npz, samples.png, progress.gif, history.json",
    )
    train.add_argument("--resume", type=Path, help="continue from this checkpoint (its configuration is used)")
    train.add_argument(
        "--snapshot-every", type=int, help="iterations between frames of the progress GIF (default: one per epoch)"
    )
    train.add_argument("--limit", type=int, help="train on only the first N images (for quick trials)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_config_options(train)

    sample = sub.add_parser(
        "sample",
        help="write N generated images to a .npy file",
        description="Write an (N, 784) float32 array in [-1, 1] of generated images. A conditional generator "
        "draws N images of --digit, or without it the ten digits equally often, and then also writes their "
        "labels, (N,) int64, next to OUT as OUT.labels.npy (e.g. samples.labels.npy).",
    )
    sample.add_argument(
        "--checkpoint",
        type=Path,
        help="a checkpoint or generator .npz (default: the shipped generator; with --digit, the shipped "
        "conditional generator)",
    )
    sample.add_argument("--n", type=int, required=True, help="number of images")
    sample.add_argument("--out", type=Path, required=True, help="output .npy path")
    sample.add_argument("--seed", type=int, default=0, help="seed of the latent draws (default: 0)")
    sample.add_argument(
        "--digit",
        type=int,
        help="conditional generators only: all N images of this digit (default: every digit equally often, "
        "labels written to OUT.labels.npy)",
    )

    evaluate = sub.add_parser(
        "evaluate",
        help="measure sample quality (classes, Frechet distance, Parzen)",
        description="Evaluate a generator with ganlib.evaluation.metrics on 10,000 samples.",
    )
    evaluate.add_argument(
        "--checkpoint", type=Path, help="a checkpoint or generator .npz (default: the shipped generator)"
    )
    evaluate.add_argument("--n", type=int, default=10_000, help="number of samples (default: 10000, as in the paper)")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the latent draws (default: 0)")
    evaluate.add_argument("--no-parzen", action="store_true", help="skip the (slower) Parzen-window estimate")
    evaluate.add_argument("--json", type=Path, help="also write the figures to this JSON file")

    classifier = sub.add_parser(
        "train-classifier",
        help="train the MNIST classifier used by the metrics",
        description="Train the MNIST classifier used by the sample-quality metrics and save its weights.",
    )
    classifier.add_argument("--epochs", type=int, default=20, help="default 20")
    classifier.add_argument("--seed", type=int, default=0, help="default 0")
    classifier.add_argument("--batch-size", type=int, default=128, help="default 128")
    classifier.add_argument("--out", type=Path, help="weights file (default: the shipped classifier's file)")
    classifier.add_argument("--min-accuracy", type=float, default=0.98, help="fail (exit 1) below this test accuracy")
    return parser


def _fail(message: str) -> None:
    raise UserError(message)


def _positive(name, value):
    if value is not None and value <= 0:
        _fail(f"{name} must be positive, got {value}")


def _in_range(name, value, low, high):
    if value is not None and not low <= value <= high:
        _fail(f"{name} must be between {low:,} and {high:,}, got {value:,}")


def _check_output(option: str, path: Path, folder: bool = False, names=()) -> None:
    """Before any work: ``path`` can be written as a file (or, ``folder=True``, as a folder to hold ``names``)."""
    problem = _output_problem(path, folder)
    for name in names if problem is None else ():
        if (path / name).is_dir():
            problem = f"{path / name} is a folder, where the file {name} would go"
            break
    if problem is not None:
        _fail(f"{option} {path}: {problem}")


def _output_problem(path: Path, folder: bool) -> str | None:
    """Why ``path`` cannot be written, or None. Writes nothing but a probe file, removed at once."""
    if "\0" in str(path):
        return "the name contains a NUL byte"
    try:
        if path.exists() and path.is_dir() != folder:
            return "is a file; give a folder" if folder else "is a folder; give a file name"
        if path.exists() and not folder and not path.is_file():
            return "is not a regular file"
        existing = next(p for p in (path, *path.parents) if os.path.lexists(p))
        if not existing.is_dir():
            return f"{existing} is not a folder"
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".ganlib-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:  # no permission, a read-only file system, a name too long, a symlink loop
        return f"cannot write there ({err.strerror or err})"
    return None


def _load_mnist_splits(*splits) -> None:
    """Load (and cache) the MNIST splits a command needs, so that a missing or corrupt file stops it early."""
    from ..data.mnist import load_mnist

    for split in splits:
        load_mnist(split)


def _check_seed(seed):
    if not 0 <= seed < 2**64:
        _fail(f"--seed must be a whole number from 0 to 2**64 - 1, got {seed}")


def cmd_train(args, parser) -> int:
    from ..config import CONFIGS
    from ..data.mnist import load_mnist, to_tanh_range
    from ..gan import TrainingDiverged
    from ..io.checkpoint import load_checkpoint, save_checkpoint
    from ..io.generator import save_generator
    from ..original_post import make_gan
    from ..training import fit

    _positive("--limit", args.limit)
    _positive("--snapshot-every", args.snapshot_every)
    overrides = _config_overrides(args)
    try:
        if args.resume:
            gan = load_checkpoint(args.resume)  # checked in full: what loads will save again after training
            epochs = overrides.pop("epochs", max(0, gan.config.epochs - gan.epoch))
            if overrides:
                _fail(
                    f"--resume uses the checkpoint's configuration; only --epochs may be given, not {sorted(overrides)}"
                )
            if not 0 <= epochs <= 1_000_000:
                _fail(f"--epochs must be from 0 to 1,000,000, got {epochs}")
        else:
            gan = make_gan(CONFIGS[args.config].replace(**overrides))
            epochs = gan.config.epochs
    except ValueError as err:
        _fail(str(err))
    _check_output("--out", args.out, folder=True, names=TRAIN_OUTPUTS)
    images, labels = load_mnist("train")
    X = to_tanh_range(images[: args.limit])
    y = labels[: args.limit] if gan.config.num_classes else None  # a conditional GAN trains on the digits' labels
    m, k = gan.config.batch_size, gan.config.k
    if len(X) < m * k:
        _fail(
            f"one iteration needs batch_size * k = {m} * {k} = {m * k:,} images, but "
            f"{'--limit leaves' if args.limit else 'the training set has'} {len(X):,}"
        )
    print(f"training {epochs} epochs on {len(X)} images; writing to {args.out}/")
    start = time.perf_counter()
    try:
        history = fit(gan, X, y, epochs=epochs, progress=not args.no_progress, snapshot_every=args.snapshot_every)
    except TrainingDiverged as err:
        where = _save_checkpoint_safely(gan, args.out / "checkpoint-diverged.npz", save_checkpoint)
        print(f"error: {err}\n  The model as it was before that step is in {where}.", file=sys.stderr)
        return 1
    except BaseException:  # a bug or no memory left: keep what was trained, then let the error be seen
        where = _save_checkpoint_safely(gan, args.out / "checkpoint-rescued.npz", save_checkpoint)
        print(f"error: training failed; the model trained so far is in {where}", file=sys.stderr)
        raise
    seconds = time.perf_counter() - start
    _write_outputs(gan, args.out, seconds, save_checkpoint, save_generator)
    state = "interrupted; saved what was trained so far" if history.interrupted else "done"
    print(f"{state} after {gan.iteration} iterations in {seconds:.0f} s")
    return 130 if history.interrupted else 0


def _save_checkpoint_safely(gan, path: Path, save_checkpoint) -> Path:
    """Save ``gan`` to ``path``, or, if that fails, to a new folder in the system's temporary folder."""
    try:
        return save_checkpoint(gan, path)
    except Exception as err:  # noqa: BLE001 - whatever went wrong, the model must be written somewhere
        fallback = Path(tempfile.mkdtemp(prefix="ganlib-rescued-")) / path.name
        print(f"error: could not write {path} ({err}); writing {fallback} instead", file=sys.stderr)
        return save_checkpoint(gan, fallback)


def _write_outputs(gan, out: Path, seconds: float, save_checkpoint, save_generator) -> None:
    """The checkpoint first (anywhere, if ``out`` fails), then the generator, pictures and summary."""
    from ..io.archive import atomic_write
    from ..viz import images

    checkpoint = _save_checkpoint_safely(gan, out / "checkpoint.npz", save_checkpoint)
    summary = {
        "iterations": gan.iteration,
        "epochs": gan.epoch,
        "train_seconds": round(seconds, 1),
        "final_loss_d": gan.history.loss_d[-1] if gan.history.loss_d else None,
        "final_loss_g": gan.history.loss_g[-1] if gan.history.loss_g else None,
        "config": gan.config.to_dict(),
    }
    try:
        save_generator(gan, out / "generator.npz", {"train_seconds": round(seconds, 1)})
        nrow = gan.config.num_classes or None  # conditional: a column per digit (fixed labels 0, 1, ..., 9, 0, ...)
        images.save_grid_png(gan.generate(gan.fixed_z, gan.fixed_y), out / "samples.png", nrow=nrow)
        images.save_gif(gan.history, out / "progress.gif", nrow=nrow or 8)
        atomic_write(out / "history.json", lambda f: f.write(json.dumps(summary, indent=2).encode()))
    except (OSError, ValueError) as err:
        raise UserError(f"could not write the outputs in {out} ({err}); the trained model is in {checkpoint}") from err
    for name in TRAIN_OUTPUTS:
        print(f"  wrote {out / name}")


def labels_path(out: Path) -> Path:
    """Where ``sample`` writes a conditional generator's labels: ``F.npy`` -> ``F.labels.npy``."""
    return out.with_suffix(".labels.npy")


def cmd_sample(args, parser) -> int:
    """Stream the samples to the .npy file a chunk at a time: memory stays flat whatever ``--n``."""
    from ..data.paths import default_conditional_generator_path
    from ..io.archive import atomic_write
    from ..io.generator import generator_labels, iter_samples, load_generator

    _positive("--n", args.n)
    _in_range("--n", args.n, 1, MAX_SAMPLE_N)
    _check_seed(args.seed)
    if args.out.suffix != ".npy":
        _fail(f"--out must end in .npy, got {args.out}")
    _check_output("--out", args.out)
    checkpoint = args.checkpoint
    if checkpoint is None and args.digit is not None:
        checkpoint = default_conditional_generator_path()  # asking for a digit: the shipped model that can
    G, meta = load_generator(checkpoint)
    try:
        labels = generator_labels(meta, args.n, args.digit)
    except ValueError as err:  # a digit out of range, or asked of an unconditional generator
        raise UserError(f"--digit: {err}") from None
    shape = (args.n, meta["config"]["data_dim"])
    needed = 128 + 4 * shape[0] * shape[1]
    free = shutil.disk_usage(next(p for p in (args.out, *args.out.parents) if p.exists())).free
    if needed > free:
        raise UserError(f"{args.out} would take {needed / 1e9:.2f} GB, but its disk has {free / 1e9:.2f} GB free")
    low, high = np.inf, -np.inf

    def write(f):
        nonlocal low, high
        npy_format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": shape})
        for chunk in iter_samples(G, meta, args.n, args.seed, digits=labels):
            low, high = min(low, float(chunk.min())), max(high, float(chunk.max()))
            f.write(np.ascontiguousarray(chunk, dtype="<f4").tobytes())

    try:
        atomic_write(args.out, write)
    except OSError as err:
        raise UserError(f"could not write {args.out} ({err}); nothing was changed there") from err
    print(f"wrote {args.out}: {shape} float32 in [{low:.2f}, {high:.2f}]")
    if labels is not None and args.digit is not None:
        print(f"  all {len(labels)} of digit {args.digit}")
    elif labels is not None:
        try:
            atomic_write(labels_path(args.out), lambda f: np.save(f, labels))
        except OSError as err:
            raise UserError(f"could not write {labels_path(args.out)} ({err})") from err
        print(f"wrote {labels_path(args.out)}: their labels, ({len(labels)},) int64, every digit equally often")
    return 0


def cmd_evaluate(args, parser) -> int:
    from ..config import IMAGE_DIM
    from ..evaluation import metrics
    from ..io.archive import atomic_write
    from ..io.generator import load_generator, sample_generator

    _in_range("--n", args.n, 2, MAX_EVALUATE_N)
    _check_seed(args.seed)
    if args.json:
        _check_output("--json", args.json)
    _load_mnist_splits("train", "validation", "test")  # what the metrics compare with: any problem shows now
    G, meta = load_generator(args.checkpoint)
    if meta["config"]["data_dim"] != IMAGE_DIM:
        raise UserError(
            f"{args.checkpoint} makes {meta['config']['data_dim']}-dimensional data, not 28x28 images: "
            "evaluate measures MNIST images"
        )
    samples = sample_generator(G, meta, args.n, args.seed)
    results = metrics.evaluate_samples(samples, parzen=not args.no_parzen)
    print(metrics.format_evaluation(results))
    if args.json:
        text = json.dumps(metrics.to_jsonable(results), indent=2)
        try:
            atomic_write(args.json, lambda f: f.write(text.encode()))
        except OSError as err:
            raise UserError(f"could not write {args.json} ({err})") from err
        print(f"wrote {args.json}")
    return 0


def cmd_train_classifier(args, parser) -> int:
    """Train with :func:`ganlib.evaluation.classifier.train_classifier`; save unless the test accuracy is too low."""
    import shlex

    from ..data import paths
    from ..evaluation.classifier import REGENERATE_COMMAND, train_classifier

    _positive("--epochs", args.epochs)
    _positive("--batch-size", args.batch_size)
    _check_seed(args.seed)
    if not 0.0 <= args.min_accuracy <= 1.0:  # `not` also refuses NaN
        _fail(f"--min-accuracy must be between 0 and 1, got {args.min_accuracy}")
    out = args.out if args.out is not None else paths.default_classifier_path()
    if out.suffix != ".npz":
        _fail(f"--out must end in .npz, got {out}")
    _check_output("--out", out)
    _load_mnist_splits("train", "validation", "test")  # found before training, not after
    command = " ".join([REGENERATE_COMMAND, *(shlex.quote(a) for a in args.argv[1:])])
    clf, acc = train_classifier(args.epochs, args.seed, args.batch_size, progress=True, command=command)
    if acc < args.min_accuracy:
        print(
            f"test accuracy {acc:.4f} is below --min-accuracy {args.min_accuracy}; weights not saved", file=sys.stderr
        )
        return 1
    try:
        print(f"saved {clf.save(out)}")
    except OSError as err:
        fallback = clf.save(Path(tempfile.mkdtemp(prefix="ganlib-rescued-")) / out.name)
        raise UserError(f"could not write {out} ({err}); the trained classifier is in {fallback}") from err
    return 0


COMMANDS = {
    "train": cmd_train,
    "sample": cmd_sample,
    "evaluate": cmd_evaluate,
    "train-classifier": cmd_train_classifier,
}


def main(argv=None) -> int:
    """Run one command; returns its exit status (0 success, 1 failure, 2 a usage error, 130 interrupted)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    from ..data.idx import MNISTError
    from ..io.archive import CheckpointError

    try:
        return COMMANDS[args.command](args, parser)
    except (CheckpointError, MNISTError, UserError) as err:  # something to fix: one line, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
