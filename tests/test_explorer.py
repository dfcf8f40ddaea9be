"""The latent-space explorer (ganlib.explorer.widget): pure helpers and the widget, driven in plain Python.

The widget's state lives in the kernel, so setting ``slider.value`` runs the same
code as dragging the slider in a browser (tests/test_browser.py checks the browser).
"""

import asyncio
import io
import json
import zipfile

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from ganlib.evaluation.classifier import Classifier, build_classifier_network  # noqa: E402
from ganlib.evaluation.metrics import NearestNeighbours, nearest_training_distance  # noqa: E402
from ganlib.explorer.latent import interpolate, latent_directions, latent_from_seed, lerp, slerp, typical_norm  # noqa: E402
from ganlib.explorer.widget import LatentExplorer, render_png, render_strip  # noqa: E402
from ganlib.gan import CONFIGS, GAN  # noqa: E402
from ganlib.io.archive import find_archives  # noqa: E402
from ganlib.io.generator import save_generator  # noqa: E402
from ganlib.layers import Dense  # noqa: E402
from ganlib.network import Sequential  # noqa: E402
from ganlib.viz.images import to_uint8  # noqa: E402


def make_explorer(checkpoint, **kwargs):
    """A LatentExplorer with a cheaper direction estimate (the tests do not need precise directions)."""
    kwargs.setdefault("classifier", None)
    return LatentExplorer(checkpoint, direction_samples=256, **kwargs)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """An untrained default generator: its images are noise, but they are G's images."""
    return save_generator(GAN(CONFIGS["default"]), tmp_path_factory.mktemp("ckpt") / "g.npz")


@pytest.fixture(scope="module")
def other_checkpoint(tmp_path_factory):
    """A different model: 16-d uniform latent, as in the original post."""
    gan = GAN(CONFIGS["default"].replace(latent_dim=16, latent_dist="uniform", g_hidden=(32,), seed=3))
    return save_generator(gan, tmp_path_factory.mktemp("ckpt2") / "uniform16.npz")


@pytest.fixture(scope="module")
def train_images():
    """A small stand-in training set (uint8, like load_mnist), so tests need no MNIST file."""
    return np.random.default_rng(0).integers(0, 256, size=(500, 784), dtype=np.uint8)


@pytest.fixture
def explorer(checkpoint, train_images):
    return make_explorer(checkpoint, train_images=train_images)


def decode_png(data: bytes) -> np.ndarray:
    Image = pytest.importorskip("PIL.Image")
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "L"
        return np.asarray(im)


# ----------------------------------------------------------------------------- slerp and lerp


def test_slerp_endpoints_are_exact():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 100)).astype(np.float32)
    np.testing.assert_array_equal(slerp(a, b, 0.0), a)
    np.testing.assert_array_equal(slerp(a, b, 1.0), b)
    assert slerp(a, b, 0.3).dtype == np.float32


def test_slerp_interpolates_the_norm_linearly():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(50) * 3.0, rng.standard_normal(50) * 0.5
    for t in np.linspace(0, 1, 11):
        expected = (1 - t) * np.linalg.norm(a) + t * np.linalg.norm(b)
        assert np.linalg.norm(slerp(a, b, t)) == pytest.approx(expected, rel=1e-12)


def test_slerp_of_orthogonal_unit_vectors_at_half():
    a, b = np.eye(5)[0], np.eye(5)[3]
    np.testing.assert_allclose(slerp(a, b, 0.5), (a + b) / np.sqrt(2), atol=1e-15)


def test_slerp_turns_at_a_constant_rate():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 20))
    omega = np.arccos(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    for t in (0.1, 0.25, 0.6, 0.9):
        z = slerp(a, b, t)
        angle = np.arccos(np.clip(z @ a / np.linalg.norm(z) / np.linalg.norm(a), -1, 1))
        assert angle == pytest.approx(t * omega, rel=1e-9)


def test_slerp_keeps_gaussian_latents_on_the_shell_but_lerp_does_not():
    d = 100
    a, b = latent_from_seed(1, d), latent_from_seed(2, d)
    shell = typical_norm(d)
    assert np.linalg.norm(slerp(a, b, 0.5)) == pytest.approx(shell, rel=0.15)
    assert np.linalg.norm(lerp(a, b, 0.5)) < 0.8 * shell  # about shell / sqrt(2)


def test_slerp_edge_cases():
    a = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(slerp(a, 2 * a, 0.5), 1.5 * a)  # parallel: falls back to lerp
    with pytest.raises(ValueError, match="opposite"):
        slerp(a, -a, 0.5)
    with pytest.raises(ValueError, match="same shape"):
        slerp(a, a[:2], 0.5)


def test_lerp_endpoints_and_interpolate_defaults():
    a, b = latent_from_seed(4, 8, "uniform"), latent_from_seed(5, 8, "uniform")
    np.testing.assert_array_equal(lerp(a, b, 0.0), a)
    np.testing.assert_array_equal(lerp(a, b, 1.0), b)
    np.testing.assert_array_equal(interpolate(a, b, 0.3, "uniform"), lerp(a, b, 0.3))
    np.testing.assert_array_equal(interpolate(a, b, 0.3, "gaussian"), slerp(a, b, 0.3))
    with pytest.raises(ValueError, match="slerp"):
        interpolate(a, b, 0.3, method="cubic")


def test_latent_from_seed_is_reproducible_and_follows_the_prior():
    np.testing.assert_array_equal(latent_from_seed(7, 100), latent_from_seed(7, 100))
    assert not np.array_equal(latent_from_seed(7, 100), latent_from_seed(8, 100))
    u = latent_from_seed(7, 1000, "uniform")
    assert u.dtype == np.float32 and u.min() >= -1 and u.max() <= 1
    with pytest.raises(ValueError, match="gaussian"):
        latent_from_seed(7, 10, "cauchy")


# ----------------------------------------------------------------------------- directions


def test_directions_are_orthonormal_sorted_and_deterministic(checkpoint):
    from ganlib.io.generator import load_generator

    G, _ = load_generator(checkpoint)
    dirs, eig = latent_directions(G, 100, "gaussian", n_directions=6, n_samples=512)
    assert dirs.shape == (6, 100) and dirs.dtype == np.float32
    np.testing.assert_allclose(dirs @ dirs.T, np.eye(6), atol=1e-5)
    assert eig.shape == (100,) and np.all(np.diff(eig) <= 0) and eig[-1] >= 0
    again, _ = latent_directions(G, 100, "gaussian", n_directions=6, n_samples=512)
    np.testing.assert_array_equal(dirs, again)


def test_directions_recover_a_linear_generators_singular_vectors():
    # G(z) = z W with W = U diag(s) V^T: J^T J = W W^T, whose eigenvectors are U's columns.
    rng = np.random.default_rng(0)
    d = 8
    U = np.linalg.qr(rng.standard_normal((d, d)))[0]
    V = np.linalg.qr(rng.standard_normal((784, d)))[0]
    s = np.array([8.0, 5.0, 3.0, 2.0, 1.0, 0.5, 0.2, 0.1])
    dense = Dense(d, 784, rng=0)
    dense.params["W"][...] = (U * s) @ V.T
    G = Sequential(dense)
    dirs, eig = latent_directions(G, d, n_directions=4, n_samples=4096)
    for i in range(4):
        assert abs(dirs[i] @ U[:, i]) > 0.99, f"direction {i} misses the singular vector"
    np.testing.assert_allclose(eig[:4], s[:4] ** 2, rtol=0.1)


# ----------------------------------------------------------------------------- images


def test_render_png_is_a_nearest_neighbour_enlargement():
    image = np.linspace(-1, 1, 784, dtype=np.float32)
    pixels = decode_png(render_png(image, scale=8))
    assert pixels.shape == (224, 224)
    digit = to_uint8(image.reshape(28, 28))
    np.testing.assert_array_equal(pixels[::8, ::8], digit)
    np.testing.assert_array_equal(pixels, np.kron(digit, np.ones((8, 8), dtype=np.uint8)))
    assert decode_png(render_png(-np.ones(784)))[0, 0] == 0 and decode_png(render_png(np.ones(784)))[0, 0] == 255


def test_render_strip_lays_images_side_by_side():
    images = np.stack([np.full(784, v, dtype=np.float32) for v in (-1.0, 0.0, 1.0)])
    pixels = decode_png(render_strip(images, scale=3, gap=2))
    step = (28 + 2) * 3  # each image and the white gap after it, enlarged 3 times
    assert pixels.shape == (32 * 3, (3 * 30 + 2) * 3)
    for k, value in enumerate((0, 128, 255)):
        np.testing.assert_array_equal(pixels[6:90, 6 + k * step : 90 + k * step], value)
    assert pixels[0, 0] == 255 and pixels[50, 90] == 255  # the gaps are white


# ----------------------------------------------------------------------------- nearest training image


def test_nearest_training_finds_an_exact_copy(train_images):
    nn = NearestNeighbours(train_images)
    x = train_images[123].astype(np.float32) / 127.5 - 1
    distances, indices = nn.query(x)
    assert indices.tolist() == [123] and distances.tolist() == [0.0]


def test_one_image_at_a_time_agrees_with_the_batch_search(train_images):
    rng = np.random.default_rng(5)
    samples = rng.uniform(-1, 1, size=(4, 784)).astype(np.float32)
    train = train_images.astype(np.float32) / 127.5 - 1
    dist, idx = nearest_training_distance(samples, train)
    nn = NearestNeighbours(train_images)
    for k in range(4):
        d, i = nn.query(samples[k])
        assert i[0] == idx[k] and d[0] == pytest.approx(dist[k], rel=1e-9)


# ----------------------------------------------------------------------------- the widget


def test_moving_a_slider_changes_the_image(explorer):
    before = explorer.image.value
    assert before[:8] == b"\x89PNG\r\n\x1a\n"
    explorer.sliders[0].value = 2.0
    assert explorer.image.value != before
    explorer.sliders[0].value = 0.0
    assert explorer.image.value == before  # back where we started: the seed's own z


def test_every_slider_moves_along_its_own_direction(explorer):
    z0 = explorer.current_z()
    explorer.sliders[2].value = 1.5
    step = explorer.current_z() - z0
    np.testing.assert_allclose(step, 1.5 * explorer.directions[2], atol=1e-5)


def test_seed_reproduces_the_same_image(explorer, checkpoint, train_images):
    explorer.seed.value = 42
    image42 = explorer.image.value
    np.testing.assert_array_equal(explorer.current_z(), latent_from_seed(42, 100))
    explorer.new_z_button.click()
    assert explorer.seed.value != 42 and explorer.image.value != image42
    explorer.sliders[1].value = 1.0
    explorer.seed.value = 42  # a new seed resets the sliders
    assert all(s.value == 0 for s in explorer.sliders)
    assert explorer.image.value == image42
    other = make_explorer(checkpoint, train_images=train_images, seed=42)
    assert other.image.value == image42  # another session, same seed, same digit
    assert image42 == render_png(explorer.generate(latent_from_seed(42, 100)))


def test_interpolation_endpoints_reproduce_the_chosen_digits(explorer):
    explorer.seed_a.value, explorer.seed_b.value = 3, 8
    explorer.tabs.selected_index = 1
    for method in ("slerp", "lerp"):
        explorer.method.value = method
        explorer.t.value = 0.0
        assert explorer.image.value == render_png(explorer.generate(latent_from_seed(3, 100)))
        explorer.t.value = 1.0
        assert explorer.image.value == render_png(explorer.generate(latent_from_seed(8, 100)))
        explorer.t.value = 0.5
        assert explorer.image.value not in (render_png(explorer.generate(latent_from_seed(s, 100))) for s in (3, 8))
    explorer.tabs.selected_index = 0  # back to the directions tab: seed A's digit in both tabs
    explorer.seed.value = 3
    explorer.tabs.selected_index = 1
    explorer.t.value = 0.0
    image_a = explorer.image.value
    explorer.tabs.selected_index = 0
    assert explorer.image.value == image_a


def test_interpolation_strip_and_norm_readout(explorer):
    explorer.tabs.selected_index = 1
    strip = explorer.strip.value
    explorer.seed_b.value = 99
    assert explorer.strip.value != strip
    assert decode_png(explorer.strip.value).shape == (32 * 3, (8 * 30 + 2) * 3)  # as the layout says
    assert "slerp" in explorer.path_info.value and "typical" in explorer.path_info.value


def test_bad_checkpoint_path_shows_a_message_and_keeps_the_model(explorer, tmp_path):
    G = explorer.G
    explorer.path.value = str(tmp_path / "missing.npz")
    explorer.load_button.click()
    assert "could not load" in explorer.status.value and "no checkpoint at" in explorer.status.value
    assert "Traceback" not in explorer.status.value
    assert explorer.G is G
    explorer.tabs.selected_index = 0
    before = explorer.image.value
    explorer.sliders[0].value = 1.0  # the previous model still works
    assert explorer.image.value != before

    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(b"this is not a zip file")
    assert explorer.load(damaged) is False
    assert "not a readable ganlib checkpoint" in explorer.status.value
    assert explorer.G is G


def test_loading_another_checkpoint_switches_model(explorer, other_checkpoint):
    assert explorer.load(other_checkpoint)
    assert explorer.latent_dim == 16 and explorer.latent_dist == "uniform"
    assert explorer.directions.shape == (6, 16) and explorer.method.value == "lerp"
    assert "loaded" in explorer.status.value and explorer.error is None
    before = explorer.image.value
    explorer.sliders[5].value = -2.0
    assert explorer.image.value != before


def test_missing_initial_checkpoint_is_reported_in_the_ui(tmp_path, checkpoint, train_images):
    e = make_explorer(tmp_path / "nothing-here.npz", train_images=train_images)
    assert e.G is None and "no checkpoint at" in e.status.value and e.error
    e.sliders[0].value = 1.0  # no model: nothing to do, and no exception
    assert e.load(checkpoint) and e.image.value


def test_analysis_panel_shows_nearest_image_and_classifier_state(checkpoint, train_images, tmp_path):
    e = make_explorer(checkpoint, classifier=tmp_path / "no-classifier.npz", train_images=train_images)
    assert "classifier unavailable:" in e.prediction.value
    assert "distance" in e.nearest_label.value and e.nearest_image.value
    (distance,), (index,) = e.nearest.query(e.generate(e.current_z()))
    assert f"#{index}" in e.nearest_label.value and f"{distance:.2f}" in e.nearest_label.value

    off = make_explorer(checkpoint, train_images=None)
    assert "unavailable" in off.nearest_label.value


def test_classifier_prediction_is_shown(checkpoint, train_images):
    clf = Classifier(build_classifier_network().eval())
    e = make_explorer(checkpoint, classifier=clf, train_images=train_images)
    p = clf.predict_proba(e.generate(e.current_z())[None])[0]
    top = int(np.argmax(p))
    assert f"Classifier</b>: {top} " in e.prediction.value and "<svg" in e.prediction.value


def test_analysis_is_throttled_inside_an_event_loop(checkpoint, train_images):
    async def scenario():
        e = make_explorer(checkpoint, train_images=train_images, analysis_interval=0.05)
        for v in (0.5, 1.0, 1.5, 2.0):  # a fast drag: the image follows every step
            e.sliders[0].value = v
            assert e.image.value == render_png(e.generate(e.current_z()))
        await asyncio.sleep(0.2)  # the trailing analysis catches up with the last image
        _, (index,) = e.nearest.query(e.generate(e.current_z()))
        assert f"#{index}<" in e.nearest_label.value
        assert e._pending is None

    asyncio.run(scenario())


def test_find_checkpoints_lists_only_ganlib_files(tmp_path, checkpoint):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "g.npz").write_bytes(checkpoint.read_bytes())
    np.savez(tmp_path / "runs" / "plain.npz", x=np.zeros(3))
    (tmp_path / "runs" / "broken.npz").write_bytes(b"nope")
    found = find_archives([tmp_path / "runs"])
    assert len(found) == 1 and found[0].name == "g.npz"
    assert zipfile.is_zipfile(found[0])


def test_explorer_displays_as_a_widget(explorer):
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "ganlib-explorer" in explorer.widget._dom_classes


def test_a_generator_of_non_images_is_refused(explorer, tmp_path):
    toy_config = CONFIGS["default"].replace(data_dim=1, g_output="linear", g_hidden=(8,))
    toy = save_generator(GAN(toy_config), tmp_path / "toy.npz")
    assert explorer.load(toy) is False
    assert "not 28x28 images" in explorer.status.value and explorer.latent_dim == 100


# ----------------------------------------------------------------------------- slider ends and the digit chooser


@pytest.fixture(scope="module")
def conditional_checkpoint(tmp_path_factory):
    """An untrained conditional generator (10 digits): its images are noise, but they depend on the digit."""
    return save_generator(GAN(CONFIGS["conditional"]), tmp_path_factory.mktemp("cckpt") / "cg.npz")


@pytest.fixture
def conditional(conditional_checkpoint, train_images):
    return make_explorer(conditional_checkpoint, train_images=train_images)


def assert_same_picture(png_a: bytes, png_b: bytes) -> None:
    """The same image up to one grey level. The explorer renders the slider ends of all
    directions in one batch; the test renders one image at a time. OpenBLAS picks different
    kernels for a 1-row and a 2k-row product (e.g. SkylakeX), whose float32 sums round
    differently, and a pixel near a rounding boundary of the 8-bit PNG moves by one level."""
    a, b = decode_png(png_a).astype(int), decode_png(png_b).astype(int)
    assert a.shape == b.shape
    assert np.abs(a - b).max() <= 1


def test_slider_ends_show_the_seed_moved_two_steps_each_way(explorer):
    from ganlib.explorer.view import END_STEP

    assert END_STEP == 2.0
    for k, (low, high) in enumerate(explorer.slider_ends):
        z = explorer.base_z()
        assert_same_picture(low.value, render_png(explorer.generate(z - 2.0 * explorer.directions[k]), 2))
        assert_same_picture(high.value, render_png(explorer.generate(z + 2.0 * explorer.directions[k]), 2))
        assert decode_png(low.value).shape == (56, 56)
    ends = [low.value for low, _ in explorer.slider_ends]
    explorer.sliders[0].value = 1.0  # moving a slider keeps them: they describe the directions at the base code
    assert [low.value for low, _ in explorer.slider_ends] == ends
    explorer.seed.value = 17  # a new base code recomputes them
    assert all(low.value != old for (low, _), old in zip(explorer.slider_ends, ends))
    assert_same_picture(
        explorer.slider_ends[0][0].value,
        render_png(explorer.generate(latent_from_seed(17, 100) - 2.0 * explorer.directions[0]), 2),
    )


def test_digit_chooser_only_for_conditional_generators(explorer, conditional):
    assert explorer.num_classes == 0 and explorer.digit_box.layout.display == "none"
    assert conditional.num_classes == 10 and conditional.digit_box.layout.display is None
    assert [label for label, _ in conditional.digit.options] == [str(d) for d in range(10)]
    assert "conditional, 10 digits" in conditional.title.value and "conditional" not in explorer.title.value


def test_picking_a_digit_keeps_the_style_code(conditional):
    from ganlib.condition import concat_label

    e = conditional
    e.sliders[1].value = 0.8
    z, before = e.current_z(), e.image.value
    e.digit.value = 7
    assert e.image.value != before
    np.testing.assert_array_equal(e.current_z(), z)  # the same z, the sliders where they were
    assert e.sliders[1].value == 0.8
    expected = e.G.forward(concat_label(z[None], [7], 10))[0]
    assert e.image.value == render_png(expected)
    e.digit.value = 2
    e.digit.value = 7
    assert e.image.value == render_png(expected)  # back to 7: the same image


def test_digit_strip_shows_the_current_style_as_every_digit(conditional):
    from ganlib.condition import concat_label

    e = conditional
    e.sliders[0].value = -1.0
    z = e.current_z()
    row = e.G.forward(concat_label(np.repeat(z[None], 10, axis=0), np.arange(10), 10))
    assert e.digit_strip.value == render_strip(row, scale=2)
    assert decode_png(e.digit_strip.value).shape == (64, (10 * 30 + 2) * 2)  # as the layout says
    strip = e.digit_strip.value
    e.digit.value = 4  # another digit, the same style: the same strip
    assert e.digit_strip.value == strip
    e.sliders[0].value = 1.0  # another style: another strip
    assert e.digit_strip.value != strip


def test_slider_ends_follow_the_digit(conditional):
    from ganlib.condition import concat_label

    e = conditional
    ends = [high.value for _, high in e.slider_ends]
    e.digit.value = 5
    assert all(high.value != old for (_, high), old in zip(e.slider_ends, ends))
    z = e.base_z() + 2.0 * e.directions[3]
    assert e.slider_ends[3][1].value == render_png(e.G.forward(concat_label(z[None], [5], 10))[0], 2)


def test_sliders_and_interpolation_work_on_a_conditional_generator(conditional):
    from ganlib.condition import concat_label

    e = conditional
    e.digit.value = 6
    before = e.image.value
    e.sliders[2].value = 1.5
    assert e.image.value != before
    np.testing.assert_allclose(e.current_z() - e.base_z(), 1.5 * e.directions[2], atol=1e-5)
    e.seed_a.value, e.seed_b.value = 3, 8
    e.tabs.selected_index = 1
    e.t.value = 1.0
    assert e.image.value == render_png(e.G.forward(concat_label(latent_from_seed(8, 100)[None], [6], 10))[0])
    strip = e.strip.value
    e.digit.value = 1  # the interpolation path is drawn as the chosen digit
    assert e.strip.value != strip
    assert e.image.value == render_png(e.G.forward(concat_label(latent_from_seed(8, 100)[None], [1], 10))[0])


def test_switching_between_conditional_and_unconditional(conditional, conditional_checkpoint, checkpoint):
    from ganlib.condition import concat_label

    e = conditional
    e.digit.value = 9
    assert e.load(checkpoint) and e.num_classes == 0 and e.digit_box.layout.display == "none"
    before = e.image.value
    e.sliders[0].value = 1.0
    assert e.image.value != before
    assert e.image.value == render_png(e.G.forward(e.current_z()[None])[0])
    assert e.load(conditional_checkpoint) and e.num_classes == 10 and e.digit_box.layout.display is None
    assert e.image.value == render_png(e.G.forward(concat_label(e.current_z()[None], [9], 10))[0])


def test_the_classifier_beside_the_image_reads_the_chosen_digit(train_images):
    """On the shipped conditional generator with the shipped classifier: for every digit the model draws
    recognisably at this z, picking it puts that digit beside the image (the model's quality is measured
    by python -m benchmarks.experiments.conditional; this checks that the readout follows the chooser)."""
    from ganlib.data.paths import default_conditional_generator_path

    clf = Classifier.load()
    e = make_explorer(default_conditional_generator_path(), classifier=clf, train_images=train_images)
    row = e.generate_many(np.repeat(e.current_z()[None], 10, axis=0), np.arange(10))
    drawn = [d for d, p in enumerate(clf.predict_proba(row)) if p.argmax() == d]
    assert len(drawn) >= 3, f"the shipped conditional generator draws too few digits recognisably: {drawn}"
    for d in drawn:
        e.digit.value = d
        assert f"Classifier</b>: {d} " in e.prediction.value
        assert e.image.value == render_png(row[d])


# ----------------------------------------------------------------------------- error paths, through the UI


def _still_works(explorer, G):
    """The previous model is still loaded and still answers the sliders."""
    assert explorer.G is G
    explorer.tabs.selected_index = 0
    before = explorer.image.value
    explorer.sliders[0].value = 0.5 if explorer.sliders[0].value != 0.5 else -0.5
    assert explorer.image.value != before


@pytest.mark.parametrize("box", ["seed", "seed_a", "seed_b"])
def test_a_negative_seed_is_reported_in_the_status_line(explorer, box):
    if box != "seed":
        explorer.tabs.selected_index = 1
    image, G = explorer.image.value, explorer.G
    getattr(explorer, box).value = -1  # typed in the box: no exception may reach the widget library
    assert "seed must be a whole number" in explorer.status.value and "ge-error" in explorer.status.value
    assert explorer.image.value == image
    getattr(explorer, box).value = 7  # a valid seed: the digit follows and the message goes
    assert "loaded" in explorer.status.value and "ge-error" not in explorer.status.value
    assert explorer.image.value != image or box == "seed_b"
    _still_works(explorer, G)


def _damaged_generators(tmp_path, checkpoint):
    """Files that used to make the Load button raise (zlib.error, RuntimeError, huge allocations, ...)."""
    import zipcraft

    ms = zipcraft.members(checkpoint)

    def variant(name, change):
        path = tmp_path / name
        path.write_bytes(zipcraft.build([change(m) if m.name == "G/0.W.npy" else m for m in ms]))
        return path

    meta = json.loads(str(np.load(checkpoint)["metadata.json"]))
    meta["config"]["g_hidden"] = [100_000, 100_000]
    big = tmp_path / "huge-config.npz"
    np.savez(big, **{**{k: v for k, v in np.load(checkpoint).items()}, "metadata.json": np.array(json.dumps(meta))})
    return {
        variant("bad-deflate.npz", lambda m: m.with_(data=m.data[:40] + bytes(200) + m.data[240:])): "damaged",
        variant("encrypted.npz", lambda m: m.with_(flags=1)): "encrypted",
        variant("lzma.npz", lambda m: m.with_(method=14)): "compression method 14",
        variant("huge.npz", lambda m: zipcraft.stored(m.name, zipcraft.npy_header((10**11,)))): "does not fit",
        big: "at most 20,000,000",
        tmp_path: "is a folder",
        tmp_path / ("x" * 300): "cannot",
    }


def test_damaged_files_given_to_load_are_reported_and_the_model_stays(explorer, checkpoint, tmp_path):
    G = explorer.G
    for path, message in _damaged_generators(tmp_path, checkpoint).items():
        explorer.path.value = str(path)
        explorer.load_button.click()
        assert "could not load" in explorer.status.value and message in explorer.status.value, path
        _still_works(explorer, G)


@pytest.mark.parametrize("error", [MemoryError("no memory"), AttributeError("x"), RuntimeError("y")])
def test_any_failure_of_load_is_reported_and_the_model_stays(explorer, monkeypatch, checkpoint, error):
    import ganlib.io.generator

    def fail(path):
        raise error

    monkeypatch.setattr(ganlib.io.generator, "load_generator", fail)
    G = explorer.G
    explorer.path.value = str(checkpoint)
    explorer.load_button.click()
    assert "could not load" in explorer.status.value and type(error).__name__ in explorer.status.value
    _still_works(explorer, G)


def test_latent_directions_check_their_arguments(checkpoint):
    from ganlib.io.generator import load_generator

    G, _ = load_generator(checkpoint)
    for kwargs, message in [
        (dict(n_directions=-1), "n_directions must be"),
        (dict(n_directions=0), "n_directions must be"),
        (dict(n_samples=0), "n_samples must be"),
        (dict(batch_size=0), "batch_size must be"),
        (dict(latent_dim=0), "latent_dim must be"),
    ]:
        with pytest.raises(ValueError, match=message):
            latent_directions(G, **{"latent_dim": 100, **kwargs})
    with pytest.raises(ValueError, match="seed must be"):
        latent_from_seed(-1, 100)


def test_nearest_neighbours_and_strips_refuse_what_they_cannot_show(train_images):
    nn = NearestNeighbours(train_images)
    x = np.zeros(784, np.float32)
    x[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        nn.query(x)
    with pytest.raises(ValueError, match="at least one image"):
        render_strip(np.zeros((0, 784), np.float32))
