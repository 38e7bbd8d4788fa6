"""The ``data`` section: a data set of the registry (``razor_lava.data.registry``) and framing overrides
(``razor_lava.data.framing.FrameSpec``'s keys)."""

from __future__ import annotations

from ..errors import ConfigError
from .schema import Flag, Num, OneOf, Text, check_section, checked_pair, got

# The data section's framing keys (``size`` is an int or [height, width], checked by ``checked_pair``).
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


def data_section(data, source) -> dict:
    """The ``data`` section: a known data set name and framing overrides of the right types."""
    from ..data.registry import DATASETS

    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("data", f"expected a mapping with the key 'dataset', got {got(data)}", source)
    if "dataset" not in data:
        raise ConfigError("data.dataset", "missing; expected the data set name (e.g. synthetic, nmnist)", source)
    unknown = set(data) - DATA_KEYS
    if unknown:
        raise ConfigError(f"data.{sorted(map(str, unknown))[0]}", f"unknown key; expected 'dataset' and framing "
                          f"keys, some of {sorted(DATA_KEYS - {'dataset'})}", source)
    check_section(data, DATA_SCHEMA, "data", source)
    if data["dataset"] not in DATASETS:
        raise ConfigError("data.dataset", f"unknown data set {data['dataset']!r}; expected one of "
                          f"{sorted(DATASETS)}", source)
    out = dict(data)
    if data.get("size") is not None:
        out["size"] = checked_pair(data, "size", "data", source)
    return out
