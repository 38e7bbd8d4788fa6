"""Synops a Top-K cutoff does not spend, counted the way the Lava run spends them.

When the cutoff answers a sample at output frame ``e``, the rest of that
sample never enters the network (on Lava the source, the gates and the synop
counters leave it out from the next step on; a run of one sample pauses
there). What each layer has processed of the sample by then depends on the
window gates in front of it: a window gate buffers all ``T`` frames before
it sends any, so a layer with ``w`` window gates before it lags the output by
``T * (W - w)`` steps (``W`` window gates in all). At the exit step a layer has
run SLAYER frames ``0 .. min(e + T * (W - w), T - 1)``: behind every window
gate that is ``0 .. e``; in front of the last one, usually all ``T`` frames,
because the answer comes only after the gate has replayed. Causal gates add
no lag, so with them every layer stops at ``e``.

``spent_counts`` applies this to SLAYER's counts; the Lava counters measure
it directly, and tests/profile/test_cutoff_spent.py checks both agree.
"""

from __future__ import annotations

import numpy as np

from ..netfile import NetworkFile
from .counts import SynopCounts


def window_lag(nf: NetworkFile) -> dict[int, int]:
    """Layer index of each weighted layer -> number of window gates *after* it (its lag behind the output, in T)."""
    window_at = [k for k, p in nf.pruners.items() if p.variant == "window"]  # a gate sits at its layer's input
    return {i: sum(1 for g in window_at if g > i) for i in nf.weighted_indices()}


def frames_run(nf: NetworkFile, exit_step, n_frames: int) -> dict[int, np.ndarray]:
    """Layer index -> ``N`` int64: how many frames the layer ran before the run stopped at ``exit_step`` (N)."""
    exit_step = np.asarray(exit_step, dtype=np.int64).reshape(-1)
    if exit_step.size and (exit_step.min() < 0 or exit_step.max() >= n_frames):
        raise ValueError(f"exit_step must lie in 0..{n_frames - 1}, got {exit_step.min()}..{exit_step.max()}")
    return {i: np.minimum(exit_step + n_frames * lag, n_frames - 1) + 1 for i, lag in window_lag(nf).items()}


def spent_counts(nf: NetworkFile, counts: SynopCounts, exit_step) -> SynopCounts:
    """``counts`` with every frame a layer did not run (after the cutoff stopped it) zeroed; ``frames_run`` set."""
    run = frames_run(nf, exit_step, counts.n_frames)
    t = np.arange(counts.n_frames)[None, :]
    mask = {i: t < run[i][:, None] for i in counts.layers}
    return SynopCounts(layers=list(counts.layers), names=list(counts.names),
                       events={i: np.where(mask[i], counts.events[i], 0) for i in counts.layers},
                       synops={i: np.where(mask[i], counts.synops[i], 0) for i in counts.layers},
                       neurons=dict(counts.neurons), dense_macs=dict(counts.dense_macs),
                       keep={g: k.copy() for g, k in counts.keep.items()}, n_frames=counts.n_frames,
                       frames_run=run)
