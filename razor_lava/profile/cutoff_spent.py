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

from ..cutoff.spent import frames_run, window_lag  # noqa: F401  (re-exported: their home is cutoff/spent.py)
from ..netfile import NetworkFile
from .counts import SynopCounts


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
