"""Application: the command line, ``python -m ganlib train | sample | evaluate | train-classifier``."""

from .main import main

__all__ = ["main"]
