r"""Sample quality against training minutes, on this machine, for named configurations (MLP and DCGAN).

    python -m benchmarks.experiments.minutes train default dcgan   # trains each, snapshots on the way
    python -m benchmarks.experiments.minutes evaluate default dcgan
    python -m benchmarks.experiments.minutes plot default dcgan    # data/results/minutes_dcgan.{json,png}

``train CONFIG``: trains ``CONFIGS[CONFIG]`` exactly as ``python -m ganlib train --config CONFIG``
does (MNIST train[0:50000] in [-1, 1], the same seed, :func:`ganlib.training.fit`; a test checks
that the final generators are equal), and every ``--every`` minutes of training time saves
the sampling generator (``ganlib.io.generator.save_generator``; the moving average when the
configuration keeps one) in ``runs/minutes/CONFIG/`` with ``run.json``: iteration, training
seconds at the snapshot (saving excluded), the CPU model, load average and BLAS threads. The
final generator is ``final.npz``.

Training time is the process's CPU time (``time.process_time``) at one BLAS thread (the default):
on a quiet machine that is its wall time at one thread, and on a shared one it is not stretched
by the other jobs, so runs made side by side or on a busy machine compare at equal time. The wall
time is recorded beside it.

``evaluate``: each snapshot's Frechet distance (classifier features, against the 10,000 test
images), the KL divergence of its class histogram to uniform, and its smallest class, on
``--n`` samples (10,000), with the shipped classifier. ``plot``: the committed JSON and figure,
each measure against training minutes. ``--quick``: all three on a tiny budget, in a temporary
folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks import harness

RUNS = Path("runs") / "minutes"
RESULTS = harness.REPO / "data" / "results"


def train(
    config_name: str, folder: Path, every_minutes: float, limit=None, epochs=None, overrides=None, stop_minutes=None
) -> dict:
    """Train one configuration, a generator snapshot every ``every_minutes`` of training time, until its
    epochs are done or ``stop_minutes`` of training have passed (a screening run); returns run.json."""
    from ganlib.config import CONFIGS
    from ganlib.data.mnist import load_mnist, to_tanh_range
    from ganlib.gan import GAN, StopTraining
    from ganlib.io.generator import save_generator
    from ganlib.training import fit

    gan = GAN(CONFIGS[config_name].replace(**(overrides or {})))
    images, _ = load_mnist("train")
    X = to_tanh_range(images[:limit])
    folder.mkdir(parents=True, exist_ok=True)
    snapshots, clock, wall = [], {"trained": 0.0, "since": time.process_time()}, time.perf_counter()

    def snapshot(g, name):
        clock["trained"] += time.process_time() - clock["since"]
        save_generator(g, folder / name)
        snapshots.append(
            {
                "file": name,
                "iteration": g.iteration,
                "train_seconds": round(clock["trained"], 2),
                "wall_seconds": round(time.perf_counter() - wall, 1),
                "load": harness.load_average(),
            }
        )
        clock["since"] = time.process_time()  # saving is not training time

    def maybe_snapshot(g):
        trained = clock["trained"] + time.process_time() - clock["since"]
        if stop_minutes is not None and trained >= stop_minutes * 60:
            raise StopTraining
        if trained >= every_minutes * 60 * len(snapshots):
            snapshot(g, f"it{g.iteration:06d}.npz")

    snapshot(gan, "it000000.npz")
    fit(gan, X, epochs=epochs, progress=sys.stderr.isatty(), callback=maybe_snapshot, callback_every=10)
    snapshot(gan, "final.npz")
    info = {
        "config": config_name,
        "overrides": overrides or {},
        "images": len(X),
        "epochs": gan.epoch,
        "iterations": gan.iteration,
        "snapshots": snapshots,
        "machine": harness.machine(),
        "load_after": harness.load_average(),
    }
    (folder / "run.json").write_text(json.dumps(info, indent=1) + "\n")
    return info


def evaluate(folder: Path, n: int) -> list[dict]:
    """Frechet distance, KL to uniform and the smallest class of every snapshot in ``folder``."""
    from ganlib.evaluation import metrics
    from ganlib.io.generator import load_generator, sample_generator

    info = json.loads((folder / "run.json").read_text())
    rows = []
    for snap in info["snapshots"]:
        G, meta = load_generator(folder / snap["file"])
        x = sample_generator(G, meta, n, seed=1)
        hist = metrics.class_histogram(x)
        rows.append(
            {
                **snap,
                "minutes": round(snap["train_seconds"] / 60, 3),
                "fd": metrics.classifier_frechet_distance(x),
                "kl": hist["kl_to_uniform"],
                "min_class": hist["min_fraction"],
            }
        )
        print(f"{folder.name:>10} it {snap['iteration']:>6}  {rows[-1]['minutes']:6.1f} min  FD {rows[-1]['fd']:7.2f}")
    (folder / "eval.json").write_text(json.dumps(rows, indent=1) + "\n")
    return rows


def plot(folders: list[Path], out: Path) -> None:
    """The JSON of every run's rows and the four-panel figure of :func:`ganlib.viz.plot_metric_curves`."""
    import matplotlib

    matplotlib.use("Agg")
    from ganlib import viz

    curves = {}
    for folder in folders:
        info = json.loads((folder / "run.json").read_text())
        curves[folder.name] = {"run": info, "points": json.loads((folder / "eval.json").read_text())}
    out.with_suffix(".json").write_text(json.dumps(curves, indent=1) + "\n")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")  # no Parzen panel: not measured here
    viz.plot_metric_curves({name: c["points"] for name, c in curves.items()}, axes=axes)
    fig.savefig(out.with_suffix(".png"), dpi=90)
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.png')}")


def quick() -> int:
    folder = harness.quick_output(None, "minutes")
    tiny = {"g_channels": (8, 4), "d_channels": (4, 8), "batch_size": 16}
    train("dcgan", folder / "dcgan", every_minutes=0.001, limit=128, epochs=1, overrides=tiny)
    train("default", folder / "default", every_minutes=0.001, limit=128, epochs=1, overrides={"batch_size": 16})
    for name in ("dcgan", "default"):
        evaluate(folder / name, n=200)
    plot([folder / "dcgan", folder / "default"], folder / "curves")
    print(f"quick: every subcommand ran, in {folder}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    harness.add_common_arguments(parser, threads=1, threads_for=" (training time is CPU time: keep 1)")
    parser.add_argument("command", nargs="?", choices=("train", "evaluate", "plot"))
    parser.add_argument("configs", nargs="*", help="names in ganlib.config.CONFIGS, e.g. default dcgan")
    parser.add_argument("--every", type=float, default=2.0, help="minutes of training between snapshots (default 2)")
    parser.add_argument("--stop", type=float, help="train: stop after this many minutes (a screening run)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="train: override a field (JSON value)"
    )
    parser.add_argument("--name", help="train/evaluate: the run's folder name (default: the configuration's)")
    parser.add_argument("--n", type=int, default=10_000, help="samples per evaluation (default 10,000)")
    parser.add_argument("--runs", type=Path, default=RUNS, help=f"folder of the runs (default {RUNS})")
    parser.add_argument("--out", type=Path, default=RESULTS / "minutes_dcgan", help="plot: JSON and PNG, no suffix")
    a = parser.parse_args(argv)
    harness.limit_threads(a.threads)
    print(harness.machine_line())
    if a.quick:
        return quick()
    if not a.command or not a.configs:
        parser.error("give a command and at least one configuration, or --quick")
    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in a.set)}
    for name in a.configs:
        folder = a.runs / (a.name or name)
        if a.command == "train":
            info = train(name, folder, a.every, overrides=overrides, stop_minutes=a.stop)
            print(f"{name}: {info['iterations']} iterations, {info['snapshots'][-1]['train_seconds'] / 60:.1f} min")
        elif a.command == "evaluate":
            evaluate(folder, a.n)
    if a.command == "plot":
        plot([a.runs / name for name in a.configs], a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
