"""ganlib: Generative Adversarial Networks from first principles, in pure NumPy.

The **teaching core**, written by hand to be read (float32 by default, float64 on
request for gradient checks; every layer with its forward and backward pass):

============== ====================================================================
layers         Dense, LeakyReLU, ReLU, Tanh, Sigmoid, Dropout, LabelEmbedding
losses         binary cross-entropy from logits; the GAN's D and G losses
network        Sequential: layers in order, parameters in one flat buffer
optim          SGD (momentum, the original post's decay) and Adam
gradcheck      centred finite differences and the relative error
config         GANConfig, the named CONFIGS, building G and D, drawing z
condition      a conditional GAN's label, concatenated to z and to x
gan            Algorithm 1 of Goodfellow et al. (2014); with labels if conditional
original_post  what the original blog post's code computed instead, as options
============== ====================================================================

The **application** around it, which depends on the core and never the reverse:

============= =================================================================
paths         where MNIST, the shipped models and training runs are
idx, data     reading MNIST's IDX files safely; splits, scaling, download
archive       the one file format (.npz + JSON, no pickle, atomic writes)
checkpoint    saving and loading a GAN or a generator; sampling from one
classifier    the MNIST classifier behind the metrics
metrics       class histogram, Frechet distance, nearest training images
parzen        the original paper's Parzen-window log-likelihood
results       the case studies' result files (data/results) for notebook 06
images        pixels, grids, PNG and GIF files
viz           Matplotlib figures and the live training display
latent        latent-space maths: seeds, interpolation, directions
explorer      the latent-space explorer (ipywidgets): explorer_view its widgets,
              explorer_analysis the classifier and nearest image beside the digit
progress      a progress bar and a Ctrl-C that waits for a safe moment
exercises     the checks of the notebooks' implement-it-yourself exercises
cli           ``python -m ganlib train | sample | evaluate | train-classifier``
============= =================================================================

Only the core's classes are imported here, so ``import ganlib`` stays fast; import
the other modules by name (``from ganlib import viz``).
"""

from .condition import LabelEmbedding
from .layers import Dense, Dropout, LeakyReLU, ReLU, Sigmoid, Tanh
from .losses import bce_with_logits, discriminator_loss, generator_loss
from .network import Sequential
from .optim import SGD, Adam

__version__ = "0.1.0"

__all__ = [
    "Dense",
    "Dropout",
    "LabelEmbedding",
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
