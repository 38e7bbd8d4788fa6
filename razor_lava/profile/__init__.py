"""Profiling: synaptic operations (synops), pruned frames and energy estimates.

Counting is attached from outside the model (it never changes what the
network computes) and is exact: a synop is one (input event, synapse) pair
delivered, with the true fan-out of every input (docs/design.md 2.5).

- ``counts``: ``SynopCounts``, the per-layer, per-sample, per-frame tallies.
- ``slayer_counter.count_slayer`` / ``lava_counter.count_lava``: count them on
  SLAYER's fixed-point forward (fast, batched) or on the Lava simulator.
- ``energy``: named, cited per-operation energies (pJ) and ``estimate`` (uJ).
- ``report``: ``profile_network`` (one call from a notebook),
  ``profile_report`` and ``write_report`` (report.json, per_layer.csv,
  per_frame.csv).
- ``plots``: ``plot_report`` and the three pictures it draws.

Names are imported lazily, so ``import razor_lava.profile`` stays cheap
(no torch or Lava until a counter is used).
"""

from __future__ import annotations

from ..lazy import lazy_exports

_EXPORTS = {
    "SynopCounts": ".counts",
    "count_slayer": ".slayer_counter",
    "count_lava": ".lava_counter",
    "CONSTANTS": ".energy",
    "EnergyConstant": ".energy",
    "PROFILES": ".energy",
    "estimate": ".energy",
    "profile_network": ".report",
    "profile_report": ".report",
    "write_report": ".report",
    "plot_report": ".plots",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
