"""Application: files. One format (``.npz`` + JSON metadata, no pickle, atomic writes) for every
checkpoint, generator and classifier ganlib writes.

============= ===================================================================
archive       the file format: writing atomically, reading with every check
checkpoint    saving and loading a GAN (resumable) or a generator; sampling from one
============= ===================================================================
"""

from .archive import CheckpointError, atomic_write
from .checkpoint import load_checkpoint, save_checkpoint
from .generator import generator_labels, iter_samples, load_generator, read_metadata, sample_generator, save_generator

__all__ = [
    "CheckpointError",
    "atomic_write",
    "generator_labels",
    "iter_samples",
    "load_checkpoint",
    "load_generator",
    "read_metadata",
    "sample_generator",
    "save_checkpoint",
    "save_generator",
]
