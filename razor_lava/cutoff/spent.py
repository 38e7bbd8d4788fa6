"""Which frames each layer runs before the Top-K cutoff answers a sample.

When the cutoff answers at output frame ``e``, the rest of the sample never
enters the network. A layer with ``w`` window gates in front of it lags the
output by ``T * (W - w)`` steps (``W`` window gates in all; a window gate
buffers all ``T`` frames before it sends any), so by then it has run SLAYER
frames ``0 .. min(e + T * (W - w), T - 1)``: behind every window gate that is
``0 .. e``; in front of the last one, usually all ``T`` frames. Causal gates
add no lag. The gate at a layer's input decides exactly the frames its layer
runs. ``profile/cutoff_spent.py`` counts the synops of those frames; the Lava
runner's counters and gates stop there too.
"""

from __future__ import annotations

import numpy as np

from ..netfile import NetworkFile


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
