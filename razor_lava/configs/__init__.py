"""The network configs shipped with razor_lava (package data: ``razor_lava/configs/*.yaml``).

A config is named by a shipped name (``synthetic_small``, ``nmnist``, ...;
``shipped_configs()`` lists them) or given as the path of a YAML file:

    >>> config_path("nmnist").name
    'nmnist.yaml'

``razor_lava.config.load_config`` and every ``--config`` option accept
both forms. Configs ship inside the package, so an installed razor_lava (not
only a checkout) finds them.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parent
SUFFIX = ".yaml"
# Where the configs lived before they became package data; such a path keeps naming the shipped file.
_OLD_HOME = ("train", "configs")

__all__ = ["CONFIG_DIR", "ConfigError", "config_path", "shipped_configs"]


def shipped_configs() -> dict[str, Path]:
    """Every shipped config, ``{name: path}`` sorted by name (``name`` is the file name without .yaml)."""
    return {p.stem: p for p in sorted(CONFIG_DIR.glob(f"*{SUFFIX}"))}


def config_path(name_or_path: str | os.PathLike) -> Path:
    """The YAML file ``name_or_path`` means: an existing file, or a shipped config's name.

    A shipped name may carry its ``.yaml`` suffix (``nmnist`` or ``nmnist.yaml``).
    An existing file wins over a shipped name. A path into the old
    ``train/configs/`` folder that no longer exists still names the shipped file
    of that name. Anything else raises ``ConfigError`` naming the input and the
    shipped names.
    """
    given = os.fspath(name_or_path)
    path = Path(given)
    if path.is_file():
        return path
    shipped = shipped_configs()
    stem = path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else path.name
    if stem in shipped and (path.parent == Path(".") or path.parent.parts[-2:] == _OLD_HOME):
        return shipped[stem]
    if path.exists():
        problem = f"{given} is not a file"
    elif path.parent != Path(".") or path.suffix:
        problem = f"no config file at {given}"
    else:
        problem = f"{given!r} is neither a config file nor a shipped config name"
    raise ConfigError("--config", f"{problem}; shipped configs: {', '.join(shipped)} "
                      f"(in {CONFIG_DIR}), or give the path of a YAML file")
