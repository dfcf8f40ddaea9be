"""Application: what a person watching a training run needs around the algorithm.

============= ===================================================================
fit           GAN.train with a progress bar and a Ctrl-C that stops at a safe moment
progress      the progress bar, and the deferred Ctrl-C, for every long loop
============= ===================================================================
"""

from .fit import fit

__all__ = ["fit"]
