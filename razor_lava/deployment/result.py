"""What a Lava run of many samples returns (``StreamResult``), and how runs over sample ranges join (``merge``).

Its own module so that the runner and its worker processes (``workers.py``) both use it without importing
each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class StreamResult:
    """Samples run on Lava, whatever is measured.

    ``output``: integer payloads ``N x n_out x T`` (a conv output flattened in C, H, W order; 1 per binary
    spike, the payload per graded spike), aligned with SLAYER's output index. ``keep``: per gate (layer
    index) ``N x T`` int8 decisions (1 kept, 0 pruned, -1 not decided: the cutoff had answered);
    ``gate_counts``: per gate ``N x 4`` int64 (``procs.gate.process.COUNTERS``). ``taps``: per tap name,
    what its ``read`` returned. With the cutoff: ``exit_step`` (frame of the exit) and ``answer``, ``N``
    each, and ``decided_at`` (the Lava step of each decision). ``steps``: Lava steps run, ``period``:
    steps per sample, ``latency``: steps before the first output frame. ``seconds``: wall time, build to
    stop; ``seconds_run``: stepping only.
    """

    output: np.ndarray
    keep: dict = field(default_factory=dict)
    gate_counts: dict = field(default_factory=dict)
    taps: dict = field(default_factory=dict)
    exit_step: np.ndarray | None = None
    answer: np.ndarray | None = None
    decided_at: np.ndarray | None = None
    steps: int = 0
    period: int = 0
    latency: int = 0
    seconds: float = 0.0
    seconds_run: float = 0.0

    @property
    def n_samples(self) -> int:
        return int(len(self.output))


def merge(parts: list[StreamResult]) -> StreamResult:
    """One result of several runs over consecutive sample ranges (in order)."""
    if not parts:
        raise ValueError("nothing to merge")
    cat = lambda arrays: np.concatenate(arrays)  # noqa: E731
    first = parts[0]
    out = StreamResult(output=cat([p.output for p in parts]),
                       keep={k: cat([p.keep[k] for p in parts]) for k in first.keep},
                       gate_counts={k: cat([p.gate_counts[k] for p in parts]) for k in first.gate_counts},
                       taps=_merge_taps([p.taps for p in parts]),
                       steps=sum(p.steps for p in parts), period=first.period, latency=first.latency,
                       seconds=sum(p.seconds for p in parts), seconds_run=sum(p.seconds_run for p in parts))
    if first.exit_step is not None:
        out.exit_step = cat([p.exit_step for p in parts])
        out.answer = cat([p.answer for p in parts])
        out.decided_at = cat([p.decided_at for p in parts])
    return out


def _merge_taps(taps: list[dict]):
    """Concatenate tap results along the sample axis: dicts are merged key by key, arrays stacked."""
    first = taps[0]
    if isinstance(first, dict):
        return {k: _merge_taps([t[k] for t in taps]) for k in first}
    return np.concatenate(taps)
