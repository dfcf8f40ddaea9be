"""The explorer's widgets: what :class:`ganlib.explorer.widget.LatentExplorer` shows, and how it looks.

:class:`ExplorerView` builds the ipywidgets (the digit, the classifier's bars, the nearest
training image, the digit chooser of a conditional generator, the direction sliders with an
image at each end, the interpolation tab, the checkpoint field and the status line) and lays
them out; it holds no model and no behaviour. The explorer subclasses it and wires the
callbacks. The helpers that turn images and metadata into what the widgets show live here too.
"""

from __future__ import annotations

import html

import numpy as np

from ..data import paths
from ..io.archive import find_archives
from ..viz.images import image_grid, to_png_bytes

SIDE = 28  # MNIST images are SIDE x SIDE
END_STEP = 2.0  # the slider-end images show the base code moved this many standard deviations

__all__ = ["END_STEP", "SIDE", "ExplorerView", "bars_svg", "render_png", "render_strip"]


_CSS = """<style>
.ganlib-explorer img { image-rendering: pixelated; image-rendering: crisp-edges; }
.ganlib-explorer .ge-digit { border: 1px solid #bbb; }
.ganlib-explorer .ge-end { border: 1px solid #ddd; }
.ganlib-explorer .widget-html-content { line-height: 1.4; }
.ganlib-explorer .ge-small { font-size: 12px; color: #555; }
.ganlib-explorer .ge-error { color: #b00020; }
.ganlib-explorer .ge-ok { color: #2e7d32; }
/* Served by Voila: show the explorer alone (the notebook's prose and code cells are hidden). */
body[data-voila] #rendered_cells .jp-Cell:not(:has(.ganlib-explorer)) { display: none; }
body[data-voila] #rendered_cells .jp-Cell { padding: 0; }
</style>"""


def render_png(image, scale: int = 8) -> bytes:
    """PNG bytes of one image in [-1, 1] (784 values), enlarged ``scale`` times with nearest
    neighbour (each pixel becomes a ``scale`` x ``scale`` block): crisp at any zoom."""
    return to_png_bytes(np.asarray(image, dtype=np.float32).reshape(SIDE, SIDE), scale=scale)


def render_strip(images, scale: int = 3, gap: int = 2) -> bytes:
    """PNG bytes of images (N, 784) in [-1, 1] in one row, ``gap`` white pixels apart and around."""
    return to_png_bytes(image_grid(images, nrow=len(images), pad=gap, pad_value=255), scale=scale)


class ExplorerView:
    """The widgets of the explorer, built and laid out; ``widget`` is the root box.

    Inputs: ``seed``, ``new_z_button``, ``reset_button``, ``sliders`` (``n_directions`` of
    them), ``digit`` (ToggleButtons, one per class; shown for conditional generators only),
    ``tabs`` (0 = directions, 1 = interpolation), ``seed_a``, ``seed_b``, ``method``, ``t``,
    ``path``, ``load_button``. Outputs: ``title``, ``image``, ``prediction``,
    ``nearest_image``, ``nearest_label``, ``digit_strip`` (the current style as every digit),
    ``slider_ends`` (per slider, the images at -END_STEP and +END_STEP), ``strip``,
    ``path_info``, ``status``.
    """

    def __init__(self, n_directions: int, seed: int):
        import ipywidgets as W

        self.n_directions = int(n_directions)
        self.title = W.HTML()
        info = self._build_digit_and_analysis(W)
        self.digit_box = self._build_digit_chooser(W)
        self.tabs = W.Tab(
            children=[self._build_directions_tab(W, seed), self._build_interpolation_tab(W, seed)],
            titles=("Directions", "Interpolation"),
            layout=W.Layout(height="440px", width="720px"),
        )
        self.path = W.Combobox(
            placeholder="path/to/generator.npz",
            description="checkpoint",
            ensure_option=False,
            layout=W.Layout(width="520px"),
        )
        self.load_button = W.Button(description="Load", icon="folder-open", layout=W.Layout(width="90px"))
        self.status = W.HTML(layout=W.Layout(min_height="22px", width="720px"))
        self.widget = W.VBox(
            [
                W.HTML(_CSS),
                self.title,
                W.HBox([self.image, info]),
                self.digit_box,
                self.tabs,
                W.HBox([self.path, self.load_button], layout=W.Layout(grid_gap="8px")),
                self.status,
            ],
            layout=W.Layout(width="740px", padding="8px"),
        )
        self.widget.add_class("ganlib-explorer")

    def _build_digit_and_analysis(self, W):
        """The digit on display, and beside it the classifier's reading and the nearest training image."""
        px = SIDE * 8
        self.image = W.Image(format="png", layout=W.Layout(width=f"{px}px", height=f"{px}px"))
        self.image.add_class("ge-digit")
        self.prediction = W.HTML(layout=W.Layout(width="300px", height="110px", overflow="hidden auto"))
        self.prediction.add_class("ge-prediction")
        self.nearest_image = W.Image(format="png", layout=W.Layout(width="84px", height="84px"))
        self.nearest_label = W.HTML(layout=W.Layout(width="210px", height="84px", overflow="hidden"))
        nearest_box = W.HBox([self.nearest_image, self.nearest_label], layout=W.Layout(grid_gap="8px"))
        return W.VBox(
            [self.prediction, W.HTML("<b>Nearest training image</b>"), nearest_box],
            layout=W.Layout(width="310px", margin="0 0 0 16px"),
        )

    def _build_digit_chooser(self, W):
        """A conditional generator's digit chooser: the same style code z, another digit (hidden otherwise)."""
        self.digit = W.ToggleButtons(options=[(str(d), d) for d in range(10)], value=0, style={"button_width": "34px"})
        self.digit.add_class("ge-digit-chooser")
        self.digit_strip = W.Image(format="png", layout=W.Layout(width=f"{(10 * 30 + 2) * 2}px", height="64px"))
        return W.VBox(
            [
                W.HTML("<b>Digit</b> <span class='ge-small'>(the same style code z, drawn as another digit)</span>"),
                self.digit,
                W.HTML("<span class='ge-small'>this style as every digit:</span>"),
                self.digit_strip,
            ],
            layout=W.Layout(display="none", width="720px"),
        )

    def _build_directions_tab(self, W, seed: int):
        """The seed, and one slider per direction with the images at its two ends."""
        self.seed = W.IntText(value=int(seed), description="seed", layout=W.Layout(width="180px"))
        self.new_z_button = W.Button(description="new random z", icon="random", layout=W.Layout(width="140px"))
        self.reset_button = W.Button(description="reset sliders", layout=W.Layout(width="120px"))
        self.sliders = [
            W.FloatSlider(
                value=0.0,
                min=-3.0,
                max=3.0,
                step=0.05,
                description=f"d{i + 1}",
                continuous_update=True,
                readout_format="+.2f",
                style={"description_width": "40px"},
                layout=W.Layout(width="470px"),
            )
            for i in range(self.n_directions)
        ]
        end = {"width": "46px", "height": "46px"}
        self.slider_ends = [
            (W.Image(format="png", layout=W.Layout(**end)), W.Image(format="png", layout=W.Layout(**end)))
            for _ in self.sliders
        ]
        self.slider_rows = []  # one row per slider: [image at -END_STEP, slider, image at +END_STEP]
        for slider, (low, high) in zip(self.sliders, self.slider_ends):
            low.add_class("ge-end")
            high.add_class("ge-end")
            self.slider_rows.append(W.HBox([low, slider, high], layout=W.Layout(grid_gap="6px", align_items="center")))
        return W.VBox(
            [
                W.HBox([self.seed, self.new_z_button, self.reset_button], layout=W.Layout(grid_gap="8px")),
                W.HTML(
                    "<span class='ge-small'>Each slider steps along one of the directions that change the image "
                    f"most, in standard deviations of the prior (0 = the seed's own z); the small images show the "
                    f"seed's digit moved {END_STEP:g} steps down (left) and up (right) along it.</span>"
                ),
                *self.slider_rows,
            ]
        )

    def _build_interpolation_tab(self, W, seed: int):
        """Two seeds, the path between them (slerp or lerp), a slider along it and a strip of its images."""
        self.seed_a = W.IntText(value=int(seed), description="seed A", layout=W.Layout(width="180px"))
        self.seed_b = W.IntText(value=int(seed) + 1, description="seed B", layout=W.Layout(width="180px"))
        self.method = W.ToggleButtons(
            options=["slerp", "lerp"],
            value="slerp",
            style={"button_width": "60px"},
            tooltips=[
                "spherical: stays on the shell where Gaussian z live",
                "straight line: stays inside the cube where uniform z live",
            ],
        )
        self.t = W.FloatSlider(
            value=0.0,
            min=0.0,
            max=1.0,
            step=0.01,
            description="t",
            continuous_update=True,
            readout_format=".2f",
            style={"description_width": "40px"},
            layout=W.Layout(width="480px"),
        )
        self.strip = W.Image(format="png", layout=W.Layout(width=f"{(8 * 30 + 2) * 3}px", height=f"{32 * 3}px"))
        self.path_info = W.HTML(layout=W.Layout(height="22px"))
        return W.VBox(
            [
                W.HBox([self.seed_a, self.seed_b, self.method], layout=W.Layout(grid_gap="8px")),
                self.t,
                self.path_info,
                self.strip,
            ]
        )

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def show_status(self, message: str, error: bool) -> None:
        """One line under the explorer: red for an error, green otherwise."""
        css = "ge-error" if error else "ge-small ge-ok"
        self.status.value = f"<span class='{css}'>{html.escape(message)}</span>"

    def show_digit_chooser(self, num_classes: int) -> None:
        """Show one button per class for a conditional generator (``num_classes`` > 0); hide them otherwise."""
        if num_classes:
            if len(self.digit.options) != num_classes:
                self.digit.options = [(str(d), d) for d in range(num_classes)]
            if self.digit.value is None:
                self.digit.value = 0
        self.digit_box.layout.display = None if num_classes else "none"

    def show_title(self, checkpoint, latent_dist: str, latent_dim: int, metadata: dict, num_classes: int) -> None:
        dist = "N(0, I)" if latent_dist == "gaussian" else "U(-1, 1)"
        kind = f" &middot; conditional, {num_classes} digits" if num_classes else ""
        self.title.value = (
            "<b>Latent space explorer</b> <span class='ge-small'>&middot; "
            f"{html.escape(paths.display_path(checkpoint))} &middot; z ~ {dist}, d = {latent_dim}{kind}"
            f" &middot; trained {metadata.get('epoch', '?')} epochs</span>"
        )


def bars_svg(p, top: int, width: int = 240, height: int = 44) -> str:
    """Ten small bars, one per digit, the winner highlighted: fixed size, no layout jumps."""
    bw = width / 10
    parts = [f"<svg width='{width}' height='{height + 14}' role='img' aria-label='class probabilities'>"]
    for k, pk in enumerate(p):
        h = max(1.0, float(pk) * height)
        colour = "#1f77b4" if k == top else "#b0b8c0"
        parts.append(
            f"<rect x='{k * bw + 3:.1f}' y='{height - h:.1f}' width='{bw - 6:.1f}' height='{h:.1f}' fill='{colour}'/>"
        )
        parts.append(
            f"<text x='{k * bw + bw / 2:.1f}' y='{height + 12}' font-size='11' text-anchor='middle'>{k}</text>"
        )
    return "".join(parts) + "</svg>"


def checkpoint_choices() -> tuple[str, ...]:
    """Checkpoints to offer in the path field: the shipped ones (or the checkout's data/) and runs/."""
    root = paths.checkout_root()
    shipped = root / "data" if root is not None else paths.artifact(".")
    return tuple(paths.display_path(p) for p in find_archives([shipped, paths.runs_dir()]))


def describe(metadata: dict) -> str:
    """A short description of a loaded generator for the status line."""
    c = metadata.get("config", {})
    kind = f", conditional ({c['num_classes']} classes)" if c.get("num_classes") else ""
    return (
        f"{metadata.get('kind', 'checkpoint')}{kind}, latent {c.get('latent_dim')}-d {c.get('latent_dist')}, "
        f"epoch {metadata.get('epoch', '?')}"
    )


def reason(err: BaseException) -> str:
    """An exception as one line for the page: the message, with the type unless it speaks for itself."""
    text = str(err) or type(err).__name__
    return text if isinstance(err, (ValueError, OSError, ImportError)) else f"{type(err).__name__}: {text}"
