"""What the command line takes: the parser of every command, with its defaults and bounds.

``train``'s configuration options are written from :data:`ganlib.config.FIELD_RULES`, the
rules :class:`~ganlib.config.GANConfig` enforces: each rule's kind says how an option is
read (a boolean is ``--flag/--no-flag``), its choices and help text are the option's, and
``cli=False`` keeps a setting off the command line. :func:`config_overrides` reads the
given ones back, checked by the same rules and named by their option.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .errors import UserError

__all__ = [
    "EVALUATE_N",
    "FAST_EVALUATE_N",
    "FAST_TRAIN_EPOCHS",
    "FAST_TRAIN_IMAGES",
    "MAX_EVALUATE_N",
    "MAX_NPY_N",
    "MAX_PNG_N",
    "TRAIN_OUTPUTS",
    "build_parser",
    "config_overrides",
    "fast_mode",
    "option_name",
]

#: The most images ``sample`` writes to a .npy file (31 GB of float32, streamed to the file a chunk at
#: a time), to a .png grid (held in memory: a 100 x 100 grid, 6004 x 6004 pixels), and that
#: ``evaluate`` measures (held in memory: 313 MB, each compared with 50,000 training images).
MAX_NPY_N = 10_000_000
MAX_PNG_N = 10_000
MAX_EVALUATE_N = 100_000
EVALUATE_N = 10_000  # as in Goodfellow et al. (2014)
TRAIN_OUTPUTS = ("checkpoint.npz", "generator.npz", "samples.png", "progress.gif", "history.json")

#: ``GANLIB_FAST=1`` (set by the test suite, as for the notebooks): what ``train`` and ``evaluate`` shrink to
#: when the command line does not say (``--limit``, ``--epochs``, ``--n`` are always obeyed).
FAST_TRAIN_IMAGES = 2_560
FAST_TRAIN_EPOCHS = 1
FAST_EVALUATE_N = 1_000


def fast_mode() -> bool:
    """True when ``GANLIB_FAST=1``, the notebooks' switch for a shrunk run."""
    return os.environ.get("GANLIB_FAST") == "1"


def option_name(field: str) -> str:
    """The option of a GANConfig field: ``lr_g`` -> ``--lr-g``."""
    return "--" + field.replace("_", "-")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ganlib", description="Train, sample and evaluate NumPy GANs on MNIST."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_train(sub)
    _add_sample(sub)
    _add_evaluate(sub)
    _add_train_classifier(sub)
    return parser


def _add_train(sub) -> None:
    from ..config import CONFIGS

    train = sub.add_parser(
        "train",
        help="train a GAN on MNIST train[0:50000]",
        description="Train a GAN (Goodfellow et al. 2014, Algorithm 1) on MNIST. Run again with the same --out, "
        "it replaces the folder's files, each one atomically (the old file stays until the new one is complete).",
        epilog=f"GANLIB_FAST=1 in the environment (the test suite sets it, as for the notebooks) trains a shrunk run: "
        f"the first {FAST_TRAIN_IMAGES:,} images and {FAST_TRAIN_EPOCHS} epoch, unless --limit or --epochs say "
        "otherwise, and still writes every output; train prints one line saying so. Unset it to train in full.",
    )
    train.add_argument(
        "--config", choices=sorted(CONFIGS), help="named configuration (default: default; --resume: the checkpoint's)"
    )
    train.add_argument(
        "--out",
        type=Path,
        help=f"output folder: {', '.join(TRAIN_OUTPUTS)}; its files are replaced when it exists "
        "(default: runs/CONFIG, e.g. runs/default; with --resume, the checkpoint's folder)",
    )
    train.add_argument(
        "--resume",
        type=Path,
        help="continue from this checkpoint.npz (its configuration is used; only --epochs may be given)",
    )
    train.add_argument(
        "--snapshot-every", type=int, help="iterations between frames of the progress GIF (default: one per epoch)"
    )
    train.add_argument("--limit", type=int, help="train on only the first N images (for quick trials)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_config_options(train)


def _add_sample(sub) -> None:
    sample = sub.add_parser(
        "sample",
        help="write N generated images to a .npy file or a .png grid",
        description="Write N generated images: to OUT.npy an (N, 784) float32 array in [-1, 1], or to OUT.png a "
        f"grid of them (at most {MAX_PNG_N:,}). A conditional generator draws N images of --digit, or without it "
        "the ten digits equally often: a .npy file then has their labels, (N,) int64, next to it as OUT.labels.npy "
        "(e.g. samples.labels.npy), a .png grid a column per digit. Existing files are replaced atomically.",
    )
    sample.add_argument(
        "--checkpoint",
        type=Path,
        help="a checkpoint or generator .npz (default: the shipped generator; with --digit, the shipped "
        "conditional generator)",
    )
    sample.add_argument(
        "--n", type=int, required=True, help=f"number of images (at most {MAX_NPY_N:,}; {MAX_PNG_N:,} for a .png)"
    )
    sample.add_argument("--out", type=Path, required=True, help="output file: .npy (the array) or .png (an image grid)")
    sample.add_argument("--seed", type=int, default=0, help="seed of the latent draws (default: 0)")
    sample.add_argument(
        "--digit",
        type=int,
        help="conditional generators only: all N images of this digit (default: every digit equally often, "
        "their labels written to OUT.labels.npy for a .npy file)",
    )


def _add_evaluate(sub) -> None:
    evaluate = sub.add_parser(
        "evaluate",
        help="measure sample quality (classes, Frechet distance, Parzen)",
        description=f"Evaluate a generator with ganlib.evaluation.metrics on {EVALUATE_N:,} samples "
        f"({FAST_EVALUATE_N:,} with GANLIB_FAST=1 in the environment, unless --n is given).",
    )
    evaluate.add_argument(
        "--checkpoint", type=Path, help="a checkpoint or generator .npz (default: the shipped generator)"
    )
    evaluate.add_argument(
        "--n",
        type=int,
        help=f"number of samples, 2 to {MAX_EVALUATE_N:,} (default: {EVALUATE_N}, as in the paper; "
        f"{FAST_EVALUATE_N} with GANLIB_FAST=1)",
    )
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the latent draws (default: 0)")
    evaluate.add_argument("--no-parzen", action="store_true", help="skip the (slower) Parzen-window estimate")
    evaluate.add_argument("--json", type=Path, help="also write the figures to this JSON file (replaced if it exists)")


def _add_train_classifier(sub) -> None:
    classifier = sub.add_parser(
        "train-classifier",
        help="train the MNIST classifier used by the metrics",
        description="Train the MNIST classifier used by the sample-quality metrics and save its weights.",
    )
    classifier.add_argument("--epochs", type=int, default=12, help="default 12")
    classifier.add_argument("--seed", type=int, default=0, help="default 0")
    classifier.add_argument("--batch-size", type=int, default=128, help="default 128")
    classifier.add_argument(
        "--out", type=Path, help="weights file, .npz, replaced if it exists (default: the shipped classifier's file)"
    )
    classifier.add_argument(
        "--min-accuracy", type=float, default=0.99, help="fail (exit 1) below this test accuracy (default 0.99)"
    )


# -- the configuration options, from ganlib.config.FIELD_RULES ----------------------------------
def _init_value(text: str):
    """``--init``: a standard deviation if the text is a number, else a name (checked by its rule)."""
    try:
        return float(text)
    except ValueError:
        return text


#: How each kind of :class:`ganlib.checks.Rule` is read from the command line.
_READERS = {
    "whole": lambda rule: {"type": int},
    "real": lambda rule: {"type": float},
    "bool": lambda rule: {"action": argparse.BooleanOptionalAction},  # --name / --no-name
    "choice": lambda rule: {"choices": list(rule.choices)},
    "widths": lambda rule: {"nargs": "+", "type": int},
    "init": lambda rule: {"type": _init_value},
}


def _add_config_options(parser) -> None:
    """One option per GANConfig field whose rule has ``cli=True``, in the fields' order."""
    import dataclasses

    from ..config import FIELD_RULES, GANConfig

    group = parser.add_argument_group("configuration (each overrides the chosen --config)")
    for field in dataclasses.fields(GANConfig):
        rule = FIELD_RULES[field.name]
        if not rule.cli:
            continue
        if rule.kind not in _READERS:
            raise TypeError(f"FIELD_RULES[{field.name!r}] has kind {rule.kind!r}, which the command line cannot read")
        help_text = rule.help.replace("%", "%%") + " (default: from --config)"
        group.add_argument(
            option_name(field.name), dest=field.name, default=None, help=help_text, **_READERS[rule.kind](rule)
        )


def config_overrides(args) -> dict:
    """The GANConfig fields given on the command line, each checked by its rule (a ``UserError`` names the option)."""
    from ..config import FIELD_RULES

    overrides = {}
    for name, rule in FIELD_RULES.items():
        value = getattr(args, name, None)
        if rule.cli and value is not None:
            try:
                overrides[name] = rule(option_name(name), value)
            except ValueError as err:
                raise UserError(str(err)) from None
    return overrides
