"""The layer model: one typed description of a layer, shared by every stage.

A network is an input shape and a chain of these layers. The config parser
(``razor_lava.config``) makes them from YAML, the network-file reader
(``netfile.read``) from HDF5 (``LayerSpec.layer``), the NIR importer and
exporter (``interop``) map to and from them; ``model.network.BUILD`` turns
each type into its SLAYER block, and the synop counters (``profile.counts``)
take the fan-out from here. Geometry lives here once: ``out_shape`` and
``fanout`` are the only conv/pool size and reach formulas of the package.

Shapes are SLAYER's order: ``(C, H, W)`` for feature maps, ``(N,)`` for
vectors. Pure numpy: the Lava processes import it.

A ``Pool`` is razor_lava's sum pool (kernel, stride, one fixed weight). netx
0.6 cannot build pool layers, so it is built and written as a depthwise conv
(``Pool.as_conv``): in a network file it reads back as a ``Conv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

# Layer types with synapses and neurons (a pool is a depthwise conv with fixed weights).
WEIGHTED = ("conv", "pool", "dense")
# Blocks a named pruner position (E2-E4) counts: a pool belongs to the conv block before it.
BLOCKS = ("conv", "dense")


def pair(v) -> tuple[int, int]:
    """``v`` or ``(v, v)`` as two ints: a kernel, stride, padding or dilation given as one number or two."""
    if np.isscalar(v):
        return int(v), int(v)
    v = np.ravel(v)
    return int(v[0]), int(v[-1])


def conv_out_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output positions of a convolution along one axis (torch's and lava-dl's formula)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def axis_reach(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> np.ndarray:
    """For each input position along one axis: how many output positions read it, ``(size,)`` int64."""
    n_out = conv_out_size(size, kernel, stride, padding, dilation)
    if n_out < 1:
        raise ValueError(f"a kernel of {kernel} (dilation {dilation}, padding {padding}) does not fit an axis of {size}")
    reach = np.zeros(size + 2 * padding, dtype=np.int64)  # padded coordinates; the padding is cut off below
    for k in range(kernel):  # one output position reads one input per tap, so (output, tap) pairs never repeat
        reach[k * dilation: k * dilation + (n_out - 1) * stride + 1: stride] += 1
    return reach[padding: padding + size]


def conv_fanout(in_shape, out_channels: int, kernel, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """Fan-out of every input element of a 2-D conv, ``C x H x W`` int64 (docs/design.md 2.5: synops are exact).

    An input element ``(c, y, x)`` reaches the ``out_channels / groups``
    channels of its group at every output position ``(oy, ox)`` whose kernel
    window covers it; rows and columns are independent, so the count is
    ``out_channels / groups * reach_y[y] * reach_x[x]``. A zero weight still
    counts (the synapse exists). Checked against a brute-force all-ones conv in
    tests/profile/test_fanout.py.
    """
    c, h, w = (int(v) for v in in_shape)
    if groups < 1 or c % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide the input channels {c} and output channels {out_channels}")
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (pair(v) for v in (kernel, stride, padding, dilation))
    per_channel = (out_channels // groups) * np.outer(axis_reach(h, kh, sh, ph, dh), axis_reach(w, kw, sw, pw, dw))
    return np.broadcast_to(per_channel, (c, h, w)).astype(np.int64)


class LayerShapeError(ValueError):
    """A layer does not fit the shape that reaches it; the message says why, ``key`` which of the layer's
    settings is at fault ("" = the layer as a whole). Callers name the layer."""

    def __init__(self, message: str, key: str = ""):
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Layer:
    """Base of the layer types. ``neuron``: the config's SLAYER neuron parameters (None in a file's layers,
    whose neurons are ``netfile.NeuronSpec``)."""

    type: ClassVar[str] = ""
    weighted: ClassVar[bool] = False

    def out_shape(self, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        raise NotImplementedError

    def fanout(self, in_shape: tuple[int, ...]) -> np.ndarray:
        """Synapses each input element reaches, in SLAYER order (what the synop counters add per event)."""
        raise LayerShapeError(f"a {self.type} layer has no synapses")

    def to_dict(self) -> dict:
        """The config form (YAML-ready: lists, not tuples), as the network file's config attribute stores it."""
        return {"type": self.type}


@dataclass(frozen=True)
class Input(Layer):
    shape: tuple[int, ...] = ()
    type: ClassVar[str] = "input"

    def out_shape(self, in_shape=None) -> tuple[int, ...]:
        return tuple(self.shape)


@dataclass(frozen=True)
class Flatten(Layer):
    type: ClassVar[str] = "flatten"

    def out_shape(self, in_shape) -> tuple[int, ...]:
        return (int(np.prod(in_shape)),)


def _feature_map(layer: Layer, in_shape) -> tuple[int, int, int]:
    if len(in_shape) != 3:
        raise LayerShapeError(f"a {layer.type} layer needs a C x H x W input, but its input is {tuple(in_shape)}; "
                              "put it before the flatten layer", "type")
    return tuple(int(v) for v in in_shape)


@dataclass(frozen=True)
class Conv(Layer):
    out: int = 1
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    weight_scale: float = 2.0
    weight_norm: bool = False
    neuron: dict | None = field(default=None, compare=False)
    type: ClassVar[str] = "conv"
    weighted: ClassVar[bool] = True

    def __post_init__(self):
        for name in ("kernel", "stride", "padding", "dilation"):
            object.__setattr__(self, name, pair(getattr(self, name)))

    def check_groups(self, in_channels: int) -> None:
        if in_channels % self.groups or self.out % self.groups:
            raise LayerShapeError(f"groups={self.groups} must divide the input channels {in_channels} and the "
                                  f"output channels {self.out}", "groups")

    def out_shape(self, in_shape) -> tuple[int, int, int]:
        c, h, w = _feature_map(self, in_shape)
        self.check_groups(c)
        oh, ow = (conv_out_size(n, self.kernel[a], self.stride[a], self.padding[a], self.dilation[a])
                  for a, n in enumerate((h, w)))
        if oh < 1 or ow < 1:
            raise LayerShapeError(f"output would be {oh} x {ow} for input {h} x {w}: kernel/stride too large")
        return self.out, oh, ow

    def as_pool(self, in_channels: int) -> "Pool | None":
        """The sum pool whose depthwise conv this is (``Pool.as_conv``: one channel per group, kernel = stride,
        no padding or dilation), else None. Its weight is the file's to say."""
        if (self.groups == self.out == in_channels and self.padding == (0, 0) and self.dilation == (1, 1)
                and self.kernel == self.stride):
            side = self.kernel[0] if self.kernel[0] == self.kernel[1] else self.kernel
            return Pool(kernel=side, stride=side)
        return None

    def fanout(self, in_shape) -> np.ndarray:
        return conv_fanout(_feature_map(self, in_shape), self.out, self.kernel, self.stride, self.padding,
                           self.dilation, self.groups)

    def to_dict(self) -> dict:
        return {"type": "conv", "out": self.out, "kernel": list(self.kernel), "stride": list(self.stride),
                "padding": list(self.padding), "dilation": list(self.dilation), "groups": self.groups,
                "weight_scale": self.weight_scale, "weight_norm": self.weight_norm,
                **({} if self.neuron is None else {"neuron": self.neuron})}


@dataclass(frozen=True)
class Pool(Layer):
    kernel: int | tuple[int, int] = 2  # configs give one side; a non-square pool comes from a file only
    stride: int | tuple[int, int] = 2
    weight: float = 1.0
    neuron: dict | None = field(default=None, compare=False)
    type: ClassVar[str] = "pool"
    weighted: ClassVar[bool] = True

    def as_conv(self, channels: int) -> Conv:
        """The depthwise conv this pool is built and deployed as."""
        return Conv(out=channels, kernel=self.kernel, stride=self.stride, groups=channels, neuron=self.neuron)

    def out_shape(self, in_shape) -> tuple[int, int, int]:
        return self.as_conv(_feature_map(self, in_shape)[0]).out_shape(in_shape)

    def fanout(self, in_shape) -> np.ndarray:
        return self.as_conv(_feature_map(self, in_shape)[0]).fanout(in_shape)

    def to_dict(self) -> dict:
        return {"type": "pool", "kernel": self.kernel, "stride": self.stride, "weight": self.weight,
                **({} if self.neuron is None else {"neuron": self.neuron})}


@dataclass(frozen=True)
class Dense(Layer):
    out: int = 1
    weight_scale: float = 2.0
    weight_norm: bool = False
    delay: bool = False  # lava-dl's learnable axonal delay (config only; a file stores the delays themselves)
    neuron: dict | None = field(default=None, compare=False)
    type: ClassVar[str] = "dense"
    weighted: ClassVar[bool] = True

    def out_shape(self, in_shape) -> tuple[int]:
        if len(in_shape) == 3 and tuple(in_shape[1:]) != (1, 1):
            raise LayerShapeError(f"a dense layer after a {tuple(in_shape)} conv output needs a flatten layer "
                                  "before it", "type")
        return (self.out,)

    def fanout(self, in_shape) -> np.ndarray:
        return np.full(int(np.prod(in_shape)), self.out, dtype=np.int64)

    def to_dict(self) -> dict:
        return {"type": "dense", "out": self.out, "weight_scale": self.weight_scale, "weight_norm": self.weight_norm,
                "delay": self.delay, **({} if self.neuron is None else {"neuron": self.neuron})}


TYPES: dict[str, type[Layer]] = {c.type: c for c in (Input, Conv, Pool, Dense, Flatten)}


def shapes(input_shape: tuple[int, ...], layers: list[Layer]) -> list[tuple[int, ...]]:
    """The input shape of every layer and, last, the network's output shape."""
    out = [tuple(input_shape)]
    for layer in layers:
        out.append(layer.out_shape(out[-1]))
    return out
