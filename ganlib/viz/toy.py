"""The figure of the 1-D toy problem (notebook 01): the data's and the generator's histograms, and D(x)."""

from __future__ import annotations

import numpy as np

from .figures import _new_axes

__all__ = ["plot_1d_gan"]


def plot_1d_gan(
    data,
    samples,
    x_grid=None,
    d_values=None,
    ax=None,
    bins: int = 60,
    data_pdf=None,
    d_optimal=None,
    title: str | None = None,
    xlim=None,
):
    """The 1-D toy problem at a glance: data vs generator histograms, and D(x).

    Parameters
    ----------
    data, samples : arrays of N real numbers, shape (N,) or (N, 1): real data and G's samples
    x_grid, d_values : optional (M,) points and the discriminator's probabilities D(x) in [0, 1]
        there, e.g. ``sigmoid(gan.D.forward(x_grid[:, None]))``; drawn on a second y-axis
    data_pdf : optional callable, the true density p_data(x), drawn as a curve
    d_optimal : optional (M,) values of the optimal discriminator
        :math:`D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))` on ``x_grid``, drawn dashed
    xlim : (lo, hi) for the x-axis and the histogram range (default: from data and samples)

    Returns the figure.
    """
    data = np.asarray(data, dtype=np.float64).ravel()
    samples = np.asarray(samples, dtype=np.float64).ravel()
    if data.size == 0 or samples.size == 0:
        raise ValueError("data and samples must be non-empty")
    if (x_grid is None) != (d_values is None):
        raise ValueError("give both x_grid and d_values, or neither")
    if d_optimal is not None and x_grid is None:
        raise ValueError("d_optimal needs x_grid (and d_values)")
    if xlim is None:
        both = np.concatenate([data, samples])
        lo, hi = np.percentile(both, [0.1, 99.9])
        margin = 0.1 * (hi - lo + 1e-9)
        xlim = (lo - margin, hi + margin)
    fig, ax = _new_axes(ax, figsize=(6, 3.2))
    _draw_densities(ax, data, samples, xlim, bins, data_pdf)
    handles, labels = ax.get_legend_handles_labels()
    if x_grid is not None:
        for line, label in _draw_discriminator(ax, x_grid, d_values, d_optimal):
            handles.append(line)
            labels.append(label)
    ax.legend(handles, labels, loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def _draw_densities(ax, data, samples, xlim, bins: int, data_pdf) -> None:
    """Histograms of the data and of G's samples (densities), and the true density if known."""
    edges = np.linspace(xlim[0], xlim[1], bins + 1)
    ax.hist(data, bins=edges, density=True, color="C0", alpha=0.45, label="data $p_{data}$")
    ax.hist(samples, bins=edges, density=True, color="C1", alpha=0.45, label="generator $p_g$")
    if data_pdf is not None:
        xs = np.linspace(xlim[0], xlim[1], 400)
        ax.plot(xs, data_pdf(xs), color="C0", lw=1.5)
    ax.set_xlim(*xlim)
    ax.set_xlabel("$x$")
    ax.set_ylabel("density")


def _draw_discriminator(ax, x_grid, d_values, d_optimal) -> list:
    """D(x) (and D*(x), dashed) on a second y-axis from 0 to 1; returns [(line, label), ...] for the legend."""
    x_grid = np.asarray(x_grid, dtype=np.float64).ravel()
    d_values = np.asarray(d_values, dtype=np.float64).ravel()
    if x_grid.shape != d_values.shape:
        raise ValueError(f"x_grid and d_values must have the same length, got {x_grid.shape} and {d_values.shape}")
    ax2 = ax.twinx()
    (line,) = ax2.plot(x_grid, d_values, color="C3", lw=2, label="$D(x)$")
    ax2.axhline(0.5, color="C3", ls=":", lw=1)
    ax2.set_ylim(0, 1)
    ax2.set_ylabel("$D(x)$", color="C3")
    lines = [(line, "$D(x)$")]
    if d_optimal is not None:
        d_optimal = np.asarray(d_optimal, dtype=np.float64).ravel()
        if d_optimal.shape != x_grid.shape:
            raise ValueError(f"d_optimal must have x_grid's length {x_grid.shape}, got {d_optimal.shape}")
        (line,) = ax2.plot(x_grid, d_optimal, color="C3", lw=1.5, ls="--")
        lines.append((line, "$D^*(x)$"))
    return lines
