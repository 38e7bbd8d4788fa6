"""Count synaptic operations of a network file inside the Lava run (the reference path).

``SynopTap`` is a measurement handed to the assembler from outside
(``deployment.assemble.Tap``): a ``SynopCounter`` in front of every conv/dense
layer (after its gate) counts, per frame, what reaches the layer's synapses;
only the ``2 x T`` counts per layer are read back. Each sample runs on freshly
built processes (``run_sample``).
"""

from __future__ import annotations

import numpy as np

from ..deployment.assemble import Tap, lava_shape
from ..deployment.runner import run_sample
from ..netfile import NetworkFile
from .counts import SynopCounts, build_counts, fanout_map, fanout_maps


class SynopTap(Tap):
    """Events and synops per frame at the input of every weighted layer; ``read`` gives
    ``{"events": {k: (T,)}, "synops": {k: (T,)}}`` int64 per layer index ``k``."""

    name = "synops"

    def layers(self, nf: NetworkFile) -> list[int]:
        return nf.weighted_indices()

    def build(self, nf: NetworkFile, k: int, n_frames: int, t_start: int):
        from razor_lava.procs.counter.process import SynopCounter

        spec = nf.layer(k)
        fan = fanout_map(spec)  # SLAYER order; (N,) for a dense layer, flattened in C, H, W order
        fan = fan.transpose(2, 1, 0) if fan.ndim == 3 else fan  # to Lava's (W, H, C)
        return SynopCounter(in_shape=lava_shape(spec.in_shape), fanout=fan, n_frames=n_frames, t_start=t_start)

    def read(self, procs: dict) -> dict:
        # rint: the floating_pt model holds the counts as floats
        return {kind: {k: np.rint(getattr(p, kind).get()).astype(np.int64) for k, p in procs.items()}
                for kind in ("events", "synops")}


def count_lava(nf: NetworkFile, frames: np.ndarray, gates: bool = True, progress: bool = False,
               tag: str = "fixed_pt", timeout_s: float | None = 600,
               cutoff: bool = False) -> tuple[SynopCounts, np.ndarray]:
    """Run every sample of ``frames`` (``N x C x H x W x T`` or ``N x C x T``) on Lava and count.

    ``gates=False`` runs the network with its pruners removed; ``cutoff=True``
    runs it with the file's Top-K cutoff, so the counts hold what Lava spent
    before it stopped (``frames_run`` is then None: not measured). Returns the
    counts and the outputs as Lava payloads ``N x n_out x T`` int64.
    About 0.5-2 s per sample on the CPU simulator (process start-up dominates).
    """
    frames = np.asarray(frames)
    if frames.ndim < 2 or tuple(frames.shape[1:-1]) != tuple(nf.input_shape):
        raise ValueError(f"frames have shape {frames.shape}: expected N x {' x '.join(map(str, nf.input_shape))} x T "
                         f"for {nf.path}")
    n_frames = int(frames.shape[-1])
    run_nf = nf if gates else nf.without_gates()
    layers = nf.weighted_indices()
    events = {i: [] for i in layers}
    synops = {i: [] for i in layers}
    keeps = {i: [] for i in run_nf.pruners}
    outputs = []
    from ..progress import progress as bar

    tap = SynopTap()
    for n in bar(range(len(frames)), progress, desc="lava synops", unit="sample"):
        res = run_sample(run_nf, frames[n], n_frames, tag=tag, timeout_s=timeout_s, taps=[tap], cutoff=cutoff)
        for i in layers:
            events[i].append(res.taps[tap.name]["events"][i])
            synops[i].append(res.taps[tap.name]["synops"][i])
        for i in keeps:
            keeps[i].append(res.keep[i])
        outputs.append(res.output)
    stack = lambda parts, dtype: np.stack(parts) if parts else np.zeros((0, n_frames), dtype=dtype)  # noqa: E731
    counts = build_counts(nf, {i: stack(v, np.int64) for i, v in events.items()},
                          {i: stack(v, np.int64) for i, v in synops.items()},
                          {i: stack(v, bool) for i, v in keeps.items()}, n_frames, fanout_maps(nf))
    return counts, np.stack(outputs) if outputs else np.zeros((0, nf.n_outputs, n_frames), dtype=np.int64)
