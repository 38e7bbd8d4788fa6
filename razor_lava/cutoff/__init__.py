"""Top-K cutoff (Wu et al., arXiv 2301.09522; docs/design.md 2.4).

An SNN classifier may stop early once its accumulated output is decisive:
with ``Y(t) = sum_{tau <= t} y(tau)`` and the gap ``g(t) = top1 - top2`` of
``Y(t)``, inference exits at the first ``t`` with ``g(t) > beta_t`` and answers
``argmax Y(t)``. ``beta_t`` is calibrated per timestep on training outputs.

- ``rule``: the exit rule on integer payload outputs (bit-exact with Lava);
- ``calibrate``: per-timestep thresholds for a chosen epsilon, with fallback;
- ``evaluate``: accuracy, exit-step statistics and timestep reduction;
- ``rcs``: the RCS training regulariser (torch).
"""

from .calibrate import calibrate
from .evaluate import cutoff_metrics
from .rule import accumulate, exit_decisions, gap, integer_thresholds

__all__ = ["accumulate", "calibrate", "cutoff_metrics", "exit_decisions", "gap", "integer_thresholds"]
