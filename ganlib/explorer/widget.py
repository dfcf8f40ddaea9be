r"""The latent-space explorer: sliders that move a generator's input and show its output.

:class:`LatentExplorer` is an ipywidgets app around :mod:`ganlib.explorer.latent`: a digit drawn
from a seed, sliders along the directions that change the image most (each with the image
at either end beside it), an interpolation between two seeds, for a conditional generator
a digit chooser that keeps the style code z while the digit changes, and two checks beside
the digit: what the MNIST classifier (:mod:`ganlib.evaluation.classifier`) thinks it is, and the
nearest of the 50,000 training images
with its distance (:class:`ganlib.evaluation.metrics.NearestNeighbours`; a distance near 0 would
mean the generator copies its training data). The widgets are built in
:mod:`ganlib.explorer.view`, the two checks run in :mod:`ganlib.explorer.analysis`.

All widget state lives in the kernel, so tests drive it in plain Python (set
``slider.value``, read ``image.value``). Served with Voila
(``voila notebooks/apps/explorer.ipynb``), the page shows the explorer alone: its
stylesheet hides every other notebook cell when (and only when) the page is served by Voila.

Example::

    from ganlib.explorer.widget import LatentExplorer
    LatentExplorer()             # the shipped generator; or LatentExplorer("runs/x/generator.npz")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..condition import concat_label
from ..data import paths
from .analysis import AnalysisPanel
from .latent import interpolate, latent_directions, latent_from_seed, prior_std, typical_norm
from .view import END_STEP, SIDE, ExplorerView, checkpoint_choices, describe, reason, render_png, render_strip

__all__ = ["LatentExplorer", "render_png", "render_strip"]


class LatentExplorer(AnalysisPanel, ExplorerView):
    """An ipywidgets app to explore a generator's latent space. Display it as the last
    expression of a cell (or ``display(explorer)``); ``explorer.widget`` is the root box.

    Parameters
    ----------
    checkpoint : path of a ganlib checkpoint (either kind); None = the shipped generator.
        A path that does not load shows its error in the explorer instead of raising.
    classifier : a ``ganlib.evaluation.classifier.Classifier``, a path to its weights, ``"default"``
        (the shipped classifier), or None to switch the prediction off.
    train_images : (M, 784) uint8 or [-1, 1] images for the nearest-neighbour check,
        ``"default"`` (the 50,000 MNIST ``train`` images), or None to switch it off.
    n_directions : how many direction sliders (the top eigenvectors, see :func:`latent_directions`).
    seed : the first digit's seed.
    direction_samples : latent samples used to estimate the directions (see :func:`latent_directions`).
    analysis_interval : seconds between two classifier / nearest-neighbour updates while
        a slider moves (the image itself follows every move). Only used inside a running
        kernel; in plain Python (tests) everything updates synchronously.

    Widgets a test or a notebook may drive: ``seed``, ``new_z_button``, ``sliders``,
    ``reset_button``, ``digit`` (conditional generators), ``tabs`` (0 = directions,
    1 = interpolation), ``seed_a``, ``seed_b``, ``t``, ``method``, ``path``,
    ``load_button``; outputs: ``image``, ``digit_strip``, ``slider_ends``, ``strip``,
    ``prediction``, ``nearest_image``, ``nearest_label``, ``status``.
    """

    def __init__(
        self,
        checkpoint=None,
        *,
        classifier="default",
        train_images="default",
        n_directions: int = 6,
        seed: int = 0,
        analysis_interval: float = 0.15,
        direction_samples: int = 2048,
    ):
        super().__init__(n_directions, seed)
        self.direction_samples = int(direction_samples)
        self.analysis_interval = float(analysis_interval)
        self.G = self.metadata = self.directions = self.eigenvalues = None
        self.latent_dim, self.latent_dist, self.checkpoint, self.num_classes = 0, "gaussian", None, 0
        self.error: str | None = None
        self._hold = False  # True while several controls change at once: render once at the end
        self._pending = None  # the scheduled trailing analysis, if any
        self._last_analysis = -np.inf
        self._x = None  # the image on display, (784,) in [-1, 1]
        self._seed_rng = np.random.default_rng()
        self._callback_error, self._loaded_message = False, ""
        self._connect()
        self.classifier, self.classifier_error = self._init_classifier(classifier)
        self.nearest, self.nearest_error = self._init_nearest(train_images)
        self.load(checkpoint)

    def _connect(self) -> None:
        """Wire each input widget to what it changes (through :meth:`_guarded`)."""
        guarded = self._guarded
        self.seed.observe(guarded(self._on_seed), names="value")
        self.digit.observe(guarded(self._on_digit), names="value")
        self.new_z_button.on_click(guarded(self._on_new_z))
        self.reset_button.on_click(guarded(lambda _: self._reset_sliders()))
        for s in self.sliders:
            s.observe(guarded(self._on_control), names="value")
        for w in (self.seed_a, self.seed_b, self.method):
            w.observe(guarded(self._on_endpoints), names="value")
        self.t.observe(guarded(self._on_control), names="value")
        self.tabs.observe(guarded(self._on_control), names="selected_index")
        self.load_button.on_click(guarded(lambda _: self.load(self.path.value)))

    def _guarded(self, callback):
        """``callback`` for a widget: an error (e.g. a negative seed typed in a box) is shown in the
        status line, where the user sees it, instead of raising into the kernel's log; the image
        on display stays. The next callback that succeeds clears the message."""

        def run(*args):
            try:
                callback(*args)
            except Exception as err:  # noqa: BLE001 - shown to the user, the explorer keeps working
                self._callback_error = True
                self.show_status(reason(err), error=True)
                return
            if self._callback_error:
                self._callback_error = False
                self.show_status(self._loaded_message, error=False)

        return run

    # -- the model ------------------------------------------------------------------------------
    def load(self, checkpoint=None) -> bool:
        """Load a generator checkpoint (None = the shipped generator). On failure the error is
        shown in ``status`` (and kept in ``error``), the previous model stays, and False is returned."""
        from ..io.generator import load_generator, num_classes_of

        typed = checkpoint is not None and str(checkpoint).strip() != ""
        path = Path(str(checkpoint).strip()) if typed else paths.default_generator_path()
        try:
            path = paths.resolve_user_path(path) if typed else path
            G, metadata = load_generator(path)
            config = metadata["config"]
            latent_dim, dist = int(config["latent_dim"]), str(config["latent_dist"])
            if int(config.get("data_dim", SIDE * SIDE)) != SIDE * SIDE:
                raise ValueError(f"this generator makes {config['data_dim']}-dimensional data, not 28x28 images")
            num_classes = num_classes_of(metadata)
            directions, eigenvalues = latent_directions(
                G, latent_dim, dist, self.n_directions, n_samples=self.direction_samples, num_classes=num_classes
            )
        except Exception as err:  # noqa: BLE001 - whatever it is (even MemoryError), the previous model stays
            self.error = f"could not load {path}: {reason(err)}"
            self.show_status(self.error, error=True)
            if self.G is None:
                self.path.options = checkpoint_choices()
                self.path.value = str(checkpoint or "")
            return False
        self.G, self.metadata, self.checkpoint = G, metadata, path
        self.latent_dim, self.latent_dist, self.num_classes = latent_dim, dist, num_classes
        self.directions, self.eigenvalues = directions, eigenvalues
        self.error = None
        self._configure_for_model()
        self._loaded_message = f"loaded {path} ({describe(metadata)})"
        self.show_status(self._loaded_message, error=False)
        return True

    def _configure_for_model(self) -> None:
        share = self.eigenvalues / max(self.eigenvalues.sum(), 1e-30)
        self._hold = True
        try:
            for i, s in enumerate(self.sliders):
                self.slider_rows[i].layout.display = None if i < len(self.directions) else "none"
                s.value = 0.0
                if i < len(self.directions):
                    s.tooltip = (
                        f"direction {i + 1}: {share[i]:.0%} of the average image change "
                        f"(eigenvalue {self.eigenvalues[i]:.3g})"
                    )
            self.method.value = "slerp" if self.latent_dist == "gaussian" else "lerp"
            self.path.options = checkpoint_choices()
            self.path.value = paths.display_path(self.checkpoint)
            self.show_digit_chooser(self.num_classes)
        finally:
            self._hold = False
        self.show_title(self.checkpoint, self.latent_dist, self.latent_dim, self.metadata, self.num_classes)
        self._update_strip()
        self._update_slider_ends()
        self.refresh()

    # -- latent vectors -------------------------------------------------------------------------
    def base_z(self) -> np.ndarray:
        """The current seed's z, (latent_dim,) float32."""
        return latent_from_seed(self.seed.value, self.latent_dim, self.latent_dist)

    def endpoint(self, which: str) -> np.ndarray:
        """z of seed A (``"a"``) or seed B (``"b"``)."""
        seed = self.seed_a.value if which == "a" else self.seed_b.value
        return latent_from_seed(seed, self.latent_dim, self.latent_dist)

    def current_z(self) -> np.ndarray:
        """The z on display: seed + slider steps (Directions tab), or the path at t (Interpolation tab)."""
        if self.tabs.selected_index == 1:
            return interpolate(self.endpoint("a"), self.endpoint("b"), self.t.value, method=self.method.value)
        steps = np.array([s.value for s in self.sliders[: len(self.directions)]], dtype=np.float32)
        return self.base_z() + prior_std(self.latent_dist) * (steps @ self.directions)

    def generate(self, z) -> np.ndarray:
        """G's image for one z: (latent_dim,) -> (784,) float32 in [-1, 1] (of the chosen digit if conditional)."""
        return self.generate_many(np.asarray(z).reshape(1, -1))[0]

    def generate_many(self, zs, digits=None) -> np.ndarray:
        """G's images for zs (N, latent_dim) -> (N, 784); a conditional G draws ``digits`` (N,),
        by default the chosen digit for every row."""
        zs = np.asarray(zs, dtype=np.float32)
        if self.num_classes and digits is None:
            digits = np.full(len(zs), self.digit.value)
        return self.G.forward(concat_label(zs, digits if self.num_classes else None, self.num_classes))

    # -- updates ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-render the digit now (fast path: one generator pass and a PNG), then the analysis."""
        if self.G is None or self._hold:
            return
        z = self.current_z()
        if self.num_classes:  # the current style as every digit: one pass, the chosen digit is one of them
            row = self.generate_many(np.repeat(z[None], self.num_classes, axis=0), np.arange(self.num_classes))
            self._x = row[self.digit.value]
            self.digit_strip.value = render_strip(row, scale=2)
        else:
            self._x = self.generate(z)
        self.image.value = render_png(self._x)
        if self.tabs.selected_index == 1:
            self.path_info.value = (
                f"<span class='ge-small'>{self.method.value} at t = {self.t.value:.2f}: "
                f"&#8214;z&#8214; = {np.linalg.norm(z):.2f} (a typical z has "
                f"&#8214;z&#8214; &asymp; {typical_norm(self.latent_dim, self.latent_dist):.2f})</span>"
            )
        self._request_analysis()

    def _on_control(self, change) -> None:
        self.refresh()

    def _on_seed(self, change) -> None:
        self._update_slider_ends()
        self._reset_sliders()

    def _on_digit(self, change) -> None:
        """Another digit, the same z: the sliders stay where they are; the end images and strip follow."""
        if self.digit.value is None:
            return
        self._update_slider_ends()
        self._update_strip()
        self.refresh()

    def _on_new_z(self, _button) -> None:
        self.seed.value = int(self._seed_rng.integers(0, 1_000_000))

    def _reset_sliders(self) -> None:
        self._hold = True
        try:
            for s in self.sliders:
                s.value = 0.0
            if self.tabs.selected_index != 0:
                self.tabs.selected_index = 0
        finally:
            self._hold = False
        self.refresh()

    def _on_endpoints(self, change) -> None:
        self._update_strip()
        self.refresh()

    def _update_strip(self, n: int = 8) -> None:
        if self.G is None or self._hold:
            return
        a, b = self.endpoint("a"), self.endpoint("b")
        zs = np.stack([interpolate(a, b, t, method=self.method.value) for t in np.linspace(0.0, 1.0, n)])
        self.strip.value = render_strip(self.generate_many(zs))

    def _update_slider_ends(self) -> None:
        """Beside each slider, the seed's digit moved END_STEP standard deviations down and up along it."""
        if self.G is None or self._hold:
            return
        k = len(self.directions)
        step = END_STEP * prior_std(self.latent_dist) * self.directions  # (k, d)
        images = self.generate_many(np.concatenate([self.base_z() - step, self.base_z() + step]))  # (2k, 784)
        for i, (low, high) in enumerate(self.slider_ends):
            low.value, high.value = (render_png(images[i], 2), render_png(images[k + i], 2)) if i < k else (b"", b"")
