"""Batched torch mirror of ``decide.py``: the SLAYER-side inference decision.

Same integer operations in the same order as the numpy reference, on int64
tensors (on the CPU: int64 matmul is not available on every device). Tests
hold the two equal frame for frame.
"""

from __future__ import annotations

import torch

from .params import PrunerParams, n_pruned

INT64_MIN = torch.iinfo(torch.int64).min


def descriptors(x: torch.Tensor, pool: tuple[int, int]) -> torch.Tensor:
    """``N x D x T`` int64 block sums of integer frames ``N x C x H x W x T`` (or ``N x C x T``)."""
    if x.dim() == 3:
        return x
    n, c, h, w, t = x.shape
    ph, pw = pool
    return x.reshape(n, c, ph, h // ph, pw, w // pw, t).sum(dim=(3, 5)).reshape(n, c * ph * pw, t)


def scores(x: torch.Tensor, p: PrunerParams):
    """``num`` (N x T), ``den_e`` (N x T) and ``nonempty`` (N x T) for integer frames ``x``."""
    weight = torch.from_numpy(p.weight)
    bias = torch.from_numpy(p.bias)
    emb = torch.from_numpy(p.embeddings)
    lut = torch.from_numpy(p.lut)
    f = descriptors(x, p.pool)
    n, d, t = f.shape
    k, _, ker = weight.shape
    causal = p.variant == "causal"
    left = ker - 1 if causal else ker // 2
    fpad = torch.zeros((n, d, t + ker - 1), dtype=torch.int64)
    fpad[:, :, left : left + t] = f
    conv = torch.zeros((n, k, t), dtype=torch.int64)
    for j in range(ker):
        conv += torch.matmul(weight[:, :, j], fpad[:, :, j : j + t])
    den = p.area * p.input_scale
    if causal:
        counts = torch.arange(1, t + 1, dtype=torch.int64) * den
        logits = torch.div(conv.cumsum(dim=2), counts, rounding_mode="floor") + bias[:, None]
    else:
        logits = (torch.div(conv.sum(dim=2), t * den, rounding_mode="floor") + bias)[:, :, None].expand(n, k, t)
    idx = torch.clamp(logits.amax(dim=1, keepdim=True) - logits, max=len(lut) - 1)
    e = lut[idx]
    g = torch.matmul(emb, f)
    num = (e * g).sum(dim=1)
    nonempty = (x.reshape(n, -1, t) != 0).any(dim=1)
    return num, e.sum(dim=1), nonempty


def decide(x: torch.Tensor, p: PrunerParams) -> torch.Tensor:
    """Keep mask ``N x T`` (bool) for SLAYER frames ``x`` (float, unit payload = 1).

    Frames are turned into the integer payloads the Lava gate receives:
    ``round(x * input_scale)``.
    """
    x = torch.round(x.detach().to("cpu", torch.float64) * p.input_scale).to(torch.int64)
    num, den_e, nonempty = scores(x, p)
    if p.ratio is None:
        return nonempty & (num > p.theta_int * den_e)
    key = torch.where(nonempty, num, torch.full_like(num, INT64_MIN))
    order = torch.sort(key, dim=1, stable=True).indices
    keep = torch.ones_like(key, dtype=torch.bool)
    k = n_pruned(p.ratio, key.shape[1])
    if k:
        keep.scatter_(1, order[:, :k], False)
    return keep
