"""Assemble the Lava process graph of a network file (``razor_lava.netfile.NetworkFile``).

The file's layers are cut into segments: runs of ordinary binary CUBA layers
become netx slices (``Network(num_layers=, skip_layers=)``), dense layers that
send or receive graded spikes become ``CubaDense`` processes (netx would build
them as binary LIF), and a ``FrameGate`` sits in front of every layer that has
a trained pruner. Frames flow in Lava's layout: (W, H, C) for conv feature
maps, (N,) for vectors; a 3-D output feeding a vector input is flattened in
SLAYER's C, H, W order. Segments are keyed by the layer index (``netfile.spec``).

Measurement comes from outside (``Tap``, as sinabs attaches hooks): a tap names
the layers it watches; the assembler cuts the file in front of each of them
and puts the tap's identity process there, after the layer's gate. A tap adds
no delay and passes everything on unchanged, so the network computes exactly
what it computes without it. ``deployment`` knows taps only by this interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataFormatError
from ..netfile import NetworkFile


class Tap:
    """A measurement at the input of layers: subclass and give it to ``build_graph`` / ``run_sample``.

    ``layers(nf)``: the layer indices it watches (each gets its own cut);
    ``build(nf, k, n_frames, t_start)``: an identity process with ``inp`` and
    ``out`` ports of layer ``k``'s input shape (Lava order); frames of one sample
    reach it after ``t_start`` steps; ``read(procs)``: its results, from the
    processes it built (``{k: proc}``), after the run; called before the
    runtime stops. ``name``: the key of its results in ``SampleResult.taps``.
    """

    name = "tap"

    def layers(self, nf: NetworkFile) -> list[int]:
        raise NotImplementedError

    def build(self, nf: NetworkFile, k: int, n_frames: int, t_start: int):
        raise NotImplementedError

    def read(self, procs: dict) -> dict:
        raise NotImplementedError


@dataclass
class Segment:
    kind: str  # "netx" | "cuba" | "gate" | "tap"
    start: int  # layer index (netx: first layer, cuba: its layer, gate/tap: the layer it feeds)
    end: int = 0  # netx: one past the last layer
    tap: int | None = None  # tap segments: position of the tap in the list handed to build_graph


@dataclass
class LavaGraph:
    """The processes of one assembled network, ready to connect to a source and a sink."""

    segments: list[Segment]
    procs: list = field(default_factory=list)  # one per segment (None for an empty netx run)
    gates: dict = field(default_factory=dict)  # layer index -> FrameGate
    cubas: dict = field(default_factory=dict)  # layer index -> CubaDense
    taps: list = field(default_factory=list)  # per tap: {layer index: its process}
    first_in_shape: tuple = ()
    first_in_port: object = None
    out_port: object = None
    out_shape: tuple = ()
    n_window_gates: int = 0


def _needs_cuba(nf: NetworkFile, k: int) -> bool:
    s = nf.layer(k)
    return s.type == "dense" and (s.graded or s.graded_in)


def plan_segments(nf: NetworkFile, tap_layers: list[list[int]] | None = None) -> list[Segment]:
    """Cut the file's layers into netx slices, CubaDense layers, gates and taps (in that order per layer)."""
    tap_layers = tap_layers or []
    cut_at = {k for ks in tap_layers for k in ks}
    segs: list[Segment] = []
    run_start = None
    for s in nf.layers[nf.first_index:]:  # layer/0 may be the first weighted layer
        k = s.index
        custom = _needs_cuba(nf, k)
        if k in nf.pruners or custom or k in cut_at:
            if run_start is not None:
                segs.append(Segment("netx", run_start, k))
                run_start = None
        if k in nf.pruners:
            segs.append(Segment("gate", k))
        for j, ks in enumerate(tap_layers):
            if k in ks:
                segs.append(Segment("tap", k, tap=j))
        if custom:
            segs.append(Segment("cuba", k))
        elif run_start is None:
            run_start = k
    if run_start is not None:
        segs.append(Segment("netx", run_start, len(nf.layers)))
    return segs


def lava_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """SLAYER (C, H, W) -> Lava (W, H, C); vectors unchanged."""
    return tuple(shape[::-1]) if len(shape) == 3 else tuple(shape)


def _connect(port, port_shape: tuple, dest_port, dest_shape: tuple) -> None:
    if len(port_shape) == 3 and len(dest_shape) == 1:
        port = port.transpose([2, 1, 0]).flatten()  # C, H, W order, as SLAYER's Flatten
    port.connect(dest_port)


def input_shape_of(nf: NetworkFile, k: int) -> tuple[int, ...]:
    """SLAYER shape of what layer ``k`` receives before any flatten: the last non-flatten output before it."""
    for s in reversed(nf.layers[:k]):
        if s.type != "flatten":
            return s.shape
    return nf.input_shape


def build_graph(nf: NetworkFile, n_frames: int, taps: list[Tap] = ()) -> LavaGraph:
    """Create (unconnected to any source/sink) the processes of ``nf``, with ``taps`` in front of their layers."""
    from lava.lib.dl import netx

    from razor_lava.procs.gate.process import FrameGate
    from razor_lava.procs.liaf.process import CubaDense

    taps = list(taps)
    segs = plan_segments(nf, [t.layers(nf) for t in taps])
    graph = LavaGraph(segs, taps=[{} for _ in taps])
    prev_port, prev_shape = None, None
    for seg in segs:
        latency = n_frames * graph.n_window_gates  # frames reach this point T steps later per window gate upstream
        if seg.kind == "netx":
            if not any(nf.layer(i).weighted for i in range(seg.start, seg.end)):
                graph.procs.append(None)  # a lone flatten: nothing to build, the next connection flattens
                continue
            in_shape = lava_shape(input_shape_of(nf, seg.start))
            proc = netx.hdf5.Network(net_config=str(nf.path), num_layers=seg.end, skip_layers=seg.start,
                                     input_shape=in_shape if len(in_shape) == 3 else None)
            in_port, in_shape, out_port, out_shape = proc.inp, tuple(proc.inp.shape), proc.out, tuple(proc.out.shape)
        elif seg.kind == "cuba":
            proc = CubaDense.from_spec(nf.layer(seg.start), source=nf.path)
            in_port, in_shape = proc.a_in, tuple(proc.a_in.shape)
            out_port, out_shape = proc.s_out, tuple(proc.s_out.shape)
            graph.cubas[seg.start] = proc
        elif seg.kind == "tap":
            proc = taps[seg.tap].build(nf, seg.start, n_frames, latency)
            in_port, out_port = proc.inp, proc.out
            in_shape = out_shape = tuple(proc.inp.shape)
            graph.taps[seg.tap][seg.start] = proc
        else:
            in_shape = lava_shape(nf.pruner_in_shapes[seg.start])
            params = nf.pruners[seg.start]
            proc = FrameGate.from_params(in_shape, n_frames, params, start=latency)
            in_port, out_port, out_shape = proc.inp, proc.out, in_shape
            graph.gates[seg.start] = proc
            graph.n_window_gates += params.variant == "window"
        if prev_port is None:
            graph.first_in_shape, graph.first_in_port = in_shape, in_port
        else:
            _connect(prev_port, prev_shape, in_port, in_shape)
        prev_port, prev_shape = out_port, out_shape
        graph.procs.append(proc)
    if prev_port is None:
        raise DataFormatError(nf.path, "no layer to build on Lava")
    graph.out_port, graph.out_shape = prev_port, prev_shape
    return graph


def source_data(frames: np.ndarray, first_in_shape: tuple, total_steps: int) -> np.ndarray:
    """Integer source data for one sample: SLAYER frames (C, H, W, T) or (C, T) in
    the first process's layout, zero-padded to ``total_steps`` (Lava's RingBuffer
    source wraps around)."""
    x = np.asarray(frames)
    t = x.shape[-1]
    if x.ndim == 4:
        x = x.transpose(2, 1, 0, 3)  # C, H, W, T -> W, H, C, T
        if len(first_in_shape) == 1:
            x = x.transpose(2, 1, 0, 3).reshape(-1, t)  # back to C, H, W, then flatten
    out = np.zeros(tuple(x.shape[:-1]) + (total_steps,), dtype=np.int32)
    out[..., :t] = x
    return out
