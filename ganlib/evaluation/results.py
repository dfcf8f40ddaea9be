"""The case studies' result files: read what ``benchmarks/experiments/case_studies.py`` measured.

``python -m benchmarks.experiments.case_studies`` trains the original post's configuration, its ablations and a
mode collapse, and writes one JSON file per run (plus two PNG pictures) and ``noise.json`` into
``data/results`` (:func:`ganlib.data.paths.results_dir`; ``data/results/README.md`` describes every
field). Notebooks 07 and 09 show them without retraining, through these functions:

* :func:`load_run` (one run's JSON), :func:`load_noise` (what the classifier says about noise) and
  :func:`load_post_log` (the loss log the original post printed, transcribed);
* :func:`load_picture`, a run's PNG as a uint8 array for ``plt.imshow``;
* :func:`summary_row` / :func:`markdown_table`, the measures of several runs as a table;
* :func:`histogram_over_epochs`, the class fractions at each evaluated epoch, (E, 10).

A missing file raises ``FileNotFoundError`` naming the command that writes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..data import paths

__all__ = [
    "load_minutes",
    "load_minutes_comparison",
    "COLUMNS",
    "REGENERATE",
    "available_runs",
    "histogram_over_epochs",
    "load_noise",
    "load_post_log",
    "load_picture",
    "load_run",
    "markdown_table",
    "summary_row",
]

REGENERATE = "python -m benchmarks.experiments.case_studies --runs {name}"  # run from the repository's root

#: The table's columns: key of :func:`summary_row` -> (heading, format).
COLUMNS = {
    "run": ("run", "`{}`"),
    "classes_covered": ("classes covered (>= 1%)", "{}"),
    "min_fraction": ("smallest class", "{:.1%}"),
    "kl_to_uniform": ("KL to uniform (nats)", "{:.3f}"),
    "frechet_distance": ("Fréchet distance", "{:.1f}"),
    "pixel_std": ("pixel spread", "{:.3f}"),
    "d_x": ("mean D(x)", "{:.3f}"),
    "d_g_z": ("mean D(G(z))", "{:.3f}"),
}


def _folder(folder) -> Path:
    return Path(folder) if folder is not None else paths.results_dir()


def _read_json(path: Path, name: str) -> dict:
    if not path.is_file():
        raise FileNotFoundError(
            f"{paths.display_path(path)} does not exist: write it with `{REGENERATE.format(name=name)}` "
            "from the repository's root"
        )
    return json.loads(path.read_text())


def load_run(name: str, folder=None) -> dict:
    """One run's measurements (``<folder>/<name>.json``, default folder :func:`ganlib.data.paths.results_dir`).

    The keys are described in ``data/results/README.md``; the most used: ``final`` (the final
    measures on 10,000 samples), ``evaluations`` (the same on 5,000 at chosen epochs), ``per_epoch``
    (mean losses and D outputs of each epoch), ``config``, ``command``.
    """
    run = _read_json(_folder(folder) / f"{name}.json", name)
    missing = [key for key in ("run", "final", "evaluations", "per_epoch", "config") if key not in run]
    if missing:
        raise ValueError(f"{name}.json is not a case-study run: it lacks {missing}")
    return run


def load_noise(folder=None) -> dict:
    """``noise.json``: per case (``uniform_noise``, ``grey``, ``test_images``, ...) what the classifier reports."""
    return _read_json(_folder(folder) / "noise.json", "noise")["cases"]


def load_post_log(folder=None) -> dict:
    """``post_log.json``: the original post's printed ``loss_g`` and ``loss_d`` per ``epoch`` (lists of 100),
    with its ``source`` and ``url``. Transcribed by hand, not written by the benchmark."""
    path = _folder(folder) / "post_log.json"
    if not path.is_file():
        raise FileNotFoundError(f"{paths.display_path(path)} does not exist: it is part of the repository")
    return json.loads(path.read_text())


def load_minutes(folder=None) -> dict:
    """Each measure against training minutes, old and new default (``minutes.json``, written by
    ``python -m benchmarks.experiments.search_default curves``; the command is in ``benchmarks/search_log.md``).

    Returns ``{run label: list of points}``, each point a dict with ``minutes`` (of a quiet
    2-core machine), ``iteration``, ``fd``, ``kl``, ``min_class`` and, at some points, ``parzen``
    and ``parzen_se``: the input of :func:`ganlib.viz.plot_metric_curves`. Every point also
    carries ``iterations_per_second_quiet``, the training speed its minutes assume.
    """
    path = _folder(folder) / "minutes.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{paths.display_path(path)} does not exist: write it with `python -m benchmarks.experiments.search_default curves` "
            "(the full command is in benchmarks/search_log.md)"
        )
    curves = json.loads(path.read_text())
    out = {}
    for label, curve in curves.items():
        speed = curve.get("iterations_per_second_quiet")
        out[label] = [
            {**p, "minutes": p["minutes_quiet"], "iterations_per_second_quiet": speed} for p in curve["points"]
        ]
    return out


#: The configurations of ``minutes_dcgan.json`` as the figure's legend names them.
MINUTES_LABELS = {"default": "MLP (CONFIGS['default'])", "dcgan": "DCGAN (CONFIGS['dcgan'])"}


def load_minutes_comparison(folder=None) -> dict:
    """Each measure against training CPU-minutes at one thread, the shipped MLP and DCGAN configurations
    (``minutes_dcgan.json``, written by ``python -m benchmarks.experiments.minutes plot default dcgan``).

    Returns ``{legend label: list of points}``, each point a dict with ``minutes``, ``iteration``,
    ``fd``, ``kl`` and ``min_class``: the input of :func:`ganlib.viz.plot_metric_curves`.
    """
    path = _folder(folder) / "minutes_dcgan.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{paths.display_path(path)} does not exist: write it with "
            "`python -m benchmarks.experiments.minutes plot default dcgan` (benchmarks/README.md has the full recipe)"
        )
    curves = json.loads(path.read_text())
    return {MINUTES_LABELS.get(name, name): curve["points"] for name, curve in curves.items()}


def available_runs(folder=None) -> list[str]:
    """The names of the case-study runs whose JSON file is in the folder, sorted (other JSON files there,
    such as ``noise.json``, ``post_log.json`` or the README's ``minutes.json``, are not runs)."""
    names = []
    for path in _folder(folder).glob("*.json"):
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(document, dict) and document.get("run") == path.stem and "final" in document:
            names.append(path.stem)
    return sorted(names)


def load_picture(name: str, kind: str = "samples", folder=None) -> np.ndarray:
    """A run's picture as uint8 (H, W): ``kind="samples"`` (a 10 x 10 grid of final samples) or
    ``"codes"`` (fixed codes across training: rows are codes, columns the run's ``strip_epochs``)."""
    from PIL import Image

    if kind not in ("samples", "codes"):
        raise ValueError(f"kind must be 'samples' or 'codes', got {kind!r}")
    path = _folder(folder) / f"{name}_{kind}.png"
    if not path.is_file():
        raise FileNotFoundError(
            f"{paths.display_path(path)} does not exist: write it with `{REGENERATE.format(name=name)}`"
        )
    with Image.open(path) as picture:
        return np.asarray(picture.convert("L"))


def summary_row(run: dict) -> dict:
    """The final measures of a run (from :func:`load_run`) under the keys of :data:`COLUMNS`."""
    final = run["final"]
    return {
        "run": run["run"],
        "classes_covered": final["classes_covered"],
        "min_fraction": final["min_fraction"],
        "kl_to_uniform": final["kl_to_uniform"],
        "frechet_distance": final["frechet_distance"],
        "pixel_std": final["pixel_std"],
        "d_x": final["d_x_train"],
        "d_g_z": final["d_g_z"],
    }


def markdown_table(rows: list[dict], columns=None) -> str:
    """Rows of :func:`summary_row` (or any dicts with those keys) as a Markdown table; ``columns``
    picks and orders the keys of :data:`COLUMNS` (default: all of them)."""
    columns = list(columns or COLUMNS)
    lines = [
        "| " + " | ".join(COLUMNS[c][0] for c in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += ["| " + " | ".join(COLUMNS[c][1].format(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def histogram_over_epochs(run: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(epochs (E,), fractions (E, 10))``: the class histogram at each evaluated epoch of a run."""
    evaluations = run["evaluations"]
    return (
        np.array([e["epoch"] for e in evaluations], dtype=np.int64),
        np.array([e["fractions"] for e in evaluations], dtype=np.float64).reshape(len(evaluations), -1),
    )
