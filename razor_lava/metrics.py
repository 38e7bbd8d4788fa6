"""Evaluation metrics, defined once: the class rule, accuracy, what a Top-K cutoff saves, and a number's
spread over seeds.

Every stage that scores outputs uses these: training (``training.evaluate``, torch tensors), the SLAYER
reference and Lava (``deployment.evaluate``, integer payloads), the cutoff (``cutoff.evaluate``), the profiler
and the optimiser. Outputs are ``N x classes x T`` (numpy or torch alike: only ``sum`` and ``argmax`` are
used).

On an empty set (no samples) every metric is defined: ``accuracy`` 0.0 beside ``samples`` 0,
``mean_exit_step`` 0.0 and ``timestep_reduction`` 1.0 (nothing measured, so nothing saved).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np


def answer(Y, axis: int = 1):
    """The class answered from accumulated outputs ``Y``: ``argmax`` over the classes (``axis``), ties to the
    lower class index. The cutoff answers so at its exit (``cutoff.rule``), the Lava process too."""
    return Y.argmax(axis)  # numpy or torch alike


def predict(output):
    """The class of each sample: the largest accumulated output over the whole window (the rate code, lava-dl's
    classifier), ties to the lower class."""
    return answer(output.sum(-1), 1)


def accuracy(predictions, labels) -> float:
    """Fraction of ``predictions`` equal to ``labels`` (0.0 for none)."""
    p, y = np.asarray(predictions), np.asarray(labels)
    if p.shape != y.shape:
        raise ValueError(f"{p.shape[0] if p.ndim else p.size} predictions for {y.size} labels")
    return float((p == y).mean()) if y.size else 0.0


def exit_summary(exit_step, n_frames: int) -> dict:
    """What a cutoff's exits save: ``mean_exit_step`` (0-based frame of the exit) and ``timestep_reduction``
    (``T / mean(exit_step + 1)``: how many times fewer output frames are needed; 1.0 = no saving)."""
    e = np.asarray(exit_step, dtype=np.float64)
    if e.size == 0:
        return {"mean_exit_step": 0.0, "timestep_reduction": 1.0}
    return {"mean_exit_step": float(e.mean()), "timestep_reduction": float(n_frames / (e + 1).mean())}


@dataclass(frozen=True)
class Spread:
    """A number over seeds (or calibration draws): its mean and *sample* standard deviation (n - 1: the
    spread a fourth seed would show; 0.0 for one value). ``Spread.of`` leaves out None (a run without the
    quantity); with no values both are NaN and ``n`` is 0."""

    mean: float
    std: float
    n: int

    @classmethod
    def of(cls, values) -> "Spread":
        v = [float(x) for x in values if x is not None]
        if not v:
            return cls(math.nan, math.nan, 0)
        return cls(statistics.fmean(v), statistics.stdev(v) if len(v) > 1 else 0.0, len(v))
