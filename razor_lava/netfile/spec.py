"""The network-file model: everything later stages need, decoded once from the HDF5 file.

``read.load_network_file`` builds a ``NetworkFile``; the writer
(``write.export_network``), the SLAYER reference (``model.reference``), the Lava
assembler (``deployment.assemble``), the LIAF process (``procs.liaf``) and the
profiler's fan-out (``profile.counts``) all take it, and none of them opens the
file again.

**The layer index** is the index of the file's ``layer/k`` group, everywhere:
in this model, in gate and counter keys, in reports. razor_lava files have an
input layer at ``layer/0``, so layer ``k`` is the ``k``-th entry (1-based) of the
config's ``layers:`` list; ``RazorNet.blocks[k - 1]`` is layer ``k``
(``RazorNet.block``). A plain netx file may start with a weighted layer at
``layer/0``.

Shapes are SLAYER's order: ``(C, H, W)`` for feature maps, ``(N,)`` for vectors.
All integer parameters are int64 arrays in the file's fixed-point units
(``razor_lava.fixed_point``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..data.framing import FrameSpec
from ..layers import WEIGHTED, Conv, Dense, Flatten, Input, Layer
from ..pruning.params import PrunerParams


@dataclass(frozen=True)
class NeuronSpec:
    """A CUBA neuron group as netx builds it. Decays are 12-bit; ``vth_mant`` is the threshold mantissa.

    Each value is a () or per-neuron int64 array. ``default``: the file had no
    ``neuron`` group and netx uses its default integrator (``fixed_point.DEFAULT_DENSE_NEURON``).
    """

    i_decay: np.ndarray
    v_decay: np.ndarray
    vth_mant: np.ndarray
    graded: bool = False
    default: bool = False

    def slayer_params(self) -> dict:
        """lava-dl ``cuba.Neuron`` parameters with the same fixed-point behaviour (shared scalars only)."""
        from ..fixed_point import DECAY_ONE, WEIGHT_SCALE

        scalar = lambda a: float(np.ravel(a)[0])  # noqa: E731
        return {"threshold": scalar(self.vth_mant) / WEIGHT_SCALE, "current_decay": scalar(self.i_decay) / DECAY_ONE,
                "voltage_decay": scalar(self.v_decay) / DECAY_ONE, "graded_spike": self.graded}


@dataclass
class LayerSpec:
    """One ``layer/k`` group.

    ``shape``: output shape (flatten: the flattened ``(N,)``); ``in_shape``: what
    reaches the layer's synapses (``(N,)`` for a dense layer, flattened in C, H, W
    order). Weighted layers carry ``weight`` (dense ``out x in``; conv ``out x
    in/groups x kh x kw``), ``neuron``, optional ``bias`` (per neuron, ``shape``,
    broadcast as netx broadcasts it) and, for dense layers, optional ``delay``
    (``out x in`` synaptic delays in steps, expanded and clamped as netx does).
    ``graded_in``: the previous weighted layer sends graded spikes.
    """

    index: int
    type: str  # input | conv | dense | flatten
    shape: tuple[int, ...]
    in_shape: tuple[int, ...] = ()
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    delay: np.ndarray | None = None
    neuron: NeuronSpec | None = None
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    graded_in: bool = False
    name: str = ""

    @property
    def weighted(self) -> bool:
        return self.type in WEIGHTED  # a file has no pool layers: razor_lava writes them as convs

    @property
    def is_pool(self) -> bool:
        """A sum pool written as a conv: depthwise, one shared weight, kernel = stride, no padding. razor_lava
        writes its pool layers so (``layers.Pool.as_conv``); any conv of that form is one, whoever made it."""
        return (self.type == "conv" and self.weight is not None and self.layer.as_pool(self.in_shape[0]) is not None
                and np.ptp(self.weight) == 0)

    @property
    def layer(self) -> Layer:
        """The typed layer (``razor_lava.layers``): geometry, fan-out, the SLAYER block it builds."""
        if self.type == "conv":
            return Conv(out=self.shape[0], kernel=self.kernel, stride=self.stride, padding=self.padding,
                        dilation=self.dilation, groups=self.groups)
        if self.type == "dense":
            return Dense(out=self.n_neurons)
        return Flatten() if self.type == "flatten" else Input(shape=self.shape)

    def fanout(self) -> np.ndarray:
        """Synapses each input element reaches (``Layer.fanout`` of ``in_shape``): what the synop counters add."""
        return self.layer.fanout(self.in_shape)

    @property
    def graded(self) -> bool:
        return self.neuron is not None and self.neuron.graded

    @property
    def n_neurons(self) -> int:
        return int(np.prod(self.shape))

    @property
    def needs_netx_semantics(self) -> bool:
        """Bias or delays: SLAYER's own block forward does not model them (``model.reference`` does)."""
        return self.bias is not None or self.delay is not None


@dataclass
class NetworkFile:
    """A validated network file (razor_lava export or plain lava-dl netx).

    ``pruners`` / ``pruner_in_shapes``: layer index -> the pruner at that layer's
    input and the shape it sees. ``input_block_skipped``: ``layer/0`` has its own
    neuron (netx's ``Input`` block, which takes its input through the neuron's
    bias); razor_lava feeds spikes straight into the next layer instead, as
    ``netx.hdf5.Network(skip_layers=1)`` does. ``num_layers``: only the first
    ``num_layers`` groups were read (``load_network_file(num_layers=)``).
    """

    path: Path
    layers: list[LayerSpec]
    input_shape: tuple[int, ...]
    pruners: dict[int, PrunerParams] = field(default_factory=dict)
    pruner_in_shapes: dict[int, tuple[int, ...]] = field(default_factory=dict)
    frame_spec: FrameSpec | None = None
    classes: list[str] = field(default_factory=list)
    config: dict | None = None
    format_version: int | None = None  # None: a plain netx file
    cutoff: dict | None = None
    input_block_skipped: bool = False
    num_layers: int | None = None

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_neurons

    @property
    def output_graded(self) -> bool:
        return self.output_layer.graded

    @property
    def output_layer(self) -> LayerSpec:
        return [s for s in self.layers if s.weighted][-1]

    def layer(self, index: int) -> LayerSpec:
        return self.layers[index]

    def weighted(self) -> list[LayerSpec]:
        """The conv and dense layers, in order."""
        return [s for s in self.layers if s.weighted]

    def weighted_indices(self) -> list[int]:
        return [s.index for s in self.layers if s.weighted]

    @property
    def first_index(self) -> int:
        """Index of the first layer that receives the input frames: 1 after an input layer, else 0."""
        return 1 if self.layers[0].type == "input" else 0

    def without_gates(self) -> "NetworkFile":
        """The same network with no pruners (for the with/without-gates comparison)."""
        return replace(self, pruners={}, pruner_in_shapes={})

    def input_note(self) -> str:
        """What a run feeds where, for reports."""
        if self.input_block_skipped:
            return (f"spikes are fed straight into layer/{self.first_index}; layer/0's own input neuron "
                    "(netx's Input block, driven through its bias) is skipped, as Network(skip_layers=1) does")
        return f"spikes are fed straight into layer/{self.first_index}"
