"""Assemble the Lava process graph of a network file.

The file's layers are cut into segments: runs of ordinary binary CUBA layers
become netx slices (``Network(num_layers=, skip_layers=)``), dense layers
that send or receive graded spikes become ``CubaDense`` processes (netx would
build them as binary LIF), and a ``FrameGate`` sits in front of every layer
that has a trained pruner. Frames flow in Lava's layout: (W, H, C) for conv
feature maps, (N,) for vectors; a 3-D output feeding a vector input is
flattened in SLAYER's C, H, W order.

Profile mode (``profile=True``) cuts the file at every conv/dense layer, so
each weighted layer is its own netx slice (or CubaDense), and puts a
``SynopCounter`` in front of each one, after its gate if it has one. The
counters add no delay and pass everything on unchanged, so the network
computes exactly what it computes without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import h5py
import numpy as np

from ..export import NetworkFile


@dataclass
class Segment:
    kind: str  # "netx" | "cuba" | "gate" | "counter"
    start: int  # hdf5 layer index (netx: first group, cuba: its group, gate/counter: group it feeds)
    end: int = 0  # netx: one past the last group
    cfg_index: int | None = None  # gate: config layer index of its pruner


@dataclass
class LavaGraph:
    """The processes of one assembled network, ready to connect to a source and a sink."""

    segments: list[Segment]
    procs: list = field(default_factory=list)  # one per segment (None for an empty netx run)
    gates: dict = field(default_factory=dict)  # cfg index -> FrameGate
    cubas: dict = field(default_factory=dict)  # hdf5 index -> CubaDense
    counters: dict = field(default_factory=dict)  # hdf5 index -> SynopCounter (profile mode)
    first_in_shape: tuple = ()
    out_port: object = None
    n_window_gates: int = 0


def plan_segments(nf: NetworkFile, profile: bool = False) -> list[Segment]:
    """Cut the file's layers into netx slices, CubaDense layers and gates.

    ``profile``: also cut before every conv/dense layer and put a counter
    segment right in front of it (after its gate).
    """
    gates = {i + 1: i for i in nf.pruners}  # hdf5 index -> cfg index
    segs: list[Segment] = []
    run_start = None
    prev_graded = False
    for info in nf.layers[1:]:
        idx = info.index
        custom = info.type == "dense" and (info.graded or prev_graded)
        weighted = info.type in ("conv", "dense")
        if idx in gates or custom or (profile and weighted):
            if run_start is not None:
                segs.append(Segment("netx", run_start, idx))
                run_start = None
        if idx in gates:
            segs.append(Segment("gate", idx, cfg_index=gates[idx]))
        if profile and weighted:
            segs.append(Segment("counter", idx))
        if custom:
            segs.append(Segment("cuba", idx))
        elif run_start is None:
            run_start = idx
        if info.type in ("conv", "dense"):
            prev_graded = info.graded
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


def _input_shape_of(nf: NetworkFile, idx: int) -> tuple[int, ...]:
    """SLAYER shape of the input of hdf5 layer ``idx`` (the previous layer's output)."""
    for info in reversed(nf.layers[:idx]):
        if info.type == "flatten":
            continue
        return info.shape
    return nf.input_shape


def build_graph(nf: NetworkFile, n_frames: int, profile: bool = False) -> LavaGraph:
    """Create (unconnected to any source/sink) the processes of ``nf``; ``profile``: with counters."""
    from lava.lib.dl import netx

    from razor_lava.procs.gate.process import FrameGate
    from razor_lava.procs.liaf.process import CubaDense

    segs = plan_segments(nf, profile)
    graph = LavaGraph(segs)
    prev_port, prev_shape = None, None
    with h5py.File(nf.path, "r") as f:
        for seg in segs:
            if seg.kind == "netx":
                real = [i for i in range(seg.start, seg.end) if nf.layers[i].type in ("conv", "dense")]
                if not real:  # a lone flatten: nothing to build, the next connection flattens
                    graph.procs.append(None)
                    continue
                input_shape = lava_shape(_input_shape_of(nf, seg.start))
                proc = netx.hdf5.Network(net_config=str(nf.path), num_layers=seg.end, skip_layers=seg.start,
                                         input_shape=input_shape if len(input_shape) == 3 else None)
                in_port, in_shape = proc.inp, tuple(proc.inp.shape)
                out_port, out_shape = proc.out, tuple(proc.out.shape)
            elif seg.kind == "cuba":
                graded_in = _prev_weighted(nf, seg.start).graded
                proc = CubaDense.from_hdf5_layer(f["layer"][str(seg.start)], graded_in=graded_in)
                in_port, in_shape = proc.a_in, tuple(proc.a_in.shape)
                out_port, out_shape = proc.s_out, tuple(proc.s_out.shape)
                graph.cubas[seg.start] = proc
            elif seg.kind == "counter":
                proc = _counter(nf, f, seg.start, n_frames, start=n_frames * graph.n_window_gates)
                in_port, out_port, out_shape = proc.inp, proc.out, tuple(proc.inp.shape)
                in_shape = out_shape
                graph.counters[seg.start] = proc
            else:
                in_shape = lava_shape(nf.pruner_in_shapes[seg.cfg_index])
                params = nf.pruners[seg.cfg_index]
                # Frames reach this gate T steps later for every window gate upstream.
                proc = FrameGate.from_params(in_shape, n_frames, params, start=n_frames * graph.n_window_gates)
                in_port, out_port, out_shape = proc.inp, proc.out, in_shape
                graph.gates[seg.cfg_index] = proc
                graph.n_window_gates += params.variant == "window"
            if prev_port is None:
                graph.first_in_shape = in_shape
                graph.first_in_port = in_port
            else:
                _connect(prev_port, prev_shape, in_port, in_shape)
            prev_port, prev_shape = out_port, out_shape
            graph.procs.append(proc)
    graph.out_port, graph.out_shape = prev_port, prev_shape
    return graph


def _counter(nf: NetworkFile, f: h5py.File, idx: int, n_frames: int, start: int):
    """The SynopCounter in front of hdf5 layer ``idx``; frames reach it after ``start`` steps."""
    from razor_lava.procs.counter.process import SynopCounter

    from ..profile.counts import fanout_map, layer_input_shape

    shape = layer_input_shape(nf, idx)  # SLAYER order; (N,) for a dense layer, flattened in C, H, W order
    fan = fanout_map(f["layer"][str(idx)], shape)
    fan = fan.transpose(2, 1, 0) if fan.ndim == 3 else fan  # to Lava's (W, H, C)
    return SynopCounter(in_shape=lava_shape(shape), fanout=fan, n_frames=n_frames, t_start=start)


def _prev_weighted(nf: NetworkFile, idx: int):
    for info in reversed(nf.layers[1:idx]):
        if info.type in ("conv", "dense"):
            return info
    return nf.layers[0]


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
