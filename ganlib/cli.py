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
import sys
import time
from pathlib import Path

import numpy as np


def _config_overrides(args) -> dict:
    """The GANConfig fields given on the command line (those not left at None)."""
    from .config import GANConfig

    names = {f.name for f in dataclasses.fields(GANConfig)}
    return {k: v for k, v in vars(args).items() if k in names and v is not None}


def _add_config_options(parser) -> None:
    from .config import GANConfig

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
        "epochs": "passes over the data",
        "seed": "random seed of the run",
    }
    for f in dataclasses.fields(GANConfig):
        if f.name not in help_by_field:
            continue
        kwargs = {"default": None, "help": f"{help_by_field[f.name]} (default: from --config)"}
        if isinstance(f.default, tuple):
            kwargs.update(nargs="+", type=int)
        elif f.name in ("latent_dist", "optimizer", "generator_loss"):
            kwargs.update(
                choices={
                    "latent_dist": ["gaussian", "uniform"],
                    "optimizer": ["adam", "sgd"],
                    "generator_loss": ["non_saturating", "minimax"],
                }[f.name]
            )
        else:
            kwargs["type"] = type(f.default)
        group.add_argument("--" + f.name.replace("_", "-"), dest=f.name, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    from .config import CONFIGS

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
        description="Evaluate a generator with ganlib.metrics on 10,000 samples.",
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


def _positive(parser, name, value):
    if value is not None and value <= 0:
        parser.error(f"{name} must be positive, got {value}")


def cmd_train(args, parser) -> int:
    from .checkpoint import load_checkpoint, save_checkpoint, save_generator
    from .config import CONFIGS
    from .data import load_mnist, to_tanh_range
    from .gan import GAN, TrainingDiverged

    _positive(parser, "--limit", args.limit)
    _positive(parser, "--snapshot-every", args.snapshot_every)
    overrides = _config_overrides(args)
    try:
        if args.resume:
            gan = load_checkpoint(args.resume)
            epochs = overrides.pop("epochs", gan.config.epochs - gan.epoch)
            if overrides:
                parser.error(
                    f"--resume uses the checkpoint's configuration; only --epochs may be given, not {sorted(overrides)}"
                )
        else:
            gan = GAN(CONFIGS[args.config].replace(**overrides))
            epochs = gan.config.epochs
    except ValueError as err:
        parser.error(str(err))
    images, labels = load_mnist("train")
    X = to_tanh_range(images[: args.limit])
    y = labels[: args.limit] if gan.config.num_classes else None  # a conditional GAN trains on the digits' labels
    print(
        f"training {gan.config.epochs if not args.resume else epochs} epochs on {len(X)} images; writing to {args.out}/"
    )
    start = time.perf_counter()
    try:
        history = gan.train(X, y, epochs=epochs, progress=not args.no_progress, snapshot_every=args.snapshot_every)
    except TrainingDiverged as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    _write_outputs(gan, args.out, seconds, save_checkpoint, save_generator)
    state = "interrupted; saved what was trained so far" if history.interrupted else "done"
    print(f"{state} after {gan.iteration} iterations in {seconds:.0f} s")
    return 130 if history.interrupted else 0


def _write_outputs(gan, out: Path, seconds: float, save_checkpoint, save_generator) -> None:
    from . import images

    out.mkdir(parents=True, exist_ok=True)
    save_checkpoint(gan, out / "checkpoint.npz")
    save_generator(gan, out / "generator.npz", {"train_seconds": round(seconds, 1)})
    nrow = (
        gan.config.num_classes or None
    )  # conditional: one column per digit (the fixed labels are 0, 1, ..., 9, 0, ...)
    images.save_grid_png(gan.generate(gan.fixed_z, gan.fixed_y), out / "samples.png", nrow=nrow)
    images.save_gif(gan.history, out / "progress.gif", nrow=nrow or 8)
    summary = {
        "iterations": gan.iteration,
        "epochs": gan.epoch,
        "train_seconds": round(seconds, 1),
        "final_loss_d": gan.history.loss_d[-1] if gan.history.loss_d else None,
        "final_loss_g": gan.history.loss_g[-1] if gan.history.loss_g else None,
        "config": gan.config.to_dict(),
    }
    (out / "history.json").write_text(json.dumps(summary, indent=2))
    for name in ("checkpoint.npz", "generator.npz", "samples.png", "progress.gif", "history.json"):
        print(f"  wrote {out / name}")


def generate_samples(path: Path | None, n: int, seed: int = 0, digit: int | None = None):
    """``(samples, labels)`` from a checkpoint or generator file (None: the shipped generator).

    ``samples``: (n, 784) float32 in [-1, 1]. ``labels``: None for an unconditional generator;
    for a conditional one (n,) int64, all ``digit`` or, without it, every digit equally often.
    Raises ``CheckpointError`` for a file that does not load and ``ValueError`` for a ``digit``
    out of range or asked of an unconditional generator.
    """
    from .checkpoint import generator_labels, load_generator, sample_generator

    G, meta = load_generator(path)
    labels = generator_labels(meta, n, digit)
    return sample_generator(G, meta, n, seed, digits=labels), labels


def labels_path(out: Path) -> Path:
    """Where ``sample`` writes a conditional generator's labels: ``F.npy`` -> ``F.labels.npy``."""
    return out.with_suffix(".labels.npy")


def cmd_sample(args, parser) -> int:
    from .checkpoint import CheckpointError
    from .paths import default_conditional_generator_path

    _positive(parser, "--n", args.n)
    if args.out.suffix != ".npy":
        parser.error(f"--out must end in .npy, got {args.out}")
    checkpoint = args.checkpoint
    if checkpoint is None and args.digit is not None:
        checkpoint = default_conditional_generator_path()  # asking for a digit: the shipped model that can
    try:
        samples, labels = generate_samples(checkpoint, args.n, args.seed, args.digit)
    except (CheckpointError, ValueError) as err:  # a file that does not load, or a digit it cannot draw
        print(f"error: {err}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, samples.astype(np.float32))
    print(f"wrote {args.out}: {samples.shape} float32 in [{samples.min():.2f}, {samples.max():.2f}]")
    if labels is not None:
        if args.digit is not None:
            print(f"  all {len(labels)} of digit {args.digit}")
        else:
            np.save(labels_path(args.out), labels)
            print(f"wrote {labels_path(args.out)}: their labels, ({len(labels)},) int64, every digit equally often")
    return 0


def cmd_evaluate(args, parser) -> int:
    from . import metrics
    from .checkpoint import CheckpointError

    _positive(parser, "--n", args.n)
    try:
        samples, _ = generate_samples(args.checkpoint, args.n, args.seed)
    except CheckpointError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    results = metrics.evaluate_samples(samples, parzen=not args.no_parzen)
    print(metrics.format_evaluation(results))
    if args.json:
        args.json.write_text(json.dumps(metrics.to_jsonable(results), indent=2))
        print(f"wrote {args.json}")
    return 0


def cmd_train_classifier(args, parser) -> int:
    """Train with :func:`ganlib.classifier.train_classifier`; save unless the test accuracy is too low."""
    import shlex

    from .classifier import REGENERATE_COMMAND, train_classifier

    _positive(parser, "--epochs", args.epochs)
    _positive(parser, "--batch-size", args.batch_size)
    command = " ".join([REGENERATE_COMMAND, *(shlex.quote(a) for a in args.argv[1:])])
    clf, acc = train_classifier(args.epochs, args.seed, args.batch_size, progress=True, command=command)
    if acc < args.min_accuracy:
        print(
            f"test accuracy {acc:.4f} is below --min-accuracy {args.min_accuracy}; weights not saved", file=sys.stderr
        )
        return 1
    print(f"saved {clf.save(args.out)}")
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
    return COMMANDS[args.command](args, parser)
