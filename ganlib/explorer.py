r"""The latent-space explorer: sliders that move a generator's input and show its output.

:class:`LatentExplorer` is an ipywidgets app around :mod:`ganlib.latent`: a digit drawn
from a seed, sliders along the directions that change the image most, an interpolation
between two seeds, and two checks beside the digit: what the MNIST classifier
(:mod:`ganlib.classifier`) thinks it is, and the nearest of the 50,000 training images
with its distance (:class:`ganlib.metrics.NearestNeighbours`; a distance near 0 would
mean the generator copies its training data).

All widget state lives in the kernel, so tests drive it in plain Python (set
``slider.value``, read ``image.value``). Served with Voila
(``voila notebooks/05-exploring-the-latent-space.ipynb``), the page shows the explorer
alone: its stylesheet hides every other notebook cell when (and only when) the page is
served by Voila.

Example::

    from ganlib.explorer import LatentExplorer
    LatentExplorer()             # the shipped generator; or LatentExplorer("runs/x/generator.npz")
"""

from __future__ import annotations

import asyncio
import html
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import paths
from .archive import find_archives
from .explorer_view import SIDE, ExplorerView, bars_svg
from .images import image_grid, to_png_bytes
from .latent import interpolate, latent_directions, latent_from_seed, prior_std, typical_norm

__all__ = ["LatentExplorer", "render_png", "render_strip"]


def render_png(image, scale: int = 8) -> bytes:
    """PNG bytes of one image in [-1, 1] (784 values), enlarged ``scale`` times with nearest
    neighbour (each pixel becomes a ``scale`` x ``scale`` block): crisp at any zoom."""
    return to_png_bytes(np.asarray(image, dtype=np.float32).reshape(SIDE, SIDE), scale=scale)


def render_strip(images, scale: int = 3, gap: int = 2) -> bytes:
    """PNG bytes of images (N, 784) in [-1, 1] in one row, ``gap`` white pixels apart and around."""
    return to_png_bytes(image_grid(images, nrow=len(images), pad=gap, pad_value=255), scale=scale)


@lru_cache(maxsize=1)
def _default_nearest():
    """The 50,000 MNIST ``train`` images (as in ganlib.metrics), loaded once per process."""
    from .data import load_mnist
    from .metrics import NearestNeighbours

    return NearestNeighbours(load_mnist("train")[0])


def _default_classifier():
    from .classifier import default_classifier

    return default_classifier()


class LatentExplorer(ExplorerView):
    """An ipywidgets app to explore a generator's latent space. Display it as the last
    expression of a cell (or ``display(explorer)``); ``explorer.widget`` is the root box.

    Parameters
    ----------
    checkpoint : path of a ganlib checkpoint (either kind); None = the shipped generator.
        A path that does not load shows its error in the explorer instead of raising.
    classifier : a ``ganlib.classifier.Classifier``, a path to its weights, ``"default"``
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
    ``reset_button``, ``tabs`` (0 = directions, 1 = interpolation), ``seed_a``,
    ``seed_b``, ``t``, ``method``, ``path``, ``load_button``; outputs: ``image``,
    ``strip``, ``prediction``, ``nearest_image``, ``nearest_label``, ``status``.
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
        self.latent_dim, self.latent_dist, self.checkpoint = 0, "gaussian", None
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
                self.show_status(_reason(err), error=True)
                return
            if self._callback_error:
                self._callback_error = False
                self.show_status(self._loaded_message, error=False)

        return run

    def _init_classifier(self, classifier):
        if classifier is None:
            return None, "switched off"
        try:
            if isinstance(classifier, str) and classifier == "default":
                return _default_classifier(), None
            if isinstance(classifier, (str, Path)):
                from .classifier import Classifier

                return Classifier.load(paths.resolve_user_path(classifier)), None
            return classifier, None
        except Exception as err:  # noqa: BLE001 - any failure only disables the prediction
            return None, _reason(err)

    def _init_nearest(self, train_images):
        if train_images is None:
            return None, "switched off"
        try:
            if isinstance(train_images, str) and train_images == "default":
                return _default_nearest(), None
            from .metrics import NearestNeighbours

            return NearestNeighbours(train_images), None
        except Exception as err:  # noqa: BLE001 - any failure only disables the check
            return None, _reason(err)

    # -- display ------------------------------------------------------------------------------
    # -- the model ------------------------------------------------------------------------------
    def load(self, checkpoint=None) -> bool:
        """Load a generator checkpoint (None = the shipped generator). On failure the error is
        shown in ``status`` (and kept in ``error``), the previous model stays, and False is returned."""
        from .checkpoint import load_generator

        typed = checkpoint is not None and str(checkpoint).strip() != ""
        path = Path(str(checkpoint).strip()) if typed else paths.default_generator_path()
        try:
            path = paths.resolve_user_path(path) if typed else path
            G, metadata = load_generator(path)
            config = metadata["config"]
            latent_dim, dist = int(config["latent_dim"]), str(config["latent_dist"])
            if int(config.get("data_dim", SIDE * SIDE)) != SIDE * SIDE:
                raise ValueError(f"this generator makes {config['data_dim']}-dimensional data, not 28x28 images")
            directions, eigenvalues = latent_directions(
                G, latent_dim, dist, self.n_directions, n_samples=self.direction_samples
            )
        except Exception as err:  # noqa: BLE001 - whatever it is (even MemoryError), the previous model stays
            self.error = f"could not load {path}: {_reason(err)}"
            self.show_status(self.error, error=True)
            if self.G is None:
                self.path.options = _checkpoint_choices()
                self.path.value = str(checkpoint or "")
            return False
        self.G, self.metadata, self.checkpoint = G, metadata, path
        self.latent_dim, self.latent_dist = latent_dim, dist
        self.directions, self.eigenvalues = directions, eigenvalues
        self.error = None
        self._configure_for_model()
        self._loaded_message = f"loaded {path} ({_describe(metadata)})"
        self.show_status(self._loaded_message, error=False)
        return True

    def _configure_for_model(self) -> None:
        share = self.eigenvalues / max(self.eigenvalues.sum(), 1e-30)
        self._hold = True
        try:
            for i, s in enumerate(self.sliders):
                s.layout.display = None if i < len(self.directions) else "none"
                s.value = 0.0
                if i < len(self.directions):
                    s.tooltip = (
                        f"direction {i + 1}: {share[i]:.0%} of the average image change "
                        f"(eigenvalue {self.eigenvalues[i]:.3g})"
                    )
            self.method.value = "slerp" if self.latent_dist == "gaussian" else "lerp"
            self.path.options = _checkpoint_choices()
            self.path.value = paths.display_path(self.checkpoint)
        finally:
            self._hold = False
        m = self.metadata
        self.title.value = (
            "<b>Latent space explorer</b> <span class='ge-small'>&middot; "
            f"{html.escape(paths.display_path(self.checkpoint))}"
            f" &middot; z ~ {'N(0, I)' if self.latent_dist == 'gaussian' else 'U(-1, 1)'}, d = {self.latent_dim}"
            f" &middot; trained {m.get('epoch', '?')} epochs</span>"
        )
        self._update_strip()
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
        """G's image for one z: (latent_dim,) -> (784,) float32 in [-1, 1]."""
        return self.G.forward(np.asarray(z, dtype=np.float32).reshape(1, -1))[0]

    # -- updates ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-render the digit now (fast path: one generator pass and a PNG), then the analysis."""
        if self.G is None or self._hold:
            return
        z = self.current_z()
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
        self._reset_sliders()

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
        self.strip.value = render_strip(self.G.forward(zs))

    # -- classifier and nearest neighbour, throttled while sliding ----------------------------------
    def _request_analysis(self) -> None:
        loop = _running_loop()
        if loop is None or self.analysis_interval <= 0:
            self._safe_analyse()
            return
        if self._pending is not None:
            return  # a trailing update is already scheduled; it will use the latest image
        wait = self._last_analysis + self.analysis_interval - time.monotonic()
        if wait <= 0:
            self._safe_analyse()
        else:
            self._pending = loop.call_later(wait, self._run_pending)

    def _run_pending(self) -> None:
        self._pending = None
        self._safe_analyse()

    def _safe_analyse(self) -> None:
        try:
            self._analyse()
        except Exception as err:  # noqa: BLE001 - show it in the page, never as a silent kernel log
            self.show_status(f"analysis failed: {_reason(err)}", error=True)

    def _analyse(self) -> None:
        self._last_analysis = time.monotonic()
        x = self._x
        if x is None:
            return
        self.prediction.value = self._prediction_html(x)
        if self.nearest is None:
            self.nearest_image.value = b""
            self.nearest_label.value = f"<span class='ge-small'>unavailable: {html.escape(self.nearest_error)}</span>"
            return
        distances, indices = self.nearest.query(x)
        distance, index = float(distances[0]), int(indices[0])
        self.nearest_image.value = render_png(self.nearest.images[index], scale=3)
        self.nearest_label.value = (
            f"distance <b>{distance:.2f}</b><br><span class='ge-small'>training image #{index}<br>"
            "(Euclidean, pixels in [-1, 1]; near 0 would mean a copy)</span>"
        )

    def _prediction_html(self, x) -> str:
        if self.classifier is None:
            return (
                "<b>Classifier</b><br><span class='ge-small'>classifier unavailable: "
                f"{html.escape(self.classifier_error)}</span>"
            )
        p = self.classifier.predict_proba(x.reshape(1, -1))[0]
        top = int(np.argmax(p))
        return f"<b>Classifier</b>: {top} <span class='ge-small'>({p[top]:.0%})</span><br>" + bars_svg(p, top)


def _checkpoint_choices() -> tuple[str, ...]:
    """Checkpoints to offer in the path field: the shipped ones (or the checkout's data/) and runs/."""
    root = paths.checkout_root()
    shipped = root / "data" if root is not None else paths.artifact(".")
    return tuple(paths.display_path(p) for p in find_archives([shipped, paths.runs_dir()]))


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _reason(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if isinstance(err, (ValueError, OSError, ImportError)) else f"{type(err).__name__}: {text}"


def _describe(metadata: dict) -> str:
    c = metadata.get("config", {})
    return (
        f"{metadata.get('kind', 'checkpoint')}, latent {c.get('latent_dim')}-d {c.get('latent_dist')}, "
        f"epoch {metadata.get('epoch', '?')}"
    )
