"""Where ganlib finds its files, in a checkout and as if installed elsewhere (ganlib.data.paths)."""

from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, REPO_MNIST
from ganlib.data import paths
from ganlib.data.mnist import load_mnist
from ganlib.evaluation.classifier import Classifier
from ganlib.io.generator import load_generator


@pytest.fixture
def installed(monkeypatch, tmp_path):
    """Pretend ganlib is installed from a wheel: no checkout, a private per-user data folder."""
    monkeypatch.setattr(paths, "checkout_root", lambda: None)
    monkeypatch.delenv(paths.DATA_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_checkout_is_recognised_and_holds_the_data():
    assert paths.checkout_root() == REPO
    assert paths.runs_dir() == REPO / "runs" and paths.runs_dir("x") == REPO / "runs" / "x"


def test_mnist_dir_order_of_choice(monkeypatch, tmp_path):
    monkeypatch.delenv(paths.DATA_DIR_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)  # the working directory does not matter
    assert paths.mnist_dir() == REPO_MNIST
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(tmp_path / "elsewhere"))
    assert paths.mnist_dir() == tmp_path / "elsewhere"


def test_outside_a_checkout_mnist_goes_to_the_user_data_folder(installed):
    assert paths.mnist_dir() == installed / "xdg" / "ganlib" / "mnist"
    assert paths.is_user_data_dir(paths.mnist_dir())
    assert paths.runs_dir("r") == installed / "runs" / "r"


def test_first_use_outside_a_checkout_downloads_and_verifies(installed, serve, mirror, monkeypatch, capsys):
    base_url, requests = serve(mirror)
    monkeypatch.setenv("GANLIB_MNIST_MIRROR", base_url)
    images, labels = load_mnist("test")  # download=None: automatic in the per-user folder
    assert len(requests) == 4 and "downloading" in capsys.readouterr().err
    expected = load_mnist("test", data_dir=REPO_MNIST)
    np.testing.assert_array_equal(images, expected[0])
    np.testing.assert_array_equal(labels, expected[1])
    load_mnist("train")
    assert len(requests) == 4, "files already there are not fetched again"


def test_a_checkout_or_data_dir_never_downloads_silently(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="GANLIB_DATA_DIR"):
        load_mnist("test")


def test_shipped_models_are_package_data():
    for name in ("generator.npz", "conditional_generator.npz", "classifier.npz", "dcgan_generator.npz"):
        path = paths.artifact(name)
        assert path.is_file() and path.parent == REPO / "data" / "artifacts"
    assert paths.default_conditional_generator_path() == paths.artifact("conditional_generator.npz")
    assert load_generator(paths.default_conditional_generator_path(), num_classes=10)[1]["num_classes"] == 10
    G, meta = load_generator()  # the default is the shipped generator
    assert meta["kind"] == "generator" and G.forward(np.zeros((1, meta["config"]["latent_dim"]))).shape == (1, 784)
    assert Classifier.load().sizes[-1] == 10


def test_user_paths_resolve_against_the_checkout(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert paths.resolve_user_path("data/artifacts/generator.npz") == REPO / "data/artifacts/generator.npz"
    assert paths.resolve_user_path(" nowhere.npz ") == Path("nowhere.npz")
    assert paths.display_path(REPO / "data" / "x.npz") == str(Path("data") / "x.npz")
    assert paths.display_path("/elsewhere/x.npz") == "/elsewhere/x.npz"
