r"""How good are the generated digits? Sample-quality metrics for MNIST GANs.

Every function here takes generated samples the way a tanh generator produces
them: a float array of shape ``(N, 784)`` with values in ``[-1, 1]``.

What is measured, and why no single number suffices (Theis et al., 2016,
"A note on the evaluation of generative models"):

* **Which digits?** :func:`class_histogram` labels samples with a small MNIST
  classifier (:class:`Classifier`, built from ganlib's own layers). A
  mode-collapsed generator draws a few digits only: few classes covered, a
  large KL divergence from the uniform distribution over the 10 classes.
* **How real do they look, as a whole?** :func:`frechet_distance` compares the
  statistics of the classifier's penultimate-layer features of samples and of
  real images, like the FID (Heusel et al., 2017), but with an MNIST classifier
  instead of Inception. Lower is better; 0 means identical feature statistics.
* **Copies of the training set?** :func:`nearest_training_distance` finds the
  closest training image of each sample. Distances near 0 mean memorisation.
* **The original paper's number.** :func:`parzen_log_likelihood` and
  :func:`parzen_evaluation` reproduce the Gaussian Parzen-window estimate of
  Goodfellow et al. (2014), Table 1, for comparison with the literature only:
  it is a poor estimate of the likelihood in 784 dimensions (Theis et al., 2016).

:func:`evaluate_samples` bundles them all for ``python -m ganlib evaluate``.
The classifier's weights ship in ``data/classifier.npz``; regenerate them with
``python -m ganlib train-classifier`` (see :func:`train_classifier`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import platform
import shlex
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from .layers import Dense, Dropout, ReLU
from .network import Sequential
from .optim import Adam

__all__ = [
    "softmax_cross_entropy",
    "build_classifier_network",
    "Classifier",
    "train_classifier",
    "main_train_classifier",
    "class_histogram",
    "frechet_distance",
    "gaussian_frechet_distance",
    "classifier_frechet_distance",
    "nearest_training_distance",
    "parzen_log_likelihood",
    "select_parzen_sigma",
    "parzen_evaluation",
    "evaluate_samples",
    "format_evaluation",
    "to_jsonable",
    "DEFAULT_CLASSIFIER_PATH",
    "REGENERATE_COMMAND",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_CLASSIFIER_PATH = DATA_DIR / "classifier.npz"
REGENERATE_COMMAND = "python -m ganlib train-classifier"

NUM_CLASSES = 10
IMAGE_SIZE = 784
DEFAULT_HIDDEN = (512, 256)
DEFAULT_DROPOUT = 0.3
DEFAULT_EPOCHS = 20
DEFAULT_BATCH_SIZE = 128
DEFAULT_LR = 1e-3
DEFAULT_MAX_SHIFT = 2
PARZEN_SIGMAS = np.logspace(-1, 0, 10)  # Goodfellow et al.'s grid: 0.1 ... 1.0


# =============================================================================== helpers


def _load_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    """``ganlib.data.load_mnist(split)``, imported lazily so that this module imports fast."""
    from .data import load_mnist

    return load_mnist(split)


def _tanh_images(split: str) -> np.ndarray:
    from .data import to_tanh_range

    return to_tanh_range(_load_split(split)[0])


def _check_samples(samples, name: str = "samples") -> np.ndarray:
    """Validate a batch of images in [-1, 1]: shape (N, 784), finite, in range. Returns float32."""
    x = np.asarray(samples)
    if x.ndim == 3 and x.shape[1:] == (28, 28):
        x = x.reshape(len(x), IMAGE_SIZE)
    if x.ndim != 2 or x.shape[1] != IMAGE_SIZE:
        raise ValueError(f"{name} must have shape (N, 784) (or (N, 28, 28)), got {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    if x.dtype == np.uint8:
        raise TypeError(
            f"{name} are uint8 pixels 0..255; the metrics take images in [-1, 1]: "
            "convert with ganlib.data.to_tanh_range(images)"
        )
    x = x.astype(np.float32, copy=False)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contain NaN or Inf")
    lo, hi = float(x.min()), float(x.max())
    if lo < -1.001 or hi > 1.001:
        raise ValueError(f"{name} must lie in [-1, 1] (a tanh generator's output), got values in [{lo:.3g}, {hi:.3g}]")
    return x


# =============================================================================== the classifier


def softmax_cross_entropy(logits: np.ndarray, labels) -> tuple[float, np.ndarray]:
    r"""Mean softmax cross-entropy from logits, with its gradient.

    For logits :math:`z \in \mathbb{R}^{N \times C}` and integer labels :math:`y_n`,

    .. math::
        L = \frac1N \sum_n \Big(\log \sum_c e^{z_{nc}} - z_{n y_n}\Big), \qquad
        \frac{\partial L}{\partial z_{nc}} = \frac1N \big(\operatorname{softmax}(z_n)_c - [c = y_n]\big).

    The log-sum-exp is computed as :math:`m + \log\sum_c e^{z_{nc} - m}` with
    :math:`m = \max_c z_{nc}`: every exponent is :math:`\le 0`, so nothing
    overflows even for logits of :math:`10^4`.

    Parameters
    ----------
    logits : array (N, C), float
    labels : integer array (N,), values in [0, C)

    Returns
    -------
    loss : float
    dlogits : array (N, C), the logits' dtype
    """
    z = np.asarray(logits)
    if z.ndim != 2 or z.shape[0] == 0:
        raise ValueError(f"logits must have shape (N, C) with N >= 1, got {z.shape}")
    y = np.asarray(labels)
    if y.shape != (z.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be integers of shape ({z.shape[0]},), got {y.dtype} {y.shape}")
    if y.min() < 0 or y.max() >= z.shape[1]:
        raise ValueError(f"labels must lie in [0, {z.shape[1]}), got [{y.min()}, {y.max()}]")
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_norm  # log softmax, every entry <= 0
    rows = np.arange(n)
    loss = float(-log_probs[rows, y].mean())
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1
    dlogits /= np.asarray(n, dtype=dlogits.dtype)
    return loss, dlogits


def build_classifier_network(
    sizes=(IMAGE_SIZE, *DEFAULT_HIDDEN, NUM_CLASSES), dropout: float = DEFAULT_DROPOUT, seed=0
) -> Sequential:
    """An MLP ``Dense -> ReLU -> Dropout -> ... -> Dense`` with layer widths ``sizes``.

    Default: 784 -> 512 -> 256 -> 10 (535,818 parameters, 2.1 MB in float32).
    The output is 10 logits; the last hidden layer (256 units after ReLU) gives
    the features for the Frechet distance. ``seed`` fixes the initial weights
    (He initialisation, suited to ReLU) and the dropout masks.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or sizes[0] != IMAGE_SIZE or sizes[-1] != NUM_CLASSES:
        raise ValueError(f"sizes must run from {IMAGE_SIZE} to {NUM_CLASSES}, got {sizes}")
    seeds = iter(np.random.SeedSequence(seed).spawn(2 * len(sizes)))
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        layers.append(Dense(fan_in, fan_out, rng=np.random.default_rng(next(seeds)), init="glorot" if last else "he"))
        if not last:
            layers += [ReLU(), Dropout(dropout, rng=np.random.default_rng(next(seeds)))]
    return Sequential(*layers)


def _sizes_of(net: Sequential) -> list[int]:
    dense = [layer for layer in net.layers if isinstance(layer, Dense)]
    return [dense[0].in_features] + [layer.out_features for layer in dense]


class Classifier:
    """An MNIST digit classifier on images in [-1, 1], wrapping a ganlib ``Sequential``.

    All methods take ``x`` of shape (N, 784) in [-1, 1], run the network in
    evaluation mode (dropout off) in chunks of ``batch_size`` rows, and never
    change the weights.

    * :meth:`logits` (N, 10), :meth:`predict_proba` (N, 10), :meth:`predict` (N,) int64
    * :meth:`features` (N, F): the last hidden layer's activations (F = 256 by default)
    * :meth:`save` / :meth:`load`: weights in ``.npz`` (no pickle) plus ``.json`` metadata.
    """

    def __init__(self, net: Sequential, metadata: dict | None = None, batch_size: int = 2000):
        self.net = net
        self.metadata = dict(metadata or {})
        self.batch_size = int(batch_size)

    @property
    def sizes(self) -> list[int]:
        return _sizes_of(self.net)

    def _run(self, x, stop: int | None) -> np.ndarray:
        """Forward through ``layers[:stop]`` in evaluation mode, chunked."""
        x = _check_samples(x, "x")
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
    def save(self, path=DEFAULT_CLASSIFIER_PATH) -> Path:
        """Write ``<path>.npz`` (float32 weights + ``sizes``) and ``<path>.json`` (metadata).

        The npz holds one array per parameter, named as in ``Sequential.state_dict``
        (``"0.W"``, ``"0.b"``, ``"3.W"``, ...), plus ``sizes`` (the layer widths).
        The json adds the metadata given at construction (accuracy, seed, the command
        that produced it) and the npz's sha256, so a stale json can be detected.
        Returns the npz path.
        """
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {name: value.astype(np.float32) for name, value in self.net.state_dict().items()}
        arrays["sizes"] = np.array(self.sizes, dtype=np.int64)
        with open(path, "wb") as fh:  # a file object: np.savez then keeps the name as given
            np.savez(fh, **arrays)
        meta = dict(self.metadata)
        meta.update(
            architecture={
                "sizes": self.sizes,
                "layers": repr(self.net),
                "activation": "relu",
                "dropout": next((layer.p for layer in self.net.layers if isinstance(layer, Dropout)), 0.0),
                "input": "(N, 784) float32 in [-1, 1] (ganlib.data.to_tanh_range)",
                "features": f"last hidden layer after ReLU, {self.sizes[-2]} units",
            },
            num_params=self.net.num_params,
            npz_file=path.name,
            npz_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path=None) -> Classifier:
        """Load weights saved by :meth:`save` (default ``<repo>/data/classifier.npz``).

        Reads with ``allow_pickle=False``. The json next to the npz, if present,
        provides :attr:`metadata`; its recorded sha256 must match the npz.

        Raises
        ------
        FileNotFoundError : the npz does not exist.
        ValueError : the file is damaged, a key is missing, or shapes do not fit.
        """
        path = Path(path) if path is not None else DEFAULT_CLASSIFIER_PATH
        fix = f"Regenerate it with `{REGENERATE_COMMAND}` (a few minutes on 2 cores; --out PATH writes elsewhere)"
        if path.resolve() == DEFAULT_CLASSIFIER_PATH:
            fix += ", or restore the shipped files with `git checkout -- data/classifier.npz data/classifier.json`"
        fix += "."
        if not path.is_file():
            raise FileNotFoundError(f"classifier weights not found: {path}. {fix}")
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as exc:
            raise ValueError(f"cannot read classifier weights {path}: damaged file ({exc}). {fix}") from None
        if "sizes" not in arrays:
            raise ValueError(f"classifier weights {path} have no 'sizes' entry (not written by Classifier.save). {fix}")
        sizes = arrays.pop("sizes")
        if sizes.ndim != 1 or not np.issubdtype(sizes.dtype, np.integer):
            raise ValueError(f"classifier weights {path}: 'sizes' must be a 1-D integer array, got {sizes!r}. {fix}")
        try:
            net = build_classifier_network([int(s) for s in sizes])
            net.load_state_dict(arrays)
        except ValueError as exc:
            raise ValueError(
                f"classifier weights {path} do not fit the architecture {sizes.tolist()}: {exc}. {fix}"
            ) from None
        metadata = {}
        json_path = path.with_suffix(".json")
        if json_path.is_file():
            try:
                metadata = json.loads(json_path.read_text())
            except (ValueError, UnicodeDecodeError) as exc:
                raise ValueError(f"classifier metadata {json_path} is not valid JSON ({exc}). {fix}") from None
            recorded = metadata.get("npz_sha256")
            if recorded is not None and recorded != hashlib.sha256(path.read_bytes()).hexdigest():
                raise ValueError(
                    f"classifier metadata {json_path} does not describe {path} (sha256 mismatch): "
                    f"one of the two files was replaced or modified. {fix}"
                )
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
    hidden=DEFAULT_HIDDEN,
    dropout: float = DEFAULT_DROPOUT,
    command: str | None = None,
) -> tuple[Classifier, float]:
    r"""Train the MNIST classifier on ``train`` (the first 50,000 images); return it and its test accuracy.

    Recipe: Adam (Kingma & Ba, 2015; :math:`\beta_1 = 0.9`) on the softmax
    cross-entropy, a cosine learning-rate schedule from ``lr`` to 0
    (Loshchilov & Hutter, 2017), dropout after each hidden layer, and random
    translations by up to ``max_shift`` pixels as data augmentation. The test
    set (t10k) is used once, at the end; the validation split is only printed.

    Returns ``(classifier, test_accuracy)``; ``classifier.metadata`` records
    the settings, accuracies and timing (written to the json by ``save``).
    """
    from .data import to_tanh_range

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    x_train = to_tanh_range(_load_split("train")[0])
    y_train = _load_split("train")[1].astype(np.int64)
    x_val, y_val = to_tanh_range(_load_split("validation")[0]), _load_split("validation")[1]
    sizes = (IMAGE_SIZE, *hidden, NUM_CLASSES)
    net = build_classifier_network(sizes, dropout, seed=seed)
    opt = Adam(net, lr=lr, beta1=0.9, beta2=0.999)
    clf = Classifier(net)
    n = len(x_train)
    steps_per_epoch = math.ceil(n / batch_size)
    total_steps = epochs * steps_per_epoch
    for epoch in range(epochs):
        net.train()
        order = rng.permutation(n)
        losses = []
        for i in range(steps_per_epoch):
            idx = order[i * batch_size : (i + 1) * batch_size]
            xb = _shift_images(x_train[idx], max_shift, rng)
            opt.lr = lr * 0.5 * (1 + math.cos(math.pi * opt.t / total_steps))
            loss, dlogits = softmax_cross_entropy(net.forward(xb), y_train[idx])
            net.backward(dlogits, need_dx=False)
            opt.step()
            losses.append(loss)
        if progress:
            val_acc = clf.accuracy(x_val, y_val)
            print(
                f"epoch {epoch + 1:>3}/{epochs}  loss {np.mean(losses):.4f}  "
                f"validation accuracy {val_acc:.4f}  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    net.eval()
    train_seconds = time.perf_counter() - t0
    test_acc = clf.accuracy(_tanh_images("test"), _load_split("test")[1])
    val_acc = clf.accuracy(x_val, y_val)
    if command is None:
        command = f"ganlib.metrics.train_classifier(epochs={epochs}, seed={seed}, batch_size={batch_size})"
    clf.metadata = {
        "description": "MNIST classifier for ganlib.metrics (class histograms, Frechet distance)",
        "command": command,
        "seed": seed,
        "epochs": epochs,
        "batch_size": batch_size,
        "optimizer": f"Adam(lr={lr}, beta1=0.9, beta2=0.999), cosine schedule to 0",
        "augmentation": f"random translations by up to {max_shift} pixels",
        "training_data": "MNIST train[0:50000]",
        "test_accuracy": test_acc,
        "validation_accuracy": val_acc,
        "train_seconds": round(train_seconds, 1),
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
    if progress:
        print(f"test accuracy {test_acc:.4f}, validation accuracy {val_acc:.4f}, {train_seconds:.0f} s")
    return clf, test_acc


def main_train_classifier(argv=None) -> int:
    """Command line: ``python -m ganlib train-classifier [--epochs E] [--seed S] [--out PATH]``.

    ``argv`` is the list of arguments after ``train-classifier`` (default ``sys.argv[1:]``).
    Trains with :func:`train_classifier`, then saves the weights and the json (which
    records this command) unless the test accuracy is below ``--min-accuracy``.
    Returns the exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m ganlib train-classifier",
        description="Train the MNIST classifier used by the sample-quality metrics and save its weights.",
    )
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help=f"default {DEFAULT_EPOCHS}")
    parser.add_argument("--seed", type=int, default=0, help="default 0")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help=f"default {DEFAULT_BATCH_SIZE}")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_CLASSIFIER_PATH, help=f"weights file (default {DEFAULT_CLASSIFIER_PATH})"
    )
    parser.add_argument("--min-accuracy", type=float, default=0.98, help="fail (exit 1) below this test accuracy")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        parser.error("--epochs and --batch-size must be positive")
    argv = list(sys.argv[1:] if argv is None else argv)
    command = " ".join([REGENERATE_COMMAND, *(shlex.quote(a) for a in argv)])
    clf, acc = train_classifier(args.epochs, args.seed, args.batch_size, progress=True, command=command)
    if acc < args.min_accuracy:
        print(
            f"test accuracy {acc:.4f} is below --min-accuracy {args.min_accuracy}; weights not saved", file=sys.stderr
        )
        return 1
    out = clf.save(args.out)
    print(f"saved {out} and {out.with_suffix('.json')}")
    return 0


_DEFAULT_CLASSIFIER: Classifier | None = None


def _default_classifier(classifier: Classifier | None) -> Classifier:
    global _DEFAULT_CLASSIFIER
    if classifier is not None:
        return classifier
    if _DEFAULT_CLASSIFIER is None:
        _DEFAULT_CLASSIFIER = Classifier.load()
    return _DEFAULT_CLASSIFIER


# =============================================================================== class statistics


def class_histogram(samples, classifier: Classifier | None = None, min_fraction: float = 0.01) -> dict:
    r"""Which digits does the generator draw? Classify every sample and count.

    Parameters
    ----------
    samples : (N, 784) in [-1, 1]
    classifier : default :meth:`Classifier.load` (the shipped weights)
    min_fraction : a class counts as covered if at least this fraction of samples fall in it

    Returns
    -------
    dict with
        ``counts`` int64 (10,), ``fractions`` :math:`p` float64 (10,),
        ``classes_covered`` (number of classes with :math:`p_c \ge` ``min_fraction``),
        ``min_fraction`` (the smallest :math:`p_c`),
        ``kl_to_uniform`` :math:`= \sum_c p_c \log(p_c / 0.1)` in nats (0 log 0 = 0):
        0 for perfectly balanced classes, :math:`\log 10 \approx 2.303` if every
        sample is the same digit,
        ``mean_confidence``: the mean over samples of :math:`\max_c \operatorname{softmax}_c`
        (low values: digits the classifier cannot read).
    """
    clf = _default_classifier(classifier)
    probs = clf.predict_proba(samples)
    counts = np.bincount(probs.argmax(axis=1), minlength=NUM_CLASSES).astype(np.int64)
    p = counts / counts.sum()
    nz = p > 0
    kl = float(np.sum(p[nz] * np.log(p[nz] * NUM_CLASSES)))
    return {
        "counts": counts,
        "fractions": p,
        "classes_covered": int(np.sum(p >= min_fraction)),
        "min_fraction": float(p.min()),
        "kl_to_uniform": max(kl, 0.0),
        "mean_confidence": float(probs.max(axis=1).mean()),
    }


# =============================================================================== Frechet distance


def _sqrtm_psd(a: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix, via ``eigh``."""
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def gaussian_frechet_distance(mu_a, cov_a, mu_b, cov_b) -> float:
    r"""Frechet (2-Wasserstein squared) distance between :math:`N(\mu_a, S_a)` and :math:`N(\mu_b, S_b)`:

    .. math::
        d^2 = \|\mu_a - \mu_b\|^2 + \operatorname{Tr}\big(S_a + S_b - 2 (S_a S_b)^{1/2}\big)

    (Dowson & Landau, 1982). :math:`S_a S_b` is not symmetric, but it is similar to
    :math:`S_a^{1/2} S_b S_a^{1/2}`, which is symmetric PSD, so
    :math:`\operatorname{Tr}(S_a S_b)^{1/2} = \sum_i \sqrt{\lambda_i}` over its eigenvalues
    (negative rounding errors clipped to 0). Everything in float64 with ``eigh``,
    no complex ``sqrtm``. Shapes: ``mu`` (F,), ``cov`` (F, F).
    """
    mu_a, mu_b = np.asarray(mu_a, np.float64), np.asarray(mu_b, np.float64)
    cov_a, cov_b = np.asarray(cov_a, np.float64), np.asarray(cov_b, np.float64)
    f = mu_a.shape[0]
    if mu_a.shape != (f,) or mu_b.shape != (f,) or cov_a.shape != (f, f) or cov_b.shape != (f, f):
        raise ValueError(
            f"need means (F,) and covariances (F, F) of one F, got {mu_a.shape}, {cov_a.shape}, {mu_b.shape}, {cov_b.shape}"
        )
    root_a = _sqrtm_psd((cov_a + cov_a.T) / 2)
    m = root_a @ cov_b @ root_a
    eig = np.linalg.eigvalsh((m + m.T) / 2)
    tr_sqrt = float(np.sum(np.sqrt(np.clip(eig, 0, None))))
    diff = mu_a - mu_b
    d2 = float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * tr_sqrt)
    return max(d2, 0.0)


def frechet_distance(feats_a, feats_b) -> float:
    r"""Frechet distance between Gaussians fitted to two feature sets (Heusel et al., 2017).

    ``feats_a`` (N_a, F) and ``feats_b`` (N_b, F) are rows of features; each set is
    summarised by its mean and (unbiased, ``ddof=1``) covariance, then
    :func:`gaussian_frechet_distance` applies. The estimate is biased upwards for
    small N (Chong & Forsyth, 2020): compare models at the same N.
    """
    a, b = np.asarray(feats_a, np.float64), np.asarray(feats_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets must be (N_a, F) and (N_b, F), got {a.shape} and {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("need at least 2 rows per feature set to estimate a covariance")
    return gaussian_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


_REFERENCE_FEATURES: dict = {}


def classifier_frechet_distance(samples, reference=None, classifier: Classifier | None = None) -> float:
    """Frechet distance in the classifier's feature space ("FID" with an MNIST classifier).

    ``samples`` and ``reference`` are (N, 784) in [-1, 1]; the reference defaults
    to the 10,000 MNIST test images (their features are cached per classifier).
    With the shipped classifier, real training images score about 2 (10,000 of
    them) or 6 (2,000: the estimate is biased upwards for small N), uniform
    noise about 220.
    """
    clf = _default_classifier(classifier)
    if reference is None:
        key = id(clf)
        if key not in _REFERENCE_FEATURES or _REFERENCE_FEATURES[key][0] is not clf:
            _REFERENCE_FEATURES.clear()
            _REFERENCE_FEATURES[key] = (clf, clf.features(_tanh_images("test")))
        ref_feats = _REFERENCE_FEATURES[key][1]
    else:
        ref_feats = clf.features(reference)
    return frechet_distance(clf.features(samples), ref_feats)


# =============================================================================== nearest neighbours


def _squared_norms(x: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", x, x)


def nearest_training_distance(samples, train=None, chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    r"""Euclidean distance from each sample to its nearest training image, in [-1, 1] pixel space.

    Parameters
    ----------
    samples : (N, 784) in [-1, 1]
    train : (M, 784) in [-1, 1]; default the 50,000 ``train`` images
    chunk : samples per block; memory is about ``chunk * M * 4`` bytes (51 MB for 256 x 50,000)

    Returns
    -------
    distances : float64 (N,), ``indices`` : int64 (N,) into ``train``.

    Each block's squared distances come from one float32 matrix product,
    :math:`\|a - b\|^2 = \|a\|^2 + \|b\|^2 - 2\,a \cdot b`; the reported distance
    of the winner is then recomputed directly in float64, so an exact copy of a
    training image gives exactly 0 (the expansion alone leaves float32 rounding
    of about :math:`10^{-2}` after the square root).
    """
    x = _check_samples(samples)
    ref = _tanh_images("train") if train is None else _check_samples(train, "train")
    if chunk < 1:
        raise ValueError(f"chunk must be positive, got {chunk}")
    ref_sq = _squared_norms(ref)
    indices = np.empty(len(x), dtype=np.int64)
    for start in range(0, len(x), chunk):
        block = x[start : start + chunk]
        d2 = block @ ref.T  # (B, M)
        d2 *= -2
        d2 += ref_sq  # ||a||^2 is constant per row: not needed for the argmin
        indices[start : start + chunk] = np.argmin(d2, axis=1)
    diff = x.astype(np.float64) - ref[indices].astype(np.float64)
    distances = np.sqrt(_squared_norms(diff))
    return distances, indices


# =============================================================================== Parzen windows


def _check_unit(x, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must have shape (N, D) with N >= 1, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contain NaN or Inf")
    return x


def _parzen_lls(samples01, data01, sigmas, chunk: int) -> np.ndarray:
    """Log-likelihoods of every data row under every sigma, shape (len(sigmas), M).

    One chunk of squared distances (chunk x N, float64) at a time, reused for all sigmas.
    """
    s = _check_unit(samples01, "samples01")
    x = _check_unit(data01, "data01")
    if s.shape[1] != x.shape[1]:
        raise ValueError(f"samples01 and data01 need the same dimension, got {s.shape} and {x.shape}")
    sigmas = np.atleast_1d(np.asarray(sigmas, dtype=np.float64))
    if sigmas.ndim != 1 or np.any(sigmas <= 0):
        raise ValueError(f"sigmas must be positive, got {sigmas}")
    if chunk < 1:
        raise ValueError(f"chunk must be positive, got {chunk}")
    n, d = s.shape
    s_sq = _squared_norms(s)
    out = np.empty((len(sigmas), len(x)))
    for start in range(0, len(x), chunk):
        block = x[start : start + chunk]
        d2 = block @ s.T  # (B, N) float64
        d2 *= -2
        d2 += s_sq
        d2 += _squared_norms(block)[:, None]
        np.maximum(d2, 0, out=d2)  # rounding can make exact matches slightly negative
        min_d2 = d2.min(axis=1)
        for k, sigma in enumerate(sigmas):
            # logsumexp_i(-d2_i / 2s^2), shifted by the largest term (the nearest centre)
            scaled = (min_d2[:, None] - d2) / (2 * sigma**2)  # <= 0
            lse = -min_d2 / (2 * sigma**2) + np.log(np.exp(scaled).sum(axis=1))
            out[k, start : start + chunk] = lse - math.log(n) - 0.5 * d * math.log(2 * math.pi * sigma**2)
    return out


def parzen_log_likelihood(samples01, data01, sigma: float, chunk: int = 1000) -> np.ndarray:
    r"""Per-example log-likelihood of ``data01`` under a Gaussian Parzen window on ``samples01``.

    The density is a mixture of N isotropic Gaussians centred on the samples
    :math:`s_i` (Goodfellow et al., 2014, following Breuleux et al., 2011):

    .. math::
        \log p(x) = \operatorname{logsumexp}_i\Big(-\frac{\|x - s_i\|^2}{2\sigma^2}\Big)
                    - \log N - \frac d2 \log(2\pi\sigma^2),

    which is what the paper's ``parzen_ll.py`` computes (its ``log_mean_exp``
    minus :math:`d \log(\sigma\sqrt{2\pi})`). Both arrays are in [0, 1] (the
    paper's scaling: pixels / 255), shapes ``samples01`` (N, d), ``data01`` (M, d).
    Computed in float64, ``chunk`` data rows at a time: memory about
    ``chunk * N * 8`` bytes (80 MB for 1,000 x 10,000). Returns float64 (M,), in nats.
    """
    return _parzen_lls(samples01, data01, [float(sigma)], chunk)[0]


def select_parzen_sigma(samples01, validation01, sigmas=PARZEN_SIGMAS, chunk: int = 1000):
    """Choose the kernel width that maximises the mean validation log-likelihood.

    Returns ``(best_sigma, mean_ll_per_sigma)``, the latter float64 of ``len(sigmas)``.
    The squared distances are computed once and reused for every sigma.
    """
    sigmas = np.asarray(sigmas, dtype=np.float64)
    means = _parzen_lls(samples01, validation01, sigmas, chunk).mean(axis=1)
    return float(sigmas[int(np.argmax(means))]), means


def parzen_evaluation(samples, n_validation: int = 1000, sigmas=PARZEN_SIGMAS, chunk: int = 1000) -> dict:
    """The Parzen-window test log-likelihood with Goodfellow et al.'s (2014) protocol.

    1. ``samples`` (N, 784) in [-1, 1] are mapped to [0, 1]; the protocol uses N = 10,000.
    2. sigma is chosen from ``sigmas`` (default ``logspace(-1, 0, 10)``) on the first
       ``n_validation`` images of the validation split (train[50000:60000]).
    3. The mean log-likelihood of the 10,000 test images is reported with its
       standard error ``std / sqrt(10000)`` (numpy's ``std``, ddof=0, as in ``parzen_ll.py``).

    The paper's Table 1 reports 225 +- 2 nats for its MNIST GAN; 10,000 real training
    images (train[0:10000]) used as "samples" score about 241 +- 2 (sigma 0.167), a
    reference for a perfect generator. Takes 10 to 40 s on 2 (shared) cores.

    Returns dict(sigma, mean, std_error, sigmas, validation_means, n_samples, seconds).
    """
    t0 = time.perf_counter()
    from .data import to_unit_range

    s01 = to_unit_range(_check_samples(samples)).astype(np.float64)
    val = _load_split("validation")[0][:n_validation].astype(np.float64) / 255.0
    test = _load_split("test")[0].astype(np.float64) / 255.0
    sigma, val_means = select_parzen_sigma(s01, val, sigmas, chunk)
    ll = parzen_log_likelihood(s01, test, sigma, chunk)
    return {
        "sigma": sigma,
        "mean": float(ll.mean()),
        "std_error": float(ll.std() / math.sqrt(len(ll))),
        "sigmas": np.asarray(sigmas, dtype=np.float64),
        "validation_means": val_means,
        "n_samples": int(len(s01)),
        "seconds": time.perf_counter() - t0,
    }


# =============================================================================== everything at once


def evaluate_samples(samples, classifier: Classifier | None = None, parzen: bool = True) -> dict:
    """All metrics for one batch of samples (N, 784) in [-1, 1].

    Returns a dict with ``n_samples``, ``class_histogram`` (see :func:`class_histogram`),
    ``frechet_distance`` (to the test set, see :func:`classifier_frechet_distance`),
    ``nearest_training_distance`` (``mean``, ``median``, ``min`` and the index of the
    closest training image), and ``parzen`` (see :func:`parzen_evaluation`; None if
    ``parzen`` is False). For 10,000 samples this takes under a minute on 2 cores
    (most of it in the nearest-neighbour search and the Parzen windows).
    """
    x = _check_samples(samples)
    clf = _default_classifier(classifier)
    dist, idx = nearest_training_distance(x)
    return {
        "n_samples": int(len(x)),
        "class_histogram": class_histogram(x, clf),
        "frechet_distance": classifier_frechet_distance(x, classifier=clf),
        "nearest_training_distance": {
            "mean": float(dist.mean()),
            "median": float(np.median(dist)),
            "min": float(dist.min()),
            "argmin_sample": int(np.argmin(dist)),
            "argmin_train_index": int(idx[np.argmin(dist)]),
        },
        "parzen": parzen_evaluation(x) if parzen else None,
    }


def format_evaluation(result: dict) -> str:
    """A human-readable report of :func:`evaluate_samples`' result."""
    h, nn = result["class_histogram"], result["nearest_training_distance"]
    lines = [
        f"samples: {result['n_samples']}",
        "class histogram (digit: fraction): " + "  ".join(f"{c}: {p:.3f}" for c, p in enumerate(h["fractions"])),
        f"  classes covered (>= 1%): {h['classes_covered']}/10, smallest fraction {h['min_fraction']:.3f}, "
        f"KL to uniform {h['kl_to_uniform']:.4f} nats, mean confidence {h['mean_confidence']:.3f}",
        f"Frechet distance to the test set (classifier features): {result['frechet_distance']:.3f}",
        f"nearest training image (pixel distance in [-1, 1]): mean {nn['mean']:.2f}, "
        f"median {nn['median']:.2f}, min {nn['min']:.2f}",
    ]
    p = result.get("parzen")
    if p is not None:
        lines.append(
            f"Parzen-window log-likelihood of the test set: {p['mean']:.1f} +- {p['std_error']:.1f} nats "
            f"(sigma {p['sigma']:.3f}, {p['n_samples']} samples)"
        )
    return "\n".join(lines)


def to_jsonable(obj):
    """Convert a result of :func:`evaluate_samples` (nested dicts of numpy arrays and
    scalars) to plain Python lists, floats and ints, ready for ``json.dumps``."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
