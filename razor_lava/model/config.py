"""Network configs (YAML): parsing and validation, with errors naming the key.

A config has ``data`` (data set name + framing overrides), ``input`` (C, H, W
or C), ``neuron`` (CUBA defaults), ``layers`` (conv / pool / flatten /
dense), ``pruner`` (positions E1-E4 and the pruner's options) and ``train``.
See ``razor_lava/configs/*.yaml`` for the shipped ones (``razor_lava.configs``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import ConfigError
from ..pruning.params import resolve_rule

LAYER_TYPES = ("conv", "pool", "flatten", "dense")
WEIGHTED = ("conv", "pool", "dense")
# Blocks a named position (E2-E4) counts: a pool belongs to the conv block before it.
BLOCKS = ("conv", "dense")
POSITIONS = ("E1", "E2", "E3", "E4")

DEFAULT_NEURON = {
    # lava-dl's CUBA defaults from its N-MNIST / DVS Gesture tutorials.
    "threshold": 1.25,
    "current_decay": 0.25,
    "voltage_decay": 0.03,
    "tau_grad": 0.03,
    "scale_grad": 3,
    "requires_grad": False,
}
NEURON_KEYS = set(DEFAULT_NEURON) | {"graded_spike"}
DEFAULT_PRUNER = {
    "positions": "E3",
    "n_embeddings": 4,
    "kernel": 3,
    "pool": [1, 1],
    "theta": None,
    "ratio": 0.3,
    "train_mode": "soft",
    "variant": "window",
}
DEFAULT_TRAIN = {
    "epochs": 10,
    "batch_size": 32,
    "lr": 0.001,
    "weight_decay": 0.0,
    # "rate_ce": cross entropy of the accumulated output (the rate code; lava-dl's
    # SpikeMax in softmax mode, on counts instead of rates); "spike_rate":
    # lava-dl's SpikeRate (MSE to true_rate / false_rate).
    "loss": "rate_ce",
    "true_rate": 0.2,
    "false_rate": 0.03,
    # RCS regulariser (DESIGN 2.4): loss = task + rcs_alpha * reg; 0 = off (paper: about 0.002).
    "rcs_alpha": 0.0,
    # Fraction of the final timesteps whose mean activity is the RCS reference.
    "rcs_ref_fraction": 0.3,
    # Floor on the cosine inside 1 / cos (cutoff/rcs.py): 0 = the paper's form, whose gradient
    # explodes for near-orthogonal early activity (measured: training collapsed); 0.1 bounds it.
    "rcs_cos_floor": 0.1,
    # Top-K cutoff calibrated on the training set at the end of a run; null = no calibration.
    "cutoff_epsilon": 0.05,
}
LOSSES = ("rate_ce", "spike_rate")
LAYER_KEYS = {
    "conv": {"type", "out", "kernel", "stride", "padding", "dilation", "groups", "neuron", "weight_scale"},
    "pool": {"type", "kernel", "stride", "neuron", "weight"},
    "flatten": {"type"},
    "dense": {"type", "out", "neuron", "weight_scale"},
}


@dataclass
class NetConfig:
    """A validated config. ``layers`` are dicts with defaults filled in."""

    name: str
    data: dict
    input: tuple[int, ...]
    neuron: dict
    layers: list[dict]
    pruner: dict
    train: dict
    source: str | None = None
    raw: dict = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return int(self.layers[-1]["out"])

    # Layer indices: layer k is the k-th entry (1-based) of ``layers`` and the file's
    # ``layer/k`` (``layer/0`` is the input); see razor_lava/netfile/spec.py.
    def weighted_indices(self) -> list[int]:
        return [k for k, l in enumerate(self.layers, start=1) if l["type"] in WEIGHTED]

    def block_indices(self) -> list[int]:
        return [k for k, l in enumerate(self.layers, start=1) if l["type"] in BLOCKS]

    def pruner_layers(self) -> list[int]:
        """Layer indices of the blocks that get a pruner at their input.

        E1: none. E2: the encoder (first weighted block). E3: every backbone
        block, i.e. the weighted blocks after the encoder except the output
        block (the paper's choice). E4: every block. Blocks are the conv and
        dense layers (a pool is part of the conv block before it); a list of
        layer indices places pruners explicitly.
        """
        pos = self.pruner["positions"]
        w = self.block_indices()
        if isinstance(pos, list):
            return sorted(int(p) for p in pos)
        return {"E1": [], "E2": w[:1], "E3": w[1:-1], "E4": w}[pos]

    def to_dict(self) -> dict:
        return {"name": self.name, "data": self.data, "input": list(self.input), "neuron": self.neuron,
                "layers": self.layers, "pruner": self.pruner, "train": self.train}


def _merge(defaults: dict, given, key: str, source) -> dict:
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ConfigError(key, f"expected a mapping, got {type(given).__name__}", source)
    unknown = set(given) - set(defaults)
    if unknown:
        raise ConfigError(f"{key}.{sorted(unknown)[0]}", f"unknown key; expected some of {sorted(defaults)}", source)
    out = copy.deepcopy(defaults)
    out.update(given)
    return out


def _layer_neuron(layer: dict, defaults: dict, key: str, source) -> dict:
    spec = layer.get("neuron", "cuba")
    if spec in ("cuba", None):
        spec = {}
    elif spec == "liaf":
        spec = {"graded_spike": True}
    if not isinstance(spec, dict):
        raise ConfigError(f"{key}.neuron", f"expected 'cuba', 'liaf' or a mapping of CUBA parameters, got {spec!r}",
                          source)
    unknown = set(spec) - NEURON_KEYS
    if unknown:
        raise ConfigError(f"{key}.neuron.{sorted(unknown)[0]}", f"unknown neuron parameter; expected some of "
                          f"{sorted(NEURON_KEYS)}", source)
    out = dict(defaults)
    out.update(spec)
    out.setdefault("graded_spike", False)
    return out


def _positive_int(layer: dict, name: str, key: str, source, default=None) -> int:
    v = layer.get(name, default)
    if v is None:
        raise ConfigError(f"{key}.{name}", "missing; expected a positive integer", source)
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ConfigError(f"{key}.{name}", f"expected a positive integer, got {v!r}", source)
    return v


def _pair(layer: dict, name: str, key: str, source, default=None, minimum: int = 1) -> list[int]:
    """An int or an [h, w] pair, returned as [h, w]."""
    v = layer.get(name, default)
    if v is None:
        raise ConfigError(f"{key}.{name}", "missing; expected an integer or [height, width]", source)
    pair = [v, v] if isinstance(v, int) and not isinstance(v, bool) else v
    if not (isinstance(pair, (list, tuple)) and len(pair) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) and x >= minimum for x in pair)):
        raise ConfigError(f"{key}.{name}", f"expected an integer >= {minimum} or [height, width], got {v!r}", source)
    return [int(pair[0]), int(pair[1])]


def parse_config(raw: dict, source: str | None = None, any_output: bool = False) -> NetConfig:
    """Validate a config mapping; errors name the offending key.

    ``any_output``: the last layer may be a conv (the reference of a network file
    cut short with ``num_layers``); a trained network ends in a dense class layer.
    """
    if not isinstance(raw, dict):
        raise ConfigError("(top level)", "expected a mapping", source)
    known = {"name", "description", "data", "input", "neuron", "layers", "pruner", "train"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(sorted(unknown)[0], f"unknown top-level key; expected some of {sorted(known)}", source)
    data = raw.get("data") or {}
    if not isinstance(data, dict) or "dataset" not in data:
        raise ConfigError("data.dataset", "missing; expected the data set name (e.g. synthetic, nmnist)", source)
    inp = raw.get("input")
    if not isinstance(inp, (list, tuple)) or len(inp) not in (1, 3) or not all(isinstance(v, int) and v > 0 for v in inp):
        raise ConfigError("input", f"expected [C, H, W] or [C] positive integers, got {inp!r}", source)
    neuron = _merge(DEFAULT_NEURON, raw.get("neuron"), "neuron", source)
    layers_raw = raw.get("layers")
    if not isinstance(layers_raw, list) or not layers_raw:
        raise ConfigError("layers", "expected a non-empty list of layers", source)
    layers = []
    for i, layer in enumerate(layers_raw):
        key = f"layers[{i}]"
        if not isinstance(layer, dict) or layer.get("type") not in LAYER_TYPES:
            got = layer.get("type") if isinstance(layer, dict) else layer
            raise ConfigError(f"{key}.type", f"unknown layer type {got!r}; expected one of {LAYER_TYPES}", source)
        t = layer["type"]
        extra = set(layer) - LAYER_KEYS[t]
        if extra:
            raise ConfigError(f"{key}.{sorted(extra)[0]}", f"unknown key for a {t} layer; expected some of "
                              f"{sorted(LAYER_KEYS[t])}", source)
        out = {"type": t}
        if t == "conv":
            out["out"] = _positive_int(layer, "out", key, source)
            out["kernel"] = _pair(layer, "kernel", key, source)
            out["stride"] = _pair(layer, "stride", key, source, 1)
            out["padding"] = _pair(layer, "padding", key, source, 0, minimum=0)
            out["dilation"] = _pair(layer, "dilation", key, source, 1)
            out["groups"] = _positive_int(layer, "groups", key, source, 1)
            out["weight_scale"] = float(layer.get("weight_scale", 2))
        elif t == "pool":
            out["kernel"] = _positive_int(layer, "kernel", key, source)
            out["stride"] = _positive_int(layer, "stride", key, source, out["kernel"])
            out["weight"] = float(layer.get("weight", 1.0))
        elif t == "dense":
            out["out"] = _positive_int(layer, "out", key, source)
            out["weight_scale"] = float(layer.get("weight_scale", 2))
        if t != "flatten":
            out["neuron"] = _layer_neuron(layer, neuron, key, source)
            if t != "dense" and out["neuron"]["graded_spike"]:
                # Deployment runs graded layers (and the layer after them) as razor_lava
                # processes; those exist for dense layers only.
                raise ConfigError(f"{key}.neuron", "LIAF (graded) neurons are supported on dense layers only",
                                  source)
        layers.append(out)
    if layers[-1]["type"] != "dense" and not any_output:
        raise ConfigError(f"layers[{len(layers) - 1}].type", "the last layer must be dense (the class outputs)", source)
    pruner = _merge(DEFAULT_PRUNER, raw.get("pruner"), "pruner", source)
    # The config's theta/ratio over the defaults: a theta given alone replaces the default ratio.
    pruner["theta"], pruner["ratio"] = resolve_rule(DEFAULT_PRUNER["theta"], DEFAULT_PRUNER["ratio"],
                                                    pruner["variant"], raw.get("pruner"), source=source)
    cfg = NetConfig(
        name=str(raw.get("name") or (Path(source).stem if source else "network")),
        data=dict(data), input=tuple(inp), neuron=neuron, layers=layers, pruner=pruner,
        train=_merge(DEFAULT_TRAIN, raw.get("train"), "train", source), source=source, raw=raw,
    )
    if cfg.train["loss"] not in LOSSES:
        raise ConfigError("train.loss", f"expected one of {LOSSES}, got {cfg.train['loss']!r}", source)
    _check_positions(cfg, source)
    _check_cutoff_keys(cfg.train, source)
    return cfg


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) != float("inf")


def _check_cutoff_keys(train: dict, source) -> None:
    """``rcs_alpha >= 0``, ``0 < rcs_ref_fraction <= 1``, ``0 <= rcs_cos_floor < 1``, ``cutoff_epsilon`` in [0, 1)
    or null."""
    a, f, e = train["rcs_alpha"], train["rcs_ref_fraction"], train["cutoff_epsilon"]
    c = train["rcs_cos_floor"]
    if not _number(c) or not 0 <= c < 1:
        raise ConfigError("train.rcs_cos_floor", f"expected a number in [0, 1) (0 = the paper's form), got {c!r}",
                          source)
    if not _number(a) or a < 0:
        raise ConfigError("train.rcs_alpha", f"expected a number >= 0 (0 = no RCS regulariser), got {a!r}", source)
    if not _number(f) or not 0 < f <= 1:
        raise ConfigError("train.rcs_ref_fraction", f"expected a fraction in (0, 1], got {f!r}", source)
    if e is not None and (not _number(e) or not 0 <= e < 1):
        raise ConfigError("train.cutoff_epsilon", f"expected a number in [0, 1) or null (no cutoff), got {e!r}",
                          source)


def with_train_overrides(cfg: NetConfig, overrides: dict) -> NetConfig:
    """``cfg`` with ``train`` keys replaced (e.g. from command-line flags), validated again."""
    if not overrides:
        return cfg
    raw = copy.deepcopy(cfg.raw)
    raw["train"] = dict(raw.get("train") or {}, **overrides)
    return parse_config(raw, cfg.source)


def _check_positions(cfg: NetConfig, source) -> None:
    pos = cfg.pruner["positions"]
    if isinstance(pos, list):
        w = cfg.weighted_indices()
        for p in pos:
            if not isinstance(p, int) or p not in w:
                raise ConfigError("pruner.positions", f"layer index {p!r} is not a conv/pool/dense layer; a pruner "
                                  f"sits at the input of one of the layers {w}", source)
    elif pos not in POSITIONS:
        raise ConfigError("pruner.positions", f"expected one of {POSITIONS} or a list of layer indices, got {pos!r}",
                          source)


def load_config(path: str | Path) -> NetConfig:
    """Read and validate a YAML config: the path of a file, or a shipped config's name.

    ``load_config("nmnist")`` reads the shipped ``razor_lava/configs/nmnist.yaml``;
    ``razor_lava.configs.shipped_configs()`` lists the names. A path that is no
    file and no shipped name raises ``ConfigError`` naming it and the shipped names.
    """
    from ..configs import config_path

    path = config_path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise ConfigError("(file)", f"not valid YAML: {e}", str(path)) from None
    return parse_config(raw, source=str(path))
