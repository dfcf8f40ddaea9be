r"""The shipped generators measured by the old evaluation classifier (an MLP) and the new one (a CNN).

    python -m benchmarks.experiments.classifiers      # writes benchmarks/results/classifier_comparison.json

For each classifier: its test accuracy; for real validation images and for each shipped generator
(the MLP ``generator.npz``, the DCGAN ``dcgan_generator.npz``, the conditional
``conditional_generator.npz``), on ``--n`` samples (10,000, seed 1): the Frechet distance in the
classifier's features to the 10,000 test images, the KL divergence of the class histogram to
uniform and the smallest class; for the conditional generator also the agreement with the asked-for
digit, overall and per digit. The old classifier's weights are kept for this comparison in
``benchmarks/results/classifier_mlp.npz`` (the shipped file until December 2026).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from benchmarks import harness

RESULTS = harness.REPO / "benchmarks" / "results"
OLD = RESULTS / "classifier_mlp.npz"
GENERATORS = {"mlp": "generator.npz", "dcgan": "dcgan_generator.npz", "conditional": "conditional_generator.npz"}


def measure(classifier, samples: dict, labels) -> dict:
    from ganlib.data.mnist import load_mnist, to_tanh_range
    from ganlib.evaluation import metrics

    images, digits = load_mnist("test")
    row = {"test_accuracy": classifier.accuracy(to_tanh_range(images), digits), "features": classifier.feature_dim}
    for name, x in samples.items():
        hist = metrics.class_histogram(x, classifier)
        row[name] = {
            "fd": metrics.classifier_frechet_distance(x, classifier=classifier),
            "kl": hist["kl_to_uniform"],
            "min_class": hist["min_fraction"],
        }
        if name == "conditional":
            agreement = metrics.class_agreement(x, labels, classifier)
            row[name].update(agreement=float(np.mean(agreement)), agreement_per_digit=agreement.round(4).tolist())
    return row


def draw(n: int, quick: bool) -> tuple[dict, np.ndarray]:
    from ganlib.data import paths
    from ganlib.data.mnist import load_mnist, to_tanh_range
    from ganlib.io.generator import generator_labels, load_generator, sample_generator

    images, _ = load_mnist("validation")
    samples = {"real (validation)": to_tanh_range(images[:n])}
    labels = None
    for name, file in GENERATORS.items():
        path = paths.artifact(file)
        if not path.exists():
            print(f"{path} is missing: skipped")
            continue
        G, meta = load_generator(path)
        samples[name] = sample_generator(G, meta, n, seed=1)
        if name == "conditional":
            labels = generator_labels(meta, n)
    return samples, labels


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    harness.add_common_arguments(parser, threads=2, quick="200 samples, printed only")
    parser.add_argument("--n", type=int, default=10_000, help="samples per generator (default 10,000)")
    a = parser.parse_args(argv)
    harness.limit_threads(a.threads)
    from ganlib.evaluation.classifier import Classifier

    print(harness.machine_line())
    samples, labels = draw(200 if a.quick else a.n, a.quick)
    table = {"old (MLP 784-512-256-10)": Classifier.load(OLD), "new (CNN, shipped)": Classifier.load()}
    result = {name: measure(clf, samples, labels) for name, clf in table.items()}
    for name, row in result.items():
        print(f"\n{name}: test accuracy {row['test_accuracy']:.4f}, {row['features']} features")
        for sample, m in row.items():
            if isinstance(m, dict):
                extra = f"  agreement {m['agreement']:.3f}" if "agreement" in m else ""
                print(f"  {sample:<20} FD {m['fd']:8.2f}  KL {m['kl']:.4f}  smallest class {m['min_class']:.4f}{extra}")
    if a.quick:
        print("quick: both classifiers measured every sample set")
        return 0
    out = RESULTS / "classifier_comparison.json"
    out.write_text(json.dumps({"n": a.n, "machine": harness.machine(), "classifiers": result}, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
