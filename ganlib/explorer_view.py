"""The explorer's widgets: what :class:`ganlib.explorer.LatentExplorer` shows, and how it looks.

:class:`ExplorerView` builds the ipywidgets (the digit, the classifier's bars, the nearest
training image, the direction sliders, the interpolation tab, the checkpoint field and the
status line) and lays them out; it holds no model and no behaviour. The explorer
subclasses it and wires the callbacks. Small HTML helpers for the readouts live here too.
"""

from __future__ import annotations

import html

SIDE = 28  # MNIST images are SIDE x SIDE

__all__ = ["SIDE", "ExplorerView", "bars_svg"]


_CSS = """<style>
.ganlib-explorer img { image-rendering: pixelated; image-rendering: crisp-edges; }
.ganlib-explorer .ge-digit { border: 1px solid #bbb; }
.ganlib-explorer .widget-html-content { line-height: 1.4; }
.ganlib-explorer .ge-small { font-size: 12px; color: #555; }
.ganlib-explorer .ge-error { color: #b00020; }
.ganlib-explorer .ge-ok { color: #2e7d32; }
/* Served by Voila: show the explorer alone (the notebook's prose and code cells are hidden). */
body[data-voila] #rendered_cells .jp-Cell:not(:has(.ganlib-explorer)) { display: none; }
body[data-voila] #rendered_cells .jp-Cell { padding: 0; }
</style>"""


class ExplorerView:
    """The widgets of the explorer, built and laid out; ``widget`` is the root box.

    Inputs: ``seed``, ``new_z_button``, ``reset_button``, ``sliders`` (``n_directions`` of
    them), ``tabs`` (0 = directions, 1 = interpolation), ``seed_a``, ``seed_b``, ``method``,
    ``t``, ``path``, ``load_button``. Outputs: ``title``, ``image``, ``prediction``,
    ``nearest_image``, ``nearest_label``, ``strip``, ``path_info``, ``status``.
    """

    def __init__(self, n_directions: int, seed: int):
        import ipywidgets as W

        self.n_directions = int(n_directions)
        px = SIDE * 8
        self.title = W.HTML()
        self.image = W.Image(format="png", layout=W.Layout(width=f"{px}px", height=f"{px}px"))
        self.image.add_class("ge-digit")
        self.prediction = W.HTML(layout=W.Layout(width="300px", height="110px", overflow="hidden auto"))
        self.nearest_image = W.Image(format="png", layout=W.Layout(width="84px", height="84px"))
        self.nearest_label = W.HTML(layout=W.Layout(width="210px", height="84px", overflow="hidden"))
        nearest_box = W.HBox([self.nearest_image, self.nearest_label], layout=W.Layout(grid_gap="8px"))
        info = W.VBox(
            [self.prediction, W.HTML("<b>Nearest training image</b>"), nearest_box],
            layout=W.Layout(width="310px", margin="0 0 0 16px"),
        )

        self.seed = W.IntText(value=int(seed), description="seed", layout=W.Layout(width="180px"))
        self.new_z_button = W.Button(description="new random z", icon="random", layout=W.Layout(width="140px"))
        self.reset_button = W.Button(description="reset sliders", layout=W.Layout(width="120px"))
        style = {"description_width": "64px"}
        self.sliders = [
            W.FloatSlider(
                value=0.0,
                min=-3.0,
                max=3.0,
                step=0.05,
                description=f"d{i + 1}",
                continuous_update=True,
                readout_format="+.2f",
                style=style,
                layout=W.Layout(width="480px"),
            )
            for i in range(self.n_directions)
        ]
        directions_tab = W.VBox(
            [
                W.HBox([self.seed, self.new_z_button, self.reset_button], layout=W.Layout(grid_gap="8px")),
                W.HTML(
                    "<span class='ge-small'>Slider values are steps along the directions that change "
                    "the image most, in standard deviations of the prior; 0 = the seed's own z.</span>"
                ),
                *self.sliders,
            ]
        )

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
            style=style,
            layout=W.Layout(width="480px"),
        )
        self.strip = W.Image(format="png", layout=W.Layout(width=f"{(8 * 30 + 2) * 3}px", height=f"{32 * 3}px"))
        self.path_info = W.HTML(layout=W.Layout(height="22px"))
        interpolation_tab = W.VBox(
            [
                W.HBox([self.seed_a, self.seed_b, self.method], layout=W.Layout(grid_gap="8px")),
                self.t,
                self.path_info,
                self.strip,
            ]
        )
        self.tabs = W.Tab(
            children=[directions_tab, interpolation_tab],
            titles=("Directions", "Interpolation"),
            layout=W.Layout(height="330px", width="720px"),
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
                self.tabs,
                W.HBox([self.path, self.load_button], layout=W.Layout(grid_gap="8px")),
                self.status,
            ],
            layout=W.Layout(width="740px", padding="8px"),
        )
        self.widget.add_class("ganlib-explorer")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def show_status(self, message: str, error: bool) -> None:
        """One line under the explorer: red for an error, green otherwise."""
        css = "ge-error" if error else "ge-small ge-ok"
        self.status.value = f"<span class='{css}'>{html.escape(message)}</span>"


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
