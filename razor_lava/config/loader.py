"""Reading a config file: YAML (with YAML 1.2's ``1e-3``) into ``parse_config``."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..errors import ConfigError
from .netconfig import NetConfig, parse_config


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
