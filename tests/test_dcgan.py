"""The DCGAN configuration: its networks, BatchNorm in sampling and in the moving average,
checkpoints and generator files with running statistics, the command line, and what it refuses."""

import numpy as np
import pytest

from ganlib.cli import main
from ganlib.config import CONFIGS, GANConfig
from ganlib.gan import GAN
from ganlib.io.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ganlib.io.generator import load_generator, save_generator
from ganlib.models import build_discriminator, build_generator
from ganlib.normalization import BatchNorm

# Narrow channels and small batches: the same layers as CONFIGS["dcgan"], in milliseconds; the
# shipped configuration's D is an MLP (d_architecture="mlp"), TINY_CONV_D has the convolutional one.
TINY = CONFIGS["dcgan"].replace(
    g_channels=(8, 4), d_channels=(4, 8), d_hidden=(16, 8), latent_dim=6, batch_size=8, epochs=1
)
TINY_CONV_D = TINY.replace(d_architecture="dcgan")


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).uniform(-1, 1, size=(64, 784)).astype(np.float32)


@pytest.mark.parametrize("config", [TINY, TINY_CONV_D], ids=["mlp_d", "conv_d"])
def test_networks_map_z_to_images_and_images_to_one_logit(config):
    rng = np.random.default_rng(0)
    G, D = build_generator(config, rng), build_discriminator(config, rng)
    x = G.forward(np.zeros((5, config.latent_dim), np.float32))
    assert x.shape == (5, 784) and x.dtype == np.float32 and np.all(np.abs(x) <= 1)
    assert D.forward(x).shape == (5, 1)


def test_d_architecture_chooses_the_discriminator_alone():
    """ "same" follows ``architecture``; "mlp" or "dcgan" picks D's layers and leaves G's alone."""
    from ganlib.conv import Conv2d
    from ganlib.layers import Dense

    rng = np.random.default_rng(0)
    kinds = {
        name: {type(layer) for layer in build_discriminator(config, rng).layers}
        for name, config in {"mlp_d": TINY, "conv_d": TINY_CONV_D, "same": TINY.replace(d_architecture="same")}.items()
    }
    assert Conv2d not in kinds["mlp_d"] and Dense in kinds["mlp_d"]
    assert Conv2d in kinds["conv_d"] and kinds["same"] == kinds["conv_d"]
    G_mlp_d, G_conv_d = (
        build_generator(TINY, np.random.default_rng(1)),
        build_generator(TINY_CONV_D, np.random.default_rng(1)),
    )
    assert [type(a) for a in G_mlp_d.layers] == [type(b) for b in G_conv_d.layers]
    np.testing.assert_array_equal(G_mlp_d.flat_params, G_conv_d.flat_params)
    mlp_with_conv_d = CONFIGS["default"].replace(d_architecture="dcgan", d_channels=(4, 8))
    assert Conv2d in {type(layer) for layer in build_discriminator(mlp_with_conv_d, rng).layers}
    with pytest.raises(ValueError, match="d_architecture must be one of"):
        TINY.replace(d_architecture="cnn")
    with pytest.raises(ValueError, match="d_architecture='dcgan'.*data_dim must be 784"):
        GANConfig(data_dim=1, g_output="linear", d_architecture="dcgan")


@pytest.mark.parametrize(
    "config",
    [
        TINY,
        TINY_CONV_D,
        CONFIGS["dcgan"],
        CONFIGS["dcgan"].replace(d_architecture="dcgan"),
        TINY_CONV_D.replace(d_dropout=0.3),
    ],
    ids=["tiny", "tiny_conv_d", "dcgan", "dcgan_conv_d", "conv_d_dropout"],
)
def test_counts_computed_without_building_equal_the_built_networks(config):
    G, D = build_generator(config, np.random.default_rng(0)), build_discriminator(config, np.random.default_rng(0))
    assert config.parameter_counts() == (G.num_params, D.num_params)
    buffers = [sum(v.size for _, v in net.named_buffers()) for net in (G, D)]
    assert config.buffer_counts() == tuple(buffers) and buffers[0] == 2 * sum(config.g_channels)


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(num_classes=10), "no conditional DCGAN"),
        (dict(data_dim=1, g_output="linear"), "data_dim must be 784"),
        (dict(g_channels=(8,)), "two widths each"),
        (dict(d_channels=(8, 8, 8)), r"at most 2 layer widths, e.g. \(32, 64\)"),
    ],
)
def test_what_a_dcgan_cannot_build_is_refused_with_its_reason(changes, message):
    with pytest.raises(ValueError, match=message):
        TINY_CONV_D.replace(**changes)


def test_the_mlp_default_is_untouched_by_the_new_fields():
    assert GANConfig().architecture == "mlp" and GANConfig().buffer_counts() == (0, 0)
    assert CONFIGS["default"].state_counts() == CONFIGS["default"].parameter_counts()


def test_samples_use_running_statistics_and_leave_g_training(X):
    gan = GAN(TINY.replace(ema_decay=0.0))
    gan.train(X, epochs=1)
    z = gan.sample_latent(4)
    assert all(layer.training for layer in gan.G.layers)
    one_by_one = np.concatenate([gan.generate(z[i : i + 1]) for i in range(4)])
    np.testing.assert_allclose(gan.generate(z), one_by_one, atol=1e-6)  # batch statistics would differ
    assert all(layer.training for layer in gan.G.layers)  # generate() restored the training mode


def test_the_moving_average_follows_the_running_statistics(X):
    gan = GAN(TINY.replace(ema_decay=0.5))
    before = {name: value.copy() for name, value in gan.G_ema.named_buffers()}
    gan.train(X, epochs=1)
    after = dict(gan.G_ema.named_buffers())
    live = dict(gan.G.named_buffers())
    assert any(not np.array_equal(before[name], after[name]) for name in before)
    for name in after:  # an average of the live statistics lies between the init's and the live ones
        assert np.all(np.isfinite(after[name]))
    assert not all(layer.training for layer in gan.G_ema.layers)
    assert set(after) == set(live)


def test_checkpoint_resume_is_bit_for_bit_with_batchnorm(X, tmp_path):
    straight = GAN(TINY)
    straight.train(X, epochs=2)
    first = GAN(TINY)
    first.train(X, epochs=1)
    resumed = load_checkpoint(save_checkpoint(first, tmp_path / "c.npz"))
    resumed.train(X, epochs=1)
    assert resumed.history.loss_g == straight.history.loss_g
    for a, b in [(resumed.G, straight.G), (resumed.G_ema, straight.G_ema)]:
        for (name, u), (_, v) in zip(a.state_dict().items(), b.state_dict().items()):
            np.testing.assert_array_equal(u, v, err_msg=name)


def test_generator_file_keeps_the_running_statistics(X, tmp_path):
    gan = GAN(TINY)
    gan.train(X, epochs=1)
    G, meta = load_generator(save_generator(gan, tmp_path / "g.npz"))
    assert meta["config"]["architecture"] == "dcgan"
    z = gan.sample_latent(5)
    np.testing.assert_array_equal(G.forward(z), gan.generate(z))
    assert any(isinstance(layer, BatchNorm) for layer in G.layers)


def test_a_generator_file_missing_its_running_statistics_is_refused(X, tmp_path):
    import zipfile

    path = save_generator(GAN(TINY), tmp_path / "g.npz")
    damaged = tmp_path / "damaged.npz"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            if "running_var" not in item.filename:
                dst.writestr(item, src.read(item.filename))
    with pytest.raises(CheckpointError, match="does not fit"):
        load_generator(damaged)


def test_command_line_trains_and_samples_a_dcgan(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["--g-channels", "8", "4", "--d-channels", "4", "8", "--batch-size", "8", "--limit", "64"]
    assert main(["train", "--config", "dcgan", "--out", str(out), "--epochs", "1", "--no-progress", *args]) == 0
    assert (
        main(["sample", "--checkpoint", str(out / "generator.npz"), "--n", "9", "--out", str(tmp_path / "s.png")]) == 0
    )
    assert (tmp_path / "s.png").stat().st_size > 0


def test_the_minutes_experiment_trains_what_the_command_line_trains(tmp_path, capsys):
    """benchmarks.experiments.minutes snapshots on the way; its final generator is the CLI's, bit for bit."""
    from benchmarks.experiments import minutes
    from ganlib.io.reader import open_archive

    tiny = {"g_channels": (8, 4), "d_channels": (4, 8), "batch_size": 8}
    minutes.train("dcgan", tmp_path / "experiment", every_minutes=1e-4, limit=64, epochs=1, overrides=tiny)
    args = ["--g-channels", "8", "4", "--d-channels", "4", "8", "--batch-size", "8", "--limit", "64", "--epochs", "1"]
    assert main(["train", "--config", "dcgan", "--out", str(tmp_path / "cli"), "--no-progress", *args]) == 0

    def weights(path):
        with open_archive(path, ("generator",)) as archive:
            return {name: archive.array(name, None) for name in archive.names()}

    ours, theirs = weights(tmp_path / "experiment" / "final.npz"), weights(tmp_path / "cli" / "generator.npz")
    assert ours.keys() == theirs.keys()
    for name in ours:
        np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)


def test_the_explorer_opens_a_dcgan_generator(X, tmp_path):
    """The explorer's directions come from G's own backward pass, so a DCGAN works as an MLP does."""
    pytest.importorskip("ipywidgets")
    from ganlib.explorer.widget import LatentExplorer

    gan = GAN(TINY)
    gan.train(X, epochs=1)
    path = save_generator(gan, tmp_path / "g.npz")
    explorer = LatentExplorer(path, classifier=None, train_images=X[:50].astype(np.uint8), direction_samples=64)
    assert explorer.error is None and explorer.directions.shape[1] == TINY.latent_dim
    assert explorer._x.shape == (784,) and np.all(np.isfinite(explorer._x))  # the image on display


def test_the_shipped_dcgan_generator_was_trained_with_todays_configuration():
    """data/artifacts/dcgan_generator.npz is what `python -m ganlib train --config dcgan` makes: a change to
    CONFIGS["dcgan"] must re-ship it (data/README.md has the command)."""
    from ganlib.data.paths import artifact

    G, metadata = load_generator(artifact("dcgan_generator.npz"))
    assert GANConfig.from_dict(metadata["config"]) == CONFIGS["dcgan"]
    assert metadata["epoch"] == CONFIGS["dcgan"].epochs
