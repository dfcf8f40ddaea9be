"""Application: how good are the samples? The classifier behind the metrics, and the metrics.

============= ===================================================================
classifier    the MNIST classifier whose predictions and features the metrics use
metrics       class histogram, Frechet distance, nearest training images
parzen        the original paper's Parzen-window log-likelihood
results       the case studies' result files (data/results) that notebooks 07 and 09 read
============= ===================================================================
"""

from .classifier import Classifier, default_classifier
from .metrics import (
    class_agreement,
    class_histogram,
    classifier_frechet_distance,
    evaluate_samples,
    format_evaluation,
    nearest_training_distance,
)
from .parzen import parzen_evaluation

__all__ = [
    "Classifier",
    "class_agreement",
    "class_histogram",
    "classifier_frechet_distance",
    "default_classifier",
    "evaluate_samples",
    "format_evaluation",
    "nearest_training_distance",
    "parzen_evaluation",
]
