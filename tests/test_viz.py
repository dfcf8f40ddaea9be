"""Tests of ganlib.viz: grids, PNG and GIF encoding, plots (Agg backend), the live display, bad input."""

import io
import os

import matplotlib

matplotlib.use("Agg")  # before pyplot: no windows, and the same pixels on every machine

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from ganlib import viz  # noqa: E402
from ganlib.gan import History  # noqa: E402
from ganlib.viz import images as img  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _images(rng, n=10):
    return rng.uniform(-1, 1, size=(n, 784)).astype(np.float32)


def _history(rng, n_iter=30, n_snap=4, n_fixed=16):
    h = History()
    h.loss_d.extend(rng.uniform(1.2, 1.5, n_iter).tolist())
    h.loss_g.extend(rng.uniform(0.6, 0.9, n_iter).tolist())
    h.d_real.extend(rng.uniform(0.4, 0.7, n_iter).tolist())
    h.d_fake.extend(rng.uniform(0.3, 0.6, n_iter).tolist())
    for i in range(n_snap):
        h.snapshots.append(_images(rng, n_fixed).astype(np.float16))
        h.snapshot_iterations.append(i * 10)
    return h


# -------------------------------------------------------------------------- pixels


def test_to_uint8_maps_range_endpoints():
    out = img.to_uint8(np.array([-1.0, 0.0, 1.0, -3.0, 3.0], dtype=np.float32))
    assert out.dtype == np.uint8
    assert out.tolist() == [0, 128, 255, 0, 255]


def test_to_uint8_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        img.to_uint8(np.array([np.nan, 0.0]))


@pytest.mark.parametrize("n, nrow, rows, cols", [(10, None, 3, 4), (64, 8, 8, 8), (5, 10, 1, 5), (1, None, 1, 1)])
def test_image_grid_shape_and_dtype(rng, n, nrow, rows, cols):
    grid = img.image_grid(_images(rng, n), nrow=nrow, pad=2)
    assert grid.dtype == np.uint8
    assert grid.shape == (rows * 30 + 2, cols * 30 + 2)


def test_image_grid_places_tiles_and_padding():
    images = np.stack([np.full(784, -1.0), np.full(784, 1.0)]).astype(np.float32)
    grid = img.image_grid(images, nrow=2, pad=2, pad_value=7)
    assert grid.shape == (32, 62)
    assert (grid[2:30, 2:30] == 0).all() and (grid[2:30, 32:60] == 255).all()
    assert (grid[0:2] == 7).all() and (grid[:, 30:32] == 7).all()


def test_image_grid_accepts_uint8_and_3d(rng):
    u8 = rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8)
    grid = img.image_grid(u8, nrow=2, pad=0)
    assert grid.shape == (56, 56)
    np.testing.assert_array_equal(grid[28:, 28:], u8[3])
    np.testing.assert_array_equal(img.image_grid(u8.reshape(4, 784), nrow=2, pad=0), grid)


@pytest.mark.parametrize("bad", [np.zeros((3, 100, 7)), np.zeros((3, 783)), np.zeros((2, 3, 4, 5)), np.zeros((0, 784))])
def test_image_grid_rejects_bad_shapes(bad):
    with pytest.raises(ValueError):
        img.image_grid(bad.astype(np.float32))


def test_image_grid_rejects_bad_dtype_and_nrow(rng):
    with pytest.raises(ValueError, match="dtype"):
        img.image_grid(np.zeros((2, 784), dtype=np.int64))
    with pytest.raises(ValueError, match="nrow"):
        img.image_grid(_images(rng, 2), nrow=0)


def test_to_png_bytes_signature_and_scale(rng):
    grid = img.image_grid(_images(rng, 4), nrow=2)
    data = img.to_png_bytes(grid, scale=3)
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (grid.shape[1] * 3, grid.shape[0] * 3)
        assert im.mode == "L"
        np.testing.assert_array_equal(np.asarray(im)[::3, ::3], grid)  # nearest neighbour: exact pixels


def test_to_png_bytes_rejects_batches(rng):
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        img.to_png_bytes(_images(rng, 4).reshape(4, 28, 28))
    with pytest.raises(ValueError, match="scale"):
        img.to_png_bytes(np.zeros((4, 4), np.uint8), scale=0)


def test_save_grid_png(rng, tmp_path):
    path = img.save_grid_png(_images(rng, 6), tmp_path / "out" / "samples.png", nrow=3, scale=2)
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    with Image.open(path) as im:
        assert im.size == ((3 * 30 + 2) * 2, (2 * 30 + 2) * 2)


# -------------------------------------------------------------------------- plots


def test_show_grid_returns_figure(rng):
    fig = viz.show_grid(_images(rng, 9), title="samples")
    assert isinstance(fig, matplotlib.figure.Figure)
    assert fig.axes[0].get_title() == "samples"
    assert viz.figure_to_png_bytes(fig).startswith(PNG_SIGNATURE)


def test_plot_losses_two_panels_from_history_and_dict(rng):
    h = _history(rng)
    fig = viz.plot_losses(h, smooth=5)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2
    assert any(abs(line.get_ydata()[0] - 0.5) < 1e-12 for line in fig.axes[1].get_lines())  # the 0.5 line
    fig2, ax = plt.subplots()
    assert viz.plot_losses(h.arrays(), ax=ax) is fig2  # one Axes: the loss panel only


def test_plot_losses_rejects_empty_or_wrong_history():
    with pytest.raises(ValueError, match="empty"):
        viz.plot_losses(History())
    with pytest.raises(ValueError):
        viz.plot_losses([1, 2, 3])
    with pytest.raises(ValueError, match="d_fake"):
        viz.plot_losses({"loss_d": [1.0], "loss_g": [1.0], "d_real": [0.5]})


def test_moving_average():
    np.testing.assert_allclose(viz.moving_average([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(viz.moving_average([5.0], 10), [5.0])


def test_plot_class_histogram():
    counts = np.array([10, 0, 5, 5, 0, 0, 30, 0, 0, 50])
    hist = {
        "counts": counts,
        "fractions": counts / 100,
        "classes_covered": 5,
        "kl_to_uniform": 1.1,
        "mean_confidence": 0.9,
    }
    fig = viz.plot_class_histogram(hist, title="classes")
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes[0].patches) == 10
    assert viz.plot_class_histogram({"counts": counts}) is not None
    with pytest.raises(ValueError):
        viz.plot_class_histogram({"fractions": np.ones(9) / 9})


def test_plot_1d_gan(rng):
    data, samples = rng.normal(4, 1.25, (500, 1)), rng.normal(0, 1, 300)
    xs = np.linspace(-2, 8, 50)
    fig = viz.plot_1d_gan(
        data,
        samples,
        xs,
        1 / (1 + np.exp(-xs)),
        d_optimal=np.full(50, 0.5),
        data_pdf=lambda x: np.exp(-(x**2)),
        title="toy",
    )
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2
    assert isinstance(viz.plot_1d_gan(data, samples), matplotlib.figure.Figure)
    with pytest.raises(ValueError, match="both"):
        viz.plot_1d_gan(data, samples, x_grid=xs)
    with pytest.raises(ValueError, match="same length"):
        viz.plot_1d_gan(data, samples, xs, xs[:10])


# -------------------------------------------------------------------------- GIF


def test_save_gif_frames_and_labels(rng, tmp_path):
    h = _history(rng, n_snap=5, n_fixed=16)
    path = img.save_gif(h, tmp_path / "sub" / "progress.gif", fps=5, nrow=4)
    assert path == tmp_path / "sub" / "progress.gif" and path.exists()
    with Image.open(path) as im:
        assert im.format == "GIF"
        assert im.n_frames == 5
        assert im.info.get("loop") == 0
        assert im.size == (4 * 30 + 2, 4 * 30 + 2 + 14)  # grid + the label strip
    assert path.stat().st_size < 200_000


def test_save_gif_from_plain_snapshots(rng, tmp_path):
    snaps = [_images(rng, 4) for _ in range(3)]
    path = img.save_gif(snaps, tmp_path / "a.gif", iterations=[0, 5, 10], nrow=2, scale=2)
    with Image.open(path) as im:
        assert im.n_frames == 3
        assert im.size == ((2 * 30 + 2) * 2, (2 * 30 + 2) * 2 + 14)


def test_save_gif_rejects_bad_input(rng, tmp_path):
    with pytest.raises(ValueError, match="no snapshots"):
        img.save_gif(History(), tmp_path / "x.gif")
    with pytest.raises(ValueError, match="iteration"):
        img.save_gif([_images(rng, 4)] * 2, tmp_path / "x.gif", iterations=[1])
    with pytest.raises(ValueError):
        img.save_gif([np.zeros((4, 10), np.float32)], tmp_path / "x.gif")


def test_show_gif_is_an_image_gif_display(rng, tmp_path):
    path = img.save_gif([_images(rng, 4)] * 2, tmp_path / "a.gif", iterations=[0, 1])
    bundle = viz.show_gif(path)._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "image/gif" in data
    with pytest.raises(ValueError, match="GIF"):
        viz.show_gif(PNG_SIGNATURE + b"rest")


# -------------------------------------------------------------------------- live display


class _FakeConfig:
    data_dim = 784
    generator_loss = "non_saturating"
    real_label = 0.9


class _FakeGAN:
    def __init__(self, rng):
        self.config = _FakeConfig()
        self.history = _history(rng)
        self.fixed_z = rng.standard_normal((16, 8)).astype(np.float32)
        self.fixed_y = None  # unconditional
        self.epoch, self.iteration = 1, 30
        self._rng = rng

    def generate(self, z, y=None):
        return np.tanh(self._rng.standard_normal((len(z), 784))).astype(np.float32)


def test_live_display_outside_notebook_is_silent_and_renders_png(rng):
    live = viz.LiveTrainingDisplay(nrow=4)
    assert live.enabled is False  # pytest is not a Jupyter kernel
    n_figs = len(plt.get_fignums())
    gan = _FakeGAN(rng)
    assert live(gan) is None and live.calls == 0
    png = live.render(gan)
    assert png.startswith(PNG_SIGNATURE)
    assert len(plt.get_fignums()) == n_figs  # nothing left open in pyplot


def test_live_display_updates_in_place(rng, monkeypatch):
    import IPython.display

    shown, updates = [], []

    class Handle:
        def update(self, obj):
            updates.append(obj)

    def fake_display(obj, display_id=False):
        shown.append(obj)
        return Handle()

    monkeypatch.setattr(IPython.display, "display", fake_display)
    live = viz.LiveTrainingDisplay()
    live.enabled = True
    gan = _FakeGAN(rng)
    live(gan)
    live(gan)  # same iteration: not redrawn
    gan.iteration += 10
    live(gan)
    assert len(shown) == 1 and len(updates) == 1 and live.calls == 2
    assert updates[0].data.startswith(PNG_SIGNATURE)


def test_live_display_with_a_real_gan(tmp_path):
    from ganlib.gan import CONFIGS, GAN

    gan = GAN(CONFIGS["default"].replace(g_hidden=(8,), d_hidden=(8,), latent_dim=4, batch_size=16), n_fixed=8)
    X = np.random.default_rng(0).uniform(-1, 1, (64, 784)).astype(np.float32)
    live = viz.LiveTrainingDisplay()
    gan.train(X, epochs=1, callback=live, callback_every=2)
    assert live.render(gan).startswith(PNG_SIGNATURE)
    path = img.save_gif(gan.history, tmp_path / "run.gif")
    with Image.open(path) as im:
        assert im.n_frames == len(gan.history.snapshots)


def test_live_display_of_a_conditional_gan_draws_its_fixed_labels(tmp_path):
    from ganlib.gan import CONFIGS, GAN

    config = CONFIGS["conditional"].replace(g_hidden=(8,), d_hidden=(8,), latent_dim=4, batch_size=16)
    gan = GAN(config, n_fixed=20)
    X = np.random.default_rng(0).uniform(-1, 1, (64, 784)).astype(np.float32)
    gan.train(X, np.arange(64) % 10, epochs=1)
    assert viz.LiveTrainingDisplay(nrow=10, max_images=20).render(gan).startswith(PNG_SIGNATURE)
    assert len(gan.history.snapshots) == 2 and gan.history.snapshots[-1].shape == (20, 784)


def test_image_files_are_replaced_atomically(rng, tmp_path, monkeypatch):
    """A failure while writing (here the final flush to disk) leaves the previous files intact, and no debris."""
    png = img.save_grid_png(_images(rng, 4), tmp_path / "s.png")
    gif = img.save_gif([_images(rng, 4)] * 2, tmp_path / "p.gif", iterations=[0, 1])
    before = png.read_bytes(), gif.read_bytes()

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        img.save_grid_png(_images(rng, 9), png)
    with pytest.raises(OSError, match="disk full"):
        img.save_gif([_images(rng, 9)] * 3, gif)
    assert (png.read_bytes(), gif.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.gif", "s.png"]


def test_plot_class_fractions_and_show_picture():
    fractions = np.zeros((3, 10))
    fractions[:, 0], fractions[:, 1] = [0.5, 0.8, 1.0], [0.5, 0.2, 0.0]
    fig = viz.plot_class_fractions([1, 2, 3], fractions, title="t")
    assert len(fig.axes[0].collections) == 10  # one band per digit
    with pytest.raises(ValueError, match="shape"):
        viz.plot_class_fractions([1, 2], fractions)
    fig = viz.show_picture(np.zeros((20, 40), np.uint8), column_labels=[0, 5], xlabel="epoch")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["0", "5"]
    with pytest.raises(ValueError, match="2-D"):
        viz.show_picture(np.zeros((2, 2, 2)))
    plt.close("all")


def test_plot_metric_curves_draws_each_run_in_each_panel_and_skips_missing_values():
    curves = {
        "old": [{"minutes": m, "fd": 30 / (m + 1), "kl": 0.1 / (m + 1), "min_class": 0.05} for m in range(5)],
        "new": [
            {"minutes": m, "fd": 20 / (m + 1), "kl": 0.05, "min_class": 0.08, "parzen": None if m % 2 else 200 + m}
            for m in range(5)
        ],
    }
    curves["new"][-1]["parzen_se"] = 2.0
    for row in curves["new"]:
        row.setdefault("parzen_se", 2.0)
    fig = viz.plot_metric_curves(curves, targets={"fd": 8.9, "min_class": 0.07})
    fd_ax, kl_ax, min_ax, parzen_ax = fig.axes
    assert [line.get_label() for line in fd_ax.get_lines()][:2] == ["old", "new"]
    assert len(fd_ax.get_lines()) == 3  # two runs and the target
    np.testing.assert_allclose(fd_ax.get_lines()[1].get_ydata(), [20 / (m + 1) for m in range(5)])
    assert fd_ax.get_yscale() == "log" and min_ax.get_yscale() == "linear"
    # Parzen: only the "new" run has values, at minutes 0, 2, 4, drawn with error bars
    (container,) = parzen_ax.containers  # one run with Parzen values, drawn with error bars
    assert container.get_label() == "new"
    np.testing.assert_array_equal(container.lines[0].get_xdata(), [0, 2, 4])
    plt.close(fig)


@pytest.mark.parametrize("real_label", [1.0, 0.9])
def test_plot_losses_draws_the_equilibrium_of_the_run_s_real_label(rng, real_label):
    from ganlib.losses import equilibrium

    eq = equilibrium(real_label)
    fig = viz.plot_losses(_history(rng), real_label=real_label)
    ax_loss, ax_d = fig.axes[:2]
    flat = {
        round(float(line.get_ydata()[0]), 9)
        for ax in (ax_loss, ax_d)
        for line in ax.get_lines()
        if len(set(np.atleast_1d(line.get_ydata()))) == 1
    }
    assert {round(eq["loss_d"], 9), round(eq["loss_g"], 9), round(eq["d"], 9)} <= flat
    plt.close(fig)


def test_generator_step_diagram_draws():
    import matplotlib.pyplot as plt

    from ganlib.viz.diagrams import generator_step_diagram

    fig = generator_step_diagram()
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "need_param_grads=False" in texts and "not updated" in texts
    plt.close(fig)
