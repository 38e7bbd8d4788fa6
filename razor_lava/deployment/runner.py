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
    # cutoff=True only: frame index of the exit (-1: no cutoff) and the cutoff's class
    exit_step: int = -1
    answer: int = -1


def run_config(tag: str = "fixed_pt"):
    from lava.magma.core.run_configs import Loihi2SimCfg

    return Loihi2SimCfg(select_tag=tag)


def run_sample(nf: NetworkFile, frames: np.ndarray, n_frames: int, tag: str = "fixed_pt",
               timeout_s: float | None = 600, profile: bool = False, cutoff: bool = False) -> SampleResult:
    """Run one sample (SLAYER frames ``C x H x W x T`` or ``C x T``, integer payloads).

    ``profile``: every conv/dense layer runs in its own slice behind a
    ``SynopCounter`` (same outputs), and the result carries ``events`` and
    ``synops`` per layer and frame.

    ``cutoff``: a ``Cutoff`` process after the output (the file's
    ``razor/cutoff`` table; ``ConfigError`` without one) decides the exit
    frame and answer and pauses the run there; its ``stop`` feeds every gate's
    ``stop_in``. ``steps`` is then the number of Lava steps actually run
    (measured), and ``output`` is zero after the exit frame.
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
    latency = n_frames * graph.n_window_gates
    cut = _attach_cutoff(nf, graph, n_frames, latency) if cutoff else None
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
        if cut is not None:  # rint: the floating_pt model holds these as floats
            for k in ("exit_step", "answer", "steps_run"):
                result[k] = int(np.rint(np.asarray(getattr(cut, k).get()).ravel()[0]))

    run_steps(src, total, run_config(tag), timeout_s=timeout_s, read=read)
    out = np.rint(result["out"][..., latency: latency + n_frames]).astype(np.int64)
    return SampleResult(
        output=out,
        keep={i: result[f"keep{i}"] == 1 for i in graph.gates},
        gate_counts={i: result[f"counts{i}"] for i in graph.gates},
        steps=result.get("steps_run", total), seconds=time.perf_counter() - t0,
        exit_step=result.get("exit_step", -1), answer=result.get("answer", -1),
        events={i: result[f"events{i}"] for i in graph.counters},
        synops={i: result[f"synops{i}"] for i in graph.counters})


def _attach_cutoff(nf: NetworkFile, graph, n_frames: int, latency: int):
    """A ``Cutoff`` on the graph's output (frame 0 arrives after ``latency`` steps), stopping every gate."""
    from razor_lava.procs.cutoff.process import Cutoff

    from ..cutoff.rule import integer_thresholds
    from ..errors import ConfigError

    if nf.cutoff is None:
        raise ConfigError("cutoff", f"{nf.path} has no cutoff table (razor/cutoff): "
                          "train with --cutoff-epsilon or run train/export.py after calibration")
    beta = integer_thresholds(nf.cutoff["beta"])
    if beta.shape != (n_frames,):
        raise ConfigError("cutoff.beta", f"the table has {beta.shape[0]} timesteps, the samples have {n_frames}")
    cut = Cutoff(n_out=int(np.prod(graph.out_shape)), n_frames=n_frames, beta_int=beta, t_start=latency)
    graph.out_port.connect(cut.a_in)  # an OutPort fans out: the sink still gets everything
    for gate in graph.gates.values():
        cut.stop.connect(gate.stop_in)
    return cut


def slayer_payloads(output) -> np.ndarray:
    """SLAYER output (float, graded values in units of 1.0) as Lava integer payloads."""
    return np.rint(np.asarray(output, dtype=np.float64) * GRADED_SCALE).astype(np.int64)


def as_payloads(output: np.ndarray, graded: bool) -> np.ndarray:
    return slayer_payloads(output) if graded else np.rint(output).astype(np.int64)
