r"""The latent-space explorer: sliders that move a generator's input and show its output.

A trained generator :math:`G` maps a latent vector :math:`z \in \mathbb{R}^d`
(``d = latent_dim``, 100 by default) to a 28x28 image. This module lets you
walk around that space:

* **Seeds.** ``latent_from_seed(seed, d, dist)`` draws one z from the prior
  (``N(0, I)`` or ``U(-1, 1)^d``) with its own random generator, so a seed
  always gives the same digit: write it down and come back to it.
* **Directions.** :func:`latent_directions` finds the directions of z along
  which the image changes most, on average over the prior. For a small step
  :math:`\epsilon v` (unit vector :math:`v`) the image moves by
  :math:`\|G(z + \epsilon v) - G(z)\|^2 \approx \epsilon^2\, v^\top J(z)^\top J(z)\, v`,
  with :math:`J(z) = \partial G / \partial z` (784 x d). Averaged over the prior,
  the directions that change the image most are the top eigenvectors of
  :math:`M = \mathbb{E}_z[J^\top J]` (the *pullback metric*; principal
  components of the image change, not of the images). They come out
  orthonormal, and their eigenvalues say how much change each one carries.
  :math:`M` is estimated by back-propagation: for a random probe
  :math:`u \sim N(0, I_{784})`, ``G.backward(u)`` returns :math:`g = J^\top u`,
  and :math:`\mathbb{E}_u[g g^\top] = J^\top \mathbb{E}[u u^\top] J = J^\top J`
  (Hutchinson's trick), so one forward and one backward pass over a few
  thousand z suffice.
* **Interpolation.** :func:`slerp` for Gaussian z, :func:`lerp` for uniform z
  (see :func:`interpolate` for why).
* **Checks beside the digit.** What a small MNIST classifier thinks it is
  (``ganlib.metrics.Classifier``), and the nearest of the 50,000 training
  images with its distance: a distance near 0 would mean the generator copies
  its training data.

:class:`LatentExplorer` puts it together as ipywidgets. All widget state lives
in the kernel, so tests drive it in plain Python (set ``slider.value``, read
``image.value``). Served with Voila (``voila notebooks/05-exploring-the-latent-space.ipynb``),
the page shows the explorer alone: its stylesheet hides every other notebook
cell when (and only when) the page is served by Voila.

Example::

    from ganlib.explorer import LatentExplorer
    LatentExplorer()             # the shipped data/generator.npz; or LatentExplorer("runs/x/generator.npz")
"""

from __future__ import annotations

import asyncio
import html
import time
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import viz
from .gan import sample_prior

__all__ = [
    "latent_from_seed",
    "typical_norm",
    "prior_std",
    "slerp",
    "lerp",
    "interpolate",
    "latent_directions",
    "to_pixels",
    "render_png",
    "render_strip",
    "NearestTraining",
    "find_checkpoints",
    "LatentExplorer",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
SIDE = 28  # MNIST images are SIDE x SIDE


# =============================================================================== latent vectors


def latent_from_seed(seed: int, latent_dim: int, dist: str = "gaussian") -> np.ndarray:
    """One latent vector z ~ p_z, shape (latent_dim,), float32, fully determined by ``seed``.

    ``dist`` is ``"gaussian"`` (N(0, I)) or ``"uniform"`` (U(-1, 1) per coordinate),
    as in ``GANConfig.latent_dist``.
    """
    return sample_prior(np.random.default_rng(int(seed)), int(latent_dim), dist)


def prior_std(dist: str) -> float:
    """Standard deviation of z along any unit direction: 1 for N(0, I), 1/sqrt(3) for U(-1, 1)^d."""
    return 1.0 if dist == "gaussian" else 1.0 / np.sqrt(3.0)


def typical_norm(latent_dim: int, dist: str = "gaussian") -> float:
    r"""The norm a random z almost always has: :math:`\sqrt{E\|z\|^2}`, i.e. :math:`\sqrt d` for
    N(0, I) and :math:`\sqrt{d/3}` for U(-1, 1)^d. In high dimension :math:`\|z\|` barely varies
    around it (its standard deviation stays below 1 however large d is): the prior's
    mass sits on a thin shell, not near the origin."""
    return float(np.sqrt(latent_dim) * prior_std(dist))


def lerp(a, b, t: float) -> np.ndarray:
    """Linear interpolation ``(1 - t) a + t b``; exactly ``a`` at t = 0 and ``b`` at t = 1."""
    a, b = np.asarray(a), np.asarray(b)
    out = (1.0 - t) * a.astype(np.float64) + t * b.astype(np.float64)
    return out.astype(np.result_type(a, b))


def slerp(a, b, t: float) -> np.ndarray:
    r"""Spherical interpolation: along the great circle from ``a``'s direction to ``b``'s,
    with the norm moving linearly from :math:`\|a\|` to :math:`\|b\|`.

    With :math:`\hat a = a/\|a\|`, :math:`\hat b = b/\|b\|` and the angle
    :math:`\Omega = \arccos(\hat a\cdot\hat b)`:

    .. math::
        \mathrm{slerp}(a, b, t) = \big((1-t)\|a\| + t\|b\|\big)\,
        \frac{\sin((1-t)\Omega)\,\hat a + \sin(t\Omega)\,\hat b}{\sin\Omega}

    (Shoemake, 1985, for the direction; White, 2016, "Sampling generative
    networks", for its use with GANs). The direction turns at a constant rate
    (angle :math:`t\Omega` from ``a``), the norm never dips as a straight line's
    does, and the result is exactly ``a`` at t = 0 and exactly ``b`` at t = 1.
    Nearly parallel vectors fall back to :func:`lerp`; exactly opposite ones have
    no unique great circle and raise ``ValueError``.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"slerp needs two vectors of the same shape, got {a.shape} and {b.shape}")
    dtype = np.result_type(a, b)
    if t == 0:
        return a.astype(dtype, copy=True)
    if t == 1:
        return b.astype(dtype, copy=True)
    a64, b64 = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    na, nb = np.linalg.norm(a64), np.linalg.norm(b64)
    if na == 0.0 or nb == 0.0:
        return lerp(a, b, t)
    cos = np.clip(a64 @ b64 / (na * nb), -1.0, 1.0)
    omega = np.arccos(cos)
    if omega < 1e-6:
        return lerp(a, b, t)
    if np.pi - omega < 1e-6:
        raise ValueError("slerp is undefined for opposite vectors: every great circle joins them")
    direction = (np.sin((1.0 - t) * omega) * a64 / na + np.sin(t * omega) * b64 / nb) / np.sin(omega)
    out = ((1.0 - t) * na + t * nb) * direction
    return out.reshape(a.shape).astype(dtype)


def interpolate(a, b, t: float, dist: str = "gaussian", method: str | None = None) -> np.ndarray:
    """The point at ``t`` in [0, 1] on the path from latent ``a`` to latent ``b``.

    ``method`` None picks by prior: ``"slerp"`` for Gaussian z, ``"lerp"`` for uniform z.
    A Gaussian z in d dimensions almost always has norm close to sqrt(d) (10 for
    d = 100): the mass is on a thin shell. The midpoint of a straight line between
    two such points has norm about sqrt(d / 2) (7.1): a region the generator
    practically never saw in training, so lerp midpoints look washed out.
    Slerp stays on the shell. A uniform z lives in the cube [-1, 1]^d, which is
    convex: the straight line never leaves it, while slerp's arc, bulging
    outwards, can push coordinates beyond +-1, where the generator was never trained.
    """
    method = method or ("slerp" if dist == "gaussian" else "lerp")
    if method == "slerp":
        return slerp(a, b, t)
    if method == "lerp":
        return lerp(a, b, t)
    raise ValueError(f"method must be 'slerp' or 'lerp', got {method!r}")


def latent_directions(
    G,
    latent_dim: int,
    dist: str = "gaussian",
    n_directions: int = 6,
    n_samples: int = 2048,
    seed: int = 0,
    batch_size: int = 1024,
):
    r"""The ``n_directions`` unit directions of z that change G's image most, on average.

    Returns ``(directions, eigenvalues)``: ``directions`` float32 of shape
    (n_directions, latent_dim) with orthonormal rows; ``eigenvalues`` float64 of
    shape (latent_dim,), all eigenvalues of :math:`M = E_z[J^\top J]` in
    decreasing order (the average squared image change, in squared [-1, 1]
    pixel units, per unit step along each direction).

    How: draw ``n_samples`` z from the prior and one probe
    :math:`u \sim N(0, I_{784})` for each; ``G.backward(u)`` gives
    :math:`g = J(z)^\top u`, and the mean of :math:`g g^\top` is an unbiased
    estimate of :math:`M` (Hutchinson). The rows are the top eigenvectors of
    that estimate. Signs are fixed so that moving along +direction adds ink on
    average (the mean of :math:`J^\top \mathbf 1` has a positive component),
    which makes the result deterministic. Costs one forward and one backward
    pass over about ``n_samples`` rows (a fraction of a second for the default G).
    """
    n_directions = min(int(n_directions), int(latent_dim))
    rng = np.random.default_rng(seed)
    metric = np.zeros((latent_dim, latent_dim), dtype=np.float64)
    ink = np.zeros(latent_dim, dtype=np.float64)
    for start in range(0, n_samples, batch_size):
        n = min(batch_size, n_samples - start)
        z = sample_prior(rng, (n, latent_dim), dist)  # (n, d)
        m = min(n, 64)  # the sign convention needs only a rough average
        out = G.forward(np.concatenate([z, z[:m]]))  # (n + m, 784)
        probes = rng.standard_normal((n, out.shape[1]), dtype=np.float32)  # u ~ N(0, I)
        ones = np.ones((m, out.shape[1]), dtype=np.float32)  # d(total ink)/d(out) = 1 for every pixel
        grads = G.backward(np.concatenate([probes, ones]), need_param_grads=False)  # (n + m, d)
        g = grads[:n].astype(np.float64)  # g = J^T u, one per z
        metric += g.T @ g  # sum of g g^T
        ink += grads[n:].sum(axis=0)
    metric /= n_samples
    eigenvalues, eigenvectors = np.linalg.eigh(metric)  # ascending
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    directions = eigenvectors[:, :n_directions].T.copy()  # (k, d), orthonormal rows
    for row in directions:
        s = row @ ink
        if s == 0.0:
            s = row[np.argmax(np.abs(row))]
        row *= np.sign(s)
    return directions.astype(np.float32), np.clip(eigenvalues, 0.0, None)


# =============================================================================== images


def to_pixels(image) -> np.ndarray:
    """An image in [-1, 1] (784 values or 28x28) -> uint8 (28, 28), 0 = black, 255 = white."""
    return viz.to_uint8(np.asarray(image, dtype=np.float32).reshape(SIDE, SIDE))


def render_png(image, scale: int = 8) -> bytes:
    """PNG bytes of one image in [-1, 1] (784 values), enlarged ``scale`` times with nearest
    neighbour (each pixel becomes a ``scale`` x ``scale`` block): crisp at any zoom."""
    return viz.to_png_bytes(to_pixels(image), scale=scale)


def render_strip(images, scale: int = 3, gap: int = 2, gap_value: int = 255) -> bytes:
    """PNG bytes of images (N, 784) in [-1, 1] side by side, ``gap`` pixels apart."""
    tiles = [np.repeat(np.repeat(to_pixels(x), scale, axis=0), scale, axis=1) for x in images]
    sep = np.full((SIDE * scale, gap), gap_value, dtype=np.uint8)
    row = [tiles[0]]
    for tile in tiles[1:]:
        row += [sep, tile]
    return viz.to_png_bytes(np.concatenate(row, axis=1), scale=1)


# =============================================================================== memorisation check


class NearestTraining:
    r"""The nearest training image of one generated image, fast enough for a slider.

    Precomputes the training images as float32 in [-1, 1] (M, 784) and their
    squared norms once. A query is then one matrix-vector product:
    :math:`\|x - y_i\|^2 = \|x\|^2 + \|y_i\|^2 - 2\,y_i\cdot x`, and
    :math:`\|x\|^2` does not change which i wins. The winner's distance is
    recomputed directly in float64, so it agrees with
    ``ganlib.metrics.nearest_training_distance``.
    """

    def __init__(self, images):
        images = np.asarray(images)
        if images.ndim != 2 or images.shape[1] != SIDE * SIDE:
            raise ValueError(f"training images must have shape (M, 784), got {images.shape}")
        if images.dtype == np.uint8:
            images = images.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
        self.images = np.ascontiguousarray(images, dtype=np.float32)  # (M, 784) in [-1, 1]
        self.sq_norms = np.einsum("ij,ij->i", self.images, self.images)  # (M,)

    def __len__(self) -> int:
        return len(self.images)

    def query(self, image) -> tuple[float, int]:
        """``(distance, index)`` of the training image nearest to ``image`` (784 values in [-1, 1])."""
        x = np.asarray(image, dtype=np.float32).reshape(-1)
        d2 = self.images @ x  # (M,): the one GEMV
        d2 *= -2.0
        d2 += self.sq_norms
        i = int(np.argmin(d2))
        distance = float(np.linalg.norm(x.astype(np.float64) - self.images[i].astype(np.float64)))
        return distance, i


@lru_cache(maxsize=1)
def _default_nearest() -> NearestTraining:
    """The 50,000 MNIST ``train`` images (as in ganlib.metrics), loaded once per process."""
    from .data import load_mnist

    return NearestTraining(load_mnist("train")[0])


def _default_classifier():
    from .metrics import Classifier  # raises ImportError if ganlib.metrics is absent

    return Classifier.load()


# =============================================================================== checkpoints


def find_checkpoints(roots=None) -> list[str]:
    """``.npz`` files under ``data/`` and ``runs/`` (repository-relative) that are ganlib
    checkpoints (they hold a ``metadata.json`` entry; only the zip directory is read)."""
    roots = [REPO_ROOT / "data", REPO_ROOT / "runs"] if roots is None else [Path(r) for r in roots]
    found = []
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.npz")):
            try:
                with zipfile.ZipFile(path) as zf:
                    if "metadata.json.npy" not in zf.namelist():
                        continue
            except (OSError, zipfile.BadZipFile):
                continue
            try:
                found.append(str(path.relative_to(REPO_ROOT)))
            except ValueError:
                found.append(str(path))
    return found


def _resolve(path) -> Path:
    """A path as typed: absolute, relative to the working directory, or else to the repository."""
    path = Path(str(path).strip()).expanduser()
    if path.is_absolute() or path.exists():
        return path
    in_repo = REPO_ROOT / path
    return in_repo if in_repo.exists() else path


# =============================================================================== the widget


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


class LatentExplorer:
    """An ipywidgets app to explore a generator's latent space. Display it as the last
    expression of a cell (or ``display(explorer)``); ``explorer.widget`` is the root box.

    Parameters
    ----------
    checkpoint : path of a ganlib checkpoint (either kind); None = ``data/generator.npz``.
        A path that does not load shows its error in the explorer instead of raising.
    classifier : a ``ganlib.metrics.Classifier``, a path to its weights, ``"default"``
        (``data/classifier.npz``), or None to switch the prediction off.
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
        import ipywidgets as W

        self.n_directions, self.direction_samples = int(n_directions), int(direction_samples)
        self.analysis_interval = float(analysis_interval)
        self.G = self.metadata = self.directions = self.eigenvalues = None
        self.latent_dim, self.latent_dist, self.checkpoint = 0, "gaussian", None
        self.error: str | None = None
        self._hold = False  # True while several controls change at once: render once at the end
        self._pending = None  # the scheduled trailing analysis, if any
        self._last_analysis = -np.inf
        self._x = None  # the image on display, (784,) in [-1, 1]
        self._seed_rng = np.random.default_rng()
        self._build_widgets(W, seed)
        self.classifier, self.classifier_error = self._init_classifier(classifier)
        self.nearest, self.nearest_error = self._init_nearest(train_images)
        self.load(checkpoint)

    # -- construction -----------------------------------------------------------------------
    def _build_widgets(self, W, seed: int) -> None:
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
        self.strip = W.Image(format="png", layout=W.Layout(width=f"{8 * 84 + 7 * 2}px", height="84px"))
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

        self.seed.observe(self._on_seed, names="value")
        self.new_z_button.on_click(self._on_new_z)
        self.reset_button.on_click(lambda _: self._reset_sliders())
        for s in self.sliders:
            s.observe(self._on_control, names="value")
        for w in (self.seed_a, self.seed_b, self.method):
            w.observe(self._on_endpoints, names="value")
        self.t.observe(self._on_control, names="value")
        self.tabs.observe(self._on_control, names="selected_index")
        self.load_button.on_click(lambda _: self.load(self.path.value))

    def _init_classifier(self, classifier):
        if classifier is None:
            return None, "switched off"
        try:
            if isinstance(classifier, str) and classifier == "default":
                return _default_classifier(), None
            if isinstance(classifier, (str, Path)):
                from .metrics import Classifier

                return Classifier.load(_resolve(classifier)), None
            return classifier, None
        except Exception as err:  # noqa: BLE001 - any failure only disables the prediction
            return None, _reason(err)

    def _init_nearest(self, train_images):
        if train_images is None:
            return None, "switched off"
        try:
            if isinstance(train_images, str) and train_images == "default":
                return _default_nearest(), None
            return NearestTraining(train_images), None
        except Exception as err:  # noqa: BLE001 - any failure only disables the check
            return None, _reason(err)

    # -- display ------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- the model ------------------------------------------------------------------------------
    def load(self, checkpoint=None) -> bool:
        """Load a generator checkpoint (None = ``data/generator.npz``). On failure the error is
        shown in ``status`` (and kept in ``error``), the previous model stays, and False is returned."""
        from .checkpoint import CheckpointError, default_generator_path, load_generator

        typed = checkpoint is not None and str(checkpoint).strip() != ""
        path = _resolve(checkpoint) if typed else default_generator_path()
        try:
            G, metadata = load_generator(path)
            config = metadata["config"]
            latent_dim, dist = int(config["latent_dim"]), str(config["latent_dist"])
            if int(config.get("data_dim", SIDE * SIDE)) != SIDE * SIDE:
                raise ValueError(f"this generator makes {config['data_dim']}-dimensional data, not 28x28 images")
            directions, eigenvalues = latent_directions(
                G, latent_dim, dist, self.n_directions, n_samples=self.direction_samples
            )
        except (CheckpointError, OSError, ValueError, KeyError, TypeError) as err:
            self.error = f"could not load {path}: {_reason(err)}"
            self._show_status(self.error, error=True)
            if self.G is None:
                self.path.options = tuple(find_checkpoints())
                self.path.value = str(checkpoint or "")
            return False
        self.G, self.metadata, self.checkpoint = G, metadata, path
        self.latent_dim, self.latent_dist = latent_dim, dist
        self.directions, self.eigenvalues = directions, eigenvalues
        self.error = None
        self._configure_for_model()
        self._show_status(f"loaded {path} ({_describe(metadata)})", error=False)
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
            self.path.options = tuple(find_checkpoints())
            self.path.value = _display_path(self.checkpoint)
        finally:
            self._hold = False
        m = self.metadata
        self.title.value = (
            "<b>Latent space explorer</b> <span class='ge-small'>&middot; "
            f"{html.escape(_display_path(self.checkpoint))}"
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
            self._show_status(f"analysis failed: {_reason(err)}", error=True)

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
        distance, index = self.nearest.query(x)
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
        return f"<b>Classifier</b>: {top} <span class='ge-small'>({p[top]:.0%})</span><br>" + _bars_svg(p, top)

    def _show_status(self, message: str, error: bool) -> None:
        css = "ge-error" if error else "ge-small ge-ok"
        self.status.value = f"<span class='{css}'>{html.escape(message)}</span>"


def _bars_svg(p, top: int, width: int = 240, height: int = 44) -> str:
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


def _display_path(path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
