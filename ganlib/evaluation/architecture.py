"""The evaluation classifier's two architectures, built from ganlib's own layers, and their records.

* ``"cnn"`` (the shipped classifier, since December 2026): two 5x5 convolutions at stride 2,
  28x28x1 -> 14x14xc0 -> 7x7xc1, each followed by ReLU, then dropout, a Dense layer of
  ``hidden`` units with ReLU (the Frechet distance's features), dropout, and 10 logits.
* ``"mlp"`` (the shipped classifier before): Dense layers 784 -> hidden... -> 10, ReLU and
  dropout between; the tests build small ones.

A classifier file records its architecture in its metadata (:func:`architecture_metadata`);
:func:`network_from_metadata` checks that record before anything is built, so a damaged file
gives a clear error and never a huge allocation. A file without ``"architecture"`` is an MLP.
"""

from __future__ import annotations

import numpy as np

from ..config import MAX_HIDDEN_LAYERS, MAX_NETWORK_PARAMS
from ..conv import Conv2d
from ..io.archive import CheckpointError
from ..layers import Dense, Dropout, ReLU
from ..network import Sequential
from ..reshape import Flatten, Reshape
from ..viz.images import IMAGE_SIZE

__all__ = [
    "CNN_DEFAULTS",
    "NUM_CLASSES",
    "architecture_metadata",
    "build_classifier_network",
    "build_cnn_classifier_network",
    "network_from_metadata",
]

NUM_CLASSES = 10
DEFAULT_HIDDEN = (512, 256)  # the MLP's
DEFAULT_DROPOUT = 0.3
#: The shipped CNN: 99.3% on MNIST's test set after 12 epochs (data/artifacts/classifier.npz's metadata).
CNN_DEFAULTS = {"channels": (32, 64), "hidden": 128, "dropout": DEFAULT_DROPOUT}


def _seeds(seed, n: int):
    return iter(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n))


def build_classifier_network(
    sizes=(IMAGE_SIZE, *DEFAULT_HIDDEN, NUM_CLASSES), dropout: float = DEFAULT_DROPOUT, seed=0
) -> Sequential:
    """An MLP ``Dense -> ReLU -> Dropout -> ... -> Dense`` with layer widths ``sizes``, e.g.
    784 -> 512 -> 256 -> 10 (535,818 parameters). Its features are the last hidden layer's
    activations. ``seed`` fixes the initial weights (He initialisation, suited to ReLU) and the
    dropout masks."""
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or sizes[0] != IMAGE_SIZE or sizes[-1] != NUM_CLASSES:
        raise ValueError(f"sizes must run from {IMAGE_SIZE} to {NUM_CLASSES}, got {sizes}")
    seeds = _seeds(seed, 2 * len(sizes))
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        layers.append(Dense(fan_in, fan_out, rng=next(seeds), init="glorot" if last else "he"))
        if not last:
            layers += [ReLU(), Dropout(dropout, rng=next(seeds))]
    return Sequential(*layers)


def build_cnn_classifier_network(
    channels=CNN_DEFAULTS["channels"], hidden: int = CNN_DEFAULTS["hidden"], dropout: float = DEFAULT_DROPOUT, seed=0
) -> Sequential:
    """(N, 784) in [-1, 1] -> 10 logits, through (N, 28, 28, 1) -> conv 5x5/2 -> (N, 14, 14, c0)
    -> conv 5x5/2 -> (N, 7, 7, c1) -> Dense -> ``hidden`` features -> Dense -> 10. The default
    has 32 and 64 channels and 128 features: 454,922 parameters, 1.8 MB in float32."""
    c0, c1 = (int(c) for c in channels)
    seeds = _seeds(seed, 6)
    return Sequential(
        Reshape(28, 28, 1),
        Conv2d(1, c0, 5, stride=2, padding=2, rng=next(seeds), init="he"),
        ReLU(),
        Conv2d(c0, c1, 5, stride=2, padding=2, rng=next(seeds), init="he"),
        ReLU(),
        Flatten(),
        Dropout(dropout, rng=next(seeds)),
        Dense(7 * 7 * c1, int(hidden), rng=next(seeds), init="he"),
        ReLU(),
        Dropout(dropout, rng=next(seeds)),
        Dense(int(hidden), NUM_CLASSES, rng=next(seeds), init="glorot"),
    )


def architecture_metadata(net: Sequential) -> dict:
    """What a classifier file records about ``net``'s architecture (read back by :func:`network_from_metadata`)."""
    dropout = next((layer.p for layer in net.layers if isinstance(layer, Dropout)), 0.0)
    convs = [layer for layer in net.layers if isinstance(layer, Conv2d)]
    dense = [layer for layer in net.layers if isinstance(layer, Dense)]
    if convs:
        channels = [layer.out_channels for layer in convs]
        return {"architecture": "cnn", "channels": channels, "hidden": dense[0].out_features, "dropout": dropout}
    sizes = [dense[0].in_features] + [layer.out_features for layer in dense]
    return {"architecture": "mlp", "sizes": sizes, "dropout": dropout}


def network_from_metadata(path, metadata: dict) -> Sequential:
    """The untrained network a classifier file's metadata describes, after checking the record."""
    kind = metadata.get("architecture", "mlp")
    if kind == "mlp":
        return build_classifier_network(_checked_sizes(path, metadata.get("sizes")))
    if kind == "cnn":
        channels = _checked_widths(path, "channels", metadata.get("channels"), 2, 2)
        (hidden,) = _checked_widths(path, "hidden", [metadata.get("hidden")], 1, 1)
        n = 26 * channels[0] + (25 * channels[0] + 1) * channels[1] + (49 * channels[1] + 1) * hidden
        _check_count(path, f"channels {channels} and hidden {hidden}", n + (hidden + 1) * NUM_CLASSES)
        return build_cnn_classifier_network(channels, hidden)
    raise CheckpointError(f"classifier {path}: 'architecture' must be 'cnn' or 'mlp', got {kind!r}")


def _checked_widths(path, name: str, value, least: int, most: int) -> list[int]:
    if (
        not isinstance(value, list)
        or not least <= len(value) <= most
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in value)
    ):
        raise CheckpointError(f"classifier {path}: {name!r} must be positive integers, got {value!r}")
    return value


def _check_count(path, what: str, n: int) -> None:
    if n > MAX_NETWORK_PARAMS:
        raise CheckpointError(f"classifier {path}: {what} mean {n:,} parameters, over {MAX_NETWORK_PARAMS:,}")


def _checked_sizes(path, sizes) -> list[int]:
    """An MLP file's layer widths: 784, hidden widths, 10; at most MAX_NETWORK_PARAMS weights."""
    if not isinstance(sizes, list):
        raise CheckpointError(f"classifier {path}: 'sizes' must be a list of positive integers, got {sizes!r}")
    sizes = _checked_widths(path, "sizes", sizes, 2, MAX_HIDDEN_LAYERS + 2)
    if sizes[0] != IMAGE_SIZE or sizes[-1] != NUM_CLASSES:
        raise CheckpointError(f"classifier {path}: 'sizes' must run from {IMAGE_SIZE} to {NUM_CLASSES}, got {sizes}")
    _check_count(path, f"sizes {sizes}", sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])))
    return sizes
