"""Checkpoints: a whole GAN (or just a generator) in one ``.npz`` file, with no pickle.

A checkpoint holds plain arrays only: the weights of G, D (and G's moving
average), both optimizers' state, the fixed latent batch, the training history,
and one JSON document under the key ``"metadata.json"`` with the architecture,
the configuration, the counters, the random generator's state and the ganlib
version. It is read with ``numpy.load(..., allow_pickle=False)``, so opening an
untrusted file can never run code. Writes go to a temporary file in the same
folder that replaces the old checkpoint atomically (``os.replace``) only once
it is complete: a crash mid-save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from . import __version__
from .gan import GAN, GANConfig, History, build_generator, sample_prior
from .network import Sequential

__all__ = [
    "CheckpointError",
    "save_checkpoint",
    "load_checkpoint",
    "save_generator",
    "load_generator",
    "sample_generator",
    "default_generator_path",
    "runs_dir",
    "read_metadata",
]

FORMAT = "ganlib-checkpoint"
FORMAT_VERSION = 1
METADATA_KEY = "metadata.json"


class CheckpointError(ValueError):
    """A checkpoint file is missing, damaged, or does not fit what was asked of it."""


def default_generator_path() -> Path:
    """The trained generator shipped with the repository: ``<repo>/data/generator.npz``."""
    return Path(__file__).resolve().parent.parent / "data" / "generator.npz"


def runs_dir(name: str | None = None) -> Path:
    """Where training runs are written: ``<repo>/runs/<name>`` (``runs/`` is not in git)."""
    root = Path(__file__).resolve().parent.parent / "runs"
    return root / name if name else root


# -- writing -----------------------------------------------------------------------------------
def _atomic_savez(path: Path, arrays: dict) -> Path:
    path = Path(path)
    if path.suffix != ".npz":
        raise CheckpointError(f"checkpoint path must end in .npz, got {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private (0600); give it the usual mode
        os.replace(tmp, path)  # atomic on POSIX and Windows: readers see old or new, never half
    except BaseException:
        with _suppress_oserror():
            os.unlink(tmp)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _suppress_oserror:
    def __enter__(self):
        return self  # noqa: E704

    def __exit__(self, exc_type, exc, tb):
        return exc_type is not None and issubclass(exc_type, OSError)  # noqa: E704


def _prefixed(prefix: str, state: dict) -> dict:
    return {f"{prefix}/{name}": value for name, value in state.items()}


def save_checkpoint(gan: GAN, path) -> Path:
    """Save everything needed to resume ``gan`` bit for bit. Returns the path."""
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": "gan",
        "ganlib_version": __version__,
        "config": gan.config.to_dict(),
        "epoch": gan.epoch,
        "iteration": gan.iteration,
        "rng_state": gan.rng.bit_generator.state,
        "interrupted": gan.history.interrupted,
        "generator": repr(gan.G),
        "discriminator": repr(gan.D),
    }
    arrays = {METADATA_KEY: np.array(json.dumps(metadata)), "fixed_z": gan.fixed_z}
    arrays.update(_prefixed("G", gan.G.state_dict()))
    arrays.update(_prefixed("D", gan.D.state_dict()))
    if gan.G_ema is not None:
        arrays.update(_prefixed("G_ema", gan.G_ema.state_dict()))
    arrays.update(_prefixed("opt_G", gan.opt_G.state_dict()))
    arrays.update(_prefixed("opt_D", gan.opt_D.state_dict()))
    arrays.update(_prefixed("history", gan.history.arrays()))
    return _atomic_savez(path, arrays)


def save_generator(gan: GAN, path, extra_metadata: dict | None = None) -> Path:
    """Save only the sampling generator (the EMA weights if enabled): small, for sharing."""
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": "generator",
        "ganlib_version": __version__,
        "config": gan.config.to_dict(),
        "epoch": gan.epoch,
        "iteration": gan.iteration,
        "generator": repr(gan.sampler),
        **(extra_metadata or {}),
    }
    arrays = {METADATA_KEY: np.array(json.dumps(metadata)), "fixed_z": gan.fixed_z}
    arrays.update(_prefixed("G", gan.sampler.state_dict()))
    return _atomic_savez(path, arrays)


# -- reading -----------------------------------------------------------------------------------
def _read_arrays(path) -> dict[str, np.ndarray]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}: check the path (train one with `python -m ganlib train`)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as err:
        raise CheckpointError(
            f"{path} is not a readable ganlib checkpoint ({type(err).__name__}: {err}); "
            "the file is damaged or not a checkpoint: re-save it, or use an earlier copy"
        ) from err


def _metadata(path, arrays) -> dict:
    if METADATA_KEY not in arrays:
        raise CheckpointError(f"{path} has no {METADATA_KEY!r} entry: it is an .npz file but not a ganlib checkpoint")
    try:
        meta = json.loads(str(arrays[METADATA_KEY]))
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path}: its metadata is not valid JSON ({err})") from err
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a ganlib checkpoint (format {meta.get('format')!r})")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(
            f"{path} was written by a newer ganlib (format {meta['format_version']}, this one reads "
            f"{FORMAT_VERSION}): upgrade ganlib"
        )
    return meta


def read_metadata(path) -> dict:
    """The JSON metadata of a checkpoint (config, counters, version), without building networks."""
    arrays = _read_arrays(path)
    return _metadata(path, arrays)


def _unprefixed(prefix: str, arrays: dict) -> dict:
    p = prefix + "/"
    return {name[len(p) :]: value for name, value in arrays.items() if name.startswith(p)}


def _load_into(target, state: dict, what: str, path) -> None:
    try:
        target.load_state_dict(state)
    except ValueError as err:
        raise CheckpointError(f"{path}: the {what} does not fit its recorded configuration: {err}") from err


def load_checkpoint(path) -> GAN:
    """Rebuild a :class:`~ganlib.gan.GAN` from ``save_checkpoint``'s file, ready to resume training."""
    arrays = _read_arrays(path)
    meta = _metadata(path, arrays)
    if meta.get("kind") != "gan":
        raise CheckpointError(f"{path} holds only a generator; use load_generator() for sampling")
    try:
        config = GANConfig.from_dict(meta["config"])
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{path}: its configuration is invalid ({err})") from err
    gan = GAN(config, n_fixed=len(arrays.get("fixed_z", np.zeros((64, 1)))))
    _load_into(gan.G, _unprefixed("G", arrays), "generator", path)
    _load_into(gan.D, _unprefixed("D", arrays), "discriminator", path)
    if gan.G_ema is not None:
        _load_into(gan.G_ema, _unprefixed("G_ema", arrays), "generator average", path)
    _load_into(gan.opt_G, _unprefixed("opt_G", arrays), "generator optimizer", path)
    _load_into(gan.opt_D, _unprefixed("opt_D", arrays), "discriminator optimizer", path)
    try:
        gan.fixed_z[...] = arrays["fixed_z"]
        gan.history = History.from_arrays(_unprefixed("history", arrays))
        gan.rng.bit_generator.state = meta["rng_state"]
        gan.epoch, gan.iteration = int(meta["epoch"]), int(meta["iteration"])
    except (KeyError, ValueError, TypeError) as err:
        raise CheckpointError(f"{path}: incomplete checkpoint ({type(err).__name__}: {err})") from err
    gan.history.interrupted = bool(meta.get("interrupted", False))
    return gan


def load_generator(path=None) -> tuple[Sequential, dict]:
    """Load a generator for sampling from either kind of checkpoint.

    Returns ``(G, metadata)``: ``G`` maps z (N, latent_dim) to images (N, 784)
    in [-1, 1]; ``metadata["config"]["latent_dim"]`` and ``["latent_dist"]``
    say how to draw z. The EMA weights are used when the checkpoint has them.
    Default path: the generator shipped in ``data/generator.npz``.
    """
    path = Path(path) if path is not None else default_generator_path()
    arrays = _read_arrays(path)
    meta = _metadata(path, arrays)
    try:
        config = GANConfig.from_dict(meta["config"])
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{path}: its configuration is invalid ({err})") from err
    G = build_generator(config, np.random.default_rng(0))
    prefix = "G_ema" if _unprefixed("G_ema", arrays) else "G"
    _load_into(G, _unprefixed(prefix, arrays), "generator", path)
    return G.eval(), meta


def sample_generator(G: Sequential, metadata: dict, n: int, seed: int = 0, chunk: int = 1000) -> np.ndarray:
    """n images (n, 784) float32 in [-1, 1] from a loaded generator.

    z is drawn from the prior recorded in ``metadata["config"]`` (``latent_dist``,
    ``latent_dim``) with ``numpy.random.default_rng(seed)``, so the same seed gives
    the same images; the forward pass runs ``chunk`` rows at a time to bound memory.
    """
    config = metadata["config"]
    rng = np.random.default_rng(seed)
    z = sample_prior(rng, (int(n), int(config["latent_dim"])), config["latent_dist"])
    if n == 0:
        return np.zeros((0, config.get("data_dim", 784)), dtype=np.float32)
    return np.concatenate([G.forward(z[i : i + chunk]) for i in range(0, len(z), chunk)])
