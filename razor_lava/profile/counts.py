"""Synaptic operation counts (docs/design.md 2.5) and exact fan-out maps.

For every weighted layer ``L`` (conv or dense, keyed by its layer index)
and every sample ``n`` and SLAYER time index ``t``:

- ``events[L][n, t]``: non-zero entries of the input that reaches ``L``'s
  synapses at ``t`` (after a gate, the gated frame; a graded spike is one event);
- ``synops[L][n, t]``: the sum of ``fan_out(i)`` over those non-zero inputs;
- ``neurons[L]``: neurons of ``L`` (neuron updates per time step);
- ``dense_macs[L]``: MACs of the equivalent dense ANN layer for one frame,
  i.e. the sum of ``fan_out`` over all inputs.

Fan-out is structural: the number of (output channel, output position) pairs
an input element is connected to, with borders, stride, padding, dilation and
groups included; a zero weight still counts (the synapse exists).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..layers import Conv, Dense, conv_fanout  # noqa: F401  (conv_fanout: re-exported for the counters' users)
from ..netfile import NetworkFile

KINDS = ("events", "synops")


@dataclass
class SynopCounts:
    """Counts of one set of samples. Arrays are ``N x T`` int64; dicts keyed by layer index (``netfile.spec``).

    ``keep`` maps a gate's layer index to its ``N x T`` bool decisions (True =
    kept); it is empty without gates.
    """

    layers: list[int]
    names: list[str]
    events: dict[int, np.ndarray]
    synops: dict[int, np.ndarray]
    neurons: dict[int, int]
    dense_macs: dict[int, int]
    keep: dict[int, np.ndarray] = field(default_factory=dict)
    n_frames: int = 0
    # With a Top-K cutoff: layer index -> (N,) int64, the frames each layer really ran
    # (its neurons were updated); None = all n_frames. See profile/cutoff_spent.py.
    frames_run: dict[int, np.ndarray] | None = None

    @property
    def n_samples(self) -> int:
        return int(next(iter(self.events.values())).shape[0]) if self.events else 0

    def _get(self, kind: str) -> dict[int, np.ndarray]:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        return getattr(self, kind)

    def total(self, kind: str = "synops") -> int:
        """All layers, samples and frames."""
        return int(sum(int(a.sum()) for a in self._get(kind).values()))

    def per_layer(self, kind: str = "synops") -> dict[int, int]:
        """layer index -> sum over samples and frames."""
        return {i: int(self._get(kind)[i].sum()) for i in self.layers}

    def per_frame(self, kind: str = "synops") -> np.ndarray:
        """``N x T`` int64: sum over layers for each sample and time index."""
        out = np.zeros((self.n_samples, self.n_frames), dtype=np.int64)
        for a in self._get(kind).values():
            out += a
        return out

    def neuron_updates(self) -> dict[int, int]:
        """layer index -> neuron updates over all samples (every neuron, every step it ran)."""
        if self.frames_run is not None:
            return {i: self.neurons[i] * int(np.asarray(self.frames_run[i]).sum()) for i in self.layers}
        return {i: self.neurons[i] * self.n_samples * self.n_frames for i in self.layers}

    def dense_total(self) -> int:
        """MACs of the equivalent dense ANN over all samples and frames."""
        return int(sum(self.dense_macs.values())) * self.n_samples * self.n_frames

    def summary(self) -> dict:
        """JSON-ready totals per layer (over all samples and frames)."""
        return {
            "samples": self.n_samples, "n_frames": self.n_frames,
            "layers": [{"layer": i, "name": nm, "events": int(self.events[i].sum()), "synops": int(self.synops[i].sum()),
                        "neurons": self.neurons[i], "dense_macs_per_frame": self.dense_macs[i]}
                       for i, nm in zip(self.layers, self.names)],
            "synops": self.total(), "events": self.total("events"), "dense_macs": self.dense_total(),
            "frames_pruned": {str(i): int((~k).sum()) for i, k in self.keep.items()},
        }

    @classmethod
    def concat(cls, parts: list["SynopCounts"]) -> "SynopCounts":
        """Join counts of the same network over samples (axis 0)."""
        if not parts:
            raise ValueError("concat needs at least one SynopCounts")
        first = parts[0]
        for p in parts[1:]:
            if p.layers != first.layers or p.n_frames != first.n_frames or set(p.keep) != set(first.keep):
                raise ValueError("concat: the counts are of different networks, gates or frame counts")
        cat = lambda name, i: np.concatenate([getattr(p, name)[i] for p in parts])  # noqa: E731
        return cls(layers=list(first.layers), names=list(first.names),
                   events={i: cat("events", i) for i in first.layers},
                   synops={i: cat("synops", i) for i in first.layers},
                   neurons=dict(first.neurons), dense_macs=dict(first.dense_macs),
                   keep={i: cat("keep", i) for i in first.keep}, n_frames=first.n_frames,
                   frames_run=None if any(p.frames_run is None for p in parts) else
                   {i: cat("frames_run", i) for i in first.layers})

    def take(self, idx) -> "SynopCounts":
        """The counts of the samples ``idx`` (indices along axis 0, in that order)."""
        idx = np.asarray(idx, dtype=np.int64)
        pick = lambda d: {i: a[idx] for i, a in d.items()}  # noqa: E731
        return SynopCounts(layers=list(self.layers), names=list(self.names), events=pick(self.events),
                           synops=pick(self.synops), neurons=dict(self.neurons), dense_macs=dict(self.dense_macs),
                           keep=pick(self.keep), n_frames=self.n_frames,
                           frames_run=None if self.frames_run is None else pick(self.frames_run))


concat = SynopCounts.concat


def fanout_map(layer, in_shape=None) -> np.ndarray:
    """Fan-out per input element of one weighted layer, in SLAYER order.

    ``layer``: a layer of the network-file model (``razor_lava.netfile.LayerSpec``;
    ``in_shape`` defaults to its own), or a lava-dl SLAYER block
    (``slayer.block.cuba.Conv``/``Dense``) or its synapse, with ``in_shape``
    the SLAYER shape of its input, ``(C, H, W)`` or ``(N,)``. Returns ``C x H x W``
    for a conv, ``(N,)`` for a dense layer (N = all inputs, each reaching all
    ``out`` neurons).
    """
    from ..netfile import LayerSpec

    if isinstance(layer, LayerSpec):
        if not layer.weighted:
            raise ValueError(f"layer/{layer.index}: layer type '{layer.type}' has no synapses; expected conv or dense")
        return layer.layer.fanout(tuple(int(v) for v in (layer.in_shape if in_shape is None else in_shape)))
    in_shape = tuple(int(v) for v in in_shape)
    from ..model._slayer import slayer

    syn = getattr(layer, "synapse", layer)
    if isinstance(syn, slayer.synapse.Dense):
        return Dense(out=int(syn.out_channels)).fanout(in_shape)
    if isinstance(syn, slayer.synapse.Conv):
        if len(in_shape) != 3:
            raise ValueError(f"a conv layer needs a (C, H, W) input shape, got {in_shape}")
        return Conv(out=syn.out_channels, kernel=syn.kernel_size[:2], stride=syn.stride[:2], padding=syn.padding[:2],
                    dilation=syn.dilation[:2], groups=syn.groups).fanout(in_shape)
    raise TypeError(f"fanout_map: expected a LayerSpec or a SLAYER Conv/Dense block, got {type(layer).__name__}")


def fanout_maps(nf: NetworkFile) -> dict[int, np.ndarray]:
    """Layer index -> ``fanout_map`` of every weighted layer of ``nf`` (SLAYER order)."""
    return {s.index: fanout_map(s) for s in nf.weighted()}


def layer_names(nf: NetworkFile) -> dict[int, str]:
    """Layer index -> e.g. ``conv1``; a sum pool written as a conv (``LayerSpec.is_pool``) is ``pool3``."""
    return {s.index: f"pool{s.index}" if s.is_pool else s.name for s in nf.weighted()}


def build_counts(nf: NetworkFile, events: dict, synops: dict, keep: dict, n_frames: int,
                 fanouts: dict[int, np.ndarray] | None = None) -> SynopCounts:
    """A ``SynopCounts`` of ``nf`` from ``N x T`` arrays (neurons, MACs and names from the file)."""
    fanouts = fanout_maps(nf) if fanouts is None else fanouts
    layers = nf.weighted_indices()
    names = layer_names(nf)
    as_int = lambda a: np.asarray(a, dtype=np.int64)  # noqa: E731
    return SynopCounts(layers=layers, names=[names[i] for i in layers],
                       events={i: as_int(events[i]) for i in layers}, synops={i: as_int(synops[i]) for i in layers},
                       neurons={i: nf.layer(i).n_neurons for i in layers},
                       dense_macs={i: int(fanouts[i].sum()) for i in layers},
                       keep={i: np.asarray(k, dtype=bool) for i, k in keep.items()}, n_frames=int(n_frames))
