r"""One-hot label or learned embedding? How fast a conditional GAN learns to draw the digit it is asked for.

What it measures
----------------
Conditional GANs that differ only in how the label enters (``GANConfig.embedding_dim``),
trained on the same data with the same seed for the same number of epochs:

* **onehot** (``embedding_dim=0``): G sees ``[z, e_y]``, D sees ``[x, e_y]``, with
  :math:`e_y` the one-hot vector of the label; the first Dense layer's rows for the
  label act as a class-dependent bias.
* **embedding** (``embedding_dim=k``, k = ``--embedding-dim``, default 50): G sees
  ``[z, E_G[y]]`` and D sees ``[x, E_D[y]]``, with two learned tables (C x k, initialised
  N(0, 1) like ``torch.nn.Embedding``; :class:`ganlib.layers.LabelEmbedding`).

Both can represent the same functions (for k >= C: :mod:`ganlib.condition`), so any
difference comes from the optimisation. After each epoch: ``--per-digit`` samples of every
digit, from G itself and from its moving average, labelled by ganlib's classifier; printed
are the classifier's agreement with the requested digit (overall and the worst digit) and
the Frechet distance of those samples to the MNIST test set (biased upwards for small
samples: compare the two variants, not with other tables). Plus the time and load average
(the machine may be shared: compare the accuracies, not the times).

Usage
-----
::

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.experiments.compare_conditioning --epochs 4   # both, ~2 x 2 min
    OPENBLAS_NUM_THREADS=1 python -m benchmarks.experiments.compare_conditioning --variants embedding --embedding-dim 10
    python -m benchmarks.experiments.compare_conditioning --epochs 2 --set ema_decay=0.99 --variants embedding
    python -m benchmarks.experiments.compare_conditioning --quick     # smoke test: 1 epoch on 1,000 images

(One BLAS thread is much faster than two on a machine whose cores are busy with other work.)
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from benchmarks import harness
from ganlib.condition import balanced_labels, concat_label
from ganlib.config import CONFIGS
from ganlib.data.mnist import load_mnist, to_tanh_range
from ganlib.evaluation.classifier import Classifier
from ganlib.evaluation.metrics import class_agreement, classifier_frechet_distance
from ganlib.gan import GAN


def score(gan, net, clf, per_digit: int) -> tuple[np.ndarray, float]:
    """Per-digit agreement of the classifier with the requested digit (10,), and the Frechet distance."""
    labels = balanced_labels(per_digit * 10, 10)
    z = np.random.default_rng(123).standard_normal((len(labels), gan.config.latent_dim), dtype=np.float32)
    x = np.concatenate(
        [net.forward(concat_label(z[i : i + 1000], labels[i : i + 1000], 10)) for i in range(0, len(z), 1000)]
    )
    return class_agreement(x, labels, clf), classifier_frechet_distance(x, classifier=clf)


def overrides(items) -> dict:
    """``["g_hidden=128,256", "lr_g=1e-3"]`` -> ``{"g_hidden": (128, 256), "lr_g": 0.001}``, typed like the defaults."""
    defaults = CONFIGS["conditional"]
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        default = getattr(defaults, name)
        out[name] = tuple(int(v) for v in value.split(",")) if isinstance(default, tuple) else type(default)(value)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default 4; 1 with --quick)")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images only (1,000 --quick)")
    parser.add_argument("--per-digit", type=int, default=None, help="samples per digit for the scores (default 100)")
    parser.add_argument("--embedding-dim", type=int, help="k, the embedding's width (default: the configuration's, 50)")
    parser.add_argument("--variants", nargs="+", default=["onehot", "embedding"], choices=["onehot", "embedding"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="FIELD=VALUE",
        help="override fields of CONFIGS['conditional'], e.g. ema_decay=0.99 g_hidden=128,256 (short trials)",
    )
    harness.add_quick_argument(parser, "1 epoch on 1,000 images, scored on 10 samples per digit")
    args = parser.parse_args(argv)
    args.epochs = args.epochs or (1 if args.quick else 4)
    args.limit = args.limit or (1000 if args.quick else None)
    args.per_digit = args.per_digit or (10 if args.quick else 100)

    print(f"load average at start: {harness.loadavg()}")
    images, labels = load_mnist("train")
    X, y = to_tanh_range(images[: args.limit]), labels[: args.limit].astype(np.int64)
    clf = Classifier.load()
    config = CONFIGS["conditional"].replace(seed=args.seed, **overrides(args.set))
    print(f"configuration: CONFIGS['conditional'] with {' '.join(args.set) or 'no changes'}")
    print(f"{len(X)} images, {args.epochs} epochs, seed {args.seed}, scores on {args.per_digit} samples per digit")
    for variant in args.variants:
        k = args.embedding_dim if args.embedding_dim is not None else config.embedding_dim
        gan = GAN(config.replace(embedding_dim=k if variant == "embedding" else 0))
        start = time.perf_counter()
        for epoch in range(1, args.epochs + 1):
            gan.train(X, y, epochs=1)
            seconds = time.perf_counter() - start
            for name, net in (("G", gan.G), ("EMA", gan.sampler)):
                per_class, fd = score(gan, net, clf, args.per_digit)
                print(
                    f"{variant:>9} {name:>3}  epoch {epoch}  iteration {gan.iteration:5d}  "
                    f"{seconds:4.0f} s  agreement {per_class.mean():6.1%}  worst digit {per_class.argmin()} "
                    f"{per_class.min():6.1%}  Frechet {fd:5.1f}  (load {harness.load_average()[0]:.1f})",
                    flush=True,
                )
        print(f"{variant:>9} {name:>3}  per digit: " + " ".join(f"{d}:{a:.0%}" for d, a in enumerate(per_class)))
    print(harness.machine_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
