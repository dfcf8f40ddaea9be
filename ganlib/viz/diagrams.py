"""Application: schematic figures for the notebooks (matplotlib only, no data)."""

from __future__ import annotations

import matplotlib.pyplot as plt

__all__ = ["generator_step_diagram"]


def _box(ax, x, y, text, color, w=1.5, h=0.7):
    ax.add_patch(plt.Rectangle((x - w / 2, y - h / 2), w, h, facecolor=color, edgecolor="black", lw=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=10)


def _arrow(ax, x0, y0, x1, y1, color="black", style="-|>"):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": style, "color": color, "lw": 1.6})


def generator_step_diagram(ax=None):
    """The generator's step: forward z -> G -> x_fake -> D (frozen) -> logit -> L_G above, the
    backward pass below (dL/dlogit -> D.backward(need_param_grads=False) -> dL/dx -> G.backward ->
    G's gradients -> opt_G.step()), D's parameters marked "not updated". Returns the figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 4.2), layout="constrained")
    xs = [0.8, 2.9, 5.0, 7.1, 9.2, 11.1]
    labels = ["z\n(m, 100)", "G\n(trained)", "x_fake\n(m, 784)", "D\n(frozen)", "logit s\n(m, 1)", "$L_G$"]
    colors = ["white", "#cfe8cf", "white", "#dddddd", "white", "#f6e3b4"]
    for x, text, color in zip(xs, labels, colors):
        _box(ax, x, 3.0, text, color)
    for a, b in zip(xs[:-1], xs[1:]):
        _arrow(ax, a + 0.78, 3.0, b - 0.78, 3.0)
    ax.text(6.0, 3.75, "forward", ha="center", fontsize=10, style="italic")
    red = "#b22222"
    back = [
        (11.1, r"$\partial L/\partial s$"),
        (8.15, "D.backward(...,\nneed_param_grads=False)\n" + r"$\to \partial L/\partial x$"),
        (4.6, "G.backward(dL/dx)\n" + r"$\to \partial L/\partial\theta_G$"),
        (1.6, "opt_G.step()\nupdates $\\theta_G$ only"),
    ]
    for x, text in back:
        ax.text(
            x,
            1.1,
            text,
            ha="center",
            va="center",
            fontsize=9.5,
            color=red,
            bbox={"facecolor": "white", "edgecolor": red, "boxstyle": "round"},
        )
    for (a, _), (b, _) in zip(back[:-1], back[1:]):
        _arrow(ax, a - 1.05, 1.1, b + 1.2, 1.1, color=red)
    ax.text(6.0, 0.15, "backward", ha="center", fontsize=10, style="italic", color=red)
    ax.text(
        7.1,
        4.05,
        r"$\theta_D$: not updated" + "\n(no gradients, no optimizer step)",
        ha="center",
        va="bottom",
        fontsize=9,
        color="#555555",
    )
    ax.set_xlim(0, 12)
    ax.set_ylim(-0.2, 4.9)
    ax.axis("off")
    return ax.figure
