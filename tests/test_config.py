"""GANConfig refuses what the networks, the optimizers or a saved file could not take, with a clear message."""

import dataclasses
import json

import numpy as np
import pytest

from ganlib.config import CONFIGS, FIELD_RULES, MAX_NETWORK_PARAMS, GANConfig
from ganlib.models import build_discriminator, build_generator


def test_every_field_has_a_rule():
    """A new field must say what values it takes (add it to FIELD_RULES in ganlib/config.py)."""
    assert {f.name for f in dataclasses.fields(GANConfig)} == set(FIELD_RULES)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"latent_dim": 2.5}, "latent_dim must be a whole number"),
        ({"latent_dim": 0}, "latent_dim must be in"),
        ({"leaky_slope": 5}, "leaky_slope must be in"),
        ({"leaky_slope": float("nan")}, "leaky_slope must be in"),
        ({"g_hidden": (float("inf"),)}, "each width in g_hidden must be a whole number"),
        ({"g_hidden": "256"}, "g_hidden must be a list"),
        ({"d_hidden": (64, 0)}, "each width in d_hidden must be in"),
        ({"epochs": float("inf")}, "epochs must be a whole number"),
        ({"epochs": -1}, "epochs must be in"),
        ({"seed": -1}, "seed must be in"),
        ({"seed": 2**64}, "seed must be in"),
        ({"lr_g": "0.1"}, "lr_g must be a number"),
        ({"lr_d": 0.0}, "lr_d must be in"),
        ({"lr_d": float("inf")}, "lr_d must be in"),
        ({"beta1": 1.0}, "beta1 must be in"),
        ({"k": True}, "k must be a whole number"),
        ({"batch_size": np.float64(16)}, "batch_size must be a whole number"),
        ({"real_label": 1.5}, "real_label must be in"),
        ({"init": -1}, "init must be one of 'glorot', 'he', '1/fan_in'"),
        ({"init": "xavier"}, "init must be one of 'glorot', 'he', '1/fan_in'"),
        ({"loss_gradient": "sigmoid"}, "loss_gradient must be one of 'logit', 'through_sigmoid_again'"),
        ({"g_step_updates_d": 1}, "g_step_updates_d must be True or False"),
        ({"d_split_update": "yes"}, "d_split_update must be True or False"),
        ({"latent_source": None}, "latent_source must be one of 'fresh', 'bank'"),
        ({"momentum_style": "nesterov"}, "momentum_style must be one of 'classic', 'ema'"),
        ({"lr_decay": "per_epoch"}, "lr_decay must be one of 'per_step', 'per_epoch_compounded'"),
        ({"latent_dist": ["gaussian"]}, "latent_dist must be one of"),
        ({"g_output": None}, "g_output must be one of"),
        ({"g_hidden": (100_000, 100_000)}, "at most 20,000,000"),
        ({"latent_dim": 10**30}, "at most 20,000,000"),
        ({"seed": 10**5000}, "too large to print"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(change, message):
    with pytest.raises(ValueError, match="invalid GANConfig: .*" + message):
        CONFIGS["default"].replace(**change)


def test_numpy_numbers_become_plain_python_so_the_config_can_be_saved():
    config = GANConfig(batch_size=np.int64(16), lr_g=np.float32(0.5), g_hidden=np.array([8, 4]), seed=np.uint8(3))
    assert type(config.batch_size) is int and type(config.lr_g) is float and config.g_hidden == (8, 4)
    assert type(config.g_hidden[0]) is int and type(config.seed) is int
    assert GANConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_integral_floats_stay_floats_and_ints_are_accepted_for_floats():
    config = GANConfig(leaky_slope=0, lr_g=1)
    assert config.leaky_slope == 0.0 and type(config.leaky_slope) is float and type(config.lr_g) is float


@pytest.mark.parametrize("name", ["default", "reference", "original_post"])
def test_parameter_counts_match_the_built_networks(name):
    config = CONFIGS[name]
    rng = np.random.default_rng(0)
    assert config.parameter_counts() == (
        build_generator(config, rng).num_params,
        build_discriminator(config, rng).num_params,
    )


def test_the_size_bound():
    """Networks up to MAX_NETWORK_PARAMS are allowed, larger ones refused before anything is built."""
    # D: 1 -> h -> 1 has 2h + (h + 1) = 3h + 1 parameters.
    h = (MAX_NETWORK_PARAMS - 1) // 3
    base = GANConfig(data_dim=1, g_output="linear", g_hidden=(8,), latent_dim=2)
    assert base.replace(d_hidden=(h,)).parameter_counts()[1] == 3 * h + 1 <= MAX_NETWORK_PARAMS
    with pytest.raises(ValueError, match="the discriminator 20,000,002; each may have at most 20,000,000"):
        base.replace(d_hidden=(h + 1,))


def test_the_boolean_rule_for_switches():
    """A switch (e.g. ema_bias_correction) takes True or False, a NumPy bool too; never 0, 1 or a string."""
    rule = FIELD_RULES["ema_bias_correction"]
    assert rule("x", np.bool_(True)) is True and rule("x", False) is False
    for bad in (0, 1, "yes", None):
        with pytest.raises(ValueError, match="x must be True or False"):
            rule("x", bad)
