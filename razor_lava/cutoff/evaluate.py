"""Metrics of the cutoff on a set of outputs (SLAYER side, integer payloads)."""

from __future__ import annotations

import numpy as np

from .rule import accumulate, exit_decisions


def cutoff_metrics(out, labels, beta) -> dict:
    """Accuracy and speed of the cutoff.

    ``out``: ``N x K x T`` integer payloads; ``labels``: ``N``; ``beta``: ``T``.
    Returns ``accuracy`` (answers at the exit step), ``accuracy_full`` (the
    answer at ``T - 1``, no cutoff), ``mean_exit_step`` (0-based timestep
    index), ``exit_histogram`` (``T`` counts of samples per exit step),
    ``timestep_reduction`` (``T / mean(exit_step + 1)``: how many times fewer
    output timesteps are needed; 1.0 = no saving) and ``samples``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    exit_step, answer = exit_decisions(out, beta)
    T = np.asarray(out).shape[-1]
    full = accumulate(out)[:, :, -1].argmax(axis=1)
    n = len(labels)
    if n == 0:
        return {"accuracy": 0.0, "accuracy_full": 0.0, "mean_exit_step": float("nan"),
                "exit_histogram": [0] * T, "timestep_reduction": 1.0, "samples": 0}
    return {
        "accuracy": float((answer == labels).mean()),
        "accuracy_full": float((full == labels).mean()),
        "mean_exit_step": float(exit_step.mean()),
        "exit_histogram": np.bincount(exit_step, minlength=T).astype(int).tolist(),
        "timestep_reduction": float(T / (exit_step + 1).mean()),
        "samples": n,
    }
