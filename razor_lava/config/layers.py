"""The ``input``, ``neuron`` and ``layers`` sections: the typed layers of ``razor_lava.layers`` (Conv, Pool,
Flatten, Dense) with every default filled in, each with its CUBA (or LIAF) neuron parameters."""

from __future__ import annotations

from ..errors import ConfigError
from ..layers import TYPES, Layer
from .schema import POSITIVE, Flag, Num, check_section, check_value, checked_pair, got, merge, positive_int

LAYER_TYPES = ("conv", "pool", "flatten", "dense")  # the layer types a config may list (razor_lava.layers)
LAYER_KEYS = {
    "conv": {"type", "out", "kernel", "stride", "padding", "dilation", "groups", "neuron", "weight_scale",
             "weight_norm"},
    "pool": {"type", "kernel", "stride", "neuron", "weight"},
    "flatten": {"type"},
    "dense": {"type", "out", "neuron", "weight_scale", "weight_norm", "delay"},
}
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
NEURON_SCHEMA = {
    "threshold": Num(lo=0, lo_open=True),
    "current_decay": Num(lo=0, hi=1, note="0 = no decay"),
    "voltage_decay": Num(lo=0, hi=1, note="0 = no decay"),
    "tau_grad": Num(lo=0, lo_open=True),
    "scale_grad": Num(lo=0, lo_open=True),
    "requires_grad": Flag(),
    "graded_spike": Flag(),
}


def input_section(inp, source) -> tuple[int, ...]:
    """``input``: [C, H, W] or [C] positive integers."""
    if not isinstance(inp, (list, tuple)) or len(inp) not in (1, 3) or \
            not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in inp):
        raise ConfigError("input", f"expected [C, H, W] or [C] positive integers, got {got(inp)}", source)
    return tuple(inp)


def neuron_section(neuron, source) -> dict:
    """``neuron``: the CUBA defaults of every layer, over lava-dl's."""
    out = merge(DEFAULT_NEURON, neuron, "neuron", source)
    check_section(out, NEURON_SCHEMA, "neuron", source)
    return out


def layer_neuron(layer: dict, defaults: dict, key: str, source) -> dict:
    """A layer's neuron: ``cuba`` (the defaults), ``liaf`` (graded spikes) or a mapping over the defaults."""
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
    check_section(spec, NEURON_SCHEMA, f"{key}.neuron", source)
    out = dict(defaults)
    out.update(spec)
    out.setdefault("graded_spike", False)
    return out


def _weights(layer: dict, out: dict, key: str, source) -> None:
    """A conv or dense layer's ``weight_scale`` and ``weight_norm``."""
    out["weight_scale"] = float(check_value(layer.get("weight_scale", 2), POSITIVE, f"{key}.weight_scale", source))
    out["weight_norm"] = check_value(layer.get("weight_norm", False), Flag(), f"{key}.weight_norm", source)


def parse_layer(layer, neuron: dict, key: str, source) -> Layer:
    """One entry of ``layers`` as a typed layer; ``neuron``: the config's neuron defaults."""
    if not isinstance(layer, dict) or layer.get("type") not in LAYER_TYPES:
        found = layer.get("type") if isinstance(layer, dict) else layer
        raise ConfigError(f"{key}.type", f"unknown layer type {found!r}; expected one of {LAYER_TYPES}", source)
    t = layer["type"]
    extra = set(layer) - LAYER_KEYS[t]
    if extra:
        raise ConfigError(f"{key}.{sorted(map(str, extra))[0]}", f"unknown key for a {t} layer; expected some of "
                          f"{sorted(LAYER_KEYS[t])}", source)
    out = {}
    if t == "conv":
        out["out"] = positive_int(layer, "out", key, source)
        out["kernel"] = checked_pair(layer, "kernel", key, source)
        out["stride"] = checked_pair(layer, "stride", key, source, 1)
        out["padding"] = checked_pair(layer, "padding", key, source, 0, minimum=0)
        out["dilation"] = checked_pair(layer, "dilation", key, source, 1)
        out["groups"] = positive_int(layer, "groups", key, source, 1)
        _weights(layer, out, key, source)
    elif t == "pool":
        out["kernel"] = positive_int(layer, "kernel", key, source)
        out["stride"] = positive_int(layer, "stride", key, source, out["kernel"])
        out["weight"] = float(check_value(layer.get("weight", 1.0), POSITIVE, f"{key}.weight", source))
    elif t == "dense":
        out["out"] = positive_int(layer, "out", key, source)
        _weights(layer, out, key, source)
        # lava-dl's learnable axonal delay (one per output neuron); netx deploys it as a delay of the
        # next layer's synapses (razor_lava/netfile/read.py).
        out["delay"] = check_value(layer.get("delay", False), Flag(), f"{key}.delay", source)
    if t != "flatten":
        out["neuron"] = layer_neuron(layer, neuron, key, source)
        if t != "dense" and out["neuron"]["graded_spike"]:
            # Deployment runs graded layers (and the layer after them) as razor_lava
            # processes; those exist for dense layers only.
            raise ConfigError(f"{key}.neuron", "LIAF (graded) neurons are supported on dense layers only", source)
    return TYPES[t](**out)


def layers_section(layers_raw, neuron: dict, source, any_output: bool = False) -> list[Layer]:
    """``layers``: a non-empty list whose last layer is dense (the class outputs; ``any_output``: any layer)."""
    if not isinstance(layers_raw, list) or not layers_raw:
        raise ConfigError("layers", "expected a non-empty list of layers", source)
    layers = [parse_layer(layer, neuron, f"layers[{i}]", source) for i, layer in enumerate(layers_raw)]
    if layers[-1].type != "dense" and not any_output:
        raise ConfigError(f"layers[{len(layers) - 1}].type", "the last layer must be dense (the class outputs)", source)
    return layers
