"""What ``bench/frontier.py`` measures, as data: one ``DatasetFrontier`` per data set (its aggregated points,
E1, the best points, the Lava check, and when and how it was measured) in a ``FrontierResult``.

A call measures the data sets it is given; ``FrontierResult.keeping`` carries the other sections over from the
report already written, each with its own ``Measured`` (date, command), so one data set can be re-measured
without retraining the other's runs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import RazorLavaError
from .meta import Measured
from .report import result_from_json


class FrontierReportError(RazorLavaError):
    """A frontier report that cannot be read back (not JSON, or not a frontier's)."""


def _public(p: dict | None) -> dict | None:
    """A point without the per-seed rows it was aggregated from (keys starting with ``_``)."""
    return None if p is None else {k: v for k, v in p.items() if not k.startswith("_")}


@dataclass
class DatasetFrontier:
    """One data set's frontier. Points are the dicts of ``frontier_points.aggregate`` (method, run, settings,
    cutoff, seeds, accuracy and its std, accuracy_e1, synops, synops_reduction, val numbers, frames_pruned,
    timesteps, synops_per_layer, per_seed)."""

    points: list[dict]
    e1: dict  # accuracy, synops, seeds of E1 without the cutoff
    train_samples: int
    val_samples: int
    test_samples: int
    measured: Measured
    best: dict | None = None  # chosen on validation, cutoff allowed
    best_without_cutoff: dict | None = None
    lava: dict | None = None  # the Lava check of ``best``

    def to_json(self) -> dict:
        return {"points": [_public(p) for p in self.points], "e1": self.e1, "train_samples": self.train_samples,
                "val_samples": self.val_samples, "test_samples": self.test_samples,
                "best": _public(self.best), "best_without_cutoff": _public(self.best_without_cutoff),
                "lava": self.lava, "measured": asdict(self.measured)}


@dataclass
class FrontierResult:
    datasets: dict[str, DatasetFrontier] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"datasets": {name: ds.to_json() for name, ds in self.datasets.items()}}

    @classmethod
    def load(cls, path) -> "FrontierResult":
        """The result in a frontier's JSON (``--out`` with ``.json``)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
            report_meta = data.get("meta") or {}
            # A report of one call has one record for all its sections.
            return cls({name: result_from_json(DatasetFrontier, ds | {"measured": ds.get("measured") or report_meta})
                        for name, ds in data["datasets"].items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise FrontierReportError(f"{path}: not a frontier report ({type(e).__name__}: {e}); expected the JSON "
                                      "bench/frontier.py writes beside its markdown") from e

    def keeping(self, earlier: "FrontierResult") -> "FrontierResult":
        """This result, with the sections of ``earlier`` it did not measure, in ``earlier``'s order."""
        order = list(earlier.datasets) + [name for name in self.datasets if name not in earlier.datasets]
        return FrontierResult({name: self.datasets.get(name) or earlier.datasets[name] for name in order})
