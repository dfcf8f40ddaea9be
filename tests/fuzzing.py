"""The checkpoint fuzzer: damaged and hostile files for every reader of ganlib's archives.

Run by tests/test_fuzz.py in a child process under an address-space limit, or by hand::

    python tests/fuzzing.py --cases 20000 --seed 1      # prints a JSON summary

Each case makes one file from a real (tiny) checkpoint, generator or classifier file and hands
it to one entry point (``load_checkpoint``, ``load_generator``, ``read_metadata``,
``Classifier.load``). A case passes when the entry point either raises ``CheckpointError``
with the file's path in its message ("refused"), or returns a model that is exactly what the
file holds ("loaded": every array equal to what NumPy reads from the file, and the model saves,
loads again and samples). Anything else is a failure: another exception, a message without the
path, a result that differs, more than ``--seconds`` of processor time for one case, or a change to
any file.

Kinds of cases:

* ``bytes``: random byte mutations of the whole file (bit flips, overwrites, truncation,
  insertions, deletions, copies), and mutations aimed at the zip headers (sizes, methods,
  flags, offsets set to edge values);
* ``metadata``: structured edits of the JSON metadata (a key deleted or set to a value of
  another type, a huge or non-finite number, deep nesting), and byte mutations of its text;
* ``arrays``: structured edits of one array (dtype, shape, values: NaN, Inf, 1e300, negative,
  huge), a member removed, duplicated or added, and oversized declarations (.npy headers and
  zip entries declaring up to 10^12 values, deflate bombs of up to 512 MB).

Memory: every 10th case and every oversized case runs under tracemalloc; the largest peak is
reported (``max_traced_bytes``). The parent test also runs this under an address-space limit.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import re
import signal
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zipcraft  # noqa: E402

from ganlib.config import CONFIGS  # noqa: E402
from ganlib.evaluation.classifier import Classifier, build_classifier_network  # noqa: E402
from ganlib.gan import GAN  # noqa: E402
from ganlib.io.archive import CheckpointError  # noqa: E402
from ganlib.io.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from ganlib.io.generator import load_generator, read_metadata, save_generator

KINDS = ("bytes", "metadata", "arrays")


# -- the real files the cases start from ---------------------------------------------------------------
def make_originals(folder: Path) -> dict[str, Path]:
    """A trained tiny GAN's checkpoint (EMA, dropout, Adam), its generator file, a tiny classifier."""
    config = CONFIGS["default"].replace(
        latent_dim=4, g_hidden=(8,), d_hidden=(8,), batch_size=8, k=2, epochs=1, ema_decay=0.9, d_dropout=0.2
    )
    gan = GAN(config, n_fixed=8)
    x = np.random.default_rng(0).uniform(-1, 1, (48, 784)).astype(np.float32)
    gan.train(x, epochs=2, snapshot_every=2)
    sgd = GAN(config.replace(optimizer="sgd", momentum=0.5, ema_decay=0.0, g_output="linear", data_dim=2), n_fixed=4)
    sgd.train(np.random.default_rng(1).normal(size=(64, 2)).astype(np.float32), epochs=1)
    return {
        "checkpoint": save_checkpoint(gan, folder / "checkpoint.npz"),
        "sgd-checkpoint": save_checkpoint(sgd, folder / "sgd-checkpoint.npz"),
        "generator": save_generator(gan, folder / "generator.npz", {"note": "fuzz"}),
        "classifier": Classifier(build_classifier_network((784, 8, 10))).save(folder / "classifier.npz"),
    }


# -- the entry points and what "exactly right" means for each ---------------------------------------------
def _gan_state(gan: GAN) -> dict[str, np.ndarray]:
    state = {"fixed_z": gan.fixed_z}
    for prefix, part in (("G", gan.G), ("D", gan.D), ("G_ema", gan.G_ema), ("opt_G", gan.opt_G), ("opt_D", gan.opt_D)):
        if part is not None:
            state.update({f"{prefix}/{k}": v for k, v in part.state_dict().items()})
    state.update({f"history/{k}": v for k, v in gan.history.arrays().items()})
    return state


def _check_gan(path: Path, gan: GAN, scratch: Path) -> None:
    _same_as_file(path, _gan_state(gan))
    again = load_checkpoint(save_checkpoint(gan, scratch / "again.npz"))
    _same(_gan_state(gan), _gan_state(again), "after saving and loading again")
    samples = gan.sample(2)
    assert samples.shape == (2, gan.config.data_dim) and np.all(np.isfinite(samples)), "samples are not finite"


def _check_generator(path: Path, result, scratch: Path) -> None:
    G, meta = result
    prefix = "G_ema" if meta["kind"] == "gan" and meta["config"]["ema_decay"] else "G"
    _same_as_file(path, {f"{prefix}/{k}": v for k, v in G.state_dict().items()})
    z = np.zeros((2, meta["config"]["latent_dim"]), np.float32)
    assert np.all(np.isfinite(G.forward(z))), "samples are not finite"


def _check_classifier(path: Path, clf, scratch: Path) -> None:
    _same_as_file(path, clf.net.state_dict())
    assert np.all(np.isfinite(clf.predict_proba(np.zeros((1, 784), np.float32)))), "predictions are not finite"


def _check_metadata(path: Path, meta, scratch: Path) -> None:
    assert isinstance(meta, dict) and meta.get("kind") in ("gan", "generator"), f"metadata {meta!r:.80}"


ENTRY_POINTS = {  # name: (function, check of a successful result, which originals it reads)
    "load_checkpoint": (load_checkpoint, _check_gan, ("checkpoint", "sgd-checkpoint")),
    "load_generator": (load_generator, _check_generator, ("generator", "checkpoint")),
    "read_metadata": (read_metadata, _check_metadata, ("checkpoint",)),
    "Classifier.load": (Classifier.load, _check_classifier, ("classifier",)),
}


def _same_as_file(path: Path, state: dict) -> None:
    """Every array of a loaded model equals what NumPy reads from the file (converted to the model's dtype)."""
    with np.load(path, allow_pickle=False) as npz:
        stored = {name: npz[name] for name in state}
    _same(state, {k: np.asarray(v) for k, v in stored.items()}, "from the file")


def _same(ours: dict, theirs: dict, what: str) -> None:
    assert ours.keys() == theirs.keys(), f"arrays differ {what}: {sorted(ours.keys() ^ theirs.keys())}"
    for name, value in ours.items():
        other = theirs[name]
        if other.size == 0 and value.size == 0:
            continue
        assert other.shape == value.shape, f"{name} {what}: shape {value.shape} != {other.shape}"
        assert np.array_equal(value, other.astype(value.dtype)), f"{name} differs {what}"


# -- byte mutations ---------------------------------------------------------------------------------
EDGE_16 = (0, 1, 8, 12, 14, 99, 0x7FFF, 0xFFFF)
EDGE_32 = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF, 10**9)


def mutate_bytes(rng: np.random.Generator, data: bytes) -> tuple[str, bytes]:
    b = bytearray(data)
    n = len(b)
    op = rng.choice(["flip", "overwrite", "truncate", "delete", "insert", "copy", "zero", "header", "header", "tail"])
    if op == "flip":
        k = int(rng.integers(1, 9))
        for i in rng.integers(0, n, k):
            b[i] ^= 1 << int(rng.integers(0, 8))
        return f"flip {k} bits", bytes(b)
    if op == "overwrite":
        i, k = int(rng.integers(0, n)), int(rng.integers(1, 17))
        b[i : i + k] = rng.integers(0, 256, k, dtype=np.uint8).tobytes()
        return f"overwrite {k} bytes at {i}", bytes(b)
    if op == "truncate":
        i = int(rng.integers(0, n))
        return f"truncate to {i}", bytes(b[:i])
    if op == "delete":
        i, k = int(rng.integers(0, n)), int(rng.integers(1, 65))
        del b[i : i + k]
        return f"delete {k} bytes at {i}", bytes(b)
    if op == "insert":
        i, k = int(rng.integers(0, n)), int(rng.integers(1, 65))
        b[i:i] = rng.integers(0, 256, k, dtype=np.uint8).tobytes()
        return f"insert {k} bytes at {i}", bytes(b)
    if op == "copy":
        i, j, k = int(rng.integers(0, n)), int(rng.integers(0, n)), int(rng.integers(1, 4097))
        b[j : j + k] = b[i : i + k]
        return f"copy {k} bytes from {i} to {j}", bytes(b)
    if op == "zero":
        i, k = int(rng.integers(0, n)), int(rng.integers(1, 4097))
        b[i : i + k] = bytes(len(b[i : i + k]))
        return f"zero {k} bytes at {i}", bytes(b)
    if op == "tail":  # the end of central directory record and its neighbours
        i = n - int(rng.integers(1, 60))
        b[i] = int(rng.integers(0, 256))
        return f"set byte {i} of {n} (the zip's end record)", bytes(b)
    # a field of a zip header: local (PK\3\4) or central (PK\1\2), set to an edge value
    starts = [i for sig in (b"PK\x03\x04", b"PK\x01\x02") for i in _find_all(bytes(b), sig)]
    i = int(rng.choice(starts)) + int(rng.integers(4, 46))
    if rng.random() < 0.5:
        value = int(rng.choice(EDGE_16))
        b[i : i + 2] = value.to_bytes(2, "little")
        return f"set 16 bits at {i} (a zip header) to {value}", bytes(b)
    value = int(rng.choice(EDGE_32))
    b[i : i + 4] = value.to_bytes(4, "little")
    return f"set 32 bits at {i} (a zip header) to {value}", bytes(b)


def _find_all(data: bytes, needle: bytes) -> list[int]:
    out, i = [], data.find(needle)
    while i >= 0:
        out.append(i)
        i = data.find(needle, i + 1)
    return out


# -- structured edits ---------------------------------------------------------------------------------
def _values(rng):
    """Values a hostile or careless edit may put anywhere in the metadata."""
    return [
        None, True, False, 0, -1, 1, 2, 3.5, -0.0, 2**31, 2**64, 10**30, -(10**30),
        float("nan"), float("inf"), -float("inf"), "", "x", "gaussian", "sgd", "1", [], [1], [0],
        [100_000, 100_000], [2**40], {}, {"a": 1}, [[[[]]]], "é" * 3, 1e-300, 1e300,
        int(rng.integers(-5, 1000)), float(rng.normal()),
    ]  # fmt: skip


def _paths(value, prefix=()):
    """Every key path in a JSON document."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def edit_metadata(rng: np.random.Generator, meta: dict) -> tuple[str, str]:
    """A changed metadata document, as the JSON text to store."""
    meta = json.loads(json.dumps(meta))
    op = rng.choice(["set", "set", "set", "delete", "add", "text", "deep", "number", "replace"])
    if op == "text":  # byte mutations of the JSON text itself
        text = bytearray(json.dumps(meta).encode())
        for i in rng.integers(0, len(text), int(rng.integers(1, 4))):
            text[i] = int(rng.integers(32, 127))
        return "mutate the JSON text", text.decode()
    if op == "deep":
        depth = int(rng.choice([100, 10_000, 200_000]))
        return f"nest {depth} deep", '{"config": ' + "[" * depth + "]" * depth + "}"
    if op == "number":
        digits = int(rng.choice([20, 400, 5000]))
        return f"a {digits}-digit epoch", re.sub(r'"epoch": \d+', '"epoch": ' + "9" * digits, json.dumps(meta))
    if op == "replace":
        value = rng.choice(np.array(_values(rng), dtype=object))
        return f"replace the document by {value!r:.40}", json.dumps(value)
    paths = [p for p in _paths(meta) if p]
    path = paths[int(rng.integers(len(paths)))]
    parent = meta
    for key in path[:-1]:
        parent = parent[key]
    if op == "delete":
        del parent[path[-1]]
        return f"delete {path}", json.dumps(meta)
    if op == "add" and isinstance(parent, dict):
        parent["extra_" + str(rng.integers(100))] = _values(rng)[int(rng.integers(len(_values(rng))))]
        return f"add a key beside {path}", json.dumps(meta)
    value = _values(rng)[int(rng.integers(len(_values(rng))))]
    parent[path[-1]] = value
    return f"set {path} to {value!r:.40}", json.dumps(meta)


DTYPES = [
    "bool",
    "int8",
    "uint8",
    "int64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "U3",
    "S3",
    "M8[s]",
    "O",
    "V4",
]


def edit_array(rng: np.random.Generator, arrays: dict) -> tuple[str, dict]:
    """One array changed (dtype, shape or values), removed, duplicated, or added."""
    arrays = dict(arrays)
    names = [n for n in arrays if n != "metadata.json"]
    name = names[int(rng.integers(len(names)))]
    op = str(rng.choice(["dtype", "shape", "values", "values", "remove", "add", "swap"]))
    try:
        return _edit_array(rng, arrays, names, name, op)
    except (TypeError, ValueError):  # that edit cannot be made to this array: store it as text instead
        arrays[name] = arrays[name].astype(str)
        return f"{name} as text", arrays


def _edit_array(rng, arrays, names, name, op):
    a = arrays[name]
    if op == "dtype":
        dtype = DTYPES[int(rng.integers(len(DTYPES)))]
        with np.errstate(all="ignore"):
            arrays[name] = a.astype(dtype) if dtype not in ("V4",) else np.zeros(a.shape, dtype)
        return f"{name} as {dtype}", arrays
    if op == "shape":
        shapes = [a.shape[::-1], (a.size,), (*a.shape, 1), (0,), (), tuple(s + 1 for s in a.shape), (1, *a.shape)]
        shape = shapes[int(rng.integers(len(shapes)))]
        arrays[name] = np.resize(a, shape) if math.prod(shape) else np.zeros(shape, a.dtype)
        return f"{name} reshaped to {shape}", arrays
    if op == "values":
        value = float(rng.choice([np.nan, np.inf, -np.inf, 1e300, -1.0, 0.0, 1e30, 2.0**63, -(2.0**63)]))
        b = a.astype(np.float64) if value == 1e300 or a.dtype.kind != "f" else a.copy()
        if b.size:
            with np.errstate(all="ignore"):
                b.reshape(-1)[int(rng.integers(b.size))] = value
        arrays[name] = b
        return f"{name}[random] = {value}", arrays
    if op == "remove":
        del arrays[name]
        return f"{name} removed", arrays
    if op == "add":
        new = rng.choice([name + "x", name.split("/")[0] + "/99.W", "extra", name.replace("/", "//")])
        arrays[str(new)] = a
        return f"{new} added", arrays
    other = names[int(rng.integers(len(names)))]
    arrays[name], arrays[other] = arrays[other], a
    return f"{name} and {other} swapped", arrays


def oversized_cases(original: Path):
    """Members and configurations declaring far more than the file holds (deterministic)."""
    ms = zipcraft.members(original)
    names = [m.name for m in ms]
    huge_shapes = [(10**11,), (10**6, 10**6), (2**62,), (-1, 5)]
    for target in names:
        for shape in huge_shapes:
            member = zipcraft.stored(target, zipcraft.npy_header(shape) + bytes(64))
            yield f"{target} declares shape {shape}", zipcraft.build([member if m.name == target else m for m in ms])
        yield (
            f"{target} declares 4 GiB in the zip directory",
            zipcraft.build([m.with_(size=2**32 - 1) if m.name == target else m for m in ms]),
        )
    for mib in (512,):
        yield (
            f"an extra member inflating to {mib} MiB",
            zipcraft.build([*ms, zipcraft.bomb("bomb.npy", zipcraft.npy_header((mib << 18,)), mib << 20)]),
        )
        yield (
            f"metadata.json inflating to {mib} MiB",
            zipcraft.build(
                [
                    zipcraft.bomb(m.name, zipcraft.npy_header((), "<U" + str(mib << 18)), mib << 20)
                    if m.name == "metadata.json.npy"
                    else m
                    for m in ms
                ]
            ),
        )
        first = next(n for n in names if n != "metadata.json.npy")
        yield (
            f"{first} inflating to {mib} MiB",
            zipcraft.build(
                [
                    zipcraft.bomb(first, zipcraft.npy_header((mib << 18,)), mib << 20) if m.name == first else m
                    for m in ms
                ]
            ),
        )
    yield "10,000 empty members", zipcraft.build([*ms, *(zipcraft.stored(f"x{i}.npy", b"") for i in range(10_000))])


def _store(arrays: dict, meta_text: str | None = None) -> bytes:
    contents = dict(arrays)
    if meta_text is not None:
        contents["metadata.json"] = np.array(meta_text)
    buf = io.BytesIO()
    np.savez_compressed(buf, **contents)  # pickles object arrays: the readers must refuse them
    return buf.getvalue()


# -- running cases ---------------------------------------------------------------------------------
class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def run_case(entry: str, data: bytes, folder: Path, seconds: float, trace: bool) -> tuple[str, str, int]:
    """Write ``data`` as a file, hand it to ``entry``; returns (outcome, detail, traced peak bytes).
    outcome is ``refused``, ``loaded`` or ``FAIL``."""
    function, check, _ = ENTRY_POINTS[entry]
    path = folder / "case.npz"
    path.write_bytes(data)
    scratch = folder / "scratch"
    scratch.mkdir(exist_ok=True)
    listing = sorted(os.listdir(folder))
    peak = 0
    if trace:
        tracemalloc.start()
    signal.setitimer(signal.ITIMER_PROF, seconds)  # processor time: the machine's load does not count
    try:
        result = function(path)
        outcome, detail = "loaded", ""
    except CheckpointError as err:
        ok = str(path) in str(err) or f"classifier {path}" in str(err)
        outcome, detail = (
            ("refused", type(err.__cause__).__name__ if err.__cause__ else "")
            if ok
            else ("FAIL", f"message without the path: {err}")
        )
    except Hang:
        outcome, detail = "FAIL", f"took more than {seconds} s of processor time"
    except BaseException as err:  # noqa: BLE001 - the point: nothing else may escape
        outcome, detail = "FAIL", f"{type(err).__name__}: {err}"[:300]
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        if trace:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    if outcome == "loaded":
        try:
            check(path, result, scratch)
        except Exception as err:  # noqa: BLE001
            outcome, detail = "FAIL", f"loaded, but wrong: {type(err).__name__}: {err}"[:300]
    if path.read_bytes() != data or sorted(os.listdir(folder)) != listing:
        outcome, detail = "FAIL", "a file was changed or left behind"
    for p in scratch.iterdir():
        p.unlink()
    return outcome, detail, peak


def limit_address_space(extra_mib: int) -> int:
    """Allow this process ``extra_mib`` MiB of address space beyond what it uses now; returns the limit."""
    import resource

    with open("/proc/self/status") as f:
        size_kib = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    limit = (size_kib << 10) + (extra_mib << 20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    return limit


def run(
    cases: int, seed: int, seconds: float = 10.0, kinds=KINDS, oversized: bool = True, extra_mib: int | None = None
) -> dict:
    """Run ``cases`` random cases (split between the kinds and entry points) plus the oversized ones;
    with ``extra_mib``, under an address-space limit of that many MiB beyond what the set-up used."""
    folder = Path(tempfile.mkdtemp(prefix="ganlib-fuzz-"))
    originals = make_originals(folder / "originals")
    limit = limit_address_space(extra_mib) if extra_mib is not None else None
    signal.signal(signal.SIGPROF, _alarm)
    rng = np.random.default_rng(seed)
    counts: Counter = Counter()
    failures, max_peak, started = [], 0, time.perf_counter()
    work = folder / "work"
    work.mkdir()

    def record(entry, kind, description, data, trace):
        nonlocal max_peak
        outcome, detail, peak = run_case(entry, data, work, seconds, trace)
        max_peak = max(max_peak, peak)
        counts[(entry, kind, outcome)] += 1
        if outcome == "FAIL":
            failures.append(f"{entry} / {kind} / {description}: {detail}")

    plan = [(entry, source) for entry, (_, _, sources) in ENTRY_POINTS.items() for source in sources]
    contents = {}
    for name, path in originals.items():
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        contents[name] = (path.read_bytes(), arrays, json.loads(str(arrays["metadata.json"])))
    for i in range(cases):
        entry, source = plan[i % len(plan)]
        kind = kinds[(i // len(plan)) % len(kinds)]
        data, arrays, meta = contents[source]
        if kind == "bytes":
            description, case = mutate_bytes(rng, data)
        elif kind == "metadata":
            description, text = edit_metadata(rng, meta)
            case = _store({k: v for k, v in arrays.items() if k != "metadata.json"}, text)
        else:
            description, changed = edit_array(rng, arrays)
            case = _store(changed)
        record(entry, kind, f"{source}: {description} (case {i}, seed {seed})", case, trace=i % 10 == 0)
    if oversized:
        for entry, (_, _, sources) in ENTRY_POINTS.items():
            for description, case in oversized_cases(originals[sources[0]]):
                record(entry, "oversized", f"{sources[0]}: {description}", case, trace=True)
    return {
        "cases": sum(counts.values()),
        "seconds": round(time.perf_counter() - started, 1),
        "max_traced_bytes": max_peak,
        "address_space_limit": limit,
        "outcomes": {" / ".join(k): v for k, v in sorted(counts.items())},
        "failures": failures,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="random cases (plus the oversized ones)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=10.0, help="the most processor time one case may take")
    parser.add_argument("--no-oversized", action="store_true")
    parser.add_argument("--extra-mib", type=int, help="address space allowed beyond the set-up's (Linux)")
    args = parser.parse_args(argv)
    summary = run(args.cases, args.seed, args.seconds, oversized=not args.no_oversized, extra_mib=args.extra_mib)
    print(json.dumps(summary, indent=1))
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
