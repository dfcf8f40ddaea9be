r"""Does a conditional generator draw the digit it is asked for? Per-digit accuracy and Frechet distance.

What it measures
----------------
From a conditional generator (default: the shipped one, ``data/artifacts/conditional_generator.npz``):
``--per-digit`` samples (default 1,000) of each of the ten digits, z drawn from the prior
with ``--seed``. ganlib's MNIST classifier (``data/artifacts/classifier.npz``, 98.5% test
accuracy) labels every sample; the table gives, per requested digit, the fraction the
classifier reads as that digit, then the overall fraction and the worst digit.

Then the Frechet distance in the classifier's feature space
(:func:`ganlib.evaluation.metrics.classifier_frechet_distance`) of those 10,000 samples to the
10,000 MNIST test images, next to the same figure for the shipped *unconditional*
generator (``--reference``, 10,000 samples with the same seed), and the targets of
issue #12: at least 97% overall, at least 93% for every digit, a Frechet distance no
worse than the unconditional generator's. ``--check`` exits with status 1 when a target
is missed. The machine's CPU and load average come first (timings are not measured
here; the training time is the one recorded in the checkpoint).

Usage
-----
::

    python -m benchmarks.experiments.conditional                          # the shipped generator
    python -m benchmarks.experiments.conditional --checkpoint runs/conditional/generator.npz --check
    python -m benchmarks.experiments.conditional --per-digit 100          # quicker, rougher
    python -m benchmarks.experiments.conditional --quick                  # smoke test: 20 samples per digit
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks import harness
from benchmarks.harness import cpu_model, loadavg
from ganlib.condition import balanced_labels
from ganlib.data.paths import default_conditional_generator_path, default_generator_path, display_path
from ganlib.evaluation.classifier import Classifier
from ganlib.evaluation.metrics import class_agreement, classifier_frechet_distance
from ganlib.io.generator import load_generator, num_classes_of, sample_generator

TARGET_OVERALL, TARGET_EACH = 0.97, 0.93  # issue #12


def per_digit_accuracy(G, meta, clf, per_digit: int, seed: int):
    """Samples (C * per_digit, 784) and the classifier's agreement with the requested digit, per digit (C,)."""
    c = num_classes_of(meta)
    labels = np.sort(balanced_labels(c * per_digit, c))  # 0 x per_digit, 1 x per_digit, ...
    samples = sample_generator(G, meta, len(labels), seed=seed, digits=labels)
    return samples, class_agreement(samples, labels, clf)


def table(accuracy: np.ndarray, per_digit: int) -> str:
    lines = ["| digit | " + " | ".join(str(d) for d in range(len(accuracy))) + " | overall | worst |"]
    lines.append("|---" * (len(accuracy) + 3) + "|")
    worst = int(np.argmin(accuracy))
    lines.append(
        "| classifier agrees | "
        + " | ".join(f"{a:.1%}" for a in accuracy)
        + f" | **{accuracy.mean():.2%}** | {worst}: {accuracy[worst]:.1%} |"
    )
    return "\n".join(lines) + f"\n({per_digit:,} samples per digit)"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Per-digit accuracy (by ganlib's classifier) and Frechet distance of a conditional generator."
    )
    parser.add_argument(
        "--checkpoint", type=Path, help="a conditional generator or checkpoint (default: the shipped one)"
    )
    parser.add_argument(
        "--reference", type=Path, help="the unconditional generator to compare with (default: the shipped one)"
    )
    parser.add_argument("--per-digit", type=int, default=None, help="samples per digit (default: 1000; 20 --quick)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent draws (default: 0)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target of issue #12 is missed")
    harness.add_quick_argument(parser, "20 samples per digit (figures too rough to judge the targets)")
    args = parser.parse_args(argv)
    args.per_digit = args.per_digit or (20 if args.quick else 1000)
    if args.per_digit < 2:
        parser.error("--per-digit must be at least 2")
    return parser, args


def figures_json(args, path, meta, accuracy, fd, fd_ref, met: bool) -> dict:
    return {
        "checkpoint": display_path(path),
        "per_digit": args.per_digit,
        "seed": args.seed,
        "accuracy_per_digit": [round(float(a), 4) for a in accuracy],
        "accuracy_overall": round(float(accuracy.mean()), 4),
        "frechet_distance": round(fd, 2),
        "frechet_distance_unconditional": round(fd_ref, 2),
        "epochs": meta.get("epoch"),
        "train_seconds": meta.get("train_seconds"),
        "targets_met": met,
    }


def main(argv=None) -> int:
    parser, args = parse_args(argv)
    print(f"CPU: {cpu_model()}, os.cpu_count()={os.cpu_count()}; load average at start: {loadavg()}")
    path = args.checkpoint or default_conditional_generator_path()
    G, meta = load_generator(path)
    if not num_classes_of(meta):
        parser.error(f"{path} holds an unconditional generator: nothing to ask it for")
    reference = args.reference or default_generator_path()
    G_ref, meta_ref = load_generator(reference, num_classes=0)
    clf = Classifier.load()
    trained = f"{meta.get('epoch', '?')} epochs"
    if "train_seconds" in meta:
        trained += f", {meta['train_seconds']:.0f} s of training"
    print(f"conditional generator: {display_path(path)} ({trained}; {num_classes_of(meta)} classes)")

    start = time.perf_counter()
    samples, accuracy = per_digit_accuracy(G, meta, clf, args.per_digit, args.seed)
    fd = classifier_frechet_distance(samples, classifier=clf)
    fd_ref = classifier_frechet_distance(
        sample_generator(G_ref, meta_ref, len(samples), seed=args.seed), classifier=clf
    )
    print(f"(measured in {time.perf_counter() - start:.0f} s)\n")
    print(table(accuracy, args.per_digit))
    print(
        f"\nFrechet distance to the MNIST test set ({len(samples):,} samples, classifier features): "
        f"conditional {fd:.1f}, unconditional {fd_ref:.1f} ({display_path(reference)})"
    )
    targets = {
        f"overall >= {TARGET_OVERALL:.0%}": accuracy.mean() >= TARGET_OVERALL,
        f"every digit >= {TARGET_EACH:.0%}": accuracy.min() >= TARGET_EACH,
        "Frechet distance <= the unconditional generator's": fd <= fd_ref,
    }
    print("targets of issue #12: " + "; ".join(f"{k}: {'met' if ok else 'MISSED'}" for k, ok in targets.items()))
    if args.json:
        figures = figures_json(args, path, meta, accuracy, fd, fd_ref, all(targets.values()))
        args.json.write_text(json.dumps(figures, indent=2))
        print(f"wrote {args.json}")
    return 1 if args.check and not all(targets.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
