"""Assemble the Lava process graph of a network file (``razor_lava.netfile.NetworkFile``).

The file's layers are cut into segments: runs of ordinary binary CUBA layers
become netx slices (``Network(num_layers=, skip_layers=)``), dense layers that
send or receive graded spikes become ``CubaDense`` processes (netx would build
them as binary LIF), and a ``FrameGate`` sits in front of every layer that has
a trained pruner. Frames flow in Lava's layout: (W, H, C) for conv feature
maps, (N,) for vectors; a 3-D output feeding a vector input is flattened in
SLAYER's C, H, W order. Segments are keyed by the layer index (``netfile.spec``).

Every process follows one schedule (``stream.Stream``: samples back to back,
one every ``P`` steps; a single sample is ``P = T``); frames reach a segment
``P`` steps later per window gate upstream.

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
    ``build(nf, k, stream, t_start)``: an identity process with ``inp`` and
    ``out`` ports of layer ``k``'s input shape (Lava order) that follows the
    ``stream.Stream`` schedule (sample 0's frames reach it after ``t_start``
    steps; its per-sample results go to records made with ``stream.records``);
    if it has a ``stop_in`` port, a ``Cutoff`` is connected to it;
    ``read(procs)``: its results from the processes it built (``{k: proc}``),
    after the run. ``name``: the key of its results in ``StreamResult.taps``.
    """

    name = "tap"

    def layers(self, nf: NetworkFile) -> list[int]:
        raise NotImplementedError

    def build(self, nf: NetworkFile, k: int, stream, t_start: int):
        raise NotImplementedError

    def read(self, procs: dict) -> dict:
        raise NotImplementedError


@dataclass
class Segment:
    kind: str  # "netx" | "cuba" | "gate" | "tap" | "silence"
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
    latency: int = 0  # steps from the source to the output: P per window gate
    adapters: list = field(default_factory=list)  # on hardware: lava-loihi adapters at CPU <-> chip boundaries
    stoppable: list = field(default_factory=list)  # stop_in ports a Cutoff feeds (gates, taps)


def _needs_cuba(nf: NetworkFile, k: int) -> bool:
    s = nf.layer(k)
    return s.type == "dense" and (s.graded or s.graded_in)


def _biased(spec) -> bool:
    return spec.weighted and spec.bias is not None and bool(np.any(np.asarray(spec.bias) != 0))


def plan_segments(nf: NetworkFile, tap_layers: list[list[int]] | None = None, streaming: bool = False) -> list[Segment]:
    """Cut the file's layers into netx slices, CubaDense layers, gates and taps (in that order per layer).

    For streams (``stream.settling``): a dense layer with delays, and a layer with a bias, start a netx
    slice of their own, since their resets do not follow netx's one-step stagger; with ``streaming``, a
    ``silence`` segment (``PadSilencer``) sits in front of a netx layer fed by a biased netx layer."""
    tap_layers = tap_layers or []
    cut_at = {k for ks in tap_layers for k in ks}
    segs: list[Segment] = []
    run_start = None
    loud = False  # the signal comes from a biased netx layer: it is not silent between samples
    for s in nf.layers[nf.first_index:]:  # layer/0 may be the first weighted layer
        k = s.index
        custom = _needs_cuba(nf, k)
        silence = streaming and loud and s.weighted and not custom and k not in nf.pruners
        if k in nf.pruners or custom or k in cut_at or s.delay is not None or _biased(s) or silence:
            if run_start is not None:
                segs.append(Segment("netx", run_start, k))
                run_start = None
        if k in nf.pruners:
            segs.append(Segment("gate", k))
        for j, ks in enumerate(tap_layers):
            if k in ks:
                segs.append(Segment("tap", k, tap=j))
        if silence:
            segs.append(Segment("silence", k))
        if custom:
            segs.append(Segment("cuba", k))
        elif run_start is None:
            run_start = k
        if s.weighted:
            loud = _biased(s) and not custom
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


def _bridge(graph, port, shape: tuple, dest_port, dest_shape: tuple, from_chip: bool, to_chip: bool,
            bits: int = 0) -> None:
    """Connect ``port`` to ``dest_port``; across the CPU <-> chip boundary through one of lava-loihi's
    ``embedded_io`` spike adapters, as lava-dl's netx tutorials connect a netx network on Loihi 2."""
    if from_chip == to_chip:
        _connect(port, shape, dest_port, dest_shape)
        return
    if to_chip and len(shape) == 3 and len(dest_shape) == 1:  # flatten on the CPU side, in C, H, W order
        port, shape = port.transpose([2, 1, 0]).flatten(), tuple(dest_shape)
    adapter = _adapter(graph, to_chip, shape, bits)
    port.connect(adapter.inp)
    _connect(adapter.out, shape, dest_port, dest_shape)


def adapter_name(into_chip: bool, shape: tuple) -> str:
    """The lava-loihi ``embedded_io.spike`` adapter lava-dl's netx tutorials use at a CPU <-> chip boundary."""
    if not into_chip:
        return "NxToPyAdapter"
    return "PyToN3ConvAdapter" if len(shape) == 3 else "PyToNxAdapter"


def _adapter(graph, into_chip: bool, shape: tuple, bits: int):
    from lava.proc import embedded_io as eio  # lava-loihi (backends.check_backend made sure it is there)

    adapter = getattr(eio.spike, adapter_name(into_chip, shape))(shape=shape, num_message_bits=bits)
    graph.adapters.append(adapter)
    return adapter


def input_shape_of(nf: NetworkFile, k: int) -> tuple[int, ...]:
    """SLAYER shape of what layer ``k`` receives before any flatten: the last non-flatten output before it."""
    for s in reversed(nf.layers[:k]):
        if s.type != "flatten":
            return s.shape
    return nf.input_shape


def build_graph(nf: NetworkFile, stream, taps: list[Tap] = ()) -> LavaGraph:
    """Create (unconnected to any source/sink) the processes of ``nf`` on the ``stream.Stream`` schedule
    (its segments, period and resets from ``stream.schedule`` with ``taps``' layers), with ``taps`` in
    front of their layers."""
    from lava.lib.dl import netx

    from razor_lava.procs.gate.process import FrameGate
    from razor_lava.procs.liaf.process import CubaDense

    from razor_lava.procs.stream.process import PadSilencer

    taps = list(taps)
    segs = stream.segments  # stream.schedule cut the file, with these taps' layers
    graph = LavaGraph(segs, taps=[{} for _ in taps])
    n_frames, period = stream.n_frames, stream.period
    prev_port, prev_shape, prev_chip, prev_bits = None, None, False, stream.input_bits
    for seg in segs:
        latency = period * graph.n_window_gates  # frames reach this point P steps later per window gate upstream
        if seg.kind == "netx":
            if not any(nf.layer(i).weighted for i in range(seg.start, seg.end)):
                graph.procs.append(None)  # a lone flatten: nothing to build, the next connection flattens
                continue
            in_shape = lava_shape(input_shape_of(nf, seg.start))
            resets = dict(reset_interval=period, reset_offset=stream.reset_offset(seg.start, latency)) \
                if stream.resets else {}
            # Count frames (values > 1) reach a slice fed by the source: netx would read them as 0/1 spikes.
            bits = dict(input_message_bits=prev_bits) if prev_bits else {}
            proc = netx.hdf5.Network(net_config=str(nf.path), num_layers=seg.end, skip_layers=seg.start,
                                     input_shape=in_shape if len(in_shape) == 3 else None, **resets, **bits)
            in_port, in_shape, out_port, out_shape = proc.inp, tuple(proc.inp.shape), proc.out, tuple(proc.out.shape)
        elif seg.kind == "cuba":
            proc = CubaDense.from_spec(nf.layer(seg.start), source=nf.path, n_frames=n_frames, period=period,
                                       start=latency)
            in_port, in_shape = proc.a_in, tuple(proc.a_in.shape)
            out_port, out_shape = proc.s_out, tuple(proc.s_out.shape)
            graph.cubas[seg.start] = proc
        elif seg.kind == "silence":
            proc = PadSilencer(in_shape=prev_shape, n_frames=n_frames, t_start=latency, period=period)
            in_port, out_port, in_shape = proc.inp, proc.out, prev_shape
            out_shape = prev_shape
        elif seg.kind == "tap":
            proc = taps[seg.tap].build(nf, seg.start, stream, latency)
            in_port, out_port = proc.inp, proc.out
            in_shape = out_shape = tuple(proc.inp.shape)
            graph.taps[seg.tap][seg.start] = proc
            if hasattr(proc, "stop_in"):
                graph.stoppable.append(proc.stop_in)
        else:
            in_shape = lava_shape(nf.pruner_in_shapes[seg.start])
            params = nf.pruners[seg.start]
            n = stream.n_samples
            rec = stream.kwargs(keep=stream.records.new(f"keep{seg.start}", (n, n_frames), np.int8, -1),
                                counts=stream.records.new(f"counts{seg.start}", (n, 4), np.int64))
            proc = FrameGate.from_params(in_shape, n_frames, params, start=latency, **rec)
            in_port, out_port, out_shape = proc.inp, proc.out, in_shape
            graph.gates[seg.start] = proc
            graph.stoppable.append(proc.stop_in)
            graph.n_window_gates += params.variant == "window"
        chip = stream.hardware and seg.kind == "netx"
        if prev_port is None:
            graph.first_in_shape, graph.first_in_port = in_shape, in_port
            if chip:  # the source runs on the CPU: an adapter into the chip
                adapter = _adapter(graph, True, in_shape, stream.input_bits)
                adapter.out.connect(in_port)
                graph.first_in_port = adapter.inp
        else:
            _bridge(graph, prev_port, prev_shape, in_port, in_shape, prev_chip, chip, prev_bits)
        prev_port, prev_shape, prev_chip = out_port, out_shape, chip
        if seg.kind in ("netx", "cuba"):  # gates, taps and silencers pass their input's values on
            prev_bits = 24 if seg.kind == "cuba" and nf.layer(seg.start).graded else 0
        graph.procs.append(proc)
    if prev_port is None:
        raise DataFormatError(nf.path, "no layer to build on Lava")
    if prev_chip:  # the output recorder (and the cutoff) run on the CPU
        adapter = _adapter(graph, False, prev_shape, 0)
        prev_port.connect(adapter.inp)
        prev_port = adapter.out
    graph.out_port, graph.out_shape = prev_port, prev_shape
    graph.latency = period * graph.n_window_gates
    return graph
