r"""Figures of a GAN with Matplotlib: sample grids, loss curves, class histograms, metric curves.

Everything takes arrays the way the rest of ganlib produces them: images ``(N, 784)`` in
``[-1, 1]`` (see :mod:`ganlib.viz.images`, which also writes PNG files and GIFs), and a
training record :class:`ganlib.gan.History` (per-iteration ``loss_d``, ``loss_g``,
``d_real``, ``d_fake``; ``snapshots`` of the fixed latent batch).

Plotting functions draw into a given Matplotlib ``ax`` or make a new figure, and
return the :class:`matplotlib.figure.Figure`. In a notebook, end the cell with
``;`` or assign the result (``fig = ...``) so that the figure is shown once.

Usage::

    from ganlib import images, viz
    viz.show_grid(gan.generate(gan.fixed_z), title="samples")
    viz.plot_losses(gan.history)
    live = viz.LiveTrainingDisplay()
    gan.train(X, callback=live, callback_every=200)   # updates one output in place
    viz.show_gif(images.save_gif(gan.history, "progress.gif"))
"""

from __future__ import annotations

import io

import numpy as np

from ..losses import equilibrium
from .images import image_grid

__all__ = [
    "figure_to_png_bytes",
    "moving_average",
    "plot_class_fractions",
    "plot_class_histogram",
    "plot_losses",
    "plot_metric_curves",
    "show_grid",
    "show_picture",
]


def figure_to_png_bytes(fig, dpi: int = 80, close: bool = True) -> bytes:
    """Render a Matplotlib figure to PNG bytes (and close it, so figures do not pile up)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    if close:
        _close(fig)
    return buf.getvalue()


def _close(fig) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)  # a no-op for figures pyplot does not manage


def _new_axes(ax, figsize, ncols: int = 1):
    """(fig, axes) from a given Axes (or sequence of Axes), or a new pyplot figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, axes = plt.subplots(1, ncols, figsize=figsize, squeeze=False, layout="constrained")
        axes = list(axes[0])
        return fig, (axes if ncols > 1 else axes[0])
    first = ax[0] if isinstance(ax, (list, tuple, np.ndarray)) else ax
    return first.figure, ax


# =============================================================================== static plots


def show_grid(images, ax=None, title: str | None = None, nrow: int | None = None, pad: int = 2):
    """Show images (N, 784) in [-1, 1] (or uint8) as a grid, without axes. Returns the figure."""
    grid = image_grid(images, nrow=nrow, pad=pad)
    fig, ax = _new_axes(ax, figsize=(4, 4 * grid.shape[0] / grid.shape[1]))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def moving_average(values, window: int) -> np.ndarray:
    """Trailing mean over the last ``window`` values (fewer at the start), same length as ``values``."""
    v = np.asarray(values, dtype=np.float64).ravel()
    window = max(1, int(window))
    if len(v) == 0:
        return v
    c = np.concatenate([[0.0], np.cumsum(v)])
    idx = np.arange(1, len(v) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def _history_arrays(history) -> dict:
    if hasattr(history, "arrays"):
        return history.arrays()
    if isinstance(history, dict):
        return {k: np.asarray(v) for k, v in history.items()}
    raise ValueError(f"history must be a ganlib.gan.History or a dict of arrays, got {type(history).__name__}")


def plot_losses(history, ax=None, smooth: int = 50, generator_loss: str = "non_saturating", real_label: float = 1.0):
    r"""Training curves of a run, in two panels.

    Left: ``loss_d`` and ``loss_g`` per iteration (faint) and their moving averages
    over ``smooth`` iterations, with their values at the equilibrium (dotted,
    :func:`ganlib.losses.equilibrium`): with real targets 1, :math:`D \equiv 1/2`,
    :math:`L_D = 2\log 2 \approx 1.386` and the non-saturating :math:`L_G = \log 2 \approx 0.693`
    (or, with ``generator_loss="minimax"``, :math:`L_G = \log(1/2) \approx -0.693`); with
    one-sided label smoothing (``real_label`` = a < 1), :math:`D \equiv a/2` and the losses move.
    Right: the moving averages of mean :math:`D(x)` and :math:`D(G(z))`, which both
    approach that :math:`D^*` when D can no longer tell real from fake.

    ``history``: a :class:`ganlib.gan.History` (or a dict with those keys, lists of equal length).
    ``ax``: None (new figure), or a pair of Axes; a single Axes gets the loss panel only.
    Returns the figure.
    """
    h = _history_arrays(history)
    for key in ("loss_d", "loss_g", "d_real", "d_fake"):
        if key not in h:
            raise ValueError(f"history has no {key!r} record")
    n = len(h["loss_d"])
    if n == 0:
        raise ValueError("history is empty: train for at least one iteration before plotting")
    it = np.arange(1, n + 1)
    fig, axes = _new_axes(ax, figsize=(10, 3.2), ncols=2)
    ax_loss, ax_d = (axes[0], axes[1]) if isinstance(axes, (list, tuple, np.ndarray)) else (axes, None)

    stride = max(1, n // 2000)  # the faint raw curves: at most ~2000 points, enough for the eye and fast to draw
    for key, color, label in (("loss_d", "C0", "$L_D$"), ("loss_g", "C1", "$L_G$")):
        ax_loss.plot(it[::stride], h[key][::stride], color=color, alpha=0.2, lw=0.8)
        ax_loss.plot(it, moving_average(h[key], smooth), color=color, lw=1.8, label=label)
    eq = equilibrium(real_label, generator_loss)
    at = rf"$D \equiv {eq['d']:g}$"
    ax_loss.axhline(eq["loss_d"], color="C0", ls=":", lw=1, label=f"$L_D$ = {eq['loss_d']:.3f} at {at}")
    ax_loss.axhline(eq["loss_g"], color="C1", ls=":", lw=1, label=f"$L_G$ = {eq['loss_g']:.3f} at {at}")
    ax_loss.set_xlabel("iteration")
    ax_loss.set_ylabel("loss")
    ax_loss.set_title(f"losses (moving average over {min(smooth, n)} iterations)", fontsize=10)
    ax_loss.legend(loc="upper right", fontsize=9)

    if ax_d is not None:
        ax_d.plot(it, moving_average(h["d_real"], smooth), color="C2", lw=1.8, label="mean $D(x)$, real")
        ax_d.plot(it, moving_average(h["d_fake"], smooth), color="C3", lw=1.8, label="mean $D(G(z))$, fake")
        ax_d.axhline(eq["d"], color="k", ls="--", lw=1, label=f"equilibrium {eq['d']:g}")
        ax_d.set_ylim(0, 1)
        ax_d.set_xlabel("iteration")
        ax_d.set_title("discriminator outputs", fontsize=10)
        ax_d.legend(loc="best", fontsize=9)
    return fig


def plot_class_histogram(hist_dict: dict, ax=None, title: str | None = None):
    """Bar chart of the digit classes of generated samples, against the uniform 10%.

    ``hist_dict``: the dict returned by :func:`ganlib.evaluation.metrics.class_histogram`
    (``fractions`` (10,) summing to 1, ``classes_covered``, ``kl_to_uniform``,
    ``mean_confidence``; ``counts`` is used if ``fractions`` is missing).
    Returns the figure.
    """
    if "fractions" in hist_dict:
        p = np.asarray(hist_dict["fractions"], dtype=np.float64)
    elif "counts" in hist_dict:
        counts = np.asarray(hist_dict["counts"], dtype=np.float64)
        p = counts / max(counts.sum(), 1.0)
    else:
        raise ValueError("hist_dict needs 'fractions' or 'counts' (see ganlib.evaluation.metrics.class_histogram)")
    if p.shape != (10,):
        raise ValueError(f"expected 10 class fractions, got shape {p.shape}")
    fig, ax = _new_axes(ax, figsize=(5, 3))
    ax.bar(np.arange(10), p, color="C0")
    ax.axhline(0.1, color="k", ls="--", lw=1, label="uniform (10%)")
    ax.set_xticks(np.arange(10))
    ax.set_xlabel("digit (classifier's label)")
    ax.set_ylabel("fraction of samples")
    ax.set_ylim(0, max(0.25, float(p.max()) * 1.1))
    notes = []
    if "classes_covered" in hist_dict:
        notes.append(f"classes covered: {hist_dict['classes_covered']}/10")
    if "kl_to_uniform" in hist_dict:
        notes.append(f"KL to uniform: {hist_dict['kl_to_uniform']:.3f} nats")
    if "mean_confidence" in hist_dict:
        notes.append(f"mean confidence: {hist_dict['mean_confidence']:.2f}")
    if notes:
        ax.text(
            0.02,
            0.97,
            "\n".join(notes),
            transform=ax.transAxes,
            va="top",
            fontsize=8,
            bbox=dict(facecolor="white", alpha=0.8, edgecolor="none"),
        )
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def plot_class_fractions(epochs, fractions, ax=None, title: str | None = None):
    """How the class histogram changes over training: one stacked band per digit.

    ``epochs`` (E,) and ``fractions`` (E, 10), e.g. from :func:`ganlib.evaluation.results.histogram_over_epochs`.
    A band that thins to nothing is a digit the generator stopped drawing. Returns the figure.
    """
    epochs = np.asarray(epochs, dtype=np.float64)
    fractions = np.asarray(fractions, dtype=np.float64)
    if fractions.ndim != 2 or fractions.shape != (len(epochs), 10):
        raise ValueError(f"need fractions of shape ({len(epochs)}, 10) for {len(epochs)} epochs, got {fractions.shape}")
    import matplotlib.pyplot as plt

    fig, ax = _new_axes(ax, figsize=(6, 3))
    colors = plt.get_cmap("tab10").colors
    ax.stackplot(epochs, fractions.T, labels=[str(c) for c in range(10)], colors=colors, alpha=0.9)
    from matplotlib.ticker import MaxNLocator

    middles = np.cumsum(fractions, axis=1) - fractions / 2  # the middle of each band
    inner = np.arange(1, len(epochs) - 1) if len(epochs) > 2 else np.arange(len(epochs))  # not on the frame
    for c in range(10):  # label each band where it is widest, if it is wide enough to read
        i = int(inner[np.argmax(fractions[inner, c])])
        if fractions[i, c] >= 0.04:
            ax.text(epochs[i], middles[i, c], str(c), ha="center", va="center", fontsize=8, color="white")
    ax.set_xlim(epochs[0], epochs[-1])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, 1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("fraction of samples")
    ax.legend(title="digit", fontsize=7, title_fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    if title:
        ax.set_title(title)
    return fig


def show_picture(picture, ax=None, title: str | None = None, column_labels=None, xlabel: str | None = None):
    """Show a uint8 (H, W) picture, e.g. a grid read by :func:`ganlib.evaluation.results.load_picture`, without
    axes except optional ``column_labels`` (one per equal-width column, e.g. the epochs of a strip).
    Returns the figure."""
    picture = np.asarray(picture)
    if picture.ndim != 2:
        raise ValueError(f"need a 2-D picture (H, W), got shape {picture.shape}")
    fig, ax = _new_axes(ax, figsize=(6, 6 * picture.shape[0] / picture.shape[1]))
    ax.imshow(picture, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_yticks([])
    if column_labels is None:
        ax.set_xticks([])
    else:
        width = picture.shape[1] / len(column_labels)
        ax.set_xticks((np.arange(len(column_labels)) + 0.5) * width - 0.5, [str(c) for c in column_labels], fontsize=8)
        ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=9)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


# (key, axis label, better when, log scale): the four measures of ganlib.evaluation.metrics.evaluate_samples
_CURVE_PANELS = (
    ("fd", "Frechet distance (lower is better)", "lower", True),
    ("kl", "KL of the class histogram to uniform (nats)", "lower", True),
    ("min_class", "smallest class (fraction of samples)", "higher", False),
    ("parzen", "Parzen log-likelihood (nats, +- 1 s.e.)", "higher", False),
)


def plot_metric_curves(curves: dict, targets: dict | None = None, x: str = "minutes", axes=None):
    """Each measure of sample quality against training time, one line per run, in four panels.

    ``curves``: ``{run name: list of rows}``, each row a dict with ``x`` (e.g. ``"minutes"``)
    and any of ``fd``, ``kl``, ``min_class``, ``parzen`` (with ``parzen_se``); a missing or
    None value is skipped, so Parzen (slow to measure) may be given at a few points only.
    ``targets``: optional ``{key: value}`` drawn as dotted horizontal lines.
    Returns the figure.
    """
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), layout="constrained")
    axes = np.asarray(axes).ravel()
    fig = axes[0].figure
    for ax, (key, label, _, log) in zip(axes, _CURVE_PANELS):
        for i, (name, rows) in enumerate(curves.items()):
            pts = [(r[x], r[key], r.get(f"{key}_se")) for r in rows if r.get(key) is not None]
            if not pts:
                continue
            xs, ys, se = (np.array([p[j] for p in pts], dtype=float) for j in (0, 1, 2))
            if key == "parzen" and np.all(np.isfinite(se)):
                ax.errorbar(xs, ys, yerr=se, marker="o", ms=4, capsize=3, color=f"C{i}", label=name)
            else:
                ax.plot(xs, ys, marker="o", ms=3, color=f"C{i}", label=name)
        if targets and key in targets:
            ax.axhline(targets[key], color="k", ls=":", lw=1, label="target")
        if log:
            ax.set_yscale("log")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel(f"training {x}")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    return fig
