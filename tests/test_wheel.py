"""ganlib as a user installs it: a wheel in a fresh virtual environment, run outside the checkout.

The wheel must carry the shipped models (package data) and find MNIST by itself: outside a
checkout it downloads the files on first use into the per-user data folder (here from a
local mirror of the shipped files) and verifies their checksums.
"""

import os
import subprocess
import sys
import sysconfig
import venv

import numpy as np
import pytest

from conftest import REPO, copy_of_repository


@pytest.fixture(scope="module")
def wheel_python(tmp_path_factory):
    """The python of a new virtual environment with ganlib installed from a freshly built wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Built as pip builds any project: in an isolated environment with the build backend that
    # pyproject.toml asks for (pip fetches setuptools as it did for the README's install), so the
    # test needs nothing that a plain virtual environment lacks (such as bdist_wheel).
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist")]
    # From a copy of the repository: setuptools writes build/ and *.egg-info into the tree it builds.
    source = copy_of_repository(tmp / "source")
    subprocess.run([*build, str(source)], check=True, capture_output=True, text=True)
    (wheel,) = (tmp / "dist").glob("ganlib-*.whl")
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    # ganlib's dependencies (numpy, matplotlib, ...) come from this environment: a plain path in
    # a .pth file adds its site-packages to sys.path without running its .pth files, so the
    # editable install of the checkout stays invisible there.
    (site,) = env_dir.glob("lib/python*/site-packages")
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, text=True)
    return python


def test_wheel_trains_samples_and_evaluates_outside_the_checkout(wheel_python, tmp_path, serve, mirror):
    base_url, requests = serve(mirror)
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and not k.startswith("GANLIB_")}
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg"), GANLIB_MNIST_MIRROR=base_url, MPLBACKEND="Agg")
    work = tmp_path / "work"
    work.mkdir()

    def ganlib(*args):
        result = subprocess.run(
            [str(wheel_python), "-m", "ganlib", *args], cwd=work, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, f"ganlib {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    where = subprocess.run(
        [str(wheel_python), "-c", "import ganlib; print(ganlib.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    assert str(wheel_python.parent.parent) in where and str(REPO) not in where

    ganlib("sample", "--n", "8", "--out", "s.npy")  # the shipped generator, as package data
    samples = np.load(work / "s.npy")
    assert samples.shape == (8, 784) and np.all(np.abs(samples) <= 1)
    assert requests == [], "sampling needs no MNIST"
    ganlib("sample", "--n", "4", "--digit", "3", "--out", "threes.npy")  # the shipped conditional generator
    assert np.load(work / "threes.npy").shape == (4, 784) and requests == []

    tiny = ["--g-hidden", "16", "--d-hidden", "16", "--latent-dim", "8", "--batch-size", "32", "--limit", "256"]
    result = ganlib("train", *tiny, "--epochs", "1", "--no-progress", "--out", "run")
    assert "downloading" in result.stderr and len(requests) == 4
    assert sorted(p.name for p in (tmp_path / "xdg" / "ganlib" / "mnist").iterdir()) == sorted(
        p.name for p in mirror.iterdir()
    )
    assert (work / "run" / "generator.npz").is_file() and (work / "run" / "checkpoint.npz").is_file()

    report = ganlib("evaluate", "--n", "200", "--no-parzen").stdout  # shipped generator and classifier
    assert "classes covered" in report and "Frechet distance" in report
    ganlib("evaluate", "--checkpoint", "run/generator.npz", "--n", "200", "--no-parzen")
    assert len(requests) == 4, "MNIST is downloaded once"
