"""Count synaptic operations of a network file inside the Lava run (the reference path).

Each sample runs on freshly built processes with ``run_sample(profile=True)``:
every conv/dense layer sits behind a ``SynopCounter`` that counts, per frame,
what reaches its synapses; only the ``2 x T`` counts per layer are read back.
"""

from __future__ import annotations

import numpy as np

from ..deployment.evaluate import without_gates
from ..deployment.runner import run_sample
from ..export import NetworkFile
from .counts import SynopCounts, build_counts, fanout_maps, weighted_layers


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
    run_nf = nf if gates else without_gates(nf)
    layers = weighted_layers(nf)
    events = {i: [] for i in layers}
    synops = {i: [] for i in layers}
    keeps = {i: [] for i in run_nf.pruners}
    outputs = []
    from ..progress import progress as bar

    for n in bar(range(len(frames)), progress, desc="lava synops", unit="sample"):
        res = run_sample(run_nf, frames[n], n_frames, tag=tag, timeout_s=timeout_s, profile=True, cutoff=cutoff)
        for i in layers:
            events[i].append(res.events[i])
            synops[i].append(res.synops[i])
        for i in keeps:
            keeps[i].append(res.keep[i])
        outputs.append(res.output)
    stack = lambda parts, dtype: np.stack(parts) if parts else np.zeros((0, n_frames), dtype=dtype)  # noqa: E731
    counts = build_counts(nf, {i: stack(v, np.int64) for i, v in events.items()},
                          {i: stack(v, np.int64) for i, v in synops.items()},
                          {i: stack(v, bool) for i, v in keeps.items()}, n_frames, fanout_maps(nf))
    n_out = int(np.prod(nf.layers[-1].shape))
    return counts, np.stack(outputs) if outputs else np.zeros((0, n_out, n_frames), dtype=np.int64)
