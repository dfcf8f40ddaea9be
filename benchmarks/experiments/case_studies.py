r"""Case studies for notebooks 07 and 09: the original post reproduced and taken apart, and a real mode collapse.

What it trains and measures
---------------------------
* ``post``: ``CONFIGS["original_post"]``, the post's framework as its code ran (all seven
  deviations of ``ganlib.original_post`` on), for the post's 100 epochs; ``post_seed1`` and
  ``post_seed2``: the same with other seeds.
* ``post_no_<option>``: the same with one deviation switched off (its Algorithm 1 value):
  ``loss_gradient``, ``g_step_updates_d``, ``d_split_update``, ``latent_source``,
  ``momentum_style``, ``lr_decay``, ``init``; ``post_minimax``: the generator loss the
  post's *text* describes; ``post_fixed``: ``CONFIGS["original_post_fixed"]``, every
  deviation off, and ``post_fixed_seed1``, ``post_fixed_seed2``; ``post_bugs_fixed`` (and
  ``_seed1``, ``_seed2``): ``CONFIGS["original_post_bugs_fixed"]``, only the three bugs fixed
  (``loss_gradient``, ``g_step_updates_d``, ``latent_source``), the post's optimizer, schedule,
  initialisation and split D step kept. 100 epochs each.
* ``collapse_reference``: ``CONFIGS["reference"]`` (no tricks), which drops digits as it
  trains, measured every epoch for 20 epochs; ``collapse_dropout``: the same with dropout
  0.3 in D, the fix the README's table found.
* ``noise``: what the classifier says about inputs that are not digits (uniform noise,
  grey images, untrained generators), the reason a class histogram alone cannot tell a
  training failure from a collapse.

Every run trains with :meth:`ganlib.gan.GAN.train`, the code path of ``python -m ganlib
train`` (same seed, same results), and records per epoch the losses and mean D outputs
(means over the epoch's iterations, and the last iteration's, which is what the post
printed), the learning rates, the classes of 8 fixed codes, and at chosen epochs the class
histogram (``ganlib.evaluation.metrics.class_histogram``: fractions, classes covered >= 1%, smallest
class, KL to uniform, mean confidence) and the Frechet distance in the classifier's
feature space (``ganlib.evaluation.metrics.classifier_frechet_distance``, to the 10,000 test images)
on 5,000 samples; at the end the same on 10,000 samples, mean D(x) (training and
validation images) and D(G(z)) in evaluation mode, a 10 x 10 grid of samples and a strip
of the fixed codes across training (PNG, 2 screen pixels per image pixel).

Files, in ``--out`` (default ``data/results``): ``<run>.json``, ``<run>_samples.png``,
``<run>_codes.png``, ``noise.json``, and ``summary.md`` (the table of every run found
there). Runs are independent: ``--runs post`` redoes one and rebuilds the table.

Usage
-----
::

    python -m benchmarks.experiments.case_studies            # everything (about 4 h on 1 core)
    python -m benchmarks.experiments.case_studies --runs post post_fixed
    python -m benchmarks.experiments.case_studies --runs collapse_reference --epochs 5
    python -m benchmarks.experiments.case_studies --quick    # smoke test: post, collapse_reference, noise
    python -m benchmarks.experiments.case_studies --list

``--quick`` trains 2 epochs on 5,000 images and measures small samples, by default only the runs
``post``, ``collapse_reference`` and ``noise``, and writes into a new temporary folder (or
``--out``, which may not be a folder of committed results).

Trainings run one after the other, each on one BLAS thread by default (``--threads``):
these networks are small, and on a shared machine two threads were measured 13 times
slower than one (184 against 14 ms an iteration of the post's GAN at load average 5).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks import harness
from benchmarks.harness import REPO as ROOT
from benchmarks.harness import cpu_model, loadavg
from ganlib.config import CONFIGS
from ganlib.data.mnist import load_mnist, to_tanh_range
from ganlib.evaluation import metrics
from ganlib.evaluation.classifier import default_classifier
from ganlib.io.archive import atomic_write
from ganlib.layers import sigmoid
from ganlib.models import build_generator
from ganlib.original_post import draw_latent_bank, make_gan
from ganlib.viz import images

DEFAULT_OUT = ROOT / "data" / "results"
COMMAND = "python -m benchmarks.experiments.case_studies"
QUICK_RUNS = ("post", "collapse_reference", "noise")
POST_OPTIONS = {  # each deviation and the value that switches it off (Algorithm 1's)
    "loss_gradient": "logit",
    "g_step_updates_d": False,
    "d_split_update": False,
    "latent_source": "fresh",
    "momentum_style": "classic",
    "lr_decay": "per_step",
    "init": "glorot",
}


def _runs() -> dict:
    """name -> (config, what it is, epochs at which to measure 5,000 samples)."""
    post = CONFIGS["original_post"]
    post_epochs = [1, 2, 3, 5, *range(10, 101, 10)]
    runs = {"post": (post, "the original post, all seven deviations on (CONFIGS['original_post'])", post_epochs)}
    for seed in (1, 2):  # is the outcome the seed's, or the post's?
        runs[f"post_seed{seed}"] = (post.replace(seed=seed), f"the original post, seed {seed}", post_epochs)
    for name, value in POST_OPTIONS.items():
        runs[f"post_no_{name}"] = (
            post.replace(**{name: value}),
            f"the original post with {name}={value!r} (this deviation off)",
            post_epochs,
        )
    runs["post_minimax"] = (
        post.replace(generator_loss="minimax"),
        "the original post with the minimax generator loss its text describes",
        post_epochs,
    )
    runs["post_fixed"] = (
        CONFIGS["original_post_fixed"],
        "the original post with every deviation off (CONFIGS['original_post_fixed'])",
        post_epochs,
    )
    for seed in (1, 2):  # one seed cannot say whether Algorithm 1 with the post's networks learns
        runs[f"post_fixed_seed{seed}"] = (
            CONFIGS["original_post_fixed"].replace(seed=seed),
            f"the original post with every deviation off, seed {seed}",
            post_epochs,
        )
    bugs_fixed = CONFIGS["original_post_bugs_fixed"]
    for seed in (0, 1, 2):  # the three bugs fixed, the post's optimizer, schedule, init and split D step kept
        runs["post_bugs_fixed" + (f"_seed{seed}" if seed else "")] = (
            bugs_fixed.replace(seed=seed),
            "the original post with only its three bugs fixed (CONFIGS['original_post_bugs_fixed'])"
            + (f", seed {seed}" if seed else ""),
            post_epochs,
        )
    every = list(range(1, 21))
    runs["collapse_reference"] = (
        CONFIGS["reference"].replace(epochs=20),
        "the reference set-up without tricks (CONFIGS['reference']), 20 epochs",
        every,
    )
    runs["collapse_dropout"] = (
        CONFIGS["reference"].replace(epochs=20, d_dropout=0.3),
        "the reference set-up with dropout 0.3 in D, 20 epochs",
        every,
    )
    return runs


# ------------------------------------------------------------------------------------ helpers
def _r(x, digits=4):
    """Round floats (also inside lists) to keep the JSON files small."""
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_r(v, digits) for v in x]
    return round(float(x), digits)


def measure(samples, clf) -> dict:
    """Class histogram and Frechet distance of samples (N, 784) in [-1, 1]."""
    h = metrics.class_histogram(samples, clf)
    return {
        "n": len(samples),
        "fractions": _r(h["fractions"]),
        "classes_covered": h["classes_covered"],
        "min_fraction": _r(h["min_fraction"]),
        "kl_to_uniform": _r(h["kl_to_uniform"]),
        "mean_confidence": _r(h["mean_confidence"]),
        "frechet_distance": _r(metrics.classifier_frechet_distance(samples, classifier=clf), 2),
        # How different the samples are from each other: the per-pixel standard deviation across
        # samples, averaged over pixels (0 when G ignores z; about 0.37 for real digits, in [-1, 1] units).
        "pixel_std": _r(np.asarray(samples, np.float64).std(axis=0).mean()),
    }


def gradient_diagnostics(gan, z) -> dict:
    """What G's step sends back, at the current weights, for the codes z (m, latent_dim).

    For the run's own gradient (``as_trained``: with ``loss_gradient="through_sigmoid_again"``
    the post's) and for the plain logit gradient of the same loss (``logit``): the mean size
    of the gradient on D's logit per sample (times m: the per-example value), the mean norm
    per sample of the gradient reaching G's output image, and the norm of G's parameter
    gradient. Also the weights' standard deviations. D in evaluation mode; nothing is
    updated, so the run is not disturbed (G's and D's gradient buffers are overwritten by
    the next step anyway).
    """
    from ganlib.losses import generator_loss

    G, D, m = gan.G, gan.D, len(z)
    D.eval()
    try:
        logits = D.forward(G.forward(z))
        loss, dlogits = generator_loss(logits, gan.config.generator_loss)
        result = {"mean_d_g_z": _r(sigmoid(logits).mean())}
        for name, sent in [("as_trained", as_trained(gan, logits, dlogits)), ("logit", dlogits)]:
            dx = D.backward(sent, need_param_grads=False)
            G.backward(dx, need_dx=False)
            result[name] = {
                "logit_gradient": _r(np.abs(sent).mean() * m, 5),
                "image_gradient_norm": _r(np.linalg.norm(dx, axis=1).mean() * m, 6),
                "g_parameter_gradient_norm": _r(np.linalg.norm(G.flat_grads), 6),
            }
        result["weight_std"] = {
            f"{net_name}{i}": _r(layer.params["W"].std(), 5)
            for net_name, net in (("G", G), ("D", D))
            for i, layer in enumerate(net.layers)
            if "W" in layer.params
        }
        return result
    finally:
        D.train()


def as_trained(gan, logits, dlogits):
    """The gradient on D's logits that the run's steps send: an OriginalPostGAN's (the post's bug when
    ``loss_gradient="through_sigmoid_again"``), else the loss's own."""
    logit_gradient = getattr(gan, "logit_gradient", None)  # only OriginalPostGAN has one
    return dlogits if logit_gradient is None else logit_gradient(logits, dlogits)


def latent_bank(gan):
    """The post's bank of latent codes (an OriginalPostGAN with ``latent_source="bank"``), else None."""
    return getattr(gan, "latent_bank", None)


def mean_d(gan, x) -> float:
    """Mean D output sigmoid(logit) over x (N, 784), D in evaluation mode (no dropout)."""
    gan.D.eval()
    try:
        return float(np.mean([sigmoid(gan.D.forward(x[i : i + 2000])).mean() for i in range(0, len(x), 2000)]))
    finally:
        gan.D.train()


def _write_text(path: Path, text: str) -> None:
    """Replace a text file atomically: a reader (or an interrupted run) never sees half of it."""
    atomic_write(path, lambda f: f.write(text.encode()))


def save_png(picture: np.ndarray, path: Path, scale: int = 2) -> None:
    """A uint8 (H, W) picture as an optimised PNG, enlarged ``scale`` times (nearest neighbour)."""
    from PIL import Image

    image = Image.fromarray(images.upscale(picture, scale), mode="L")
    atomic_write(path, lambda f: image.save(f, format="PNG", optimize=True))


def codes_strip(frames: list[np.ndarray], epochs: list[int]) -> np.ndarray:
    """Rows = fixed codes, columns = epochs: one (codes, 784) array per epoch -> one grid picture."""
    stacked = np.stack(frames, axis=1)  # (codes, epochs, 784)
    return images.image_grid(stacked.reshape(-1, stacked.shape[-1]), nrow=len(epochs), pad_value=PAD)


PAD = 64  # dark grey between images: visible against black backgrounds and against grey (untrained) outputs
STRIP_EPOCHS = {"post": [0, 1, 2, 3, 5, 10, 20, 40, 60, 80, 100], "collapse": [0, 1, 2, 3, 4, 6, 8, 10, 12, 15, 20]}


# ------------------------------------------------------------------------------------ one run
class CaseStudy:
    """One run, step by step: train with ``GAN.train`` (``make_gan`` picks ``GAN`` or the post's
    ``OriginalPostGAN``), record every epoch (:meth:`on_epoch`), measure the end (:meth:`final`),
    draw its pictures (:meth:`save_pictures`) and write its JSON (:meth:`result`)."""

    def __init__(self, name, config, description, eval_epochs, quick: bool):
        self.name, self.config, self.description, self.quick = name, config, description, quick
        self.eval_epochs = eval_epochs
        self.clf = default_classifier()
        self.n_eval, self.n_final = (500, 1000) if quick else (5000, 10_000)
        self.gan = make_gan(config)
        self.fixed = self.gan.fixed_z[:8]
        kind = "post" if config.epochs > 20 else "collapse"
        self.strip_epochs = [e for e in STRIP_EPOCHS[kind] if e <= config.epochs]
        self.record = {
            "per_epoch": {k: [] for k in ("loss_d", "loss_g", "d_real", "d_fake")},
            "last_iteration": {"loss_d": [], "loss_g": []},
            "lr_g": [],
            "lr_d": [],
            "fixed_code_classes": [],
            "evaluations": [],
            "seconds_per_epoch": [],
        }
        self.frames = {0: self.gan.generate(self.fixed)}
        self.probe_z = self.gan._draw_latent(np.random.default_rng(7), config.batch_size)  # the same codes each time
        self.record["gradients_before_training"] = gradient_diagnostics(self.gan, self.probe_z)
        self.bank_frames = {}
        if config.latent_source == "bank":  # the first rows of the bank train() will draw (the same stream)
            self.bank_frames[0] = self.gan.generate(draw_latent_bank(config, 8))
        self._start, self._t = len(self.gan.history), time.perf_counter()

    def train(self, X) -> float:
        """Every epoch of the configuration; returns the seconds it took."""
        t0 = time.perf_counter()
        self.gan.train(X, callback=self.on_epoch, callback_every=10**9)  # so: at the end of each epoch only
        return time.perf_counter() - t0

    def on_epoch(self, g) -> None:
        """The epoch's means and last losses, learning rates, the fixed codes' classes, pictures, measures."""
        rec, h = self.record, g.history.arrays()
        sl = slice(self._start, len(g.history))
        for key in rec["per_epoch"]:
            rec["per_epoch"][key].append(_r(h[key][sl].mean()))
        rec["last_iteration"]["loss_d"].append(_r(h["loss_d"][-1], 6))
        rec["last_iteration"]["loss_g"].append(_r(h["loss_g"][-1], 6))
        rec["lr_g"].append(float(g.opt_G.current_lr) if hasattr(g.opt_G, "current_lr") else g.opt_G.lr)
        rec["lr_d"].append(float(g.opt_D.current_lr) if hasattr(g.opt_D, "current_lr") else g.opt_D.lr)
        rec["seconds_per_epoch"].append(round(time.perf_counter() - self._t, 1))
        self._start = len(g.history)
        x_fixed = g.generate(self.fixed)
        rec["fixed_code_classes"].append(self.clf.predict(x_fixed).tolist())
        if g.epoch in self.strip_epochs:
            self.frames[g.epoch] = x_fixed
            if latent_bank(g) is not None:
                self.bank_frames[g.epoch] = g.generate(latent_bank(g)[:8])
        pe = rec["per_epoch"]
        line = (
            f"  {self.name} epoch {g.epoch:3d}: loss_d {pe['loss_d'][-1]:.3f} loss_g {pe['loss_g'][-1]:.3f} "
            f"D(x) {pe['d_real'][-1]:.3f} D(G(z)) {pe['d_fake'][-1]:.3f}"
        )
        if g.epoch in self.eval_epochs:
            line += self.evaluate(g)
        print(line + f" [{rec['seconds_per_epoch'][-1]:.0f} s, load {loadavg()}]", flush=True)
        self._t = time.perf_counter()

    def evaluate(self, g) -> str:
        """Measure fresh samples and the gradients at this epoch; returns the progress line's part."""
        m = measure(g.sample(self.n_eval, rng=1000 + g.epoch), self.clf)
        m["epoch"] = g.epoch
        m["gradients"] = gradient_diagnostics(g, self.probe_z)
        self.record["evaluations"].append(m)
        return (
            f" | classes {m['classes_covered']} min {m['min_fraction']:.3f} KL {m['kl_to_uniform']:.3f} "
            f"FD {m['frechet_distance']:.1f} conf {m['mean_confidence']:.2f}"
        )

    def final(self, X, X_val) -> tuple[dict, np.ndarray]:
        """The final measures on fresh samples (and the bank's codes, if any), and the samples."""
        gan = self.gan
        samples = gan.sample(self.n_final, rng=2024)
        final = measure(samples, self.clf)
        final.update(
            epoch=gan.epoch,
            d_x_train=_r(mean_d(gan, X[:10_000])),
            d_x_validation=_r(mean_d(gan, X_val)),
            d_g_z=_r(mean_d(gan, samples)),
        )
        if latent_bank(gan) is not None:  # what G does on the codes it trained on, against fresh ones
            final["on_bank_codes"] = measure(gan.generate(latent_bank(gan)[: self.n_final]), self.clf)
        return final, samples

    def save_pictures(self, out: Path, samples: np.ndarray) -> None:
        """100 samples, and the fixed codes across training (and the bank's first codes below them)."""
        save_png(images.image_grid(samples[:100], nrow=10, pad_value=PAD), out / f"{self.name}_samples.png")
        strip = codes_strip([self.frames[e] for e in self.strip_epochs], self.strip_epochs)
        if self.bank_frames:  # below: the bank's first 8 codes, which G trains on in every epoch
            bank = codes_strip([self.bank_frames[e] for e in self.strip_epochs], self.strip_epochs)
            strip = np.concatenate([strip, bank])
        save_png(strip, out / f"{self.name}_codes.png")

    def result(self, final: dict, seconds: float, load_start: str) -> dict:
        name, config = self.name, self.config
        post = CONFIGS["original_post"].to_dict()
        changes = {k: v for k, v in config.to_dict().items() if v != post[k]}
        return {
            "run": name,
            "description": self.description,
            "command": f"{COMMAND} --runs {name}",
            "cli_equivalent": cli_equivalent(name, config),
            "config": config.to_dict(),
            "changed_from_original_post": changes if name.startswith("post") else None,
            "machine": {"cpu": cpu_model(), "blas_threads": str(harness.blas_threads())},
            "load_average_start": load_start,
            "load_average_end": loadavg(),
            "train_seconds": round(seconds, 1),
            "quick": self.quick,
            "epochs": list(range(1, self.gan.epoch + 1)),
            **self.record,
            "strip_epochs": self.strip_epochs,
            "final": final,
            "files": {"samples": f"{name}_samples.png", "codes": f"{name}_codes.png"},
        }


def train_and_measure(name, config, description, eval_epochs, X, X_val, out: Path, quick: bool) -> dict:
    """Train one run and write ``<run>.json``, ``<run>_samples.png`` and ``<run>_codes.png`` into ``out``."""
    study = CaseStudy(name, config, description, eval_epochs, quick)
    load_start = loadavg()
    seconds = study.train(X)
    final, samples = study.final(X, X_val)
    study.save_pictures(out, samples)
    result = study.result(final, seconds, load_start)
    _write_text(out / f"{name}.json", json.dumps(result, separators=(",", ":")) + "\n")
    print(
        f"{name}: {seconds:.0f} s; final {final['classes_covered']} classes, min {final['min_fraction']:.3f}, "
        f"KL {final['kl_to_uniform']:.3f}, FD {final['frechet_distance']:.1f}, D(x) {final['d_x_train']:.3f}, "
        f"D(G(z)) {final['d_g_z']:.3f}; load {loadavg()}",
        flush=True,
    )
    return result


def cli_equivalent(name: str, config) -> str:
    """The ``python -m ganlib train`` command that trains the same run (same seed, same weights)."""
    if name.startswith("post"):
        base = CONFIGS["original_post"]
        args = ["--config original_post"]
        for config_name in ("original_post_fixed", "original_post_bugs_fixed"):
            if name.startswith(config_name.replace("original_", "")):
                args = [f"--config {config_name}"]
                base = CONFIGS[config_name]
    else:
        base = CONFIGS["reference"]
        args = ["--config reference"]
    for key, value in config.to_dict().items():
        if value == base.to_dict()[key]:
            continue
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + key.replace("_", "-"))
        else:
            args.append(f"{flag} {value}")
    return f"python -m ganlib train {' '.join(args)} --out runs/{name}"


# ------------------------------------------------------------------------------------ noise
def noise_study(out: Path, quick: bool) -> dict:
    """What the classifier reports for inputs that are not digits."""
    clf = default_classifier()
    n = 1000 if quick else 10_000
    rng = np.random.default_rng(0)
    cases = {
        "uniform_noise": ("pixels uniform in [-1, 1]", rng.uniform(-1, 1, (n, 784)).astype(np.float32)),
        "gaussian_noise": (
            "pixels N(0, 0.5^2), clipped to [-1, 1]",
            np.clip(rng.normal(0, 0.5, (n, 784)), -1, 1).astype(np.float32),
        ),
        "grey": ("every pixel 0 (mid-grey)", np.zeros((n, 784), np.float32)),
        "black": ("every pixel -1 (an empty MNIST background)", -np.ones((n, 784), np.float32)),
    }
    for name in ("original_post", "reference"):
        config = CONFIGS[name]
        G = build_generator(config, np.random.default_rng(config.seed))
        z = np.random.default_rng(1).uniform(-1, 1, (n, config.latent_dim)).astype(np.float32)
        if config.latent_dist == "gaussian":
            z = np.random.default_rng(1).standard_normal((n, config.latent_dim), dtype=np.float32)
        cases[f"untrained_G_{name}"] = (
            f"an untrained generator of CONFIGS['{name}'] (init {config.init})",
            G.forward(z),
        )
    test = to_tanh_range(load_mnist("test")[0])
    cases["test_images"] = ("real MNIST test images (for contrast)", test[:n])
    result = {}
    for name, (what, x) in cases.items():
        m = measure(x, clf)
        probs = clf.predict_proba(x)
        m["what"] = what
        m["top_class"] = int(np.argmax(m["fractions"]))
        # Noise images sit close together in the classifier's feature space, far from every digit:
        m["feature_spread"] = _r(clf.features(x).std(axis=0).mean())
        m["mean_probabilities"] = _r(probs.mean(axis=0))
        result[name] = m
        print(
            f"  {name:<28} top class {m['top_class']} ({max(m['fractions']):.3f}), classes {m['classes_covered']}, "
            f"confidence {m['mean_confidence']:.2f}, FD {m['frechet_distance']:.1f}, feature spread {m['feature_spread']}"
        )
    result["mean_test_image"] = {"predicted_class": int(clf.predict(test.mean(axis=0, keepdims=True))[0])}
    _write_text(
        out / "noise.json",
        json.dumps({"command": f"{COMMAND} --runs noise", "cases": result}, separators=(",", ":")) + "\n",
    )
    return result


# ------------------------------------------------------------------------------------ the table
def write_summary(out: Path) -> str:
    rows = []
    order = list(_runs())
    for path in sorted(out.glob("*.json"), key=lambda p: order.index(p.stem) if p.stem in order else 99):
        if path.stem not in order:
            continue
        r = json.loads(path.read_text())
        f = r["final"]
        rows.append(
            f"| `{r['run']}` | {r['description']} | {f['epoch']} | {f['classes_covered']} | "
            f"{100 * f['min_fraction']:.1f}% | {f['kl_to_uniform']:.3f} | {f['frechet_distance']:.1f} | "
            f"{f['mean_confidence']:.2f} | {f['pixel_std']:.3f} | {f['d_x_train']:.3f} | {f['d_g_z']:.3f} | "
            f"`{r['command']}` |"
        )
    table = "\n".join(
        [
            "| run | what | epochs | classes covered (>= 1%) | smallest class | KL to uniform | Frechet distance "
            "| mean confidence | pixel spread | mean D(x) | mean D(G(z)) | command |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    text = (
        "# Summary of the case studies\n\n"
        f"Written by `{COMMAND}` from the JSON files in this folder; final measures on 10,000 samples "
        "(classifier of `ganlib.evaluation.metrics`; pixel spread: the per-pixel standard deviation across samples, "
        "averaged over pixels, 0 when G ignores z; D in evaluation mode, D(x) on 10,000 training images).\n\n"
        + table
        + "\n"
    )
    _write_text(out / "summary.md", text)
    return text


def parse_args(argv, runs: dict):
    parser = argparse.ArgumentParser(
        description=(
            "Train and measure the original post, its ablations and a mode collapse: the files of data/results\n"
            "that notebooks 07 and 09 show. Run from the repository's root; each run writes <run>.json,\n"
            "<run>_samples.png and <run>_codes.png, and every invocation rebuilds summary.md."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "regenerate every file of data/results (one run after the other, one BLAS thread each):\n"
            f"  {COMMAND}\n"
            "regenerate some of them, e.g. the faithful post and the mode collapse:\n"
            f"  {COMMAND} --runs post collapse_reference collapse_dropout\n"
            "each run's JSON records its own command and the equivalent `python -m ganlib train`.\n\n"
            "runs: " + ", ".join([*runs, "noise"])
        ),
    )
    parser.add_argument("--runs", nargs="+", default=None, help="run names, or 'all' (default), 'post*', 'collapse*'")
    parser.add_argument("--out", type=Path, default=None, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--epochs", type=int, help="override every run's epochs (for trials)")
    harness.add_common_arguments(
        parser, threads=1, quick=f"2 epochs on 5,000 images, small samples, runs {' '.join(QUICK_RUNS)} by default"
    )
    parser.add_argument("--list", action="store_true", help="list the runs and exit")
    parser.add_argument("--summary", action="store_true", help="only rebuild summary.md from the JSON files in --out")
    args = parser.parse_args(argv)
    args.runs = args.runs or (list(QUICK_RUNS) if args.quick else ["all"])
    args.out = harness.quick_output(args.out, "case-studies") if args.quick else (args.out or DEFAULT_OUT)
    return parser, args


def select_runs(parser, patterns, runs: dict) -> list[str]:
    """The run names that ``--runs`` asks for, in order, each once."""
    selected = []
    for pattern in patterns:
        if pattern == "all":
            selected += [*runs, "noise"]
        elif pattern.endswith("*"):
            selected += [r for r in [*runs, "noise"] if r.startswith(pattern[:-1])]
        elif pattern in runs or pattern == "noise":
            selected.append(pattern)
        else:
            parser.error(f"unknown run {pattern!r}; --list shows them")
    return list(dict.fromkeys(selected))


def main(argv=None) -> int:
    runs = _runs()
    parser, args = parse_args(argv, runs)
    if args.summary:
        print(write_summary(args.out))
        return 0
    if args.list:
        for name, (config, what, _) in runs.items():
            print(f"{name:<28} {config.epochs:>4} epochs  {what}")
        print(f"{'noise':<28} {'':>4}         the classifier on inputs that are not digits")
        return 0
    selected = select_runs(parser, args.runs, runs)
    args.out.mkdir(parents=True, exist_ok=True)
    threads = harness.limit_threads(args.threads)
    print(f"CPU: {cpu_model()}, os.cpu_count()={os.cpu_count()}, BLAS threads {threads}")
    print(f"load average at start: {loadavg()}; writing to {args.out}")
    X = to_tanh_range(load_mnist("train")[0])
    X_val = to_tanh_range(load_mnist("validation")[0])
    if args.quick:
        X = X[:5000]
    t0 = time.perf_counter()
    for name in selected:
        if name == "noise":
            print("noise: the classifier on inputs that are not digits")
            noise_study(args.out, args.quick)
            continue
        config, what, eval_epochs = runs[name]
        epochs = 2 if args.quick else args.epochs
        if epochs is not None:
            config = config.replace(epochs=epochs)
            eval_epochs = sorted({e for e in eval_epochs if e <= epochs} | {epochs})
        print(f"{name}: {what}; {config.epochs} epochs; load {loadavg()}", flush=True)
        train_and_measure(name, config, what, eval_epochs, X, X_val, args.out, args.quick)
    print(write_summary(args.out))
    print(f"total {time.perf_counter() - t0:.0f} s; load average at end {loadavg()}")
    print(harness.machine_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
