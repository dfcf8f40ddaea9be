"""Checkpoints: a whole GAN (or just a generator) in one ``.npz`` file, with no pickle.

A checkpoint (kind ``"gan"``) holds the weights of G, D (and G's moving average), both
optimizers' state, the fixed latent batch and the training history as arrays, and, in
its JSON metadata, the configuration, the counters and the random generator's state.
A generator file (kind ``"generator"``) holds only the sampling generator. Both are
:mod:`ganlib.io.archive` files: no pickle, atomic writes.

Both record ``num_classes`` in their metadata (0 for an unconditional model, the number of
classes for a conditional one, as in its configuration). The loaders take ``num_classes=``
to insist on one kind; a conditional generator samples with labels
(:func:`sample_generator`'s ``digits``), an unconditional one refuses them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..checks import check_seed, check_whole, finite_as
from ..condition import balanced_labels, check_labels
from ..config import IMAGE_DIM, GANConfig
from ..data import paths
from ..gan import GAN, History
from ..gan import iter_samples as _generate_in_chunks
from ..models import build_generator
from ..network import Sequential
from ..original_post import make_gan
from .archive import MAX_ARRAY_BYTES, CheckpointError, open_archive, prefixed, write_archive

__all__ = [
    "CheckpointError",
    "generator_labels",
    "iter_samples",
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
        # The original post's bank of latent codes is drawn from the seed: its size rebuilds it.
        "latent_bank_rows": _bank_rows(gan),
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


def _bank_rows(gan: GAN) -> int:
    """The size of the original post's bank of codes (0 without one): the bank itself is drawn again from the seed."""
    bank = getattr(gan, "latent_bank", None)  # only an OriginalPostGAN has one
    return 0 if bank is None else len(bank)


_HINT = " (train one with `python -m ganlib train`)"
_FORMAT_KEYS = {"format", "format_version", "kind", "ganlib_version"}
_HISTORY_SERIES = ("loss_d", "loss_g", "d_real", "d_fake")
_MAX_FIXED = 4096  # rows of the fixed latent batch (64 by default): each snapshot generates them all


# -- reading -----------------------------------------------------------------------------------
# Everything read is checked before it is used, so that a file that loads also samples, trains
# and saves again: the configuration (GANConfig's rules, which bound the networks' size), the
# size each network's arrays declare (before the networks are built), every array's shape, type
# and values, and the counters against each other.
def read_metadata(path) -> dict:
    """The JSON metadata of a checkpoint (config, counters, version), without reading any array."""
    with open_archive(path, ("gan", "generator"), _HINT) as archive:
        return archive.metadata


def load_checkpoint(path, *, num_classes: int | None = None) -> GAN:
    """Rebuild a :class:`~ganlib.gan.GAN` from ``save_checkpoint``'s file, ready to resume training.

    ``num_classes``: None accepts either kind; 0 insists on an unconditional GAN, C > 0 on a
    conditional one with C classes (else :class:`CheckpointError`)."""
    with open_archive(path, ("gan", "generator"), _HINT) as archive:
        meta = archive.metadata
        if meta["kind"] != "gan":
            raise CheckpointError(f"{archive.path} holds only a generator; use load_generator() for sampling")
        config = _config(archive, num_classes)
        epoch, iteration = _counter(archive, "epoch"), _counter(archive, "iteration")
        if epoch > iteration:
            raise CheckpointError(f"{archive.path}: epoch {epoch} > iteration {iteration}: the counters are damaged")
        _check_declared_sizes(archive, config, ("G", "D", "G_ema") if config.ema_decay else ("G", "D"))
        fixed_z = _fixed_z(archive, config)
        gan = make_gan(config, n_fixed=len(fixed_z))
        gan.fixed_z[...] = fixed_z
        _load_into(archive, "G", gan.G, "generator")
        _load_into(archive, "D", gan.D, "discriminator")
        if gan.G_ema is not None:
            _load_into(archive, "G_ema", gan.G_ema, "generator average")
        elif archive.names("G_ema"):
            raise CheckpointError(f"{archive.path} holds averaged weights (G_ema), but its ema_decay is 0")
        # The history first: its arrays hold one value per iteration, so a file's counters cannot
        # claim more than it holds (SGD's per-epoch decay loops over the epochs when it loads).
        history = _history(archive, iteration, fixed_z.shape, config.data_dim)
        _load_into(archive, "opt_G", gan.opt_G, "generator optimizer", epoch)
        _load_into(archive, "opt_D", gan.opt_D, "discriminator optimizer", epoch)
        _check_steps(archive, gan.opt_G.t, gan.opt_D.t, iteration, config.k)
        if gan.ema is not None:
            gan.ema.t = gan.opt_G.t  # the average moves once per generator step
        gan.history = history
        bank_rows = _latent_bank_rows(archive, config, epoch, iteration)
        try:
            gan.rng.bit_generator.state = meta["rng_state"]
        except (KeyError, TypeError, ValueError, OverflowError) as err:
            raise CheckpointError(f"{archive.path}: its random generator state is damaged ({_what(err)})") from err
        interrupted = meta.get("interrupted", False)
        if not isinstance(interrupted, bool):
            raise CheckpointError(f"{archive.path}: 'interrupted' must be true or false, got {interrupted!r}")
    gan.epoch, gan.iteration, gan.history.interrupted = epoch, iteration, interrupted
    if bank_rows:
        gan.ensure_latent_bank(bank_rows)
    return gan


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
    with open_archive(path, ("gan", "generator"), _HINT) as archive:
        config = _config(archive, num_classes)
        prefix = "G_ema" if archive.metadata["kind"] == "gan" and config.ema_decay else "G"
        _check_declared_sizes(archive, config, (prefix,))
        G = build_generator(config, np.random.default_rng(0))
        _load_into(archive, prefix, G, "generator")
        metadata = {**archive.metadata, "config": config.to_dict()}
    return G.eval(), metadata


def _what(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def _config(archive, num_classes: int | None = None) -> GANConfig:
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


def _counter(archive, name: str) -> int:
    value = archive.metadata.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CheckpointError(f"{archive.path}: {name!r} must be a whole number >= 0, got {value!r}")
    return value


def _check_declared_sizes(archive, config: GANConfig, prefixes) -> None:
    """Before building anything: the arrays of each network must declare as many values as its configuration."""
    g, d = config.parameter_counts()
    for prefix in prefixes:
        expected, declared = (d if prefix == "D" else g), archive.declared_size(prefix)
        if declared != expected:
            raise CheckpointError(
                f"{archive.path}: {prefix} does not fit its recorded configuration: its arrays declare "
                f"{declared:,} values, the configuration describes {expected:,} parameters"
            )


def _load_into(archive, prefix: str, target, what: str, epoch: int | None = None) -> None:
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


def _fixed_z(archive, config: GANConfig) -> np.ndarray:
    z = archive.array("fixed_z", (None, config.latent_dim), kinds="f", max_bytes=_MAX_FIXED * config.latent_dim * 8)
    try:
        z = finite_as(z, np.float32, "'fixed_z'")  # 1e300 in float64 would become Inf
    except ValueError as err:
        raise CheckpointError(f"{archive.path}: {err}") from err
    if not 1 <= len(z) <= _MAX_FIXED:
        raise CheckpointError(f"{archive.path}: 'fixed_z' must hold 1 to {_MAX_FIXED} rows, got {len(z)}")
    return z


def _latent_bank_rows(archive, config: GANConfig, epoch: int, iteration: int) -> int:
    """The number of codes in the original post's latent bank (``latent_source="bank"``), checked.

    The bank is not stored: it is drawn again from the seed (:func:`ganlib.original_post.draw_latent_bank`),
    so only its size is read, and it must be what the configuration and the counters imply: 0
    without a bank or before the first iteration; otherwise a whole number of batches (one code per
    example of an epoch), no larger than an array ganlib reads (``MAX_ARRAY_BYTES`` as float32),
    and, once an epoch is complete, no more iterations per epoch than the run has taken.
    """
    rows = archive.metadata.get("latent_bank_rows", 0)  # files older than the option hold none
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
        raise CheckpointError(f"{archive.path}: 'latent_bank_rows' must be a whole number >= 0, got {rows!r}")
    if config.latent_source != "bank" or iteration == 0:
        if rows:
            raise CheckpointError(
                f"{archive.path}: 'latent_bank_rows' is {rows:,}, but "
                + ("its configuration draws fresh codes" if config.latent_source != "bank" else "it never trained")
                + ": the file is damaged"
            )
        return 0
    m = config.batch_size
    problems = []
    if rows == 0 or rows % m:
        problems.append(f"it is not a whole number of batches of {m}")
    elif rows * config.latent_dim * 4 > MAX_ARRAY_BYTES:
        problems.append(f"{rows * config.latent_dim * 4:,} bytes of codes, more than the {MAX_ARRAY_BYTES:,} allowed")
    elif epoch * (rows // m) > iteration:
        problems.append(f"{epoch} epochs of {rows // m:,} iterations would be more than the {iteration:,} recorded")
    if problems:
        raise CheckpointError(f"{archive.path}: the latent bank's size, {rows:,} codes, is wrong: {problems[0]}")
    return rows


def _check_steps(archive, steps_g: int, steps_d: int, iteration: int, k: int) -> None:
    """G steps once per iteration; D at least k times (more if the last iteration diverged, or in
    variants of the training loop that step D more often)."""
    if steps_g != iteration or steps_d < k * iteration:
        raise CheckpointError(
            f"{archive.path}: the optimizers' step counts (G {steps_g}, D {steps_d}) disagree with "
            f"iteration {iteration} (k = {k}): the file is damaged"
        )


def _history(archive, iteration: int, fixed_shape, data_dim: int) -> History:
    """The training history, checked: one finite record per iteration, snapshots at increasing iterations."""
    arrays = {name: archive.array(f"history/{name}", (iteration,), kinds="f") for name in _HISTORY_SERIES}
    steps = archive.array("history/snapshot_iterations", (None,), kinds="iu")
    n = len(steps)
    snapshots = archive.array("history/snapshots", (n, fixed_shape[0], data_dim) if n else (0,), kinds="f")
    problems = [f"{name} is not finite" for name in _HISTORY_SERIES if not np.all(np.isfinite(arrays[name]))]
    problems += [
        f"{name} is outside [0, 1]" for name in ("d_real", "d_fake") if np.any(np.abs(arrays[name] - 0.5) > 0.5)
    ]
    if n and (steps[0] < 0 or steps[-1] > iteration or np.any(np.diff(steps) < 0)):
        problems.append(f"snapshot_iterations must increase within [0, {iteration}]")
    if snapshots.dtype != np.float16 or np.any(np.isnan(snapshots)):
        problems.append(f"snapshots must be float16 without NaN, got {snapshots.dtype}")
    if problems:
        raise CheckpointError(f"{archive.path}: its training history is damaged: {'; '.join(problems)}")
    return History.from_arrays({**arrays, "snapshot_iterations": steps.astype(np.int64), "snapshots": snapshots})


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
