"""Checkpoints: a whole GAN in one ``.npz`` file, with no pickle, to resume training bit for bit.

A checkpoint (kind ``"gan"``) holds the weights of G, D (and G's moving average), both
optimizers' state, the fixed latent batch and the training history as arrays, and, in
its JSON metadata, the configuration, the counters and the random generator's state.
It is a :mod:`ganlib.io.archive` file: no pickle, atomic writes. The generator alone, for
sampling, is :mod:`ganlib.io.generator`'s.

Both kinds record ``num_classes`` in their metadata (0 for an unconditional model, the number
of classes for a conditional one, as in its configuration). The loaders take ``num_classes=``
to insist on one kind.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import GANConfig
from ..gan import GAN, History
from ..original_post import make_gan
from .archive import MAX_ARRAY_BYTES, CheckpointError, prefixed, write_archive
from .generator import HINT, check_declared_sizes, describe_error, load_into, read_config, read_fixed_z
from .reader import open_archive

__all__ = ["load_checkpoint", "save_checkpoint"]


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


def _bank_rows(gan: GAN) -> int:
    """The size of the original post's bank of codes (0 without one): the bank itself is drawn again from the seed."""
    bank = getattr(gan, "latent_bank", None)  # only an OriginalPostGAN has one
    return 0 if bank is None else len(bank)


_HISTORY_SERIES = ("loss_d", "loss_g", "d_real", "d_fake")


def load_checkpoint(path, *, num_classes: int | None = None) -> GAN:
    """Rebuild a :class:`~ganlib.gan.GAN` from ``save_checkpoint``'s file, ready to resume training.

    ``num_classes``: None accepts either kind; 0 insists on an unconditional GAN, C > 0 on a
    conditional one with C classes (else :class:`CheckpointError`)."""
    with open_archive(path, ("gan", "generator"), HINT) as archive:
        meta = archive.metadata
        if meta["kind"] != "gan":
            raise CheckpointError(f"{archive.path} holds only a generator; use load_generator() for sampling")
        config = read_config(archive, num_classes)
        epoch, iteration = _counter(archive, "epoch"), _counter(archive, "iteration")
        if epoch > iteration:
            raise CheckpointError(f"{archive.path}: epoch {epoch} > iteration {iteration}: the counters are damaged")
        check_declared_sizes(archive, config, ("G", "D", "G_ema") if config.ema_decay else ("G", "D"))
        fixed_z = read_fixed_z(archive, config)
        gan = make_gan(config, n_fixed=len(fixed_z))
        gan.fixed_z[...] = fixed_z
        load_into(archive, "G", gan.G, "generator")
        load_into(archive, "D", gan.D, "discriminator")
        if gan.G_ema is not None:
            load_into(archive, "G_ema", gan.G_ema, "generator average")
        elif archive.names("G_ema"):
            raise CheckpointError(f"{archive.path} holds averaged weights (G_ema), but its ema_decay is 0")
        # The history first: its arrays hold one value per iteration, so a file's counters cannot
        # claim more than it holds (SGD's per-epoch decay loops over the epochs when it loads).
        history = _history(archive, iteration, fixed_z.shape, config.data_dim)
        load_into(archive, "opt_G", gan.opt_G, "generator optimizer", epoch)
        load_into(archive, "opt_D", gan.opt_D, "discriminator optimizer", epoch)
        _check_steps(archive, gan.opt_G.t, gan.opt_D.t, iteration, config.k)
        if gan.ema is not None:
            gan.ema.t = gan.opt_G.t  # the average moves once per generator step
        gan.history = history
        bank_rows = _latent_bank_rows(archive, config, epoch, iteration)
        try:
            gan.rng.bit_generator.state = meta["rng_state"]
        except (KeyError, TypeError, ValueError, OverflowError) as err:
            raise CheckpointError(
                f"{archive.path}: its random generator state is damaged ({describe_error(err)})"
            ) from err
        interrupted = meta.get("interrupted", False)
        if not isinstance(interrupted, bool):
            raise CheckpointError(f"{archive.path}: 'interrupted' must be true or false, got {interrupted!r}")
    gan.epoch, gan.iteration, gan.history.interrupted = epoch, iteration, interrupted
    if bank_rows:
        gan.ensure_latent_bank(bank_rows)
    return gan


def _counter(archive, name: str) -> int:
    value = archive.metadata.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CheckpointError(f"{archive.path}: {name!r} must be a whole number >= 0, got {value!r}")
    return value


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
