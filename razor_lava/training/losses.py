"""The training loss: the task loss of the config's ``train.loss`` and the synop-aware term."""

from __future__ import annotations

import torch

from ..model._slayer import slayer


class RateCrossEntropy(torch.nn.Module):
    """Cross entropy of the accumulated output ``sum_t y(t)`` (N x classes x T)."""

    def forward(self, output: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(output.sum(dim=-1), label)


def make_loss(train_cfg: dict) -> torch.nn.Module:
    """``train.loss``: "rate_ce" (``RateCrossEntropy``) or "spike_rate" (lava-dl's SpikeRate)."""
    if train_cfg["loss"] == "spike_rate":
        return slayer.loss.SpikeRate(true_rate=train_cfg["true_rate"], false_rate=train_cfg["false_rate"],
                                     reduction="sum")
    return RateCrossEntropy()


def synops_cost(net) -> torch.Tensor | None:
    """Mean over the Razor pruners of the soft fraction of input events each let through in the last
    training forward (``EventPruner.last_cost``); None without such pruners."""
    costs = [p.last_cost.mean() for _, p in net.pruner_items() if p.method == "razor" and p.last_cost is not None]
    return torch.stack(costs).mean() if costs else None
