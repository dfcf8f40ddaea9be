r"""The MNIST classifier behind the sample-quality metrics, built from ganlib's own layers.

:class:`Classifier` wraps a ``Sequential`` network trained on MNIST in ``[-1, 1]`` by
:func:`train_classifier`: a small CNN (two strided convolutions, then 128 features; the MLP
784-512-256-10 before December 2026; :mod:`ganlib.evaluation.architecture`); it labels generated digits
(:func:`ganlib.evaluation.metrics.class_histogram`) and provides the features for the Frechet
distance. Its trained weights ship with ganlib (:func:`ganlib.data.paths.default_classifier_path`);
``python -m ganlib train-classifier`` makes them again. They are saved in ganlib's archive
format (:mod:`ganlib.io.archive`): one ``.npz`` with the weights and a JSON record of how
they were made, written atomically.
"""

from __future__ import annotations

import functools
import math
import platform
import time
from pathlib import Path

import numpy as np

from ..batches import minibatches
from ..data import paths
from ..data.mnist import load_mnist, to_tanh_range
from ..io.archive import CheckpointError, write_archive
from ..io.reader import open_archive
from ..layers import Dense
from ..losses import softmax_cross_entropy
from ..network import Sequential
from ..optim import Adam
from ..viz.images import IMAGE_SIZE, check_images
from .architecture import (
    NUM_CLASSES,
    architecture_metadata,
    build_classifier_network,
    build_cnn_classifier_network,
    network_from_metadata,
)

__all__ = [
    "NUM_CLASSES",
    "REGENERATE_COMMAND",
    "Classifier",
    "build_classifier_network",
    "build_cnn_classifier_network",
    "default_classifier",
    "train_classifier",
]

REGENERATE_COMMAND = "python -m ganlib train-classifier"
DEFAULT_EPOCHS = 12
DEFAULT_BATCH_SIZE = 128
DEFAULT_LR = 1e-3
DEFAULT_MAX_SHIFT = 2


def _sizes_of(net: Sequential) -> list[int]:
    """The widths of the Dense layers: [in, out of each] (784, 512, 256, 10 for the MLP; 3136, 128, 10 for the CNN)."""
    dense = [layer for layer in net.layers if isinstance(layer, Dense)]
    return [dense[0].in_features] + [layer.out_features for layer in dense]


class Classifier:
    """An MNIST digit classifier on images in [-1, 1], wrapping a ganlib ``Sequential``.

    All methods take ``x`` of shape (N, 784) in [-1, 1], run the network in
    evaluation mode (dropout off) in chunks of ``batch_size`` rows, and never
    change the weights.

    * :meth:`logits` (N, 10), :meth:`predict_proba` (N, 10), :meth:`predict` (N,) int64
    * :meth:`features` (N, F): the last hidden layer's activations (F = :attr:`feature_dim`, 128 for the CNN)
    * :meth:`save` / :meth:`load`: weights in ``.npz`` (no pickle) plus ``.json`` metadata.
    """

    def __init__(self, net: Sequential, metadata: dict | None = None, batch_size: int = 2000):
        self.net = net
        self.metadata = dict(metadata or {})
        self.batch_size = int(batch_size)

    @property
    def sizes(self) -> list[int]:
        """The widths of its Dense layers, input first: [3136, 128, 10] for the CNN."""
        return _sizes_of(self.net)

    @property
    def feature_dim(self) -> int:
        """F, the width of :meth:`features`: the last Dense layer's input."""
        return self.sizes[-2]

    def _run(self, x, stop: int | None) -> np.ndarray:
        """Forward through ``layers[:stop]`` in evaluation mode, chunked."""
        x = check_images(x, "x")
        was_training = [layer.training for layer in self.net.layers]
        self.net.eval()
        try:
            outs = []
            for start in range(0, len(x), self.batch_size):
                h = x[start : start + self.batch_size]
                for layer in self.net.layers[:stop]:
                    h = layer.forward(h)
                outs.append(h)
        finally:
            for layer, mode in zip(self.net.layers, was_training):
                layer.training = mode
        return np.concatenate(outs)

    def logits(self, x) -> np.ndarray:
        """Unnormalised scores, shape (N, 10)."""
        return self._run(x, None)

    def predict_proba(self, x) -> np.ndarray:
        """Softmax probabilities, shape (N, 10), rows sum to 1."""
        z = self.logits(x)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        return p

    def predict(self, x) -> np.ndarray:
        """Predicted digit per image, shape (N,), int64."""
        return np.argmax(self.logits(x), axis=1)

    def features(self, x) -> np.ndarray:
        """Penultimate-layer activations (after the last ReLU), shape (N, F), float32."""
        return self._run(x, len(self.net.layers) - 1)

    def accuracy(self, x, labels) -> float:
        """Fraction of images whose predicted digit equals ``labels`` (N,)."""
        return float(np.mean(self.predict(x) == np.asarray(labels)))

    # -- files ---------------------------------------------------------------------------
    # -- files ---------------------------------------------------------------------------
    def save(self, path=None) -> Path:
        """Write the weights and :attr:`metadata` to ``path`` (default: the shipped file), atomically.

        The archive holds one float32 array per parameter, named as in ``Sequential.state_dict``
        (``"1.W"``, ``"1.b"``, ``"3.W"``, ...), and in its metadata the architecture
        (:func:`~ganlib.evaluation.architecture.architecture_metadata`) and the training record.
        Returns the path.
        """
        path = Path(path) if path is not None else paths.default_classifier_path()
        arrays = {name: value.astype(np.float32) for name, value in self.net.state_dict().items()}
        metadata = {
            **self.metadata,
            **architecture_metadata(self.net),
            "layers": repr(self.net),
            "input": "(N, 784) float32 in [-1, 1] (ganlib.data.mnist.to_tanh_range)",
            "features": f"last hidden layer after ReLU, {self.feature_dim} units",
        }
        return write_archive(path, "classifier", metadata, arrays)

    @classmethod
    def load(cls, path=None) -> Classifier:
        """Load weights saved by :meth:`save` (default: the shipped classifier).

        Raises :class:`ganlib.io.archive.CheckpointError` (a ``ValueError``) naming the file
        when it is missing, damaged, or its weights do not fit its recorded sizes.
        """
        path = Path(path) if path is not None else paths.default_classifier_path()
        fix = f"Make it again with `{REGENERATE_COMMAND}` (a few minutes on 2 cores; --out PATH writes elsewhere)."
        try:
            with open_archive(path, ("classifier",)) as archive:
                metadata = archive.metadata
                net = network_from_metadata(path, metadata)
                state = {name: archive.array(name, value.shape, kinds="f") for name, value in net.named_parameters()}
                unexpected = sorted(set(archive.names()) - set(state))
                if unexpected:
                    raise CheckpointError(
                        f"classifier {path} has arrays {unexpected} that its architecture does not have"
                    )
                net.load_state_dict(state)
        except CheckpointError as err:
            raise CheckpointError(f"{err}. {fix}") from None
        except ValueError as exc:
            raise CheckpointError(f"classifier {path} does not fit its recorded architecture: {exc}. {fix}") from None
        return cls(net.eval(), metadata)


def _shift_images(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Translate each 28x28 image by a random integer (dy, dx) in [-max_shift, max_shift]^2.

    Uncovered pixels get the background value -1. Shapes: (B, 784) -> (B, 784).
    """
    if max_shift == 0:
        return x
    b, s = len(x), max_shift
    padded = np.full((b, 28 + 2 * s, 28 + 2 * s), -1.0, dtype=x.dtype)
    padded[:, s : s + 28, s : s + 28] = x.reshape(b, 28, 28)
    dy, dx = rng.integers(0, 2 * s + 1, size=(2, b))
    r = np.arange(28)
    rows = (dy[:, None] + r)[:, :, None]
    cols = (dx[:, None] + r)[:, None, :]
    return padded[np.arange(b)[:, None, None], rows, cols].reshape(b, IMAGE_SIZE)


def train_classifier(
    epochs: int = DEFAULT_EPOCHS,
    seed: int = 0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
    lr: float = DEFAULT_LR,
    max_shift: int = DEFAULT_MAX_SHIFT,
    net: Sequential | None = None,
    command: str | None = None,
) -> tuple[Classifier, float]:
    r"""Train the MNIST classifier on ``train`` (the first 50,000 images); return it and its test accuracy.

    ``net``: the untrained network (default: the CNN of
    :func:`~ganlib.evaluation.architecture.build_cnn_classifier_network`, seeded by ``seed``).

    Recipe: Adam (Kingma & Ba, 2015; :math:`\beta_1 = 0.9`) on the softmax
    cross-entropy, a cosine learning-rate schedule from ``lr`` to 0
    (Loshchilov & Hutter, 2017), dropout after each hidden layer, and random
    translations by up to ``max_shift`` pixels as data augmentation. The test
    set (t10k) is used once, at the end; the validation split is only printed.

    Returns ``(classifier, test_accuracy)``; ``classifier.metadata`` records
    the settings, accuracies and timing (stored by :meth:`Classifier.save`).
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    images, labels = load_mnist("train")
    x_train, y_train = to_tanh_range(images), labels.astype(np.int64)
    images, y_val = load_mnist("validation")
    x_val = to_tanh_range(images)
    net = net if net is not None else build_cnn_classifier_network(seed=seed)
    opt = Adam(net, lr=lr, beta1=0.9, beta2=0.999)
    clf = Classifier(net)
    total_steps = epochs * math.ceil(len(x_train) / batch_size)
    for epoch in range(epochs):
        net.train()
        losses = []
        for idx in minibatches(rng, len(x_train), batch_size, drop_last=False):
            xb = _shift_images(x_train[idx], max_shift, rng)
            opt.lr = lr * 0.5 * (1 + math.cos(math.pi * opt.t / total_steps))  # cosine schedule to 0
            loss, dlogits = softmax_cross_entropy(net.forward(xb), y_train[idx])
            net.backward(dlogits, need_dx=False)
            opt.step()
            losses.append(loss)
        if progress:
            print(
                f"epoch {epoch + 1:>3}/{epochs}  loss {np.mean(losses):.4f}  "
                f"validation accuracy {clf.accuracy(x_val, y_val):.4f}  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    net.eval()
    images, y_test = load_mnist("test")
    test_acc, val_acc = clf.accuracy(to_tanh_range(images), y_test), clf.accuracy(x_val, y_val)
    settings = {"seed": seed, "epochs": epochs, "batch_size": batch_size, "lr": lr, "max_shift": max_shift}
    clf.metadata = _training_record(settings, command, test_acc, val_acc, time.perf_counter() - t0)
    if progress:
        print(f"test accuracy {test_acc:.4f}, validation accuracy {val_acc:.4f}, {clf.metadata['train_seconds']:.0f} s")
    return clf, test_acc


def _training_record(settings: dict, command, test_acc: float, val_acc: float, seconds: float) -> dict:
    """What :meth:`Classifier.save` stores about how the classifier was made."""
    if command is None:
        command = (
            "ganlib.evaluation.classifier.train_classifier("
            f"epochs={settings['epochs']}, seed={settings['seed']}, batch_size={settings['batch_size']})"
        )
    return {
        "description": "MNIST classifier for ganlib.evaluation.metrics (class histograms, Frechet distance)",
        "command": command,
        "seed": settings["seed"],
        "epochs": settings["epochs"],
        "batch_size": settings["batch_size"],
        "optimizer": f"Adam(lr={settings['lr']}, beta1=0.9, beta2=0.999), cosine schedule to 0",
        "augmentation": f"random translations by up to {settings['max_shift']} pixels",
        "training_data": "MNIST train[0:50000]",
        "test_accuracy": test_acc,
        "validation_accuracy": val_acc,
        "train_seconds": round(seconds, 1),
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


@functools.lru_cache(maxsize=1)
def _shipped_classifier() -> Classifier:
    return Classifier.load()


def default_classifier(classifier: Classifier | None = None) -> Classifier:
    """``classifier`` if given, else the shipped one (loaded once per process)."""
    return classifier if classifier is not None else _shipped_classifier()
