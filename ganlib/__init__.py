"""ganlib: Generative Adversarial Networks from first principles, in pure NumPy.

The teaching core (layers, losses, optimizers, backpropagation) is written by
hand; everything is float32 by default and float64 on request for gradient
checks. Heavier modules (plotting, metrics, the explorer) are imported on
demand so that ``import ganlib`` stays fast.
"""

from .layers import Dense, Dropout, LeakyReLU, ReLU, Sigmoid, Tanh
from .losses import bce_with_logits, discriminator_loss, generator_loss
from .network import Sequential
from .optim import SGD, Adam

__version__ = "0.1.0"

__all__ = [
    "Dense",
    "Dropout",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "bce_with_logits",
    "discriminator_loss",
    "generator_loss",
    "Sequential",
    "SGD",
    "Adam",
    "__version__",
]
