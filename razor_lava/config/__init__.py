"""Experiment configs: a YAML file (or mapping) checked section by section into a ``NetConfig``.

A config has ``data`` (data set name + framing overrides), ``input`` (C, H, W or C), ``neuron`` (CUBA
defaults), ``layers`` (conv / pool / flatten / dense), ``pruner`` (positions E1-E4 and the pruner's options)
and ``train``; errors name the key. The shipped YAML files are ``razor_lava/configs/*.yaml``
(``razor_lava.configs`` finds them by name). Where each part lives:

- ``schema``: the value checkers (``Num``, ``OneOf``, ``Flag``, ``Text``), which also make the command-line
  types (``razor_lava.cli.common.arg_type``);
- ``data``, ``layers`` (``input``, ``neuron`` and the typed layers of ``razor_lava.layers``), ``pruner``
  (``POSITIONS``) and ``train`` (with the cutoff keys): each section's defaults, schema and checks;
- ``netconfig``: ``NetConfig`` (with its layer indices) and ``parse_config``; ``loader``: ``load_config``.
"""

from __future__ import annotations

from .loader import load_config
from .netconfig import NetConfig, config_from_layers, parse_config, with_train_overrides

__all__ = ["NetConfig", "config_from_layers", "load_config", "parse_config", "with_train_overrides"]
