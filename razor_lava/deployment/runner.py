"""Run network files sample by sample on Lava.

Each sample gets freshly built processes, so every neuron, gate buffer and
tap starts from zero, exactly like SLAYER's forward pass of one sample.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..netfile import NetworkFile
from .assemble import Tap, build_graph, source_data


@dataclass
class SampleResult:
    """One sample on Lava, whatever is measured.

    ``output``: integer payloads ``n_out x T`` (a conv output flattened in C, H, W order; 1 per binary spike, the payload
    per graded spike), aligned with SLAYER's output index. ``keep`` /
    ``gate_counts``: per gate (layer index), its decisions (``T`` bool) and
    counters. ``taps``: per tap name, what its ``read`` returned. With the
    cutoff: ``exit_step`` (frame of the exit) and ``answer``; -1 without.
    ``steps``: Lava steps run (measured with the cutoff).
    """

    output: np.ndarray
    keep: dict = field(default_factory=dict)
    gate_counts: dict = field(default_factory=dict)
    taps: dict = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0
    exit_step: int = -1
    answer: int = -1


GATE_COUNTERS = ("frames_kept", "frames_pruned", "events_in", "events_out")


def run_config(tag: str = "fixed_pt"):
    from lava.magma.core.run_configs import Loihi2SimCfg

    return Loihi2SimCfg(select_tag=tag)


def read_int(var) -> int:
    """A one-element Var as int (rint: the floating_pt models hold integers as floats)."""
    return int(np.rint(np.asarray(var.get()).ravel()[0]))


def run_sample(nf: NetworkFile, frames: np.ndarray, n_frames: int, tag: str = "fixed_pt",
               timeout_s: float | None = 600, taps: list[Tap] = (), cutoff: bool = False) -> SampleResult:
    """Run one sample (SLAYER frames ``C x H x W x T`` or ``C x T``, integer payloads).

    ``taps``: measurements in front of layers (``assemble.Tap``), read back
    into ``SampleResult.taps``; they change no output.

    ``cutoff``: a ``Cutoff`` process after the output (the file's
    ``razor/cutoff`` table; ``ConfigError`` without one) decides the exit
    frame and answer and pauses the run there; its ``stop`` feeds every gate's
    ``stop_in``. ``steps`` is then the number of Lava steps actually run, and
    ``output`` is zero after the exit frame.
    """
    from lava.proc import io

    from ..lava_run import run_steps

    t0 = time.perf_counter()
    taps = list(taps)
    graph = build_graph(nf, n_frames, taps)
    total = n_frames * (1 + graph.n_window_gates)
    src = io.source.RingBuffer(data=source_data(frames, graph.first_in_shape, total))
    sink = io.sink.RingBuffer(shape=graph.out_shape, buffer=total)
    src.s_out.connect(graph.first_in_port)
    graph.out_port.connect(sink.a_in)
    latency = n_frames * graph.n_window_gates
    cut = _attach_cutoff(nf, graph, n_frames, latency) if cutoff else None
    res = SampleResult(output=np.zeros(0, dtype=np.int64), steps=total)

    def read(_):
        out = np.rint(np.asarray(sink.data.get())[..., latency: latency + n_frames]).astype(np.int64)
        if out.ndim == 4:  # a conv output (a file cut with num_layers): (W, H, C) -> SLAYER's C, H, W order
            out = out.transpose(2, 1, 0, 3)
        res.output = out.reshape(-1, out.shape[-1])
        for k, gate in graph.gates.items():
            res.keep[k] = np.asarray(gate.keep.get()).astype(np.int64) == 1
            res.gate_counts[k] = {c: read_int(getattr(gate, c)) for c in GATE_COUNTERS}
        for tap, procs in zip(taps, graph.taps):
            res.taps[tap.name] = tap.read(procs)
        if cut is not None:
            res.exit_step, res.answer, res.steps = read_int(cut.exit_step), read_int(cut.answer), \
                read_int(cut.steps_run)

    run_steps(src, total, run_config(tag), timeout_s=timeout_s, read=read)
    res.seconds = time.perf_counter() - t0
    return res


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
