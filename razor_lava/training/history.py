"""A run's per-epoch metrics (the role of lava-dl's ``LearningStats``): one row per epoch, the lines the run
logs, ``metrics.json`` / ``metrics.csv`` and ``learning_curve.png``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ..atomic import atomic_path, write_text_atomic
from ..plots import save_png


class History:
    """The rows of the epochs so far (dicts: epoch, lr, train_loss, train_accuracy, val_accuracy, ...), as a
    checkpoint stores them (``rows``, a list of plain dicts)."""

    def __init__(self, rows: list[dict] | None = None):
        self.rows = list(rows or [])

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    def append(self, row: dict) -> None:
        self.rows.append(row)

    @property
    def last_epoch(self) -> int:
        return self.rows[-1]["epoch"]

    def row(self, epoch: int) -> dict:
        """The row of ``epoch`` (1-based)."""
        return self.rows[epoch - 1]

    def mean_seconds_train(self) -> float:
        """Mean training seconds per epoch (each row holds its own)."""
        return sum(h["seconds_train"] for h in self.rows) / len(self.rows)

    def save(self, out: Path, title: str) -> None:
        """``metrics.json``, ``metrics.csv`` and ``learning_curve.png`` in ``out``."""
        write_metrics(out, self.rows)
        plot_learning_curve(out, self.rows, title)

    @staticmethod
    def line(row: dict, pruners: bool) -> str:
        """The log line of an epoch's row (``pruners``: the network has some, so frames pruned is shown)."""
        return (f"epoch {row['epoch']:3d}  loss {row['train_loss']:8.4f}  train {100 * row['train_accuracy']:5.1f}%  "
                + (f"val {100 * row['val_accuracy']:5.1f}%  " if "val_accuracy" in row else "")
                + (f"frames pruned {100 * row['val_frames_pruned_mean']:5.1f}%  "
                   if pruners and "val_frames_pruned_mean" in row else "")
                + (f"rcs {row['rcs_reg']:.4g}  " if "rcs_reg" in row else "")
                + f"lr {row['lr']:.2g}  ({row['seconds_epoch']:.1f} s)")


def write_metrics(out: Path, history: list[dict]) -> None:
    """``metrics.json`` (the rows as they are) and ``metrics.csv`` (one column per metric, each pruner's flattened
    to ``pruner<k>_<metric>``), atomically."""
    write_text_atomic(out / "metrics.json", json.dumps(history, indent=2))
    flat = [{k: v for k, v in row.items() if not isinstance(v, dict)} |
            {f"pruner{i}_{k}": v for i, p in row.get("pruners", {}).items() for k, v in p.items()}
            for row in history]
    keys = sorted({k for row in flat for k in row}, key=lambda k: (k != "epoch", k))
    with atomic_path(out / "metrics.csv") as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(flat)


def plot_learning_curve(out: Path, history: list[dict], title: str) -> Path:
    """``learning_curve.png``: training loss, and training / validation accuracy and frames pruned per epoch."""
    from matplotlib.figure import Figure

    ep = [h["epoch"] for h in history]
    fig = Figure(figsize=(9, 3.4))
    a1, a2 = fig.subplots(1, 2)
    a1.plot(ep, [h["train_loss"] for h in history], marker="o")
    a1.set(xlabel="epoch", ylabel="training loss", title="loss")
    a2.plot(ep, [100 * h["train_accuracy"] for h in history], marker="o", label="train")
    if any("val_accuracy" in h for h in history):
        a2.plot(ep, [100 * h.get("val_accuracy", float("nan")) for h in history], marker="s",
                label="validation (inference, pruned)")
    if any(h.get("val_frames_pruned_mean") for h in history):  # a run with pruners
        a2.plot(ep, [100 * h.get("val_frames_pruned_mean", float("nan")) for h in history], ls="--",
                label="frames pruned (mean, validation)")
    a2.set(xlabel="epoch", ylabel="%", title="accuracy", ylim=(0, 100))
    a2.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return save_png(fig, out / "learning_curve.png")
