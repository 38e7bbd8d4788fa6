"""Run network files on Lava: many samples through one compiled network (a stream), or one network per sample.

``run_stream`` builds and compiles the network once and feeds the samples back
to back, one every ``P`` steps (``stream.py`` says how every part starts each
sample afresh; window gates take one sample per period, so their latency is
paid once). ``run_per_sample`` builds, compiles, runs and stops a fresh
network for every sample: the reference the stream is checked and timed
against. ``run_sample`` is one
sample of it. ``workers`` (``run_samples``) splits the samples across
processes, each with its own Lava runtime.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..netfile import NetworkFile
from .assemble import Tap, build_graph
from .result import StreamResult, merge  # noqa: F401  (merge: part of this module's interface)
from .stream import Records, Stream, schedule

MODES = ("stream", "per-sample")
CONV_MODELS = ("fast", "lava")  # the simulator's model of netx's conv synapses (procs/conv_model.py)


def run_config(tag: str = "fixed_pt", conv_model: str = "fast"):
    """The simulator's run configuration; ``conv_model="fast"`` swaps Lava's scipy Conv model for
    razor_lava's bit-identical one (``procs/conv_model.py``), ``"lava"`` keeps Lava's own."""
    from lava.magma.core.run_configs import Loihi2SimCfg

    from ..errors import UsageError

    if conv_model not in CONV_MODELS:
        raise UsageError("--conv-model", f"expected one of {', '.join(CONV_MODELS)}, got {conv_model!r}")
    if conv_model == "fast" and tag == "fixed_pt":
        from razor_lava.procs.conv_model import fast_models

        return Loihi2SimCfg(select_tag=tag, exception_proc_model_map=fast_models())
    return Loihi2SimCfg(select_tag=tag)


def _hardware_config():
    from lava.magma.core.run_configs import Loihi2HwCfg

    return Loihi2HwCfg()


def stream_period(nf: NetworkFile, n_frames: int, taps: list[Tap] = ()) -> int:
    """Steps per sample in a stream of ``nf``: ``T`` plus the padding its netx layers need to settle."""
    return schedule(nf, n_frames, [t.layers(nf) for t in taps])[1]


def run_stream(nf: NetworkFile, frames: np.ndarray, tag: str = "fixed_pt", taps: list[Tap] = (),
               cutoff: bool = False, timeout_s: float | None = None, progress: bool = False,
               resets: bool = True, chunk: int | None = None, conv_model: str = "fast",
               backend: str = "sim") -> StreamResult:
    """Run ``frames`` (``N x C x H x W x T`` or ``N x C x T`` integer payloads) through one Lava network.

    ``taps``: measurements in front of layers (``assemble.Tap``); they change no output. ``cutoff``: a
    ``Cutoff`` after the output (the file's ``razor/cutoff`` table; ``ConfigError`` without one) answers
    each sample at its exit frame; its count of answered samples feeds the source, every gate and every
    tap with a ``stop_in``, so the rest of an answered sample never enters the network. ``resets=False``
    builds netx layers without resets (one sample only: ``run_per_sample``). ``timeout_s`` limits the
    stepping; ``chunk``: samples per ``run`` call (the progress bar moves once per chunk); ``conv_model``:
    as ``run_config``. ``backend="loihi2"``: the netx slices on Loihi 2 neurocores under ``Loihi2HwCfg``,
    razor_lava's processes on the host CPU, lava-loihi adapters between (``placement.py``); the period is
    rounded up to a power of two (the chip's reset interval). Reach the board first with
    ``backends.check_backend("loihi2", Board(...))``. Never run on hardware by razor_lava's authors: see
    the README.
    """
    from ..lava_run import LavaSession
    from ..progress import progress as bar
    from razor_lava.procs.stream.process import OutputRecorder, StreamSource

    t0 = time.perf_counter()
    frames = np.asanyarray(frames)  # a numpy memmap stays one
    n, n_frames = len(frames), int(frames.shape[-1])
    if n < 1:
        raise ValueError("run_stream needs at least one sample")
    if not resets and n > 1:
        raise ValueError("without resets a network holds one sample; use run_per_sample")
    taps = list(taps)
    hardware = backend == "loihi2"
    if hardware:
        from .backends import require_lava_loihi

        require_lava_loihi()  # the board was reached before: backends.check_backend (deploy.py calls it)
    segs, period, reset_at = schedule(nf, n_frames, [t.layers(nf) for t in taps], resets, hardware)
    # Binary frames go in as spikes; frames of counts (values > 1) need message bits, or netx reads them as 0/1.
    top = int(np.max(frames, initial=0))
    input_bits = 0 if top <= 1 else max(8, top.bit_length())
    with Records() as records:
        stream = Stream(n_frames, period, n, resets, records, reset_at, segs, hardware=hardware,
                        input_bits=input_bits)
        graph = build_graph(nf, stream, taps)
        src = StreamSource(frames=frames, out_shape=graph.first_in_shape, period=period)
        src.s_out.connect(graph.first_in_port)
        out_rec = records.new("output", (n, int(np.prod(graph.out_shape)), n_frames), np.int32)
        sink = OutputRecorder(in_shape=graph.out_shape, n_frames=n_frames, t_start=graph.latency,
                              **stream.kwargs(output=out_rec))
        graph.out_port.connect(sink.a_in)
        cut_rec = records.new("decisions", (n, 3), np.int64, -1) if cutoff else None
        if cutoff:
            _attach_cutoff(nf, graph, stream, cut_rec, [src.stop_in])
        total = graph.latency + (n - 1) * period + n_frames
        # Chunks end at slot boundaries; the last run ends on the last sample's last frame.
        chunk = max(1, chunk or min(50, max(1, n // 20)))
        ends = [min(total, graph.latency + c * period) for c in range(chunk, n, chunk)] + [total]
        t_run = time.perf_counter()
        bar_ = bar(None, progress, total=n, desc="lava", unit="sample")
        try:
            with LavaSession(src, _hardware_config() if hardware else run_config(tag, conv_model)) as session:
                done = 0
                for end in ends:
                    left = None if timeout_s is None else max(1e-3, timeout_s - (time.perf_counter() - t_run))
                    session.run(end - done, timeout_s=left)
                    done = end
                    if bar_ is not None:
                        bar_.update(min(n, max(0, (done - graph.latency) // period)) - bar_.n)
                seconds_run = time.perf_counter() - t_run
        finally:
            if bar_ is not None:
                bar_.close()
        res = StreamResult(output=records.read(out_rec).astype(np.int64), period=period, latency=graph.latency,
                           steps=total, seconds_run=seconds_run)
        for k, gate in graph.gates.items():
            paths = gate.proc_params["records"]
            res.keep[k] = records.read(paths["keep"])
            res.gate_counts[k] = records.read(paths["counts"])
        for tap, procs in zip(taps, graph.taps):
            res.taps[tap.name] = tap.read(procs)
        if cutoff:
            dec = records.read(cut_rec)
            res.exit_step, res.answer, res.decided_at = dec[:, 0].copy(), dec[:, 1].copy(), dec[:, 2].copy()
            res.steps = int(min(total, dec[-1, 2]))  # the pause after the last sample's decision
    res.seconds = time.perf_counter() - t0
    return res


def run_per_sample(nf: NetworkFile, frames: np.ndarray, tag: str = "fixed_pt", taps: list[Tap] = (),
                   cutoff: bool = False, timeout_s: float | None = None, progress: bool = False,
                   conv_model: str = "fast", backend: str = "sim") -> StreamResult:
    """Every sample on a freshly built, compiled and stopped network (the reference for ``run_stream``).

    ``steps`` is the sum over samples, ``period`` the steps of one sample's run (``T`` per window gate plus
    ``T``). The same processes as the stream, each run holding a single sample.
    """
    from ..progress import progress as bar

    t0 = time.perf_counter()
    parts = [run_stream(nf, frames[i: i + 1], tag=tag, taps=taps, cutoff=cutoff, timeout_s=timeout_s,
                        resets=False, conv_model=conv_model, backend=backend)
             for i in bar(range(len(frames)), progress, desc="lava per sample", unit="sample")]
    res = merge(parts)
    res.seconds = time.perf_counter() - t0
    return res


def run_samples(nf: NetworkFile, frames: np.ndarray, mode: str = "stream", workers: int = 1, **kw) -> StreamResult:
    """``run_stream`` or ``run_per_sample`` (``mode``), over ``workers`` processes when more than one."""
    from ..errors import UsageError

    if mode not in MODES:
        raise UsageError("--mode", f"expected one of {', '.join(MODES)}, got {mode!r}")
    run = run_stream if mode == "stream" else run_per_sample
    if workers > 1 and kw.get("backend", "sim") != "sim":
        raise UsageError("--workers", "one Lava runtime per Loihi 2 board: run the hardware backend with --workers 1")
    if workers <= 1 or len(frames) <= 1:
        return run(nf, frames, **kw)
    from .workers import run_in_workers

    return run_in_workers(run, nf, frames, workers, **kw)


@dataclass
class SampleResult:
    """One sample of ``run_sample``: ``StreamResult``'s fields for sample 0 (``keep`` as bool: kept)."""

    output: np.ndarray
    keep: dict = field(default_factory=dict)
    gate_counts: dict = field(default_factory=dict)
    taps: dict = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0
    exit_step: int = -1
    answer: int = -1


def run_sample(nf: NetworkFile, frames: np.ndarray, n_frames: int | None = None, tag: str = "fixed_pt",
               timeout_s: float | None = 600, taps: list[Tap] = (), cutoff: bool = False,
               conv_model: str = "fast") -> SampleResult:
    """Run one sample (``C x H x W x T`` or ``C x T``) on a fresh network; see ``run_stream``.

    With ``cutoff`` the run pauses after the exit frame: ``steps`` is the number of Lava steps actually run.
    """
    frames = np.asarray(frames)
    if n_frames is not None and frames.shape[-1] != n_frames:
        raise ValueError(f"frames have {frames.shape[-1]} frames, expected {n_frames}")
    from razor_lava.procs.gate.process import COUNTERS

    r = run_stream(nf, frames[None], tag=tag, taps=taps, cutoff=cutoff, timeout_s=timeout_s, resets=False,
                   conv_model=conv_model)
    return SampleResult(output=r.output[0], keep={k: v[0] == 1 for k, v in r.keep.items()},
                        gate_counts={k: dict(zip(COUNTERS, map(int, v[0]))) for k, v in r.gate_counts.items()},
                        taps=_first_sample(r.taps), steps=r.steps, seconds=r.seconds,
                        exit_step=-1 if r.exit_step is None else int(r.exit_step[0]),
                        answer=-1 if r.answer is None else int(r.answer[0]))


def _first_sample(taps):
    return {k: _first_sample(v) for k, v in taps.items()} if isinstance(taps, dict) else taps[0]


def _attach_cutoff(nf: NetworkFile, graph, stream: Stream, record: str, extra_stops: list):
    """A ``Cutoff`` on the graph's output, feeding every stoppable port (gates, taps, the source)."""
    from razor_lava.procs.cutoff.process import Cutoff

    from ..cutoff.rule import integer_thresholds
    from ..errors import ConfigError

    if nf.cutoff is None:
        raise ConfigError("cutoff", f"{nf.path} has no cutoff table (razor/cutoff): "
                          "train with --cutoff-epsilon or run train/export.py after calibration")
    beta = integer_thresholds(nf.cutoff["beta"])
    if beta.shape != (stream.n_frames,):
        raise ConfigError("cutoff.beta", f"the table has {beta.shape[0]} timesteps, the samples have "
                          f"{stream.n_frames}")
    cut = Cutoff(n_out=int(np.prod(graph.out_shape)), n_frames=stream.n_frames, beta_int=beta,
                 t_start=graph.latency, **stream.kwargs(decisions=record))
    graph.out_port.connect(cut.a_in)  # an OutPort fans out: the recorder still gets everything
    for port in graph.stoppable + extra_stops:
        cut.stop.connect(port)
    return cut
