"""Network configs (YAML): parsing and validation, with errors naming the key.

A config has ``data`` (data set name + framing overrides), ``input`` (C, H, W
or C), ``neuron`` (CUBA defaults), ``layers`` (conv / pool / flatten /
dense), ``pruner`` (positions E1-E4 and the pruner's options) and ``train``.
See ``razor_lava/configs/*.yaml`` for the shipped ones (``razor_lava.configs``).
"""

from __future__ import annotations

import copy
import math
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import ConfigError
from ..layers import BLOCKS, TYPES, WEIGHTED, Layer
from ..pruning.params import METHODS, TRAIN_MODES, VARIANTS, check_method_options, resolve_method_rule

LAYER_TYPES = ("conv", "pool", "flatten", "dense")  # the layer types a config may list (razor_lava.layers)
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
    # Razor, or a trivial rule in its place (pruning/baselines.py; bench/FRONTIER.md compares them).
    "method": "razor",
    "events_k": None,      # the events method's threshold: keep frames with more than k events
    "seed": 0,             # the pruner's random initialisation; the random method's positions
    "freeze": False,       # embeddings and weighting stay at that initialisation (the "frozen" baseline)
    # The ratio the trained pruner prunes at inference (validation, cutoff calibration, test, the exported
    # gates), when it differs from the one it trains with; null: the same. The ratio is a knob of the
    # decision, not of the weights: bench/FRONTIER.md measures what each pays.
    "infer_ratio": None,
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
    # RCS regulariser (docs/design.md 2.4): loss = task + rcs_alpha * reg; 0 = off (paper: about 0.002).
    "rcs_alpha": 0.0,
    # Fraction of the final timesteps whose mean activity is the RCS reference (the authors' int(0.3 T)).
    "rcs_ref_fraction": 0.3,
    # Synop-aware pruning: loss += synops_weight * (the fraction of its input events each Razor pruner's
    # soft mask lets through, mean over pruners). It teaches the pruner to drop busy frames where it can
    # spare them (bench/FRONTIER.md); 0 = off, the paper's objective.
    "synops_weight": 0.0,
    # Top-K cutoff calibrated on the validation split at the end of a run; null = no calibration.
    "cutoff_epsilon": 0.05,
    # Validation split carved from the training set (stratified, the same for every seed): it picks
    # the epoch that is exported and calibrates the cutoff; the test set gives the final numbers only.
    "val_fraction": 0.1,
    # "best": export the epoch with the best validation accuracy (ties: the later); "last": the last epoch.
    "select": "best",
    # "cosine": lr * (1 + cos(pi * (epoch - 1) / epochs)) / 2 per epoch; "constant": lr throughout.
    "lr_schedule": "constant",
    # lava-dl's neuron dropout (a dropped neuron stays dropped for the whole sample) on every block
    # but the output block, as in lava-dl's N-MNIST recipe; training only.
    "dropout": 0.0,
    # Event augmentation of the training split (razor_lava/data/transforms.py); {} = none.
    "augment": {},
}
LOSSES = ("rate_ce", "spike_rate")
LAYER_KEYS = {
    "conv": {"type", "out", "kernel", "stride", "padding", "dilation", "groups", "neuron", "weight_scale",
             "weight_norm"},
    "pool": {"type", "kernel", "stride", "neuron", "weight"},
    "flatten": {"type"},
    "dense": {"type", "out", "neuron", "weight_scale", "weight_norm", "delay"},
}


# ---- the schema: every value's type and range -------------------------------------------------------------
# Types are checked, never coerced: YAML ``epochs: "3"`` or ``lr: fast`` is an error naming the key, the value
# and what was expected; a bool is no number (``epochs: true``); NaN and infinities are no numbers either.

@dataclass(frozen=True)
class Num:
    """A number (``integer``: an int) with optional bounds; ``null``: None is allowed too; ``note`` ends the
    expectation (e.g. "0 = off")."""

    integer: bool = False
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    null: bool = False
    note: str = ""

    def ok(self, v) -> bool:
        if v is None:
            return self.null
        if isinstance(v, bool) or not isinstance(v, numbers.Integral if self.integer else numbers.Real):
            return False
        if not math.isfinite(v):
            return False
        if self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo):
            return False
        return not (self.hi is not None and (v >= self.hi if self.hi_open else v > self.hi))

    def expected(self) -> str:
        what = "an integer" if self.integer else "a number"
        if self.lo is not None and self.hi is not None:
            rng = f" in {'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}{')' if self.hi_open else ']'}"
        elif self.lo is not None:
            rng = f" {'>' if self.lo_open else '>='} {self.lo:g}"
        elif self.hi is not None:
            rng = f" {'<' if self.hi_open else '<='} {self.hi:g}"
        else:
            rng = ""
        return what + rng + (" or null" if self.null else "") + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class OneOf:
    """One of a few strings (``null``: or None)."""

    values: tuple
    null: bool = False

    def ok(self, v) -> bool:
        return (v is None and self.null) or (isinstance(v, str) and v in self.values)

    def expected(self) -> str:
        return f"one of {', '.join(map(repr, self.values))}" + (" or null" if self.null else "")


@dataclass(frozen=True)
class Flag:
    """true or false."""

    def ok(self, v) -> bool:
        return isinstance(v, bool) or type(v).__name__ == "bool_"  # a numpy bool from a network file

    def expected(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Text:
    """A string (``null``: or None)."""

    null: bool = False

    def ok(self, v) -> bool:
        return isinstance(v, str) or (v is None and self.null)

    def expected(self) -> str:
        return "a string" + (" or null" if self.null else "")


NEURON_SCHEMA = {
    "threshold": Num(lo=0, lo_open=True),
    "current_decay": Num(lo=0, hi=1, note="0 = no decay"),
    "voltage_decay": Num(lo=0, hi=1, note="0 = no decay"),
    "tau_grad": Num(lo=0, lo_open=True),
    "scale_grad": Num(lo=0, lo_open=True),
    "requires_grad": Flag(),
    "graded_spike": Flag(),
}
TRAIN_SCHEMA = {
    "epochs": Num(integer=True, lo=1),
    "batch_size": Num(integer=True, lo=1),
    "lr": Num(lo=0, lo_open=True),
    "weight_decay": Num(lo=0),
    "loss": OneOf(LOSSES),
    "true_rate": Num(lo=0, hi=1),
    "false_rate": Num(lo=0, hi=1),
    "rcs_alpha": Num(lo=0, note="0 = no RCS regulariser"),
    "rcs_ref_fraction": Num(lo=0, hi=1, lo_open=True),
    "synops_weight": Num(lo=0, note="0 = the paper's objective"),
    "cutoff_epsilon": Num(lo=0, hi=1, hi_open=True, null=True, note="null = no cutoff"),
    "val_fraction": Num(lo=0, hi=0.5, hi_open=True, note="0 = no validation split"),
    "select": OneOf(("best", "last")),
    "lr_schedule": OneOf(("constant", "cosine")),
    "dropout": Num(lo=0, hi=1, hi_open=True, note="0 = none"),
}
# The keys of train.augment (razor_lava.data.transforms.from_config builds the transforms).
AUGMENT_SCHEMA = {
    "translate": Num(integer=True, lo=0, note="pixels; a random shift in [-n, n] per axis and sample"),
    "rotate_deg": Num(lo=0, hi=180, note="a random rotation in [-a, a] degrees about the sensor centre"),
    "drop_event": Num(lo=0, hi=1, hi_open=True, note="the probability of dropping each event"),
    "time_jitter_us": Num(lo=0, note="the standard deviation of Gaussian timestamp noise"),
}
# positions, pool, theta and ratio have their own checks (_check_positions, _checked_pair, resolve_rule).
PRUNER_SCHEMA = {
    "n_embeddings": Num(integer=True, lo=0, note="K global temporal embeddings; 0 = none"),
    "kernel": Num(integer=True, lo=1, note="odd"),
    "train_mode": OneOf(TRAIN_MODES),
    "variant": OneOf(VARIANTS),
    "method": OneOf(METHODS),
    "events_k": Num(integer=True, lo=0, null=True, note="the events method's threshold"),
    "seed": Num(integer=True, lo=0),
    "freeze": Flag(),
    "infer_ratio": Num(lo=0, hi=1, hi_open=True, null=True, note="null = the training ratio"),
}
# The data section's framing keys (razor_lava.data.framing.FrameSpec; ``size`` is checked by _checked_pair).
DATA_SCHEMA = {
    "dataset": Text(),
    "window_ms": Num(lo=0, lo_open=True),
    "n_frames": Num(integer=True, lo=1),
    "polarity": Flag(),
    "mode": OneOf(("binary", "count")),
    "clip": Num(integer=True, lo=1, hi=255),
    "t_origin": OneOf(("zero", "first")),
}
DATA_KEYS = set(DATA_SCHEMA) | {"size"}
_NUMBER_TEXT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _got(v) -> str:
    """How an error shows a wrong value: its repr, with the type where the repr hides it."""
    if isinstance(v, str):
        hint = "; write the number without quotes" if _NUMBER_TEXT.fullmatch(v.strip()) else ""
        return f"{v!r} (a string{hint})"
    if isinstance(v, bool):
        return f"{v!r} (a bool)"
    if isinstance(v, (list, tuple, dict)):
        return f"{v!r} (a {type(v).__name__})"
    return repr(v)


def check_value(v, spec, key: str, source=None):
    """``v`` if it fits ``spec`` (Num, OneOf, Flag, Text), else ``ConfigError`` naming ``key``, ``v`` and the
    expectation."""
    if not spec.ok(v):
        raise ConfigError(key, f"expected {spec.expected()}, got {_got(v)}", source)
    return v


def _check_section(values: dict, schema: dict, key: str, source) -> None:
    for name, spec in schema.items():
        if name in values:
            check_value(values[name], spec, f"{key}.{name}", source)


@dataclass
class NetConfig:
    """A validated config. ``layers`` are typed layers (``razor_lava.layers``) with defaults filled in."""

    name: str
    data: dict
    input: tuple[int, ...]
    neuron: dict
    layers: list[Layer]
    pruner: dict
    train: dict
    source: str | None = None
    raw: dict = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return int(self.layers[-1].out)

    # Layer indices: layer k is the k-th entry (1-based) of ``layers`` and the file's
    # ``layer/k`` (``layer/0`` is the input); see razor_lava/netfile/spec.py.
    def weighted_indices(self) -> list[int]:
        return [k for k, l in enumerate(self.layers, start=1) if l.type in WEIGHTED]

    def block_indices(self) -> list[int]:
        return [k for k, l in enumerate(self.layers, start=1) if l.type in BLOCKS]

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
                "layers": [layer.to_dict() for layer in self.layers], "pruner": self.pruner, "train": self.train}


def _merge(defaults: dict, given, key: str, source) -> dict:
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ConfigError(key, f"expected a mapping, got {type(given).__name__}", source)
    unknown = set(given) - set(defaults)
    if unknown:
        raise ConfigError(f"{key}.{sorted(map(str, unknown))[0]}", f"unknown key; expected some of "
                          f"{sorted(defaults)}", source)
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
        raise ConfigError(f"{key}.neuron.{sorted(map(str, unknown))[0]}", f"unknown neuron parameter; expected some of "
                          f"{sorted(NEURON_KEYS)}", source)
    _check_section(spec, NEURON_SCHEMA, f"{key}.neuron", source)
    out = dict(defaults)
    out.update(spec)
    out.setdefault("graded_spike", False)
    return out


def _positive_int(layer: dict, name: str, key: str, source, default=None) -> int:
    v = layer.get(name, default)
    if v is None:
        raise ConfigError(f"{key}.{name}", "missing; expected a positive integer", source)
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ConfigError(f"{key}.{name}", f"expected a positive integer, got {_got(v)}", source)
    return v


def _checked_pair(layer: dict, name: str, key: str, source, default=None, minimum: int = 1) -> list[int]:
    """A config value that is an int or an [h, w] pair, type- and range-checked, returned as [h, w]."""
    v = layer.get(name, default)
    if v is None:
        raise ConfigError(f"{key}.{name}", "missing; expected an integer or [height, width]", source)
    pair = [v, v] if isinstance(v, int) and not isinstance(v, bool) else v
    if not (isinstance(pair, (list, tuple)) and len(pair) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) and x >= minimum for x in pair)):
        raise ConfigError(f"{key}.{name}", f"expected an integer >= {minimum} or [height, width] integers >= "
                          f"{minimum}, got {_got(v)}", source)
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
        raise ConfigError(sorted(map(str, unknown))[0], f"unknown top-level key; expected some of {sorted(known)}",
                          source)
    for k in ("name", "description"):
        check_value(raw.get(k), Text(null=True), k, source)
    data = _data_section(raw.get("data"), source)
    inp = raw.get("input")
    if not isinstance(inp, (list, tuple)) or len(inp) not in (1, 3) or \
            not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in inp):
        raise ConfigError("input", f"expected [C, H, W] or [C] positive integers, got {_got(inp)}", source)
    neuron = _merge(DEFAULT_NEURON, raw.get("neuron"), "neuron", source)
    _check_section(neuron, NEURON_SCHEMA, "neuron", source)
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
            raise ConfigError(f"{key}.{sorted(map(str, extra))[0]}", f"unknown key for a {t} layer; expected some of "
                              f"{sorted(LAYER_KEYS[t])}", source)
        out = {"type": t}
        if t == "conv":
            out["out"] = _positive_int(layer, "out", key, source)
            out["kernel"] = _checked_pair(layer, "kernel", key, source)
            out["stride"] = _checked_pair(layer, "stride", key, source, 1)
            out["padding"] = _checked_pair(layer, "padding", key, source, 0, minimum=0)
            out["dilation"] = _checked_pair(layer, "dilation", key, source, 1)
            out["groups"] = _positive_int(layer, "groups", key, source, 1)
            out["weight_scale"] = float(check_value(layer.get("weight_scale", 2), POSITIVE, f"{key}.weight_scale",
                                                    source))
            out["weight_norm"] = check_value(layer.get("weight_norm", False), Flag(), f"{key}.weight_norm", source)
        elif t == "pool":
            out["kernel"] = _positive_int(layer, "kernel", key, source)
            out["stride"] = _positive_int(layer, "stride", key, source, out["kernel"])
            out["weight"] = float(check_value(layer.get("weight", 1.0), POSITIVE, f"{key}.weight", source))
        elif t == "dense":
            out["out"] = _positive_int(layer, "out", key, source)
            out["weight_scale"] = float(check_value(layer.get("weight_scale", 2), POSITIVE, f"{key}.weight_scale",
                                                    source))
            out["weight_norm"] = check_value(layer.get("weight_norm", False), Flag(), f"{key}.weight_norm", source)
            # lava-dl's learnable axonal delay (one per output neuron); netx deploys it as a delay of the
            # next layer's synapses (razor_lava/netfile/read.py).
            out["delay"] = check_value(layer.get("delay", False), Flag(), f"{key}.delay", source)
        if t != "flatten":
            out["neuron"] = _layer_neuron(layer, neuron, key, source)
            if t != "dense" and out["neuron"]["graded_spike"]:
                # Deployment runs graded layers (and the layer after them) as razor_lava
                # processes; those exist for dense layers only.
                raise ConfigError(f"{key}.neuron", "LIAF (graded) neurons are supported on dense layers only",
                                  source)
        layers.append(TYPES[t](**{k: v for k, v in out.items() if k != "type"}))
    if layers[-1].type != "dense" and not any_output:
        raise ConfigError(f"layers[{len(layers) - 1}].type", "the last layer must be dense (the class outputs)", source)
    pruner = _merge(DEFAULT_PRUNER, raw.get("pruner"), "pruner", source)
    _check_section(pruner, PRUNER_SCHEMA, "pruner", source)
    if pruner["kernel"] % 2 == 0:
        raise ConfigError("pruner.kernel", f"expected an odd integer >= 1 (a centred temporal kernel), got "
                          f"{pruner['kernel']!r}", source)
    pruner["pool"] = _checked_pair(pruner, "pool", "pruner", source)
    # The config's theta/ratio over the defaults: a theta given alone replaces the default ratio.
    pruner["theta"], pruner["ratio"] = resolve_method_rule(pruner["method"], DEFAULT_PRUNER["theta"],
                                                           DEFAULT_PRUNER["ratio"], pruner["variant"],
                                                           raw.get("pruner"), source=source)
    check_method_options(pruner["method"], pruner["ratio"], pruner["events_k"], pruner["infer_ratio"],
                         pruner["variant"], source=source)
    train = _merge(DEFAULT_TRAIN, raw.get("train"), "train", source)
    _check_section(train, TRAIN_SCHEMA, "train", source)
    train["augment"] = _merge({k: 0 for k in AUGMENT_SCHEMA}, train["augment"], "train.augment", source)
    _check_section(train["augment"], AUGMENT_SCHEMA, "train.augment", source)
    if train["val_fraction"] == 0:
        if train["select"] == "best":
            raise ConfigError("train.select", "'best' picks the epoch on the validation split, but "
                              "train.val_fraction is 0; set val_fraction > 0 or select: last", source)
        if train["cutoff_epsilon"] is not None:
            raise ConfigError("train.cutoff_epsilon", "the cutoff is calibrated on the validation split, but "
                              "train.val_fraction is 0; set val_fraction > 0 or cutoff_epsilon: null", source)
    if train["loss"] == "spike_rate" and not train["false_rate"] < train["true_rate"]:
        raise ConfigError("train.false_rate", f"expected a rate below train.true_rate = {train['true_rate']!r} "
                          f"(the target rate of the right class), got {train['false_rate']!r}", source)
    cfg = NetConfig(
        name=raw.get("name") or (Path(source).stem if source else "network"),
        data=data, input=tuple(inp), neuron=neuron, layers=layers, pruner=pruner,
        train=train, source=source, raw=raw,
    )
    _check_positions(cfg, source)
    return cfg


POSITIVE = Num(lo=0, lo_open=True)


def _data_section(data, source) -> dict:
    """The ``data`` section: a known data set name and framing overrides of the right types."""
    from ..data.registry import DATASETS

    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("data", f"expected a mapping with the key 'dataset', got {_got(data)}", source)
    if "dataset" not in data:
        raise ConfigError("data.dataset", "missing; expected the data set name (e.g. synthetic, nmnist)", source)
    unknown = set(data) - DATA_KEYS
    if unknown:
        raise ConfigError(f"data.{sorted(map(str, unknown))[0]}", f"unknown key; expected 'dataset' and framing "
                          f"keys, some of {sorted(DATA_KEYS - {'dataset'})}", source)
    _check_section(data, DATA_SCHEMA, "data", source)
    if data["dataset"] not in DATASETS:
        raise ConfigError("data.dataset", f"unknown data set {data['dataset']!r}; expected one of "
                          f"{sorted(DATASETS)}", source)
    out = dict(data)
    if data.get("size") is not None:
        out["size"] = _checked_pair(data, "size", "data", source)
    return out


def config_from_layers(input_shape, layers: list[Layer], data: dict, pruner_positions: list[int],
                       source: str | None = None) -> NetConfig:
    """The config of a network whose typed layers come from elsewhere (a network file, a NIR graph), with
    pruners at ``pruner_positions`` and every other section at its defaults. The last layer may be any
    weighted layer (a file read with ``num_layers``). Validated like any config (its ``raw`` re-parses)."""
    raw = {"data": data, "input": list(input_shape), "layers": [layer.to_dict() for layer in layers],
           "pruner": {"positions": list(pruner_positions)}}
    return parse_config(raw, source, any_output=True)


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
        if len(set(map(repr, pos))) != len(pos):
            raise ConfigError("pruner.positions", f"a layer index is listed twice in {pos!r}", source)
        for p in pos:
            if not isinstance(p, int) or isinstance(p, bool) or p not in w:
                raise ConfigError("pruner.positions", f"expected indices of conv/pool/dense layers (a pruner sits "
                                  f"at the input of one of the layers {w}), got {_got(p)}", source)
    elif pos not in POSITIONS:
        raise ConfigError("pruner.positions", f"expected one of {POSITIONS} or a list of layer indices, got "
                          f"{_got(pos)}", source)


class _ConfigLoader(yaml.SafeLoader):
    """PyYAML's safe loader, reading ``1e-3`` as the number YAML 1.2 says it is (PyYAML, a YAML 1.1
    parser, wants ``1.0e-3`` and reads ``1e-3`` as a string, which the schema would refuse)."""


_ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def load_config(path: str | Path) -> NetConfig:
    """Read and validate a YAML config: the path of a file, or a shipped config's name.

    ``load_config("nmnist")`` reads the shipped ``razor_lava/configs/nmnist.yaml``;
    ``razor_lava.configs.shipped_configs()`` lists the names. A path that is no
    file and no shipped name raises ``ConfigError`` naming it and the shipped names.
    """
    from ..configs import config_path

    path = config_path(path)
    try:
        raw = yaml.load(path.read_text(), Loader=_ConfigLoader)
    except yaml.YAMLError as e:
        raise ConfigError("(file)", f"not valid YAML: {e}", str(path)) from None
    return parse_config(raw, source=str(path))
