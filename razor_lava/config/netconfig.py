"""``NetConfig``, a validated config, and ``parse_config``, which makes one from a mapping section by section."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..layers import BLOCKS, WEIGHTED, Layer
from .data import data_section
from .layers import input_section, layers_section, neuron_section
from .pruner import check_positions, pruner_layers, pruner_section
from .schema import Text, check_value
from .train import train_section

SECTIONS = ("name", "description", "data", "input", "neuron", "layers", "pruner", "train")


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
        """Layer indices of the blocks that get a pruner at their input (``pruner.pruner_layers``: E1: none,
        E2: the encoder, E3: the backbone blocks, E4: every block, or the listed layer indices). Blocks are
        the conv and dense layers (a pool is part of the conv block before it)."""
        return pruner_layers(self.pruner["positions"], self.block_indices())

    def to_dict(self) -> dict:
        return {"name": self.name, "data": self.data, "input": list(self.input), "neuron": self.neuron,
                "layers": [layer.to_dict() for layer in self.layers], "pruner": self.pruner, "train": self.train}


def parse_config(raw: dict, source: str | None = None, any_output: bool = False) -> NetConfig:
    """Validate a config mapping; errors name the offending key.

    ``any_output``: the last layer may be a conv (the reference of a network file
    cut short with ``num_layers``); a trained network ends in a dense class layer.
    """
    if not isinstance(raw, dict):
        raise ConfigError("(top level)", "expected a mapping", source)
    unknown = set(raw) - set(SECTIONS)
    if unknown:
        raise ConfigError(sorted(map(str, unknown))[0], f"unknown top-level key; expected some of {sorted(SECTIONS)}",
                          source)
    for k in ("name", "description"):
        check_value(raw.get(k), Text(null=True), k, source)
    data = data_section(raw.get("data"), source)
    inp = input_section(raw.get("input"), source)
    neuron = neuron_section(raw.get("neuron"), source)
    layers = layers_section(raw.get("layers"), neuron, source, any_output)
    pruner = pruner_section(raw.get("pruner"), source)
    train = train_section(raw.get("train"), source)
    cfg = NetConfig(
        name=raw.get("name") or (Path(source).stem if source else "network"),
        data=data, input=inp, neuron=neuron, layers=layers, pruner=pruner,
        train=train, source=source, raw=raw,
    )
    check_positions(cfg.pruner["positions"], cfg.weighted_indices(), source)
    return cfg


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
