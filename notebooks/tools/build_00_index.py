"""Generate notebooks/00-index.ipynb (without outputs). Run: python notebooks/tools/build_00_index.py

The reading-order table carries each notebook's wall time for a full run. The times come
from ``run_times.json`` (beside this script), which ``run_all.py`` rewrites after every
full (not ``--fast``, not ``--dry-run``) run; it then also rewrites the table in
``00-index.ipynb`` in place, between the markers ``<!-- run-times:start -->`` and
``<!-- run-times:end -->``. Notebooks without a measured time show the estimate below.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nav
import nbformat
from nbbuild import code, md, write_notebook

INDEX_NAME = nav.INDEX
RUN_TIMES_FILE = Path(__file__).resolve().parent / "run_times.json"
TABLE_START, TABLE_END = "<!-- run-times:start -->", "<!-- run-times:end -->"
TABLE_RE = re.compile(re.escape(TABLE_START) + r".*?" + re.escape(TABLE_END), re.DOTALL)

# (file, what it teaches, estimated full run time on a laptop CPU, used until run_all.py measures one)
NOTEBOOKS = [
    (
        "01-the-objective.ipynb",
        "the minimax game, the optimal discriminator, Jensen–Shannon, saturating vs "
        "non-saturating generator loss, a 1-D GAN",
        "~1 min",
    ),
    (
        "02-backprop-by-hand.ipynb",
        "every layer's backward pass derived and gradient-checked; the loss from "
        "logits; the original post's double-sigmoid bug",
        "< 1 min",
    ),
    (
        "03-generator-and-discriminator.ipynb",
        "MNIST in $[-1, 1]$, G and D built layer by layer, parameter "
        "counts, Glorot initialisation, what the untrained networks do",
        "< 1 min",
    ),
    (
        "04-training-live.ipynb",
        "Goodfellow et al.'s Algorithm 1 step by step, then a full training run with "
        "live curves and samples, a GIF, checkpoints",
        "~8 min",
    ),
    (
        "05-exploring-the-latent-space.ipynb",
        "the latent space with sliders: interpolation (slerp), the directions that matter, memorisation",
        "< 1 min",
    ),
    (
        "06-evaluating-and-debugging.ipynb",
        "class histogram, Fréchet distance, nearest neighbours, Parzen "
        "windows against the 2014 paper; the original post's collapse and its fix",
        "~6 min",
    ),
]


def load_run_times(path: Path | None = None) -> dict[str, float]:
    """Measured full-run wall times in seconds, by notebook file name ({} if none yet)."""
    try:
        return {k: float(v) for k, v in json.loads(Path(path or RUN_TIMES_FILE).read_text()).items()}
    except (FileNotFoundError, ValueError):
        return {}


def format_seconds(seconds: float) -> str:
    """A wall time as the table shows it: '< 1 min', '~3 min'."""
    return "< 1 min" if seconds < 60 else f"~{round(seconds / 60)} min"


def run_time_table(times: dict[str, float] | None = None) -> str:
    """The reading-order table (markdown), between its markers, with measured times where known."""
    times = load_run_times() if times is None else times
    rows = [
        TABLE_START,
        "| notebook | what it teaches | full run time |",
        "|---|---|---|",
    ]
    for name, teaches, estimate in NOTEBOOKS:
        title = name[: -len(".ipynb")]
        when = f"{format_seconds(times[name])} (measured)" if name in times else f"{estimate} (estimate)"
        rows.append(f"| [{title}]({name}) | {teaches} | {when} |")
    rows.append(TABLE_END)
    return "\n".join(rows)


def update_index_times(new_times: dict[str, float], notebook_dir: Path = nav.NOTEBOOK_DIR) -> bool:
    """Merge ``new_times`` into run_times.json and rewrite the table in 00-index.ipynb in place.

    Only the table between the markers changes (outputs and other cells stay as they are).
    Returns True if the index notebook was rewritten.
    """
    times = {**load_run_times(), **{k: round(float(v), 1) for k, v in new_times.items()}}
    RUN_TIMES_FILE.write_text(json.dumps(dict(sorted(times.items())), indent=2) + "\n")
    path = Path(notebook_dir) / INDEX_NAME
    if not path.exists():
        return False
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and TABLE_RE.search(cell.source):
            new = TABLE_RE.sub(lambda _: run_time_table(times), cell.source)
            changed |= new != cell.source
            cell.source = new
    if changed:
        nbformat.write(nb, path)
    return changed


cells = [
    md(r"""
    # 00 · GANs from first principles, in NumPy

    A Generative Adversarial Network (Goodfellow et al., 2014) learns to draw new samples that look like its
    training data by pitting two networks against each other: a **generator** $G$ that turns random noise $z$
    into images, and a **discriminator** $D$ that tries to tell those images from real ones. This series builds
    one from nothing but NumPy, derives every gradient by hand, trains it live on MNIST on a laptop CPU, and
    then takes it apart: what it learned, how to measure it, and how GANs fail.

    It grew out of a student's blog post whose NumPy GAN collapsed to drawing a single digit. We find out why,
    reproduce the collapse, and fix it.

    **What you will learn**

    - in which order to read the notebooks, and what each one teaches;
    - how to install everything and open the notebooks;
    - how to run them quickly (`GANLIB_FAST=1`) or in full, and how to re-execute the whole series.

    **Run time:** a few seconds (this notebook only checks your set-up).
    """),
    md(r"""
    ## 1. Reading order

    Read the notebooks in order: each builds on the previous one. All reusable code lives in the package
    `ganlib` (one small module per concern: `layers`, `losses`, `network`, `optim`, `gradcheck`, `data`, `gan`,
    `checkpoint`, `metrics`, `viz`, `explorer`); the notebooks import it and explain it.

    The run times are wall times of a full run on a laptop CPU (2 cores): "measured" ones are written into this
    table by `notebooks/tools/run_all.py` after its last full run, the others are estimates.
    """),
    md(run_time_table()),
    md(r"""
    Only 04 and 06 train anything for long. Notebook 05 and, as a fallback, 06 use the generator shipped in
    `data/generator.npz`; 06 prefers the one you trained in 04 (`runs/04-training-live/checkpoint.npz`) if it
    exists.
    """),
    md(r"""
    ## 2. Installing and opening the notebooks

    From the repository root (Python 3.10 or newer; a virtual environment keeps it tidy):

    ```bash
    python3 -m venv .venv
    source .venv/bin/activate
    pip install -e ".[dev]"
    jupyter lab notebooks/00-index.ipynb
    ```

    Conda users: `conda env create -f environment.yml && conda activate ganlib` gives the same environment.
    The MNIST files ship in `data/mnist/` with their checksums, so nothing is downloaded.

    The cell below checks that `ganlib`, the data and the shipped artifacts are where the notebooks expect them.
    """),
    code(r"""
    import os
    import platform

    import numpy as np

    import ganlib
    from ganlib.checkpoint import default_generator_path
    from ganlib.data import load_mnist
    from ganlib.metrics import DEFAULT_CLASSIFIER_PATH

    print(f"Python {platform.python_version()}, NumPy {np.__version__}, ganlib {ganlib.__version__}")
    for split in ("train", "validation", "test"):
        images, labels = load_mnist(split)  # checksums verified on first load
        print(f"MNIST {split:<10}: images {images.shape} {images.dtype}, labels {labels.shape}")
        assert images.shape[1] == 784 and images.dtype == np.uint8
    for what, path in [("MNIST classifier (metrics, notebook 06)", DEFAULT_CLASSIFIER_PATH),
                       ("trained generator (notebooks 05, 06)", default_generator_path())]:
        print(f"{what:<40} {'found' if path.exists() else 'missing'}: {path.name}")
    print("GANLIB_FAST =", os.environ.get("GANLIB_FAST", "(not set: full training)"))
    """),
    md(r"""
    ## 3. Quick or full: the `GANLIB_FAST` switch

    Every notebook that trains reads one environment variable in its first code cell, in one visible line:

    ```python
    FAST = os.environ.get("GANLIB_FAST") == "1"  # set by the test suite: shrink training
    ```

    With `GANLIB_FAST=1` the training is shrunk (one epoch on a few thousand images instead of 30 epochs on
    50,000), so every code path runs in a minute or two. The results then look bad, and the text around them
    describes the full run. The committed notebooks hold the outputs of a full run, so you can read the results
    before running anything. To get a quick run in Jupyter, start it with the variable set:

    ```bash
    GANLIB_FAST=1 jupyter lab notebooks/00-index.ipynb
    ```
    """),
    md(r"""
    ## 4. Testing and re-executing the series

    The test suite runs the unit tests, the gradient checks, and every notebook top to bottom (with `nbval`);
    a failing cell, or a failing `assert` in a cell, fails the test:

    ```bash
    python -m pytest                                      # everything, full training in the notebooks
    GANLIB_FAST=1 python -m pytest                        # the same in minutes (what CI runs)
    GANLIB_FAST=1 python -m pytest notebooks/04-training-live.ipynb   # one notebook
    ```

    To re-execute the notebooks in place, in order, with full training, and record their outputs (and the run
    times in the table above):

    ```bash
    python notebooks/tools/run_all.py                     # the whole series, full training
    python notebooks/tools/run_all.py 04-training-live.ipynb
    python notebooks/tools/run_all.py --fast --dry-run    # a quick check that leaves the files untouched
    ```

    Training also works without Jupyter: `python -m ganlib train --out runs/default` trains the configuration of
    notebook 04 and writes a checkpoint, samples and a GIF; `python -m ganlib --help` lists the other commands.
    """),
    md(r"""
    ## Summary

    - The series goes from the GAN objective (01) and hand-written backpropagation (02) to building (03),
      training (04), exploring (05) and evaluating and debugging (06) a GAN on MNIST, in pure NumPy.
    - `ganlib` holds all reusable code; the notebooks explain and call it.
    - `GANLIB_FAST=1` shrinks every training run; `python notebooks/tools/run_all.py` re-executes the series in full.

    ## Exercises

    1. Run `python notebooks/tools/run_all.py --fast --dry-run` and compare its times with the table above.
       Which notebooks shrink the most, and why?
    2. Open `ganlib/gan.py` and find `CONFIGS`. Which three configurations are defined, and which one do
       notebooks 04 and 06 train?
    3. Train from the command line with `python -m ganlib train --limit 5000 --epochs 2 --out runs/try`, then
       look at `runs/try/samples.png` and `runs/try/progress.gif`.
    """),
]

if __name__ == "__main__":
    write_notebook(INDEX_NAME, cells)
