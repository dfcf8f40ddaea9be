r"""How good are the generated digits? Sample-quality metrics for MNIST GANs.

Every function here takes generated samples the way a tanh generator produces
them: a float array of shape ``(N, 784)`` with values in ``[-1, 1]``.

What is measured, and why no single number suffices (Theis et al., 2016,
"A note on the evaluation of generative models"):

* **Which digits?** :func:`class_histogram` labels samples with a small MNIST
  classifier (:class:`ganlib.evaluation.classifier.Classifier`, built from ganlib's own layers). A
  mode-collapsed generator draws a few digits only: few classes covered, a
  large KL divergence from the uniform distribution over the 10 classes. For a
  conditional generator, :func:`class_agreement` asks whether each sample is the
  digit it was generated for.
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
The classifier's weights ship with ganlib; ``python -m ganlib train-classifier`` makes
them again (see :mod:`ganlib.evaluation.classifier`).
"""

from __future__ import annotations

import numpy as np

from ..data.mnist import load_mnist, to_tanh_range
from ..viz.images import check_images
from .classifier import NUM_CLASSES, Classifier, default_classifier
from .parzen import parzen_evaluation

__all__ = [
    "NearestNeighbours",
    "class_agreement",
    "class_histogram",
    "classifier_frechet_distance",
    "evaluate_samples",
    "format_evaluation",
    "frechet_distance",
    "gaussian_frechet_distance",
    "kl_to_uniform",
    "nearest_training_distance",
    "to_jsonable",
]


def _tanh_images(split: str) -> np.ndarray:
    return to_tanh_range(load_mnist(split)[0])


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
    clf = default_classifier(classifier)
    probs = clf.predict_proba(samples)
    counts = np.bincount(probs.argmax(axis=1), minlength=NUM_CLASSES).astype(np.int64)
    p = counts / counts.sum()
    return {
        "counts": counts,
        "fractions": p,
        "classes_covered": int(np.sum(p >= min_fraction)),
        "min_fraction": float(p.min()),
        "kl_to_uniform": kl_to_uniform(counts),
        "mean_confidence": float(probs.max(axis=1).mean()),
    }


def kl_to_uniform(counts) -> float:
    r"""KL divergence, in nats, of a histogram from the uniform distribution over its K bins.

    ``counts`` (K,): how many samples fell in each bin (or fractions). With :math:`p = ` counts / their
    sum, :math:`\mathrm{KL}(p \,\|\, u) = \sum_k p_k \log(K p_k)`, empty bins contributing 0
    (:math:`0 \log 0 = 0`): 0 for a flat histogram, :math:`\log K` when every sample is in one bin.
    """
    p = np.asarray(counts, dtype=np.float64)
    if p.ndim != 1 or len(p) == 0 or not np.all(p >= 0) or p.sum() <= 0:
        raise ValueError(f"counts must be a non-empty 1-D array of counts >= 0, not all 0; got {p!r:.80}")
    p = p / p.sum()
    nz = p > 0
    return max(float(np.sum(p[nz] * np.log(p[nz] * len(p)))), 0.0)


def class_agreement(samples, labels, classifier: Classifier | None = None) -> np.ndarray:
    """Does a conditional generator draw what it is asked for? Per requested digit, the fraction of its samples
    that the classifier labels as that digit.

    ``samples`` (N, 784) in [-1, 1], ``labels`` (N,) the digits they were generated for. Returns float64
    (10,): entry c is the agreement on the samples requested as c (NaN if none was). The overall agreement
    of a balanced sample is its mean.
    """
    labels = np.asarray(labels)
    if labels.shape != (len(samples),):
        raise ValueError(f"labels must have shape ({len(samples)},), one per sample, got {labels.shape}")
    predicted = default_classifier(classifier).predict(samples)
    return np.array(
        [np.mean(predicted[labels == c] == c) if np.any(labels == c) else np.nan for c in range(NUM_CLASSES)]
    )


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
    clf = default_classifier(classifier)
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


class NearestNeighbours:
    r"""Nearest-neighbour search in pixel space over a fixed set of reference images.

    ``reference``: (M, 784) float in [-1, 1] or uint8 (converted with
    :func:`ganlib.data.mnist.to_tanh_range`). The images (float32) and their squared norms are
    kept, so a query is one matrix product:
    :math:`\|a - b\|^2 = \|a\|^2 + \|b\|^2 - 2\,a \cdot b`, where :math:`\|a\|^2` does not
    change which reference wins. The winner's distance is then recomputed directly in
    float64, so an exact copy of a reference image gives exactly 0 (the expansion alone
    leaves float32 rounding of about :math:`10^{-2}` after the square root).
    """

    def __init__(self, reference):
        reference = np.asarray(reference)
        x = to_tanh_range(reference) if reference.dtype == np.uint8 else check_images(reference, "reference")
        self.images = np.ascontiguousarray(x, dtype=np.float32)  # (M, 784)
        self.sq_norms = _squared_norms(self.images)  # (M,)

    def __len__(self) -> int:
        return len(self.images)

    def query(self, samples, chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Distances float64 (N,) and indices int64 (N,) of the nearest reference image of each sample.

        ``samples``: (N, 784) in [-1, 1] (one image of 784 values also works: N = 1).
        ``chunk`` samples at a time: memory about ``chunk * M * 4`` bytes (51 MB for 256 x 50,000).
        """
        x = check_images(np.asarray(samples).reshape(-1, self.images.shape[1]))
        if chunk < 1:
            raise ValueError(f"chunk must be positive, got {chunk}")
        indices = np.empty(len(x), dtype=np.int64)
        for start in range(0, len(x), chunk):
            d2 = x[start : start + chunk] @ self.images.T  # (B, M)
            d2 *= -2
            d2 += self.sq_norms
            indices[start : start + chunk] = np.argmin(d2, axis=1)
        diff = x.astype(np.float64) - self.images[indices].astype(np.float64)
        return np.sqrt(_squared_norms(diff)), indices


def nearest_training_distance(samples, train=None, chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distance from each sample to its nearest training image, in [-1, 1] pixel space.

    ``samples`` (N, 784) in [-1, 1]; ``train`` (M, 784) in [-1, 1], default the 50,000
    ``train`` images. Returns ``(distances float64 (N,), indices int64 (N,))``; see
    :class:`NearestNeighbours`. Distances near 0 would mean the generator copies its data.
    """
    reference = load_mnist("train")[0] if train is None else train
    return NearestNeighbours(reference).query(samples, chunk)


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
    x = check_images(samples)
    clf = default_classifier(classifier)
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
