"""Count synaptic operations of a network file inside the Lava run (the reference path).

``SynopTap`` is a measurement handed to the assembler from outside
(``deployment.assemble.Tap``): a ``SynopCounter`` in front of every conv/dense
layer (after its gate) counts, per frame, what reaches the layer's synapses;
the ``N x T`` counts per layer come back through the stream's records. The
samples stream through one network, or run one network each (``mode``).
"""

from __future__ import annotations

import numpy as np

from ..deployment.assemble import Tap, lava_shape
from ..deployment.runner import run_samples
from ..netfile import NetworkFile
from .counts import SynopCounts, build_counts, fanout_map, fanout_maps


class SynopTap(Tap):
    """Events and synops per frame at the input of every weighted layer; ``read`` gives
    ``{"events": {k: (T,)}, "synops": {k: (T,)}}`` int64 per layer index ``k``."""

    name = "synops"

    def layers(self, nf: NetworkFile) -> list[int]:
        return nf.weighted_indices()

    def build(self, nf: NetworkFile, k: int, stream, t_start: int):
        from razor_lava.procs.counter.process import SynopCounter

        spec = nf.layer(k)
        fan = fanout_map(spec)  # SLAYER order; (N,) for a dense layer, flattened in C, H, W order
        fan = fan.transpose(2, 1, 0) if fan.ndim == 3 else fan  # to Lava's (W, H, C)
        shape = (stream.n_samples, stream.n_frames)
        rec = stream.kwargs(**{kind: stream.records.new(f"{kind}{k}", shape, np.int64) for kind in ("events", "synops")})
        return SynopCounter(in_shape=lava_shape(spec.in_shape), fanout=fan, n_frames=stream.n_frames,
                            t_start=t_start, **rec)

    def read(self, procs: dict) -> dict:
        from ..deployment.stream import Records

        return {kind: {k: Records.read(p.proc_params["records"][kind]) for k, p in procs.items()}
                for kind in ("events", "synops")}


def count_lava(nf: NetworkFile, frames: np.ndarray, gates: bool = True, progress: bool = False,
               tag: str = "fixed_pt", timeout_s: float | None = None, cutoff: bool = False,
               mode: str = "stream", workers: int = 1) -> tuple[SynopCounts, np.ndarray]:
    """Run every sample of ``frames`` (``N x C x H x W x T`` or ``N x C x T``) on Lava and count.

    ``gates=False`` runs the network with its pruners removed; ``cutoff=True``
    runs it with the file's Top-K cutoff, so the counts hold what Lava spent
    before each sample was answered (``frames_run`` is then None: not
    measured). ``mode``/``workers``: as ``deployment.runner.run_samples``.
    Returns the counts and the outputs as Lava payloads ``N x n_out x T`` int64.
    """
    frames = np.asarray(frames)
    if frames.ndim < 2 or tuple(frames.shape[1:-1]) != tuple(nf.input_shape):
        raise ValueError(f"frames have shape {frames.shape}: expected N x {' x '.join(map(str, nf.input_shape))} x T "
                         f"for {nf.path}")
    n_frames = int(frames.shape[-1])
    run_nf = nf if gates else nf.without_gates()
    if len(frames) == 0:
        empty = {i: np.zeros((0, n_frames), dtype=np.int64) for i in nf.weighted_indices()}
        return (build_counts(nf, empty, dict(empty), {i: np.zeros((0, n_frames), bool) for i in run_nf.pruners},
                             n_frames, fanout_maps(nf)), np.zeros((0, nf.n_outputs, n_frames), dtype=np.int64))
    tap = SynopTap()
    res = run_samples(run_nf, frames, mode=mode, workers=workers, tag=tag, timeout_s=timeout_s, taps=[tap],
                      cutoff=cutoff, progress=progress)
    counted = res.taps[tap.name]
    counts = build_counts(nf, counted["events"], counted["synops"], {i: k == 1 for i, k in res.keep.items()},
                          n_frames, fanout_maps(nf))
    return counts, res.output
