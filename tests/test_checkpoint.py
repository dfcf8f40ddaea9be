"""Checkpoints: bit-for-bit resume, atomic writes, no pickle, clear errors on damage."""

import json
import os
import zipfile

import numpy as np
import pytest

from ganlib import checkpoint as ckpt
from ganlib.checkpoint import CheckpointError, load_checkpoint, load_generator, save_checkpoint, save_generator
from ganlib.gan import CONFIGS, GAN

TINY = CONFIGS["default"].replace(
    g_hidden=(32,), d_hidden=(32,), latent_dim=8, batch_size=16, epochs=2, d_dropout=0.2, ema_decay=0.9
)


@pytest.fixture
def X():
    return np.random.default_rng(0).uniform(-1, 1, size=(256, 784)).astype(np.float32)


@pytest.fixture
def trained(X):
    gan = GAN(TINY)
    gan.train(X, epochs=1, progress=False)
    return gan


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_resume_is_bit_for_bit(X, tmp_path, optimizer):
    config = TINY.replace(
        optimizer=optimizer, momentum=0.5 if optimizer == "sgd" else 0.0, decay_rate=1e-3 if optimizer == "sgd" else 0.0
    )
    straight = GAN(config)
    straight.train(X, epochs=3, progress=False)

    first = GAN(config)
    first.train(X, epochs=1, progress=False)
    save_checkpoint(first, tmp_path / "c.npz")
    resumed = load_checkpoint(tmp_path / "c.npz")
    resumed.train(X, epochs=2, progress=False)

    assert resumed.history.loss_d == straight.history.loss_d
    assert resumed.history.loss_g == straight.history.loss_g
    for a, b in [(resumed.G, straight.G), (resumed.D, straight.D), (resumed.G_ema, straight.G_ema)]:
        assert np.array_equal(a.flat_params, b.flat_params)
    assert resumed.iteration == straight.iteration and resumed.epoch == straight.epoch == 3


def test_generator_file_samples_like_the_gan(trained, tmp_path):
    save_generator(trained, tmp_path / "g.npz", {"note": "test"})
    G, meta = load_generator(tmp_path / "g.npz")
    assert meta["kind"] == "generator" and meta["note"] == "test"
    assert meta["config"]["latent_dim"] == 8
    assert np.array_equal(G.forward(trained.fixed_z), trained.generate(trained.fixed_z))
    with pytest.raises(CheckpointError, match="only a generator"):
        load_checkpoint(tmp_path / "g.npz")
    # a full checkpoint also gives its sampling generator (the EMA weights)
    save_checkpoint(trained, tmp_path / "c.npz")
    G2, _ = load_generator(tmp_path / "c.npz")
    assert np.array_equal(G2.flat_params, trained.G_ema.flat_params)


def test_crash_mid_save_keeps_previous_checkpoint(trained, tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    save_checkpoint(trained, path)
    before = path.read_bytes()

    def crash(file, **arrays):
        file.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(trained, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"], "a temporary file was left behind"


def test_truncated_checkpoint_gives_clear_error(trained, tmp_path):
    path = save_checkpoint(trained, tmp_path / "c.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(path)


def test_corrupted_bytes_give_clear_error(trained, tmp_path):
    path = save_checkpoint(trained, tmp_path / "c.npz")
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF  # inside a compressed member: CRC or inflate error
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=str(path.name)):
        load_checkpoint(path)


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "nope.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(CheckpointError, match="not a readable ganlib checkpoint"):
        load_generator(tmp_path / "text.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a ganlib checkpoint"):
        load_checkpoint(tmp_path / "other.npz")


def _rewrite(path, change):
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    change(arrays)
    np.savez(path, **arrays)


def _edit_metadata(path, edit):
    """Rewrite the checkpoint's JSON metadata with ``edit(meta)`` applied."""

    def change(arrays):
        meta = json.loads(str(arrays["metadata.json"]))
        edit(meta)
        arrays["metadata.json"] = np.array(json.dumps(meta))

    _rewrite(path, change)


def test_mismatched_architecture_gives_clear_error(trained, tmp_path):
    path = save_checkpoint(trained, tmp_path / "c.npz")
    _edit_metadata(path, lambda meta: meta["config"].__setitem__("g_hidden", [64]))
    with pytest.raises(CheckpointError, match="does not fit its recorded configuration"):
        load_checkpoint(path)


def test_missing_array_and_newer_format(trained, tmp_path):
    path = save_checkpoint(trained, tmp_path / "c.npz")
    _rewrite(path, lambda a: a.pop("opt_D/m"))
    with pytest.raises(CheckpointError, match="discriminator optimizer"):
        load_checkpoint(path)
    path = save_checkpoint(trained, tmp_path / "d.npz")
    _edit_metadata(path, lambda meta: meta.__setitem__("format_version", 99))
    with pytest.raises(CheckpointError, match="newer ganlib"):
        load_checkpoint(path)


def test_pickled_object_arrays_are_refused(trained, tmp_path):
    """An .npz can carry pickled objects; loading one must never unpickle (i.e. run code)."""
    path = save_checkpoint(trained, tmp_path / "c.npz")

    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    _rewrite(path, lambda a: a.__setitem__("G/0.W", np.array([Boom()], dtype=object)))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert not (tmp_path / "pwned").exists()


def test_checkpoint_is_a_plain_zip_of_npy_files(trained, tmp_path):
    path = save_checkpoint(trained, tmp_path / "c.npz")
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
    assert "metadata.json.npy" in names and "G/0.W.npy" in names
    meta = ckpt.read_metadata(path)
    assert meta["ganlib_version"] and meta["config"] == TINY.to_dict() and meta["epoch"] == 1


def test_wrong_suffix(trained, tmp_path):
    with pytest.raises(CheckpointError, match=".npz"):
        save_checkpoint(trained, tmp_path / "c.pkl")


def test_sample_generator_is_seeded_and_chunked(trained, tmp_path):
    save_generator(trained, tmp_path / "g.npz")
    G, meta = load_generator(tmp_path / "g.npz")
    a = ckpt.sample_generator(G, meta, 25, seed=4, chunk=7)
    b = ckpt.sample_generator(G, meta, 25, seed=4, chunk=1000)
    assert a.shape == (25, 784) and a.dtype == np.float32
    # chunking may change BLAS's summation order (float32 rounding), nothing more
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert not np.array_equal(a, ckpt.sample_generator(G, meta, 25, seed=5))


def test_saved_file_has_the_usual_permissions(trained, tmp_path):
    path = save_checkpoint(trained, tmp_path / "c.npz")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
