"""SLAYER-side evaluation: accuracy, frames pruned per pruner, events removed."""

from __future__ import annotations

import numpy as np
import torch

from ..metrics import predict
from ..model.network import RazorNet
from ..progress import progress


def _progress(loader, enabled: bool, desc: str):
    return progress(loader, enabled, desc=desc, unit="batch", leave=False)


@torch.no_grad()
def evaluate(net: RazorNet, loader, device: str | torch.device = "cpu", progress: bool = False,
             keep_outputs: bool = False) -> dict:
    """Run ``net`` in inference mode (integer pruning decisions) over ``loader``.

    Returns ``accuracy``, ``samples``, per pruner (keyed by layer index)
    ``frames_pruned`` (fraction of frames the pruner zeroed) and
    ``events_removed`` (fraction of the events at its input that fell in
    pruned frames), ``frames_pruned_mean`` over pruners, and
    ``input_events_removed`` (fraction of input events removed before the
    first layer: non-zero only with a pruner at the encoder input, E2/E4).
    With ``keep_outputs`` also ``outputs`` (N x classes x T), ``labels`` and
    per pruner ``keep`` (N x T) arrays.
    """
    net.eval()
    correct = total = 0
    stats = {i: {"pruned": 0, "frames": 0, "removed": 0, "events": 0} for i, _ in net.pruner_items()}
    outputs, labels, keeps = [], [], {i: [] for i in stats}
    for x, y in _progress(loader, progress, "eval"):
        out = net(x.to(device))
        correct += int((predict(out).cpu() == y).sum())
        total += len(y)
        for i, pruner in net.pruner_items():
            keep, events = pruner.last_keep, pruner.last_events
            s = stats[i]
            s["pruned"] += int((~keep).sum())
            s["frames"] += keep.numel()
            s["removed"] += int((events * (~keep)).sum())
            s["events"] += int(events.sum())
            if keep_outputs:
                keeps[i].append(keep.numpy())
        if keep_outputs:
            outputs.append(out.cpu().numpy())
            labels.append(y.numpy())
    pruners = {
        str(i): {
            "frames_pruned": s["pruned"] / max(s["frames"], 1),
            "events_removed": s["removed"] / max(s["events"], 1),
        }
        for i, s in stats.items()
    }
    result = {
        "accuracy": correct / max(total, 1),
        "samples": total,
        "pruners": pruners,
        "frames_pruned_mean": float(np.mean([p["frames_pruned"] for p in pruners.values()])) if pruners else 0.0,
        # Layers before the encoder (a flatten) move events but do not change them.
        "input_events_removed": pruners.get(str(net.cfg.block_indices()[0]), {}).get("events_removed", 0.0),
    }
    if keep_outputs:
        result["outputs"] = np.concatenate(outputs) if outputs else np.zeros((0,))
        result["labels"] = np.concatenate(labels) if labels else np.zeros((0,), dtype=np.int64)
        result["keep"] = {str(i): np.concatenate(k) for i, k in keeps.items() if k}
    return result
