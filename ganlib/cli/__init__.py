"""Application: the command line, ``python -m ganlib {train, sample, evaluate, train-classifier} ...``.

Examples::

    python -m ganlib train --out runs/default              # the default configuration
    python -m ganlib train --config original_post --epochs 100 --out runs/post
    python -m ganlib train --resume runs/default/checkpoint.npz --epochs 10
    python -m ganlib sample --checkpoint runs/default/checkpoint.npz --n 100 --out samples.npy
    python -m ganlib sample --n 100 --out samples.npy       # from the shipped generator
    python -m ganlib sample --n 100 --out samples.png       # the same images, as a grid
    python -m ganlib train --config conditional --out runs/conditional   # a conditional GAN: choose the digit
    python -m ganlib sample --checkpoint runs/conditional/generator.npz --n 100 --digit 3 --out threes.npy
    python -m ganlib sample --n 100 --digit 3 --out threes.npy    # from the shipped conditional generator
    python -m ganlib evaluate                               # the shipped generator

The modules: ``options`` (the parser; train's configuration options come from
:data:`ganlib.config.FIELD_RULES`), ``outputs`` (checking outputs before any work, and the one
rule for writing them: replace atomically), ``errors`` (``UserError`` and the checks of
:mod:`ganlib.checks` turned into it), and one module per command: ``train``, ``sample``,
``evaluate``, ``classifier``. Every output is replaced when it exists, so a command can be run
again as it is; ``GANLIB_FAST=1`` shrinks ``train`` and ``evaluate`` as it shrinks the notebooks.
"""

from __future__ import annotations

import sys

from . import classifier, evaluate, sample, train
from .errors import UserError
from .options import build_parser

__all__ = ["COMMANDS", "UserError", "build_parser", "main"]

COMMANDS = {
    "train": train.run,
    "sample": sample.run,
    "evaluate": evaluate.run,
    "train-classifier": classifier.run,
}


def main(argv=None) -> int:
    """Run one command; returns its exit status (0 success, 1 failure, 2 a usage error, 130 interrupted)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    from ..data.idx import MNISTError
    from ..io.archive import CheckpointError

    try:
        return COMMANDS[args.command](args)
    except (CheckpointError, MNISTError, UserError) as err:  # something to fix: one line, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
