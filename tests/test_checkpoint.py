"""Checkpoints: bit-for-bit resume, atomic writes, no pickle, clear errors on damage."""

import json
import os
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
import zipcraft

from ganlib.gan import CONFIGS, GAN
from ganlib.io import generator as gen
from ganlib.io.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ganlib.io.generator import load_generator, save_generator
from ganlib.models import sample_prior

TINY = CONFIGS["default"].replace(
    g_hidden=(32,), d_hidden=(32,), latent_dim=8, batch_size=16, epochs=2, d_dropout=0.2, ema_decay=0.9
)


@pytest.fixture
def X():
    return np.random.default_rng(0).uniform(-1, 1, size=(256, 784)).astype(np.float32)


@pytest.fixture(scope="module")
def trained_once():
    """A trained GAN shared by the tests that only read it."""
    gan = GAN(TINY)
    gan.train(np.random.default_rng(0).uniform(-1, 1, size=(256, 784)).astype(np.float32), epochs=1)
    return gan


@pytest.fixture
def trained(X):
    gan = GAN(TINY)
    gan.train(X, epochs=1)
    return gan


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_resume_is_bit_for_bit(X, tmp_path, optimizer):
    config = TINY.replace(
        optimizer=optimizer, momentum=0.5 if optimizer == "sgd" else 0.0, decay_rate=1e-3 if optimizer == "sgd" else 0.0
    )
    straight = GAN(config)
    straight.train(X, epochs=3)

    first = GAN(config)
    first.train(X, epochs=1)
    save_checkpoint(first, tmp_path / "c.npz")
    resumed = load_checkpoint(tmp_path / "c.npz")
    resumed.train(X, epochs=2)

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
    meta = gen.read_metadata(path)
    assert meta["ganlib_version"] and meta["config"] == TINY.to_dict() and meta["epoch"] == 1


def test_wrong_suffix(trained, tmp_path):
    with pytest.raises(CheckpointError, match=".npz"):
        save_checkpoint(trained, tmp_path / "c.pkl")


def test_sample_generator_is_seeded_and_chunked(trained, tmp_path):
    save_generator(trained, tmp_path / "g.npz")
    G, meta = load_generator(tmp_path / "g.npz")
    a = gen.sample_generator(G, meta, 25, seed=4, chunk=7)
    b = gen.sample_generator(G, meta, 25, seed=4, chunk=1000)
    assert a.shape == (25, 784) and a.dtype == np.float32
    # chunking may change BLAS's summation order (float32 rounding), nothing more
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert not np.array_equal(a, gen.sample_generator(G, meta, 25, seed=5))


def test_saved_file_has_the_usual_permissions(trained, tmp_path):
    path = save_checkpoint(trained, tmp_path / "c.npz")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


# -- hostile and damaged files: every problem is a CheckpointError naming the file -----------------
def _arrays(path) -> dict:
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def _rebuild(path, meta=None, arrays=None, text=None):
    """Rewrite the checkpoint at ``path`` with ``meta(metadata)`` / ``arrays(dict)`` applied (each may
    change its argument in place or return a replacement), or with the raw metadata ``text``."""
    contents = _arrays(path)
    document = json.loads(str(contents.pop("metadata.json")))
    if meta is not None:
        document = meta(document) or document
    if arrays is not None:
        contents = arrays(contents) or contents
    contents["metadata.json"] = np.array(text if text is not None else json.dumps(document))
    np.savez_compressed(path, **contents)  # pickles object arrays: the reader must refuse them


def _replace_member(path, name, new: zipcraft.Member | None = None, **changes):
    """Rewrite the zip at ``path`` with member ``name`` replaced by ``new`` (or changed by ``changes``);
    a ``new`` member of another name is added."""
    ms = zipcraft.members(path)
    if new is not None and new.name not in {m.name for m in ms}:
        ms.append(new)
    ms = [(new if new is not None else m.with_(**changes)) if m.name == name else m for m in ms]
    Path(path).write_bytes(zipcraft.build(ms))


def _deep(n):
    return "[" * n + "]" * n


def _nested_config(change):
    def edit(meta):
        meta["config"].update(change)

    return edit


def _array_edit(name, value):
    def edit(arrays):
        arrays[name] = value(arrays[name]) if callable(value) else value

    return edit


_METADATA_CASES = {
    "metadata is a list": (dict(meta=lambda m: [1, 2]), "not a ganlib checkpoint"),
    "format_version is a string": (dict(meta=lambda m: {**m, "format_version": "1"}), "format_version must be"),
    "format_version is null": (dict(meta=lambda m: {**m, "format_version": None}), "format_version must be"),
    "deeply nested JSON": (dict(text='{"a": ' + _deep(100_000) + "}"), "not valid JSON"),
    "a number too long": (dict(text='{"a": ' + "9" * 5000 + "}"), "not valid JSON"),
    "not JSON": (dict(text="{'a': 1}"), "not valid JSON"),
    "slope of 5": (dict(meta=_nested_config({"leaky_slope": 5})), "configuration is invalid.*leaky_slope"),
    "infinite width": (dict(meta=_nested_config({"g_hidden": [float("inf")]})), "configuration is invalid.*g_hidden"),
    "infinite epochs": (dict(meta=_nested_config({"epochs": float("inf")})), "configuration is invalid.*epochs"),
    "negative seed": (dict(meta=_nested_config({"seed": -1})), "configuration is invalid.*seed"),
    "string learning rate": (dict(meta=_nested_config({"lr_g": "0.1"})), "configuration is invalid.*lr_g"),
    "fractional latent_dim": (dict(meta=_nested_config({"latent_dim": 8.5})), "configuration is invalid.*latent_dim"),
    "unknown config field": (dict(meta=_nested_config({"bogus": 1})), "unknown GANConfig field"),
    "config not an object": (dict(meta=lambda m: {**m, "config": [1]}), "configuration is missing or not"),
    "config missing": (dict(meta=lambda m: {k: v for k, v in m.items() if k != "config"}), "configuration is missing"),
    "huge widths": (dict(meta=_nested_config({"g_hidden": [100_000, 100_000]})), "at most 20,000,000"),
    "other widths": (dict(meta=_nested_config({"g_hidden": [16]})), "does not fit its recorded configuration"),
    "EMA switched off": (dict(meta=_nested_config({"ema_decay": 0.0})), "averaged weights"),
    "optimizer switched": (dict(meta=_nested_config({"optimizer": "sgd"})), "optimizer does not fit"),
    "negative epoch": (dict(meta=lambda m: {**m, "epoch": -1}), "'epoch' must be a whole number"),
    "fractional iteration": (dict(meta=lambda m: {**m, "iteration": 1.5}), "'iteration' must be a whole number"),
    # The history is read before the optimizers (it bounds the counters): one record short.
    "iteration off by one": (dict(meta=lambda m: {**m, "iteration": m["iteration"] + 1}), "'history/loss_d' has shape"),
    "epoch above iteration": (dict(meta=lambda m: {**m, "epoch": m["iteration"] + 1}), "epoch .* > iteration"),
    "rng state damaged": (dict(meta=lambda m: {**m, "rng_state": {"bit_generator": "PCG64"}}), "random generator"),
    "rng state of another kind": (dict(meta=lambda m: {**m, "rng_state": [1]}), "random generator"),
    "interrupted not a bool": (dict(meta=lambda m: {**m, "interrupted": "no"}), "'interrupted' must be"),
    "a newer format": (dict(meta=lambda m: {**m, "format_version": 2}), "newer ganlib"),
    "another kind": (dict(meta=lambda m: {**m, "kind": "classifier"}), "holds a 'classifier'"),
}

_ARRAY_CASES = {
    "string weights": (_array_edit("G/0.W", lambda w: w.astype(str)), "holds <U.* values; expected floats"),
    "bool weights": (_array_edit("G/0.W", lambda w: w > 0), "holds bool values"),
    "complex weights": (_array_edit("G/0.W", lambda w: w.astype(np.complex64)), "holds complex64"),
    "datetime weights": (_array_edit("G/0.W", lambda w: w.astype(np.int64).astype("M8[s]")), "holds datetime64"),
    "pickled weights": (_array_edit("G/0.W", lambda w: w.astype(object)), "holds object values"),
    "weights too large for float32": (_array_edit("G/0.W", lambda w: w.astype(np.float64) * 1e300), "too large"),
    "NaN weights": (_array_edit("D/0.b", lambda b: b + np.nan), "NaN or Inf"),
    "transposed weights": (_array_edit("G/0.W", lambda w: w.T.copy()), "has shape"),
    "missing weights": (lambda a: {k: v for k, v in a.items() if k != "D/0.W"}, "D does not fit"),
    "unexpected weights": (_array_edit("G/9.W", np.zeros(3, np.float32)), "does not fit"),
    "NaN in fixed_z": (_array_edit("fixed_z", lambda z: z * np.nan), "fixed_z"),
    "empty fixed_z": (_array_edit("fixed_z", lambda z: z[:0]), "fixed_z"),
    "fixed_z too large for float32": (
        _array_edit("fixed_z", lambda z: z.astype(np.float64) * 1e300),
        "fixed_z",
    ),  # found by fuzzing
    "NaN in the history": (_array_edit("history/loss_d", lambda x: x * np.nan), "history is damaged.*loss_d"),
    "history as strings": (_array_edit("history/loss_g", lambda x: x.astype(str)), "expected floats"),
    "history too short": (_array_edit("history/d_fake", lambda x: x[:-1]), "has shape"),
    "D(x) above 1": (_array_edit("history/d_real", lambda x: x + 2), "outside \\[0, 1\\]"),
    "snapshots out of order": (_array_edit("history/snapshot_iterations", lambda x: x[::-1].copy()), "increase"),
    "snapshots of another size": (_array_edit("history/snapshots", lambda x: x[:, :3]), "has shape"),
    "negative Adam second moment": (_array_edit("opt_G/v", lambda v: v - 1), "'v' must be >= 0"),
    "NaN Adam first moment": (_array_edit("opt_D/m", lambda m: m * np.nan), "'m' contains NaN"),
    "step count off": (_array_edit("opt_G/t", lambda t: t + 1), "step counts"),
    "fractional step count": (_array_edit("opt_D/t", lambda t: t.astype(np.float64)), "expected integers"),
    "negative step count": (_array_edit("opt_D/t", lambda t: -t), "step count >= 0"),
    "metadata as numbers": (_array_edit("metadata.json", np.zeros(3)), "expected text"),
}


@pytest.mark.parametrize("case", list(_METADATA_CASES) + list(_ARRAY_CASES))
def test_bad_contents_are_refused_with_the_file_named(trained_once, tmp_path, case):
    path = save_checkpoint(trained_once, tmp_path / "c.npz")
    if case in _METADATA_CASES:
        edit, message = _METADATA_CASES[case]
        _rebuild(path, **edit)
    else:
        edit, message = _ARRAY_CASES[case]
        if case == "metadata as numbers":
            contents = _arrays(path)
            edit(contents)
            np.savez(path, **contents)
        else:
            _rebuild(path, arrays=edit)
    before = path.read_bytes()
    with pytest.raises(CheckpointError, match=message) as info:
        load_checkpoint(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]


def _peak_bytes(function, *args):
    """Peak memory allocated (Python and NumPy) while ``function(*args)`` runs; its exception is caught."""
    tracemalloc.start()
    try:
        function(*args)
    except CheckpointError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_huge_widths_are_refused_before_anything_is_built(trained_once, tmp_path):
    """A checkpoint of ~100 kB whose configuration asks for 100,000-wide layers: refused in a few MB."""
    path = save_checkpoint(trained_once, tmp_path / "c.npz")
    _rebuild(path, meta=_nested_config({"g_hidden": [6000], "d_hidden": [6000]}))  # 4.7M + 4.7M parameters
    assert path.stat().st_size < 1_000_000
    with pytest.raises(CheckpointError, match="does not fit its recorded configuration: its arrays declare"):
        load_checkpoint(path)
    assert _peak_bytes(load_checkpoint, path) < 5_000_000  # building G alone would take 19 MB


@pytest.mark.parametrize("member", ["G/0.W.npy", "fixed_z.npy", "history/snapshots.npy", "history/loss_d.npy"])
def test_oversized_declarations_are_refused_unread(trained_once, tmp_path, member):
    """An expected member whose .npy header declares 10^11 floats: refused from its header."""
    path = save_checkpoint(trained_once, tmp_path / "c.npz")
    _replace_member(path, member, zipcraft.stored(member, zipcraft.npy_header((10**11,)) + bytes(64)))
    with pytest.raises(CheckpointError, match=str(path)):
        load_checkpoint(path)
    assert _peak_bytes(load_checkpoint, path) < 5_000_000


def test_members_nobody_uses_are_never_read(trained_once, tmp_path):
    """An extra member declaring 10^11 floats and a 512 MB deflate bomb: the checkpoint loads, in a few MB."""
    path = save_checkpoint(trained_once, tmp_path / "c.npz")
    _replace_member(path, "huge.npy", zipcraft.stored("huge.npy", zipcraft.npy_header((10**11,)) + bytes(1000)))
    _replace_member(path, "bomb.npy", zipcraft.bomb("bomb.npy", zipcraft.npy_header((2**27,)), 2**29))
    assert path.stat().st_size < 2_000_000
    gan = load_checkpoint(path)
    assert np.array_equal(gan.G.flat_params, trained_once.G.flat_params)
    assert _peak_bytes(load_checkpoint, path) < 5_000_000


@pytest.mark.parametrize("honest", [True, False])
def test_a_bomb_in_place_of_an_expected_member_is_refused_unread(trained_once, tmp_path, honest):
    """A member with a valid header whose zip entry inflates to 512 MB: refused from its declared size,
    or, if the zip directory lies about the size, after reading no more than the header promised."""
    path = save_checkpoint(trained_once, tmp_path / "c.npz")
    head = zipcraft.npy_header(trained_once.G.state_dict()["0.W"].shape)
    member = zipcraft.bomb("G/0.W.npy", head, 2**29)
    if not honest:
        member = member.with_(size=len(head) + trained_once.G.state_dict()["0.W"].nbytes)
    _replace_member(path, "G/0.W.npy", member)
    with pytest.raises(CheckpointError, match="G/0.W.*damaged"):
        load_checkpoint(path)
    assert _peak_bytes(load_checkpoint, path) < 5_000_000


@pytest.mark.parametrize(
    "patch, message",
    [
        (dict(method=zipfile.ZIP_BZIP2), "compression method 12"),
        (dict(method=zipfile.ZIP_LZMA), "compression method 14"),
        (dict(method=99), "compression method 99"),
        (dict(flags=0x1), "encrypted"),
    ],
)
def test_foreign_zip_features_are_refused(trained_once, tmp_path, patch, message):
    path = save_checkpoint(trained_once, tmp_path / "c.npz")
    _replace_member(path, "G/0.W.npy", **patch)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


@pytest.mark.parametrize("compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_members_really_compressed_otherwise_are_refused(trained_once, tmp_path, compression):
    path = save_checkpoint(trained_once, tmp_path / "c.npz")
    members = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            members[info.filename] = z.read(info)
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(CheckpointError, match=f"compression method {compression}"):
        load_checkpoint(path)


def test_damaged_deflate_stream_is_a_checkpoint_error(trained_once, tmp_path):
    path = save_checkpoint(trained_once, tmp_path / "c.npz")
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("G/0.W.npy")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 10 : start + 40] = bytes(range(30))  # garbage in the middle of the deflate stream
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"G/0\.W.*damaged"):
        load_checkpoint(path)


def test_paths_that_are_not_checkpoint_files(trained_once, tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(3))
    with pytest.raises(CheckpointError, match="single .npy array"):
        load_generator(tmp_path / "a.npy")
    with pytest.raises(CheckpointError, match="is a folder"):
        load_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(tmp_path / ("x" * 300 + ".npz"))
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(str(tmp_path / "a\0.npz"))
    (tmp_path / "loop.npz").symlink_to(tmp_path / "loop.npz")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(tmp_path / "loop.npz")


def test_a_config_missing_a_field_loads_with_its_default_and_samples(trained_once, tmp_path):
    """The sampler reads the checked configuration, not the file's raw metadata."""
    path = save_generator(trained_once, tmp_path / "g.npz")
    _rebuild(path, meta=lambda m: m["config"].pop("latent_dist") and None)
    G, meta = load_generator(path)
    assert meta["config"]["latent_dist"] == "gaussian"
    assert gen.sample_generator(G, meta, 3).shape == (3, 784)


def test_a_loaded_checkpoint_saves_again(trained_once, tmp_path):
    """What loads can be saved: `train --resume` never trains a model it then cannot write."""
    path = save_checkpoint(trained_once, tmp_path / "c.npz")
    again = save_checkpoint(load_checkpoint(path), tmp_path / "again.npz")
    a, b = _arrays(path), _arrays(again)
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a if k != "metadata.json")


def test_extra_metadata_cannot_replace_what_the_loader_needs(trained_once, tmp_path):
    for key in ("config", "kind", "format_version", "epoch"):
        with pytest.raises(ValueError, match="extra_metadata must have string keys other than"):
            save_generator(trained_once, tmp_path / "g.npz", {key: 1})
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        save_generator(trained_once, tmp_path / "g.npz", {"note": object()})
    assert not list(tmp_path.iterdir())
    save_generator(trained_once, tmp_path / "g.npz", {"seconds": np.float32(1.5), "steps": np.int64(3)})
    assert gen.read_metadata(tmp_path / "g.npz")["steps"] == 3


def test_a_config_with_numpy_numbers_trains_and_saves(X, tmp_path):
    gan = GAN(TINY.replace(batch_size=np.int64(16), latent_dim=np.int32(8), lr_g=np.float32(1e-3)))
    gan.train(X, epochs=1)
    assert load_checkpoint(save_checkpoint(gan, tmp_path / "c.npz")).config == gan.config


def test_sampling_arguments_are_checked(trained_once, tmp_path):
    G, meta = load_generator(save_generator(trained_once, tmp_path / "g.npz"))
    assert gen.sample_generator(G, meta, 0).shape == (0, 784)
    for kwargs, message in [
        (dict(n=-1), "n must be"),
        (dict(n=2.5), "n must be"),
        (dict(n=3, chunk=0), "chunk must be"),
        (dict(n=3, seed=-1), "seed must be"),
    ]:
        with pytest.raises(ValueError, match=message):
            gen.sample_generator(G, meta, **kwargs)
    assert trained_once.sample(0).shape == (0, 784)
    for n in (-1, 2.5):
        with pytest.raises(ValueError, match="n must be"):
            trained_once.sample(n)
    with pytest.raises(ValueError, match="NaN or Inf"):
        trained_once.generate(np.full((1, 8), np.inf, np.float32))


def test_chunked_sampling_draws_the_same_latents_as_one_draw(trained_once, tmp_path):
    for dist in ("gaussian", "uniform"):
        gan = GAN(TINY.replace(latent_dist=dist))
        G, meta = load_generator(save_generator(gan, tmp_path / f"{dist}.npz"))
        z = sample_prior(np.random.default_rng(5), (23, 8), dist)
        np.testing.assert_array_equal(gen.sample_generator(G, meta, 23, seed=5, chunk=23), G.forward(z))
        chunks = list(gen.iter_samples(G, meta, 23, seed=5, chunk=5))
        assert [len(c) for c in chunks] == [5, 5, 5, 5, 3]
        np.testing.assert_allclose(np.concatenate(chunks), G.forward(z), rtol=0, atol=1e-6)


def _raw_npy(header: bytes, version=(1, 0), data=b"") -> bytes:
    size = len(header).to_bytes(2 if version[0] == 1 else 4, "little")
    return b"\x93NUMPY" + bytes(version) + size + header + data


@pytest.mark.parametrize(
    "member, message",
    [
        (_raw_npy(b"{'descr': '<f4', 'fortran_order': False, 'shape': (3,\n"), "TokenError"),  # found by the fuzzer
        (_raw_npy(b"{'descr': '<f4', 'fortran_order': False, 'shape': (-1, -32), }\n"), "has shape"),
        (_raw_npy(b"{'descr': '<f4', 'fortran_order': False, 'shape': (8,), }\n", (3, 0)), "format \\(3, 0\\)"),
        (_raw_npy(b"{'descr': 'nonsense', 'fortran_order': False, 'shape': (8,), }\n"), "damaged"),
        (_raw_npy(b"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (32,), }\n"), "holds"),
        (_raw_npy(b"[" * 5000 + b"]" * 5000), "damaged"),
        (b"\x93NUMPX\x01\x00", "damaged"),
        (b"", "damaged"),
    ],
)
def test_malformed_npy_headers(trained_once, tmp_path, member, message):
    path = save_generator(trained_once, tmp_path / "g.npz")
    _replace_member(path, "G/0.b.npy", zipcraft.stored("G/0.b.npy", member))
    with pytest.raises(CheckpointError, match=message):
        load_generator(path)
