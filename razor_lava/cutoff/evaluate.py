"""Metrics of the cutoff on a set of outputs (SLAYER side, integer payloads)."""

from __future__ import annotations

import numpy as np

from ..metrics import accuracy, exit_summary, predict
from .rule import exit_decisions


def cutoff_metrics(out, labels, beta) -> dict:
    """Accuracy and speed of the cutoff.

    ``out``: ``N x K x T`` integer payloads; ``labels``: ``N``; ``beta``: ``T``.
    Returns ``accuracy`` (answers at the exit step), ``accuracy_full`` (the
    answer at ``T - 1``, no cutoff), ``mean_exit_step`` (0-based timestep
    index), ``exit_histogram`` (``T`` counts of samples per exit step),
    ``timestep_reduction`` (``T / mean(exit_step + 1)``: how many times fewer
    output timesteps are needed; 1.0 = no saving) and ``samples`` (``razor_lava.metrics``;
    defined on no samples).
    """
    labels = np.asarray(labels, dtype=np.int64)
    exit_step, answer = exit_decisions(out, beta)
    T = np.asarray(out).shape[-1]
    return {"accuracy": accuracy(answer, labels), "accuracy_full": accuracy(predict(np.asarray(out)), labels),
            **exit_summary(exit_step, T),
            "exit_histogram": np.bincount(exit_step, minlength=T).astype(int).tolist(), "samples": len(labels)}
