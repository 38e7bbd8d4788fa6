"""The trivial rules a user could write instead of Razor, as integer pruners.

Each baseline is a ``PrunerParams``: ``decide.py`` runs it as it runs a trained pruner, so the same
gate makes the decision on both sides (the torch pruner in SLAYER, the Lava ``FrameGate``), it is
written to and read from a network file like a trained pruner, and the synop counters see it the same
way. That is what makes the comparison fair: same position, same integer machinery, same counters.

- ``events``: keep a frame whose input holds more than ``k`` events (the sum of its payloads: events
  for spikes and count frames; ``k = 0`` drops only empty frames). One embedding of ones and no
  weighting make the score ``lut[0] * sum(frame)``; the integer threshold is ``k``.
- ``uniform``: temporal subsampling, prune ``round(ratio * T)`` evenly spaced frames (ratio 0.5 keeps
  frames 0, 2, 4, ...). A ``frame_bias`` of +1 (keep) / -1 (prune), zero embeddings, threshold 0.
- ``random``: prune ``round(ratio * T)`` frame positions drawn once from ``seed``; the same positions
  for every sample (a per-sample draw would need a random source in the gate).
- ``frozen`` (``module.frozen_pruner``): the Razor pruner itself with its embeddings and weighting left at a
  seeded random initialisation, i.e. without what learning gives it.

Empty frames are pruned by every rule (``decide.py``): pruning one changes nothing downstream.
"""

from __future__ import annotations

import numpy as np

from .params import METHODS, PrunerParams, n_pruned
SCHEDULES = ("uniform", "random")


def events_gate(dim: int, k: int, *, pool=(1, 1), input_scale: int = 1, area: int = 1,
                variant: str = "window") -> PrunerParams:
    """Keep a frame iff the sum of its payloads exceeds ``k`` (an integer >= 0)."""
    if int(k) != k or k < 0:
        raise ValueError(f"an event-count threshold is an integer >= 0, got {k!r}")
    return PrunerParams(weight=np.zeros((1, dim, 1), np.int64), bias=np.zeros(1, np.int64),
                        embeddings=np.ones((1, dim), np.int64), theta=None, theta_int=int(k), ratio=None,
                        variant=variant, pool=tuple(pool), input_scale=int(input_scale), area=int(area))


def uniform_positions(ratio: float, n_frames: int) -> np.ndarray:
    """The ``round(ratio * T)`` frames uniform subsampling prunes: the centres of ``k`` equal slices."""
    k = n_pruned(ratio, n_frames)
    return np.unique(np.floor((np.arange(k) + 0.5) * n_frames / max(k, 1)).astype(np.int64)) if k else \
        np.zeros(0, np.int64)


def random_positions(ratio: float, n_frames: int, seed: int) -> np.ndarray:
    """``round(ratio * T)`` distinct frame positions drawn from ``seed``, sorted."""
    k = n_pruned(ratio, n_frames)
    return np.sort(np.random.default_rng(seed).choice(n_frames, size=k, replace=False)).astype(np.int64)


def schedule_gate(dim: int, pruned, n_frames: int, *, pool=(1, 1), input_scale: int = 1, area: int = 1,
                  variant: str = "window") -> PrunerParams:
    """Prune the frame positions ``pruned`` of every sample (a schedule: no look at the content)."""
    bias = np.ones(n_frames, np.int64)
    bias[np.asarray(pruned, dtype=np.int64)] = -1
    return PrunerParams(weight=np.zeros((1, dim, 1), np.int64), bias=np.zeros(1, np.int64),
                        embeddings=np.zeros((1, dim), np.int64), theta=None, theta_int=0, ratio=None,
                        variant=variant, pool=tuple(pool), input_scale=int(input_scale), area=int(area),
                        frame_bias=bias)


def baseline(method: str, dim: int, n_frames: int | None = None, *, k: int | None = None, ratio: float | None = None,
             seed: int = 0, pool=(1, 1), input_scale: int = 1, area: int = 1, variant: str = "window"
             ) -> PrunerParams:
    """The baseline ``method`` for an input of descriptor size ``dim`` and a window of ``n_frames``.

    events: needs ``k``; uniform / random: need ``ratio`` and ``n_frames`` (random also ``seed``).
    """
    fields = dict(pool=pool, input_scale=input_scale, area=area, variant=variant)
    if method == "events":
        if k is None:
            raise ValueError("the events baseline needs its threshold k")
        return events_gate(dim, k, **fields)
    if method in SCHEDULES:
        if ratio is None or n_frames is None:
            raise ValueError(f"the {method} baseline needs a ratio and the window's n_frames")
        pruned = uniform_positions(ratio, n_frames) if method == "uniform" else random_positions(ratio, n_frames, seed)
        return schedule_gate(dim, pruned, n_frames, **fields)
    raise ValueError(f"unknown baseline {method!r}: expected one of {METHODS[1:]}")


def baseline_like(method: str, like: PrunerParams, n_frames: int | None = None, **rule) -> PrunerParams:
    """``baseline`` in the place of the pruner ``like``: its descriptor size, pool, units and variant."""
    return baseline(method, like.dim, n_frames, pool=like.pool, input_scale=like.input_scale, area=like.area,
                    variant=rule.pop("variant", like.variant), **rule)


def fraction_pruned(sums: np.ndarray, k: int) -> float:
    """Mean fraction of frames an ``events`` gate with threshold ``k`` prunes, from payload sums ``N x T``."""
    return float((np.asarray(sums) <= k).mean())


def tune_events_k(sums: np.ndarray, target: float) -> int:
    """The threshold ``k`` whose pruned fraction on ``sums`` (payload sums per frame, ``N x T``, of the
    calibration split) is closest to ``target``; ties to the smaller ``k``.

    The candidates are the values seen: the pruned fraction changes only there.
    """
    s = np.sort(np.asarray(sums, dtype=np.int64).reshape(-1))
    if s.size == 0:
        raise ValueError("tune_events_k: no frames to calibrate on")
    values = np.unique(s)
    fractions = np.searchsorted(s, values, side="right") / s.size  # pruned fraction at k = value
    best = int(np.argmin(np.abs(fractions - target)))
    return int(values[best])
