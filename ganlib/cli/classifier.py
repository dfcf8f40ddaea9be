"""``python -m ganlib train-classifier``: the MNIST classifier behind the sample-quality metrics."""

from __future__ import annotations

import shlex
import sys
import tempfile
from pathlib import Path

from .errors import UserError, real_option, seed_option, whole_option
from .outputs import check_file

__all__ = ["run"]


def run(args) -> int:
    """Train with :func:`ganlib.evaluation.classifier.train_classifier`; save unless the test accuracy is too low."""
    from ..data import paths
    from ..data.mnist import load_mnist
    from ..evaluation import classifier

    epochs = whole_option("--epochs", args.epochs)
    batch_size = whole_option("--batch-size", args.batch_size)
    seed = seed_option(args.seed)
    min_accuracy = real_option("--min-accuracy", args.min_accuracy, "[0, 1]")
    out = args.out if args.out is not None else paths.default_classifier_path()
    if out.suffix != ".npz":
        raise UserError(f"--out {out}: the weights file must end in .npz (ganlib's archive format)")
    check_file("--out", out)
    for split in ("train", "validation", "test"):  # found before training, not after
        load_mnist(split)
    command = " ".join([classifier.REGENERATE_COMMAND, *(shlex.quote(a) for a in args.argv[1:])])
    clf, acc = classifier.train_classifier(epochs, seed, batch_size, progress=True, command=command)
    if acc < min_accuracy:
        print(f"test accuracy {acc:.4f} is below --min-accuracy {min_accuracy}; weights not saved", file=sys.stderr)
        return 1
    try:
        print(f"saved {clf.save(out)}")
    except OSError as err:
        try:
            fallback = clf.save(Path(tempfile.mkdtemp(prefix="ganlib-rescued-")) / out.name)
        except OSError as err2:
            raise UserError(f"could not write {out} ({err}), nor a copy in the temporary folder ({err2})") from err
        raise UserError(
            f"could not write {out} ({err}); it is as it was, and the trained classifier is in {fallback}"
        ) from err
    return 0
