"""Application: the data ganlib trains on and where every file lives.

============= ===================================================================
paths         where MNIST, the shipped models, results and training runs are
idx           reading MNIST's IDX files safely (sizes, checksums, clear errors)
mnist         the MNIST splits, scaling to [-1, 1] and back
download      the checksum-verified download, for use outside a checkout
============= ===================================================================
"""

from .download import download_mnist
from .mnist import load_mnist, to_tanh_range, to_unit_range

__all__ = ["download_mnist", "load_mnist", "to_tanh_range", "to_unit_range"]
