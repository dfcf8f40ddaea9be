"""ganlib: Generative Adversarial Networks from first principles, in pure NumPy.

The **teaching core** is the package root: plain modules written by hand to be read like a
textbook (float32 by default, float64 on request for gradient checks; every layer with its
forward and backward pass). It imports nothing of the application (tests/test_structure.py).

============== ====================================================================
layers         Dense, LeakyReLU, ReLU, Tanh, Sigmoid, Dropout: forward and backward
conv           Conv2d as im2col and one matrix product; col2im; transposed convolution
conv_transpose ConvTranspose2d: a convolution's input gradient, as a layer
normalization  BatchNorm, with running statistics for evaluation
reshape        Reshape and Flatten: rows to feature maps and back
losses         binary cross-entropy from logits; the GAN's D and G losses; softmax CE
divergences    KL and Jensen-Shannon of discrete distributions; D* from samples
network        Sequential: layers in order, parameters in one flat buffer
optim          SGD (momentum, the original post's decay), Adam, the moving average
gradcheck      centred finite differences and the relative error
checks         every input check: whole numbers, seeds, ranges, choices, finite arrays
config         GANConfig and its rules, the named CONFIGS, the post's deviations
models         building G and D from a configuration; drawing z from the prior
condition      a conditional GAN's label: concatenated to z and x, or embedded
batches        one epoch's minibatches
history        what a run records; how it ends early (diverged, stopped)
gan            Algorithm 1 of Goodfellow et al. (2014); with labels if conditional
original_post  what the original blog post's code computed instead, as a subclass
============== ====================================================================

The **application** lives in subpackages; it depends on the core, never the reverse:

============= =================================================================
data          where every file is (paths); MNIST's IDX files, splits, download
io            the one file format (archive, reader); checkpoints; generator files
evaluation    the classifier behind the metrics; metrics; Parzen; case-study results
viz           pixels, PNG and GIF files (images); Matplotlib figures; live display
explorer      the latent-space explorer (ipywidgets) and its latent maths
training      fit: GAN.train with a progress bar and a Ctrl-C that waits
exercises     the checks of the notebooks' implement-it-yourself exercises
cli           ``python -m ganlib train | sample | evaluate | train-classifier``
============= =================================================================

Only the core's layers, losses, network and optimizers are imported here, so
``import ganlib`` stays fast; import the rest by name (``from ganlib.gan import GAN``,
``from ganlib import viz``).
"""

from .condition import LabelEmbedding
from .conv import Conv2d
from .conv_transpose import ConvTranspose2d
from .layers import Dense, Dropout, LeakyReLU, ReLU, Sigmoid, Tanh
from .losses import bce_with_logits, discriminator_loss, generator_loss
from .network import Sequential
from .normalization import BatchNorm
from .optim import SGD, Adam
from .reshape import Flatten, Reshape

__version__ = "0.1.0"

__all__ = [
    "BatchNorm",
    "Conv2d",
    "ConvTranspose2d",
    "Flatten",
    "Reshape",
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
