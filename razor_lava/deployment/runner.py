"""Run network files sample by sample on Lava and compare with SLAYER.

Each sample gets freshly built processes, so every neuron, gate buffer and
counter starts from zero, exactly like SLAYER's forward pass of one sample.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..export import NetworkFile
from ..model.network import GRADED_SCALE
from .assemble import build_graph, source_data


@dataclass
class SampleResult:
    """One sample on Lava. ``output``: integer payloads ``n_out x T`` (1 per binary
    spike, ``v_int`` per graded spike), aligned with SLAYER's output index."""

    output: np.ndarray
    keep: dict = field(default_factory=dict)  # cfg index -> (T,) bool, the gate's decisions
    gate_counts: dict = field(default_factory=dict)  # cfg index -> {frames_kept, frames_pruned, events_in, events_out}
    steps: int = 0
    seconds: float = 0.0
    # profile=True only: hdf5 index of each conv/dense layer -> (T,) int64 per SLAYER time index
    events: dict = field(default_factory=dict)  # non-zero inputs reaching the layer's synapses
    synops: dict = field(default_factory=dict)  # sum of their fan-outs


def run_config(tag: str = "fixed_pt"):
    from lava.magma.core.run_configs import Loihi2SimCfg

    return Loihi2SimCfg(select_tag=tag)


def run_sample(nf: NetworkFile, frames: np.ndarray, n_frames: int, tag: str = "fixed_pt",
               timeout_s: float | None = 600, profile: bool = False) -> SampleResult:
    """Run one sample (SLAYER frames ``C x H x W x T`` or ``C x T``, integer payloads).

    ``profile``: every conv/dense layer runs in its own slice behind a
    ``SynopCounter`` (same outputs), and the result carries ``events`` and
    ``synops`` per layer and frame.
    """
    from lava.proc import io

    from ..lava_run import run_steps

    t0 = time.perf_counter()
    graph = build_graph(nf, n_frames, profile=profile)
    total = n_frames * (1 + graph.n_window_gates)
    src = io.source.RingBuffer(data=source_data(frames, graph.first_in_shape, total))
    sink = io.sink.RingBuffer(shape=graph.out_shape, buffer=total)
    src.s_out.connect(graph.first_in_port)
    graph.out_port.connect(sink.a_in)
    result = {}

    def read(_):
        result["out"] = np.asarray(sink.data.get())
        for i, gate in graph.gates.items():
            result[f"keep{i}"] = np.asarray(gate.keep.get()).astype(np.int64)
            result[f"counts{i}"] = {k: int(np.asarray(getattr(gate, k).get()).ravel()[0])
                                    for k in ("frames_kept", "frames_pruned", "events_in", "events_out")}
        for i, counter in graph.counters.items():  # 2 x T elements each: cheap to read back
            result[f"events{i}"] = np.rint(counter.events.get()).astype(np.int64)
            result[f"synops{i}"] = np.rint(counter.synops.get()).astype(np.int64)

    run_steps(src, total, run_config(tag), timeout_s=timeout_s, read=read)
    latency = n_frames * graph.n_window_gates
    out = np.rint(result["out"][..., latency: latency + n_frames]).astype(np.int64)
    return SampleResult(
        output=out,
        keep={i: result[f"keep{i}"] == 1 for i in graph.gates},
        gate_counts={i: result[f"counts{i}"] for i in graph.gates},
        steps=total, seconds=time.perf_counter() - t0,
        events={i: result[f"events{i}"] for i in graph.counters},
        synops={i: result[f"synops{i}"] for i in graph.counters})


def slayer_payloads(output) -> np.ndarray:
    """SLAYER output (float, graded values in units of 1.0) as Lava integer payloads."""
    return np.rint(np.asarray(output, dtype=np.float64) * GRADED_SCALE).astype(np.int64)


def as_payloads(output: np.ndarray, graded: bool) -> np.ndarray:
    return slayer_payloads(output) if graded else np.rint(output).astype(np.int64)
