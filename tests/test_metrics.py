"""Tests for ganlib.evaluation.metrics: the classifier, class histograms, Frechet distance,
nearest-neighbour distances and Parzen-window log-likelihoods.

Every metric is checked against an independent computation (brute force,
closed form or PyTorch), so a wrong implementation fails.
"""

import json
import math

import numpy as np
import pytest

from ganlib.data import paths
from ganlib.data.mnist import load_mnist, to_tanh_range
from ganlib.evaluation import classifier as C
from ganlib.evaluation import metrics as M
from ganlib.evaluation import parzen as P
from ganlib.gradcheck import check_loss
from ganlib.io.archive import CheckpointError, write_archive
from ganlib.io.reader import read_archive
from ganlib.losses import softmax_cross_entropy

# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def clf():
    return C.Classifier.load()


@pytest.fixture(scope="module")
def test_set():
    images, labels = load_mnist("test")
    return to_tanh_range(images), labels.astype(np.int64)


@pytest.fixture(scope="module")
def test_probs(clf, test_set):
    return clf.predict_proba(test_set[0])


# ------------------------------------------------------------------------------ softmax cross-entropy


def test_softmax_cross_entropy_gradient_check(rng):
    labels = rng.integers(0, 10, size=8)
    logits = rng.normal(scale=3.0, size=(8, 10))
    assert check_loss(lambda z: softmax_cross_entropy(z, labels), logits) < 1e-7


def test_softmax_cross_entropy_gradcheck_detects_a_wrong_gradient(rng):
    labels = rng.integers(0, 4, size=5)

    def wrong(z):  # forgets the 1/N
        loss, d = softmax_cross_entropy(z, labels)
        return loss, d * len(z)

    assert check_loss(wrong, rng.normal(size=(5, 4))) > 1e-2


def test_softmax_cross_entropy_known_values():
    loss, d = softmax_cross_entropy(np.zeros((3, 10)), np.array([0, 4, 9]))
    assert loss == pytest.approx(math.log(10))
    np.testing.assert_allclose(d.sum(axis=1), 0, atol=1e-15)  # softmax and one-hot both sum to 1
    np.testing.assert_allclose(d[0], (np.full(10, 0.1) - np.eye(10)[0]) / 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_stable_for_huge_logits(dtype):
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 0.0, -1e4], [-5e3, 5e3, 0.0]], dtype=dtype)
    loss, d = softmax_cross_entropy(logits, np.array([0, 1, 1]))
    # example 0: right with margin 1e4 -> 0; example 1: wrong by 1e4 -> 1e4; example 2: -> 0
    assert np.isfinite(loss) and loss == pytest.approx(1e4 / 3, rel=1e-6)
    assert d.dtype == dtype and np.all(np.isfinite(d))
    np.testing.assert_allclose(d[1], np.array([1.0, -1.0, 0.0]) / 3, atol=1e-7)


@pytest.mark.torch
def test_softmax_cross_entropy_matches_torch(rng):
    torch = pytest.importorskip("torch")
    logits = rng.normal(scale=5.0, size=(16, 10))
    labels = rng.integers(0, 10, size=16)
    loss, d = softmax_cross_entropy(logits, labels)
    t = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(t, torch.tensor(labels))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(d, t.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_softmax_cross_entropy_rejects_bad_labels():
    with pytest.raises(ValueError, match="labels"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="labels"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))


# ------------------------------------------------------------------------------ the shipped classifier


def test_shipped_classifier_reaches_99_2_percent(clf, test_set):
    x, y = test_set
    acc = clf.accuracy(x, y)
    assert acc >= 0.992
    # the json records the accuracy measured at training time; float32 BLAS may differ by a few images
    assert clf.metadata["test_accuracy"] == pytest.approx(acc, abs=5e-4)


def test_shipped_metadata_matches_the_weights():
    """The shipped classifier is the CNN its metadata describes, made by the command it records."""
    path = paths.default_classifier_path()
    meta, arrays = read_archive(path, ("classifier",))
    assert meta["architecture"] == "cnn" and meta["hidden"] == 128 and len(meta["channels"]) == 2
    assert all(a.dtype == np.float32 for a in arrays.values())
    built = C.build_cnn_classifier_network(meta["channels"], meta["hidden"])
    assert {name: a.shape for name, a in arrays.items()} == {name: v.shape for name, v in built.named_parameters()}
    assert meta["command"] == "python -m ganlib train-classifier"
    assert isinstance(meta["seed"], int) and meta["test_accuracy"] >= 0.992
    assert path.stat().st_size < 3_000_000


def test_a_cnn_classifier_file_round_trips_and_a_damaged_record_is_refused(tmp_path, rng):
    net = C.build_cnn_classifier_network((4, 8), hidden=16, seed=2)
    path = C.Classifier(net).save(tmp_path / "cnn.npz")
    x = rng.uniform(-1, 1, size=(3, 784)).astype(np.float32)
    np.testing.assert_allclose(C.Classifier.load(path).logits(x), C.Classifier(net.eval()).logits(x), rtol=1e-6)
    assert C.Classifier.load(path).feature_dim == 16
    for changes, message in [
        ({"channels": [4]}, "'channels' must be positive integers"),
        ({"hidden": 10**9}, "over 20,000,000"),
        ({"architecture": "rnn"}, "'architecture' must be 'cnn' or 'mlp'"),
    ]:
        _rewrite(path, metadata_changes=changes)
        with pytest.raises(ValueError, match=message):
            C.Classifier.load(path)
        C.Classifier(net).save(path)


def test_classifier_outputs(clf, test_set, test_probs):
    x = test_set[0][:50]
    p = clf.predict_proba(x)
    assert p.shape == (50, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(x), p.argmax(axis=1))
    np.testing.assert_allclose(p, test_probs[:50], rtol=1e-4, atol=1e-6)  # chunking does not matter
    f = clf.features(x)
    assert f.shape == (50, clf.feature_dim) and f.min() >= 0  # after a ReLU
    # the last layer maps the features to the logits
    last = clf.net.layers[-1]
    np.testing.assert_allclose(f @ last.params["W"] + last.params["b"], clf.logits(x), rtol=1e-4, atol=1e-4)
    assert clf.logits(x[:1]).shape == (1, 10)


def test_classifier_rejects_wrong_inputs(clf):
    with pytest.raises(TypeError, match="to_tanh_range"):
        clf.predict(np.zeros((2, 784), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        clf.predict(np.full((2, 784), 255.0))
    with pytest.raises(ValueError, match="784"):
        clf.predict(np.zeros((2, 100)))


# ------------------------------------------------------------------------------ saving and loading


@pytest.fixture
def saved_small(tmp_path):
    net = C.build_classifier_network((784, 16, 10), seed=3)
    path = C.Classifier(net, {"seed": 3, "test_accuracy": 0.1}).save(tmp_path / "small.npz")
    return path


def test_save_load_roundtrip(saved_small, rng):
    loaded = C.Classifier.load(saved_small)
    assert loaded.sizes == [784, 16, 10]
    assert loaded.metadata["seed"] == 3 and loaded.metadata["sizes"] == [784, 16, 10]
    original = C.build_classifier_network((784, 16, 10), seed=3)
    x = rng.uniform(-1, 1, size=(5, 784)).astype(np.float32)
    np.testing.assert_allclose(loaded.logits(x), C.Classifier(original).logits(x), rtol=1e-6)


def test_load_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="train-classifier") as info:
        C.Classifier.load(tmp_path / "nope.npz")
    assert "nope.npz" in str(info.value)


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_load_damaged_file(saved_small, damage):
    data = bytearray(saved_small.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 3] ^= 0xFF  # inside the first weight matrix: the zip CRC no longer matches
    saved_small.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="train-classifier") as info:
        C.Classifier.load(saved_small)
    assert str(saved_small) in str(info.value)


def test_load_garbage_file(tmp_path):
    path = tmp_path / "garbage.npz"
    path.write_bytes(b"not a zip file at all" * 10)
    with pytest.raises(ValueError, match="garbage.npz"):
        C.Classifier.load(path)


def _rewrite(path, metadata_changes=None, **changes):
    """Rewrite a classifier file with some arrays replaced (None deletes) or metadata entries changed."""
    meta, arrays = read_archive(path)
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    for key, value in (metadata_changes or {}).items():
        if value is None:
            del meta[key]
        else:
            meta[key] = value
    write_archive(path, meta["kind"], meta, arrays)


def test_load_wrong_shape(saved_small):
    _rewrite(saved_small, **{"0.W": np.zeros((784, 17), np.float32)})
    with pytest.raises(ValueError, match="shape") as info:
        C.Classifier.load(saved_small)
    assert "small.npz" in str(info.value) and "train-classifier" in str(info.value)


def test_load_missing_key(saved_small):
    _rewrite(saved_small, **{"3.b": None})
    with pytest.raises(ValueError, match="missing") as info:
        C.Classifier.load(saved_small)
    assert "small.npz" in str(info.value)


def test_load_missing_sizes(saved_small):
    _rewrite(saved_small, metadata_changes={"sizes": None})
    with pytest.raises(ValueError, match="sizes"):
        C.Classifier.load(saved_small)


def test_load_nan_weights(saved_small):
    _rewrite(saved_small, **{"0.b": np.full(16, np.nan, np.float32)})
    with pytest.raises(ValueError, match="NaN"):
        C.Classifier.load(saved_small)


def test_failed_save_keeps_the_previous_file(saved_small, monkeypatch):
    before = saved_small.read_bytes()

    def crash(file, **arrays):
        file.write(b"half a classifier")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", crash)
    with pytest.raises(OSError, match="disk full"):
        C.Classifier(C.build_classifier_network((784, 16, 10), seed=4)).save(saved_small)
    assert saved_small.read_bytes() == before
    assert [p.name for p in saved_small.parent.iterdir()] == [saved_small.name], "a temporary file was left behind"


def test_shift_augmentation_moves_pixels():
    x = np.full((1, 784), -1.0, np.float32)
    x[0, 14 * 28 + 14] = 1.0
    rng = np.random.default_rng(0)
    shifted = C._shift_images(np.repeat(x, 200, axis=0), 2, rng).reshape(200, 28, 28)
    positions = {tuple(np.argwhere(img == 1.0)[0]) for img in shifted}
    assert positions == {(14 + dy, 14 + dx) for dy in range(-2, 3) for dx in range(-2, 3)}
    assert np.all((shifted == 1.0).sum(axis=(1, 2)) == 1) and np.all(shifted.min(axis=(1, 2)) == -1.0)


# ------------------------------------------------------------------------------ class histogram


def test_class_histogram_of_real_images(clf, test_set):
    h = M.class_histogram(test_set[0], clf)
    assert h["counts"].shape == (10,) and h["counts"].sum() == 10000
    np.testing.assert_allclose(h["fractions"], h["counts"] / 10000)
    assert h["classes_covered"] == 10
    assert h["min_fraction"] == pytest.approx(h["fractions"].min()) and h["min_fraction"] > 0.08
    assert 0 <= h["kl_to_uniform"] < 0.01
    p = h["fractions"]
    assert h["kl_to_uniform"] == pytest.approx(np.sum(p * np.log(p / 0.1)))
    assert h["mean_confidence"] > 0.95


def test_class_histogram_of_one_digit(clf, test_set):
    x, y = test_set
    h = M.class_histogram(x[y == 3], clf)
    assert h["classes_covered"] == 1
    assert h["counts"].argmax() == 3 and h["min_fraction"] == 0.0  # some class is never predicted: 0 log 0 = 0
    # about 1.5 % of the 3s are misread, spread over other digits: KL a little below log(10) = 2.303
    assert math.log(10) - 0.2 < h["kl_to_uniform"] < math.log(10)


def test_class_agreement_of_real_images_with_true_and_wrong_labels(clf, test_set, test_probs):
    x, y = test_set
    agreement = M.class_agreement(x, y, clf)  # real digits "asked for" as their own labels: the classifier's accuracy
    predicted = test_probs.argmax(axis=1)
    for c in range(10):
        assert agreement[c] == pytest.approx(np.mean(predicted[y == c] == c))
    assert agreement.min() > 0.95
    shifted = M.class_agreement(x, (y + 1) % 10, clf)  # every label wrong: almost no agreement
    assert shifted.max() < 0.02
    partial = M.class_agreement(x[y < 5], y[y < 5], clf)
    assert np.all(np.isnan(partial[5:])) and np.all(partial[:5] > 0.95)  # digits never asked for: NaN
    with pytest.raises(ValueError, match="one per sample"):
        M.class_agreement(x[:3], y[:2], clf)


def test_class_histogram_exact_collapse(clf, test_set):
    x, y = test_set
    one = x[np.flatnonzero(y == 7)[:1]]
    h = M.class_histogram(np.repeat(one, 40, axis=0), clf)
    assert h["classes_covered"] == 1 and h["counts"][7] == 40
    assert h["kl_to_uniform"] == pytest.approx(math.log(10), rel=1e-12)


def test_class_histogram_unreadable_noise_has_low_confidence(clf, test_set):
    noise = np.random.default_rng(0).uniform(-1, 1, size=(500, 784)).astype(np.float32)
    assert (
        M.class_histogram(noise, clf)["mean_confidence"] < M.class_histogram(test_set[0][:500], clf)["mean_confidence"]
    )


# ------------------------------------------------------------------------------ Frechet distance


def test_frechet_identical_sets_is_zero(rng):
    f = rng.normal(size=(500, 20)) @ rng.normal(size=(20, 20))
    assert M.frechet_distance(f, f) == pytest.approx(0, abs=1e-8)


def test_gaussian_frechet_diagonal_closed_form(rng):
    mu_a, mu_b = rng.normal(size=6), rng.normal(size=6)
    var_a, var_b = rng.uniform(0.1, 3, size=6), rng.uniform(0.1, 3, size=6)
    expected = np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    got = M.gaussian_frechet_distance(mu_a, np.diag(var_a), mu_b, np.diag(var_b))
    assert got == pytest.approx(expected, rel=1e-10)


def test_gaussian_frechet_general_covariances(rng):
    # independent route: Tr (S_a S_b)^{1/2} = sum of square roots of the (real, positive) eigenvalues of S_a S_b
    a, b = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    cov_a, cov_b = a @ a.T + 0.1 * np.eye(5), b @ b.T + 0.1 * np.eye(5)
    mu_a, mu_b = rng.normal(size=5), rng.normal(size=5)
    tr_sqrt = np.sum(np.sqrt(np.linalg.eigvals(cov_a @ cov_b).real))
    expected = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * tr_sqrt
    got = M.gaussian_frechet_distance(mu_a, cov_a, mu_b, cov_b)
    assert got == pytest.approx(expected, rel=1e-9)
    assert got == pytest.approx(M.gaussian_frechet_distance(mu_b, cov_b, mu_a, cov_a), rel=1e-9)


def test_frechet_from_samples_approaches_closed_form(rng):
    n = 200_000
    a = rng.normal(size=(n, 3)) * np.array([1.0, 2.0, 0.5])
    b = rng.normal(size=(n, 3)) * np.array([1.5, 1.0, 0.5]) + np.array([1.0, 0.0, -1.0])
    expected = 2.0 + 0.25 + 1.0 + 0.0  # ||mu||^2 = 2, (1-1.5)^2 + (2-1)^2 + 0
    assert M.frechet_distance(a, b) == pytest.approx(expected, rel=0.02)


def test_frechet_symmetric_and_non_negative(rng):
    for n_a, n_b, f in [(50, 80, 10), (8, 9, 30)]:  # the second is rank-deficient (N < F)
        a, b = rng.normal(size=(n_a, f)), rng.normal(size=(n_b, f)) * 1.3 + 0.2
        d_ab, d_ba = M.frechet_distance(a, b), M.frechet_distance(b, a)
        assert d_ab >= 0 and d_ab == pytest.approx(d_ba, rel=1e-8)
        assert M.frechet_distance(a, a) == pytest.approx(0, abs=1e-8)


def test_classifier_frechet_distance(clf, test_set):
    x = test_set[0]
    train = to_tanh_range(load_mnist("train")[0][:2000])
    noise = np.random.default_rng(1).uniform(-1, 1, size=(2000, 784)).astype(np.float32)
    same = M.classifier_frechet_distance(x, classifier=clf)
    real = M.classifier_frechet_distance(train, classifier=clf)
    fake = M.classifier_frechet_distance(noise, classifier=clf)
    assert same == pytest.approx(0, abs=1e-6)
    assert real < 0.05 * fake
    assert M.classifier_frechet_distance(train, reference=x, classifier=clf) == pytest.approx(real, rel=1e-6)


# ------------------------------------------------------------------------------ nearest training image


def test_nearest_training_distance_of_training_images():
    picks = np.array([0, 12345, 49999])
    train = to_tanh_range(load_mnist("train")[0])
    d, i = M.nearest_training_distance(train[picks])  # default: the 50,000 training images
    np.testing.assert_array_equal(d, 0.0)
    np.testing.assert_array_equal(i, picks)


def test_nearest_training_distance_matches_brute_force(test_set, rng):
    train = to_tanh_range(load_mnist("train")[0][:700])
    samples = np.concatenate([test_set[0][:40], rng.uniform(-1, 1, (10, 784)).astype(np.float32), train[[5, 600]]])
    d, i = M.nearest_training_distance(samples, train=train, chunk=7)
    full = np.linalg.norm(samples[:, None, :].astype(np.float64) - train[None].astype(np.float64), axis=2)
    np.testing.assert_array_equal(i, full.argmin(axis=1))
    np.testing.assert_allclose(d, full.min(axis=1), rtol=1e-12)
    assert d[-2] == 0 and d[-1] == 0 and tuple(i[-2:]) == (5, 600)


# ------------------------------------------------------------------------------ Parzen windows


def _naive_parzen(samples, data, sigma):
    """Goodfellow et al.'s parzen_ll.py, verbatim in numpy: log_mean_exp of -0.5 ||(x - mu) / sigma||^2 minus Z."""
    a = (data[:, None, :] - samples[None, :, :]) / sigma
    e = -0.5 * (a**2).sum(axis=2)
    m = e.max(axis=1)
    log_mean_exp = m + np.log(np.exp(e - m[:, None]).mean(axis=1))
    z = samples.shape[1] * np.log(sigma * np.sqrt(np.pi * 2))
    return log_mean_exp - z


@pytest.mark.parametrize("sigma", [0.05, 0.2, 1.0])
def test_parzen_chunked_equals_naive(rng, sigma):
    samples, data = rng.uniform(0, 1, size=(60, 30)), rng.uniform(0, 1, size=(23, 30))
    got = P.parzen_log_likelihood(samples, data, sigma, chunk=4)
    np.testing.assert_allclose(got, _naive_parzen(samples, data, sigma), rtol=1e-10)
    assert got.shape == (23,) and got.dtype == np.float64


def test_parzen_single_centre_is_a_gaussian_density(rng):
    d, sigma = 784, 0.3
    centre, x = rng.uniform(0, 1, size=(1, d)), rng.uniform(0, 1, size=(5, d))
    # log N(x; s, sigma^2 I) as a sum of d one-dimensional log densities
    per_coordinate = -((x - centre) ** 2) / (2 * sigma**2) - np.log(sigma * math.sqrt(2 * math.pi))
    np.testing.assert_allclose(P.parzen_log_likelihood(centre, x, sigma), per_coordinate.sum(axis=1), rtol=1e-12)
    # the centre itself: the density's peak, and nothing underflows far away
    assert P.parzen_log_likelihood(centre, centre, sigma)[0] == pytest.approx(-d / 2 * math.log(2 * math.pi * sigma**2))
    far = P.parzen_log_likelihood(centre, centre + 1000.0, 0.1)[0]
    assert far == pytest.approx(-d * 1000.0**2 / (2 * 0.01) - d / 2 * math.log(2 * math.pi * 0.01), rel=1e-12)


def test_parzen_identical_centres_equal_one_centre(rng):
    centre, x = rng.uniform(size=(1, 10)), rng.uniform(size=(4, 10))
    np.testing.assert_allclose(
        P.parzen_log_likelihood(np.repeat(centre, 50, axis=0), x, 0.4), P.parzen_log_likelihood(centre, x, 0.4)
    )


def test_parzen_recovers_the_density_of_gaussian_data(rng):
    # centres ~ N(0, I_2): the Parzen density tends to N(0, (1 + sigma^2) I), whose expected log density is known
    d, sigma = 2, 0.5
    centres, data = rng.normal(size=(5000, d)), rng.normal(size=(1000, d))
    v = 1 + sigma**2
    expected = -d / 2 * math.log(2 * math.pi * v) - (data**2).sum(axis=1) / (2 * v)  # on the same points
    got = P.parzen_log_likelihood(centres, data, sigma)
    assert np.mean(got) == pytest.approx(np.mean(expected), abs=0.02)
    assert np.median(np.abs(got - expected)) < 0.05


def test_select_parzen_sigma_is_the_grid_argmax(rng):
    samples = rng.uniform(0, 1, size=(80, 20)) ** 2
    validation = rng.uniform(0, 1, size=(30, 20)) ** 2
    sigmas = np.logspace(-1, 0, 10)
    best, means = P.select_parzen_sigma(samples, validation, sigmas, chunk=7)
    brute = np.array([_naive_parzen(samples, validation, s).mean() for s in sigmas])
    np.testing.assert_allclose(means, brute, rtol=1e-10)
    assert best == sigmas[np.argmax(brute)]
    assert 0 < np.argmax(brute) < 9  # an interior optimum, so the test is not trivially the first or last


def test_parzen_evaluation_protocol():
    train = load_mnist("train")[0]
    real = to_tanh_range(train[:300])
    noise = np.random.default_rng(0).uniform(-1, 1, size=(300, 784)).astype(np.float32)
    r = P.parzen_evaluation(real, n_validation=200)
    n = P.parzen_evaluation(noise, n_validation=200)
    assert set(r) >= {"sigma", "mean", "std_error", "sigmas", "validation_means"}
    assert r["sigma"] in r["sigmas"] and r["sigma"] == r["sigmas"][np.argmax(r["validation_means"])]
    assert np.isfinite(r["mean"]) and r["std_error"] > 0 and r["n_samples"] == 300
    assert r["mean"] > n["mean"] + 100  # real digits explain the test set far better than noise


# ------------------------------------------------------------------------------ everything together


def test_evaluate_samples(clf, test_set):
    x = test_set[0][:200]
    result = M.evaluate_samples(x, clf, parzen=True)
    assert result["n_samples"] == 200
    assert result["class_histogram"]["counts"].sum() == 200
    assert result["frechet_distance"] >= 0
    nn = result["nearest_training_distance"]
    assert 0 < nn["min"] <= nn["median"] and 0 < nn["mean"]
    assert result["parzen"]["n_samples"] == 200
    text = M.format_evaluation(result)
    assert "Frechet" in text and "Parzen" in text and "classes covered" in text
    assert M.evaluate_samples(x[:20], clf, parzen=False)["parzen"] is None
    restored = json.loads(json.dumps(M.to_jsonable(result)))
    assert restored["class_histogram"]["counts"] == result["class_histogram"]["counts"].tolist()
    assert restored["parzen"]["sigmas"] == pytest.approx(list(result["parzen"]["sigmas"]))
