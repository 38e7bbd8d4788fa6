"""Network configs: every shipped config builds, and bad configs name the key."""

import copy
from pathlib import Path

import re

import pytest
import torch

from razor_lava.configs import CONFIG_DIR, config_path, shipped_configs
from razor_lava.errors import ConfigError
from razor_lava.fixed_point import GRADED_SCALE
from razor_lava.config import load_config, parse_config
from razor_lava.model.network import RazorNet

CONFIGS = sorted(shipped_configs().values())

SMALL = {
    "data": {"dataset": "synthetic"},
    "input": [2, 8, 8],
    "layers": [
        {"type": "conv", "out": 4, "kernel": 3, "padding": 1},
        {"type": "pool", "kernel": 2},
        {"type": "conv", "out": 4, "kernel": 3, "padding": 1},
        {"type": "flatten"},
        {"type": "dense", "out": 8},
        {"type": "dense", "out": 3, "neuron": "liaf"},
    ],
}


def with_(changes):
    raw = copy.deepcopy(SMALL)
    for path, value in changes.items():
        node = raw
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node.setdefault(k, {})
        last = keys[-1]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value
    return raw


def test_every_shipped_config_builds_and_runs():
    assert {c.stem for c in CONFIGS} >= {"synthetic_small", "nmnist", "dvsgesture", "ncaltech101", "cifar10dvs", "shd"}
    for path in CONFIGS:
        cfg = load_config(path)
        net = RazorNet(cfg)
        assert net.output_shape == (cfg.n_classes,)
        if path.stem in ("synthetic_small", "nmnist", "shd"):  # the small ones: run a forward pass
            x = torch.zeros(1, *cfg.input, 4)
            assert net(x).shape == (1, cfg.n_classes, 4)


@pytest.mark.parametrize(
    "positions,expected",
    [("E1", []), ("E2", [1]), ("E3", [3, 5]), ("E4", [1, 3, 5, 6]), ([2, 5], [2, 5])],
)
def test_pruner_positions(positions, expected):
    cfg = parse_config(with_({"pruner.positions": positions}))
    assert cfg.pruner_layers() == expected
    net = RazorNet(cfg)
    assert sorted(int(k) for k in net.pruners) == expected


def test_pool_layer_is_a_fixed_depthwise_conv():
    net = RazorNet(parse_config(SMALL))
    pool = net.blocks[1]
    assert pool.synapse.groups == 4 and not pool.synapse.weight.requires_grad
    assert torch.all(pool.synapse.weight == 1.0)


def test_liaf_layers_use_graded_spikes_and_pruners_know_their_input_scale():
    cfg = parse_config(with_({"pruner.positions": [6]}))
    net = RazorNet(cfg)
    assert net.block(6).neuron.graded_spike and not net.block(5).neuron.graded_spike
    assert net.pruners["6"].input_scale == 1
    cfg = parse_config(with_({"layers.4.neuron": "liaf", "pruner.positions": [6]}))
    assert RazorNet(cfg).pruners["6"].input_scale == GRADED_SCALE


@pytest.mark.parametrize(
    "changes,key",
    [
        ({"layers.1.type": "maxpool"}, r"layers\[1\]\.type"),
        ({"layers.0.out": 0}, r"layers\[0\]\.out"),
        ({"layers.0.kernal": 3}, r"layers\[0\]\.kernal"),
        ({"layers.4.neuron": "izhikevich"}, r"layers\[4\]\.neuron"),
        ({"layers.3": {"type": "dense", "out": 8}}, r"layers\[3\]\.type"),  # dense on a conv output, no flatten
        ({"layers.5": {"type": "flatten"}}, r"layers\[5\]\.type"),  # last layer not dense
        ({"layers.2.groups": 3}, r"layers\[2\]\.groups"),
        ({"pruner.positions": "E5"}, "pruner.positions"),
        ({"pruner.positions": [4]}, "pruner.positions"),  # a flatten cannot hold a pruner
        ({"pruner.K": 4}, r"pruner\.K"),
        ({"input": [2, 8]}, "input"),
        ({"data": {}}, "data.dataset"),
        ({"neuron.treshold": 1.0}, r"neuron\.treshold"),
    ],
)
def test_bad_config_names_the_key(changes, key):
    with pytest.raises(ConfigError, match=key):
        RazorNet(parse_config(with_(changes)))


def test_pruner_on_an_impossible_grid_is_refused():
    with pytest.raises(ConfigError, match="pruner.pool"):
        RazorNet(parse_config(with_({"pruner.positions": [3], "pruner.pool": [3, 3]})))


def test_configs_ship_inside_the_package():
    assert CONFIG_DIR == Path(__import__("razor_lava").__file__).resolve().parent / "configs"
    assert list(shipped_configs()) == sorted(shipped_configs()) and all(p.is_file() for p in CONFIGS)


def test_a_config_is_a_shipped_name_or_a_path(tmp_path, monkeypatch):
    nmnist = CONFIG_DIR / "nmnist.yaml"
    assert config_path("nmnist") == config_path("nmnist.yaml") == nmnist
    assert config_path(nmnist) == nmnist and config_path(str(nmnist)) == nmnist
    assert load_config("synthetic_small").to_dict() == load_config(CONFIG_DIR / "synthetic_small.yaml").to_dict()
    # the configs' old home still names the shipped files
    assert config_path("train/configs/nmnist.yaml") == nmnist
    assert config_path(tmp_path / "train" / "configs" / "shd.yaml") == CONFIG_DIR / "shd.yaml"
    # an existing file wins over a shipped name, also when it is called like one
    own = tmp_path / "nmnist.yaml"
    own.write_text((CONFIG_DIR / "synthetic_small.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    assert config_path("nmnist.yaml") == Path("nmnist.yaml") and config_path("nmnist") == nmnist
    (tmp_path / "nmnist").mkdir()  # a data folder named like a config does not hide the config
    assert config_path("nmnist") == nmnist


@pytest.mark.parametrize("given,problem", [("nmist", "'nmist' is neither a config file nor a shipped config name"),
                                           ("some/dir/nmnist.yaml", "no config file at some/dir/nmnist.yaml"),
                                           (".", ". is not a file")])
def test_an_unknown_config_names_the_input_and_the_shipped_names(given, problem):
    with pytest.raises(ConfigError) as e:
        load_config(given)
    msg = str(e.value)
    assert "'--config'" in msg and problem in msg
    assert all(name in msg for name in shipped_configs()), msg


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="no config file"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("layers: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_liaf_on_a_conv_layer_is_refused():
    with pytest.raises(ConfigError, match=r"layers\[0\]\.neuron"):
        parse_config(with_({"layers.0.neuron": "liaf"}))


def test_a_threshold_override_replaces_the_configs_ratio_and_vice_versa():
    cfg = parse_config(with_({"pruner.positions": "E3", "pruner.ratio": 0.3}))
    by_theta = RazorNet(cfg, {"theta": 0.5})
    assert all(p.theta == 0.5 and p.ratio is None for p in by_theta.pruners.values())
    by_ratio = RazorNet(parse_config(with_({"pruner.positions": "E3", "pruner.theta": 0.5, "pruner.ratio": None})),
                        {"ratio": 0.2})
    assert all(p.ratio == 0.2 and p.theta is None for p in by_ratio.pruners.values())


# The schema: every key of every section has a type and a range; wrong types are errors, never coerced,
# and the message names the key, the value and what was expected.
@pytest.mark.parametrize(
    "changes,key,shown",
    [
        ({"train.epochs": "3"}, "train.epochs", "'3' (a string; write the number without quotes)"),
        ({"train.epochs": True}, "train.epochs", "True (a bool)"),
        ({"train.epochs": 0}, "train.epochs", "0"),
        ({"train.epochs": 2.5}, "train.epochs", "2.5"),
        ({"train.batch_size": 0}, "train.batch_size", "0"),
        ({"train.batch_size": "32"}, "train.batch_size", "'32'"),
        ({"train.lr": "fast"}, "train.lr", "'fast' (a string)"),
        ({"train.lr": 0}, "train.lr", "0"),
        ({"train.lr": -0.001}, "train.lr", "-0.001"),
        ({"train.lr": float("nan")}, "train.lr", "nan"),
        ({"train.lr": float("inf")}, "train.lr", "inf"),
        ({"train.weight_decay": -0.1}, "train.weight_decay", "-0.1"),
        ({"train.weight_decay": None}, "train.weight_decay", "None"),
        ({"train.loss": "mse"}, "train.loss", "'mse'"),
        ({"train.true_rate": 1.5}, "train.true_rate", "1.5"),
        ({"train.loss": "spike_rate", "train.false_rate": 0.5}, "train.false_rate", "0.5"),
        ({"train.cutoff_epsilon": 1.0}, "train.cutoff_epsilon", "1.0"),
        ({"train.cutoff_epsilon": "0.05"}, "train.cutoff_epsilon", "'0.05'"),
        ({"train.epoch": 3}, "train.epoch", "unknown key"),
        ({"train": [1]}, "train", "expected a mapping"),
        ({"neuron.threshold": 0}, "neuron.threshold", "0"),
        ({"neuron.threshold": "1.25"}, "neuron.threshold", "'1.25'"),
        ({"neuron.current_decay": 1.5}, "neuron.current_decay", "1.5"),
        ({"neuron.voltage_decay": -0.1}, "neuron.voltage_decay", "-0.1"),
        ({"neuron.tau_grad": 0}, "neuron.tau_grad", "0"),
        ({"neuron.scale_grad": -1}, "neuron.scale_grad", "-1"),
        ({"neuron.requires_grad": "yes"}, "neuron.requires_grad", "'yes'"),
        ({"layers.4.neuron": {"threshold": -1}}, "layers[4].neuron.threshold", "-1"),
        ({"layers.5.neuron": {"graded_spike": 1}}, "layers[5].neuron.graded_spike", "1"),
        ({"layers.0.weight_scale": "2"}, "layers[0].weight_scale", "'2'"),
        ({"layers.1.weight": 0}, "layers[1].weight", "0"),
        ({"layers.0.out": True}, "layers[0].out", "True (a bool)"),
        ({"layers.0.kernel": 3.0}, "layers[0].kernel", "3.0"),
        ({"layers.0.padding": -1}, "layers[0].padding", "-1"),
        ({"pruner.n_embeddings": -1}, "pruner.n_embeddings", "-1"),
        ({"pruner.n_embeddings": 2.0}, "pruner.n_embeddings", "2.0"),
        ({"pruner.n_embeddings": True}, "pruner.n_embeddings", "True"),
        ({"pruner.kernel": 0}, "pruner.kernel", "0"),
        ({"pruner.kernel": 2}, "pruner.kernel", "2"),
        ({"pruner.kernel": "3"}, "pruner.kernel", "'3'"),
        ({"pruner.pool": [0, 1]}, "pruner.pool", "[0, 1]"),
        ({"pruner.pool": [1]}, "pruner.pool", "[1]"),
        ({"pruner.pool": "1"}, "pruner.pool", "'1'"),
        ({"pruner.train_mode": "hard"}, "pruner.train_mode", "'hard'"),
        ({"pruner.variant": "fast"}, "pruner.variant", "'fast'"),
        ({"pruner.theta": 1.5}, "pruner.theta", "1.5"),
        ({"pruner.ratio": "0.3"}, "pruner.ratio", "'0.3'"),
        ({"pruner.positions": [True]}, "pruner.positions", "True"),
        ({"pruner.positions": [3, 3]}, "pruner.positions", "[3, 3]"),
        ({"data.dataset": "mnist"}, "data.dataset", "'mnist'"),
        ({"data.dataset": 3}, "data.dataset", "3"),
        ({"data.window_ms": 0}, "data.window_ms", "0"),
        ({"data.n_frames": "30"}, "data.n_frames", "'30'"),
        ({"data.n_frames": 0}, "data.n_frames", "0"),
        ({"data.clip": 256}, "data.clip", "256"),
        ({"data.mode": "rate"}, "data.mode", "'rate'"),
        ({"data.size": [0, 4]}, "data.size", "[0, 4]"),
        ({"data.polarity": "yes"}, "data.polarity", "'yes'"),
        ({"data.frames": 30}, "data.frames", "unknown key"),
        ({"data": "synthetic"}, "data", "'synthetic'"),
        ({"input": [2, True, 8]}, "input", "True"),
        ({"input": [2, 8, 8.0]}, "input", "8.0"),
        ({"name": 3}, "name", "3"),
        ({"description": ["x"]}, "description", "['x']"),
    ],
)
def test_the_schema_names_the_key_the_value_and_what_was_expected(changes, key, shown):
    with pytest.raises(ConfigError) as e:
        parse_config(with_(changes), source="cfg.yaml")
    assert e.value.key == key, str(e.value)
    msg = str(e.value)
    assert msg.startswith("cfg.yaml: ") and shown in msg and ("expected" in msg or "listed twice" in msg), msg


@pytest.mark.parametrize("changes", [
    {"train.epochs": 1, "train.lr": 1, "train.weight_decay": 0, "train.cutoff_epsilon": None},
    {"train.cutoff_epsilon": 0.0, "train.rcs_alpha": 0.002, "neuron.threshold": 2, "neuron.current_decay": 1},
    {"pruner.n_embeddings": 0, "pruner.kernel": 5, "pruner.pool": 2, "pruner.train_mode": "ste"},
    {"pruner.theta": 0.5, "pruner.ratio": None, "pruner.variant": "causal", "pruner.positions": []},
    {"data.window_ms": 2.5, "data.n_frames": 8, "data.size": 8, "data.mode": "count", "data.clip": 255},
    {"layers.5.neuron": {"graded_spike": True, "threshold": 0.5}, "name": "x", "description": None},
])
def test_the_schema_takes_every_legal_value(changes):
    cfg = parse_config(with_(changes))
    assert parse_config(cfg.to_dict()).to_dict() == cfg.to_dict()  # what a run stores parses again


def test_a_yaml_file_with_wrong_types_names_the_key_and_value(tmp_path):
    text = (CONFIG_DIR / "synthetic_small.yaml").read_text()
    epochs = re.search(r"^  epochs: \d+$", text, re.M).group(0)  # whatever the shipped value is
    for old, new, key, shown in [(epochs, '  epochs: "3"', "train.epochs", "'3'"),
                                 ("lr: 0.003", "lr: fast", "train.lr", "'fast'"),
                                 ("lr: 0.003", "lr: [0.003]", "train.lr", "[0.003]")]:
        bad = tmp_path / "bad.yaml"
        assert old in text
        bad.write_text(text.replace(old, new))
        with pytest.raises(ConfigError) as e:
            load_config(bad)
        assert e.value.key == key and shown in str(e.value) and str(bad) in str(e.value)
    ok = tmp_path / "ok.yaml"
    ok.write_text(text.replace("lr: 0.003", "lr: 3e-3"))  # YAML 1.2's float, which PyYAML alone reads as text
    assert load_config(ok).train["lr"] == 0.003


def test_every_shipped_config_round_trips_through_the_schema():
    for path in CONFIGS:
        cfg = load_config(path)
        assert parse_config(cfg.to_dict(), source=str(path)).to_dict() == cfg.to_dict()
