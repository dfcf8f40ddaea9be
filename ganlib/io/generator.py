"""Generator files: the trained generator alone (small, for sharing), loading one from either kind of
file, and drawing samples from it.

A generator file (kind ``"generator"``) holds only the sampling generator (the moving average
of G's weights if the run kept one) and the fixed latent batch; its metadata holds the
configuration. :func:`load_generator` also reads a whole checkpoint (:mod:`ganlib.io.checkpoint`)
and takes its sampling generator. Every file is checked before it is used (the readers here
are shared with the checkpoint's): a file that loads also samples.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..checks import check_seed, check_whole, finite_as
from ..condition import balanced_labels, check_labels
from ..config import IMAGE_DIM, GANConfig
from ..data import paths
from ..gan import GAN
from ..gan import iter_samples as _generate_in_chunks
from ..models import build_generator
from ..network import Sequential
from .archive import CheckpointError, prefixed, write_archive
from .reader import open_archive

__all__ = [
    "generator_labels",
    "iter_samples",
    "load_generator",
    "num_classes_of",
    "read_metadata",
    "sample_generator",
    "save_generator",
]


def save_generator(gan: GAN, path, extra_metadata: dict | None = None) -> Path:
    """Save only the sampling generator (the EMA weights if enabled): small, for sharing.

    ``extra_metadata`` (e.g. ``{"train_seconds": 500}``) is stored beside the configuration;
    a key this function or the file format writes (``config``, ``kind``, ...) raises ``ValueError``.
    """
    metadata = {
        "config": gan.config.to_dict(),
        "epoch": gan.epoch,
        "iteration": gan.iteration,
        "num_classes": gan.config.num_classes,
        "generator": repr(gan.sampler),
    }
    extra = dict(extra_metadata or {})
    reserved = sorted(set(extra) & (set(metadata) | _FORMAT_KEYS))
    if reserved or not all(isinstance(key, str) for key in extra):
        raise ValueError(
            f"extra_metadata must have string keys other than {sorted(set(metadata) | _FORMAT_KEYS)}; "
            f"got {reserved or sorted(map(repr, extra))}"
        )
    arrays = {"fixed_z": gan.fixed_z, **prefixed("G", gan.sampler.state_dict())}
    return write_archive(path, "generator", {**extra, **metadata}, arrays)


HINT = " (train one with `python -m ganlib train`)"


_FORMAT_KEYS = {"format", "format_version", "kind", "ganlib_version"}


_MAX_FIXED = 4096  # rows of the fixed latent batch (64 by default): each snapshot generates them all


# -- reading -----------------------------------------------------------------------------------
# Everything read is checked before it is used, so that a file that loads also samples, trains
# and saves again: the configuration (GANConfig's rules, which bound the networks' size), the
# size each network's arrays declare (before the networks are built), every array's shape, type
# and values, and the counters against each other.
def read_metadata(path) -> dict:
    """The JSON metadata of a checkpoint (config, counters, version), without reading any array."""
    with open_archive(path, ("gan", "generator"), HINT) as archive:
        return archive.metadata


def load_generator(path=None, *, num_classes: int | None = None) -> tuple[Sequential, dict]:
    """Load a generator for sampling from either kind of checkpoint.

    Returns ``(G, metadata)``: ``G`` maps z (N, latent_dim) to images (N, 784)
    in [-1, 1]; ``metadata["config"]`` (the checked configuration, every field present)
    says how to draw z: ``["latent_dim"]`` and ``["latent_dist"]``. A conditional generator
    (``num_classes_of(metadata) > 0``) maps ``[z, one_hot(y)]`` (N, latent_dim + num_classes)
    instead; :func:`sample_generator` builds that input. The EMA weights are used when the
    checkpoint has them. ``num_classes``: None accepts either kind; 0 insists on an unconditional
    generator, C > 0 on a conditional one with C classes (else :class:`CheckpointError`).
    Default path: the generator shipped with ganlib (:func:`ganlib.data.paths.default_generator_path`).
    """
    path = Path(path) if path is not None else paths.default_generator_path()
    with open_archive(path, ("gan", "generator"), HINT) as archive:
        config = read_config(archive, num_classes)
        prefix = "G_ema" if archive.metadata["kind"] == "gan" and config.ema_decay else "G"
        check_declared_sizes(archive, config, (prefix,))
        G = build_generator(config, np.random.default_rng(0))
        load_into(archive, prefix, G, "generator")
        metadata = {**archive.metadata, "config": config.to_dict()}
    return G.eval(), metadata


def describe_error(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def read_config(archive, num_classes: int | None = None) -> GANConfig:
    """The recorded configuration, checked; ``num_classes`` (if not None) is the kind of model asked for."""
    config = archive.metadata.get("config")
    if not isinstance(config, dict):
        raise CheckpointError(f"{archive.path}: its configuration is missing or not a JSON object")
    try:
        config = GANConfig.from_dict(config)
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{archive.path}: its configuration is invalid ({err})") from err
    recorded = archive.metadata.get("num_classes", config.num_classes)  # files older than conditioning
    if recorded != config.num_classes or isinstance(recorded, bool):
        raise CheckpointError(
            f"{archive.path}: its metadata says num_classes = {recorded!r} but its configuration {config.num_classes}"
        )
    if num_classes is not None and num_classes != config.num_classes:
        raise CheckpointError(
            f"{archive.path} holds {_kind(config.num_classes)}, but {_kind(num_classes)} was asked for"
        )
    return config


def _kind(num_classes: int) -> str:
    if num_classes:
        return f"a conditional model ({num_classes} classes: it needs a label for every sample)"
    return "an unconditional model (it takes no labels)"


def num_classes_of(metadata: dict) -> int:
    """0 for an unconditional model, else its number of classes (from ``load_generator``'s metadata)."""
    return int(metadata["config"].get("num_classes", 0))


def check_declared_sizes(archive, config: GANConfig, prefixes) -> None:
    """Before building anything: the arrays of each network must declare as many values as its configuration."""
    g, d = config.state_counts()  # parameters, and BatchNorm's running statistics where there are any
    for prefix in prefixes:
        expected, declared = (d if prefix == "D" else g), archive.declared_size(prefix)
        if declared != expected:
            raise CheckpointError(
                f"{archive.path}: {prefix} does not fit its recorded configuration: its arrays declare "
                f"{declared:,} values, the configuration describes {expected:,}"
            )


def load_into(archive, prefix: str, target, what: str, epoch: int | None = None) -> None:
    """Read the arrays under ``prefix/`` with the shapes ``target`` (a network or optimizer) has, then load them.

    An SGD optimizer's ``epochs`` (the count its per-epoch decay reads) must equal the checkpoint's ``epoch``."""
    expected = target.state_dict()
    names = set(archive.names(prefix))
    if "epochs" in expected and f"{prefix}/epochs" not in names:
        # SGD's epoch count (read by the original post's per-epoch decay) is newer than the format:
        # an older file has none, and its count is the checkpoint's own.
        expected = {name: value for name, value in expected.items() if name != "epochs"}
    wanted = {f"{prefix}/{name}" for name in expected}
    if names != wanted:
        raise CheckpointError(
            f"{archive.path}: the {what} does not fit its recorded configuration: "
            f"missing {sorted(wanted - names)}, unexpected {sorted(names - wanted)}"
        )
    state = {
        name: archive.array(f"{prefix}/{name}", value.shape, kinds="iu" if name in ("t", "epochs") else "f")
        for name, value in expected.items()
    }
    if epoch is not None and "epochs" in target.state_dict():
        if "epochs" not in state:
            state["epochs"] = np.array(epoch, dtype=np.int64)
        elif int(state["epochs"]) != epoch:
            raise CheckpointError(
                f"{archive.path}: the {what} counted {int(state['epochs'])} epochs, the checkpoint {epoch}: "
                "the file is damaged"
            )
    try:
        target.load_state_dict(state)
    except ValueError as err:
        raise CheckpointError(f"{archive.path}: the {what} does not fit its recorded configuration: {err}") from err


def read_fixed_z(archive, config: GANConfig) -> np.ndarray:
    z = archive.array("fixed_z", (None, config.latent_dim), kinds="f", max_bytes=_MAX_FIXED * config.latent_dim * 8)
    try:
        z = finite_as(z, np.float32, "'fixed_z'")  # 1e300 in float64 would become Inf
    except ValueError as err:
        raise CheckpointError(f"{archive.path}: {err}") from err
    if not 1 <= len(z) <= _MAX_FIXED:
        raise CheckpointError(f"{archive.path}: 'fixed_z' must hold 1 to {_MAX_FIXED} rows, got {len(z)}")
    return z


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
    See :func:`iter_samples` to process (or write) them a chunk at a time.
    """
    data_dim = int(metadata["config"].get("data_dim", IMAGE_DIM))
    parts = list(iter_samples(G, metadata, n, seed, chunk, digits))
    return np.concatenate(parts) if parts else np.zeros((0, data_dim), dtype=np.float32)


def iter_samples(G: Sequential, metadata: dict, n: int, seed: int = 0, chunk: int = 1000, digits=None):
    """The images of :func:`sample_generator`, ``chunk`` rows at a time (the same images, in order).

    Memory stays at one chunk whatever ``n`` (:func:`ganlib.gan.iter_samples` draws each chunk's
    z just before it is generated, from the same random stream).
    """
    n, seed = check_whole(n, "n"), check_seed(seed)
    config = GANConfig.from_dict(metadata["config"])
    labels = generator_labels(metadata, n, digits)
    yield from _generate_in_chunks(G, config, n, np.random.default_rng(seed), labels=labels, chunk=chunk)
