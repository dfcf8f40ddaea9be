"""Checkpoints: a whole GAN (or just a generator) in one ``.npz`` file, with no pickle.

A checkpoint (kind ``"gan"``) holds the weights of G, D (and G's moving average), both
optimizers' state, the fixed latent batch and the training history as arrays, and, in
its JSON metadata, the configuration, the counters and the random generator's state.
A generator file (kind ``"generator"``) holds only the sampling generator. Both are
:mod:`ganlib.archive` files: no pickle, atomic writes.

Both record ``num_classes`` in their metadata (0 for an unconditional model, the number of
classes for a conditional one, as in its configuration). The loaders take ``num_classes=``
to insist on one kind; a conditional generator samples with labels
(:func:`sample_generator`'s ``digits``), an unconditional one refuses them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import paths
from .archive import CheckpointError, prefixed, read_archive, unprefixed, write_archive
from .condition import balanced_labels, check_labels, concat_label
from .config import GANConfig, build_generator, sample_prior
from .gan import GAN, History
from .network import Sequential

__all__ = [
    "CheckpointError",
    "generator_labels",
    "load_checkpoint",
    "load_generator",
    "num_classes_of",
    "read_metadata",
    "sample_generator",
    "save_checkpoint",
    "save_generator",
]


def save_checkpoint(gan: GAN, path) -> Path:
    """Save everything needed to resume ``gan`` bit for bit. Returns the path."""
    metadata = {
        "config": gan.config.to_dict(),
        "epoch": gan.epoch,
        "iteration": gan.iteration,
        "rng_state": gan.rng.bit_generator.state,
        "interrupted": gan.history.interrupted,
        "num_classes": gan.config.num_classes,
        "generator": repr(gan.G),
        "discriminator": repr(gan.D),
    }
    arrays = {"fixed_z": gan.fixed_z}
    arrays.update(prefixed("G", gan.G.state_dict()))
    arrays.update(prefixed("D", gan.D.state_dict()))
    if gan.G_ema is not None:
        arrays.update(prefixed("G_ema", gan.G_ema.state_dict()))
    arrays.update(prefixed("opt_G", gan.opt_G.state_dict()))
    arrays.update(prefixed("opt_D", gan.opt_D.state_dict()))
    arrays.update(prefixed("history", gan.history.arrays()))
    return write_archive(path, "gan", metadata, arrays)


def save_generator(gan: GAN, path, extra_metadata: dict | None = None) -> Path:
    """Save only the sampling generator (the EMA weights if enabled): small, for sharing.

    ``extra_metadata`` (e.g. ``{"train_seconds": 500}``) is stored beside the configuration;
    it cannot replace the fields this function writes.
    """
    metadata = {
        **(extra_metadata or {}),
        "config": gan.config.to_dict(),
        "epoch": gan.epoch,
        "iteration": gan.iteration,
        "num_classes": gan.config.num_classes,
        "generator": repr(gan.sampler),
    }
    arrays = {"fixed_z": gan.fixed_z, **prefixed("G", gan.sampler.state_dict())}
    return write_archive(path, "generator", metadata, arrays)


_HINT = " (train one with `python -m ganlib train`)"


# -- reading -----------------------------------------------------------------------------------
def read_metadata(path) -> dict:
    """The JSON metadata of a checkpoint (config, counters, version), without building networks."""
    return read_archive(path, ("gan", "generator"), _HINT)[0]


def _config(path, meta, num_classes: int | None = None) -> GANConfig:
    """The recorded configuration, checked; ``num_classes`` (if not None) is the kind of model asked for."""
    try:
        config = GANConfig.from_dict(meta["config"])
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{path}: its configuration is invalid ({err})") from err
    recorded = meta.get("num_classes", config.num_classes)  # files older than conditioning: unconditional
    if recorded != config.num_classes:
        raise CheckpointError(
            f"{path}: its metadata says num_classes = {recorded!r} but its configuration {config.num_classes}"
        )
    if num_classes is not None and num_classes != config.num_classes:
        raise CheckpointError(f"{path} holds {_kind(config.num_classes)}, but {_kind(num_classes)} was asked for")
    return config


def _kind(num_classes: int) -> str:
    if num_classes:
        return f"a conditional model ({num_classes} classes: it needs a label for every sample)"
    return "an unconditional model (it takes no labels)"


def num_classes_of(metadata: dict) -> int:
    """0 for an unconditional model, else its number of classes (from ``load_generator``'s metadata)."""
    return int(metadata["config"].get("num_classes", 0))


def _load_into(target, state: dict, what: str, path) -> None:
    try:
        target.load_state_dict(state)
    except ValueError as err:
        raise CheckpointError(f"{path}: the {what} does not fit its recorded configuration: {err}") from err


def load_checkpoint(path, *, num_classes: int | None = None) -> GAN:
    """Rebuild a :class:`~ganlib.gan.GAN` from ``save_checkpoint``'s file, ready to resume training.

    ``num_classes``: None accepts either kind; 0 insists on an unconditional GAN, C > 0 on a
    conditional one with C classes (else :class:`CheckpointError`)."""
    meta, arrays = read_archive(path, ("gan", "generator"), _HINT)
    if meta["kind"] != "gan":
        raise CheckpointError(f"{path} holds only a generator; use load_generator() for sampling")
    config = _config(path, meta, num_classes)
    gan = GAN(config, n_fixed=len(arrays.get("fixed_z", np.zeros((64, 1)))))
    _load_into(gan.G, unprefixed("G", arrays), "generator", path)
    _load_into(gan.D, unprefixed("D", arrays), "discriminator", path)
    if gan.G_ema is not None:
        _load_into(gan.G_ema, unprefixed("G_ema", arrays), "generator average", path)
    _load_into(gan.opt_G, unprefixed("opt_G", arrays), "generator optimizer", path)
    _load_into(gan.opt_D, unprefixed("opt_D", arrays), "discriminator optimizer", path)
    try:
        gan.fixed_z[...] = arrays["fixed_z"]
        gan.history = History.from_arrays(unprefixed("history", arrays))
        gan.rng.bit_generator.state = meta["rng_state"]
        gan.epoch, gan.iteration = int(meta["epoch"]), int(meta["iteration"])
    except (KeyError, ValueError, TypeError) as err:
        raise CheckpointError(f"{path}: incomplete checkpoint ({type(err).__name__}: {err})") from err
    gan.history.interrupted = bool(meta.get("interrupted", False))
    return gan


def load_generator(path=None, *, num_classes: int | None = None) -> tuple[Sequential, dict]:
    """Load a generator for sampling from either kind of checkpoint.

    Returns ``(G, metadata)``: ``G`` maps z (N, latent_dim) to images (N, 784)
    in [-1, 1]; ``metadata["config"]["latent_dim"]`` and ``["latent_dist"]``
    say how to draw z. A conditional generator (``num_classes_of(metadata) > 0``) maps
    ``[z, one_hot(y)]`` (N, latent_dim + num_classes) instead; :func:`sample_generator`
    builds that input. The EMA weights are used when the checkpoint has them.
    ``num_classes``: None accepts either kind; 0 insists on an unconditional generator,
    C > 0 on a conditional one with C classes (else :class:`CheckpointError`).
    Default path: the generator shipped with ganlib (:func:`ganlib.paths.default_generator_path`).
    """
    path = Path(path) if path is not None else paths.default_generator_path()
    meta, arrays = read_archive(path, ("gan", "generator"), _HINT)
    config = _config(path, meta, num_classes)
    G = build_generator(config, np.random.default_rng(0))
    prefix = "G_ema" if unprefixed("G_ema", arrays) else "G"
    _load_into(G, unprefixed(prefix, arrays), "generator", path)
    return G.eval(), meta


def generator_labels(metadata: dict, n: int, digits=None) -> np.ndarray | None:
    """The labels :func:`sample_generator` uses: None for an unconditional generator, else (n,) int64.

    ``digits``: None gives every class equally often (0, 1, ..., C-1, 0, 1, ...); one
    integer gives n samples of that digit; an array gives one label per sample. Raises
    ``ValueError`` for a digit out of range, or for any digit asked of an unconditional model.
    """
    c = num_classes_of(metadata)
    if not c:
        if digits is not None:
            raise ValueError(
                "this generator is unconditional: it draws digits of its own choosing and cannot be asked "
                "for one; train a conditional one with `python -m ganlib train --config conditional`"
            )
        return None
    if digits is None:
        return balanced_labels(n, c)
    return check_labels(np.full(n, digits) if np.ndim(digits) == 0 else digits, n, c)


def sample_generator(
    G: Sequential, metadata: dict, n: int, seed: int = 0, chunk: int = 1000, digits=None
) -> np.ndarray:
    """n images (n, 784) float32 in [-1, 1] from a loaded generator.

    z is drawn from the prior recorded in ``metadata["config"]`` (``latent_dist``,
    ``latent_dim``) with ``numpy.random.default_rng(seed)``, so the same seed gives
    the same images; the forward pass runs ``chunk`` rows at a time to bound memory.
    A conditional generator draws the labels ``generator_labels(metadata, n, digits)``
    (default: every digit equally often); an unconditional one refuses ``digits``.
    """
    config = metadata["config"]
    y = generator_labels(metadata, n, digits)
    rng = np.random.default_rng(seed)
    z = sample_prior(rng, (int(n), int(config["latent_dim"])), config["latent_dist"])
    if n == 0:
        return np.zeros((0, config.get("data_dim", 784)), dtype=np.float32)
    c = num_classes_of(metadata)
    return np.concatenate(
        [
            G.forward(concat_label(z[i : i + chunk], None if y is None else y[i : i + chunk], c))
            for i in range(0, len(z), chunk)
        ]
    )
