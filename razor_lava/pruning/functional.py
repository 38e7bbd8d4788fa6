"""The Razor pruner's float maths (training), as plain torch functions.

Shapes: frames ``N x C x H x W x T`` (conv inputs) or ``N x C x T`` (dense
inputs); descriptors ``N x D x T``; masks and scores ``N x T``. Paper:
arXiv 2306.17597, section 3.2; docs/design.md 2.3.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .params import n_pruned


def frame_descriptors(x: torch.Tensor, pool: tuple[int, int] = (1, 1)) -> torch.Tensor:
    """Average of each frame over space on a ``pool`` grid: ``N x D x T``, ``D = C*h*w``."""
    if x.dim() == 3:
        return x
    n, c, h, w, t = x.shape
    ph, pw = pool
    blocks = x.reshape(n, c, ph, h // ph, pw, w // pw, t).mean(dim=(3, 5))
    return blocks.reshape(n, c * ph * pw, t)


def embedding_logits(f: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, causal: bool) -> torch.Tensor:
    """Weighting-module logits from descriptors ``N x D x T``.

    A conv over time (``K x D x kernel`` weights) averaged over the frames
    seen: all ``T`` in window mode (``N x K``), frames ``0..t`` in causal mode
    (``N x K x T``).
    """
    ker = weight.shape[-1]
    pad = (ker - 1, 0) if causal else (ker // 2, ker // 2)
    conv = F.conv1d(F.pad(f, pad), weight)  # N x K x T, bias added after the average
    if causal:
        t = torch.arange(1, conv.shape[-1] + 1, device=f.device, dtype=f.dtype)
        return conv.cumsum(dim=-1) / t + bias[:, None]
    return conv.mean(dim=-1) + bias


def eoi_mask(f: torch.Tensor, embeddings: torch.Tensor, logits: torch.Tensor, offset=0.0) -> torch.Tensor:
    """Events-of-Interest mask ``m_t = sigmoid(sum_k w_k <E_k, f_t> / sqrt(D) + offset)``: ``N x T``.

    ``w = softmax(logits)`` over the K embeddings (``N x K`` or ``N x K x T``).
    ``offset`` is a learned scalar (see ``EventPruner.mask_offset``).
    """
    w = torch.softmax(logits, dim=1)
    g = torch.einsum("kd,ndt->nkt", embeddings, f)
    if w.dim() == 2:
        w = w[:, :, None]
    return torch.sigmoid((w * g).sum(dim=1) / math.sqrt(f.shape[1]) + offset)


def frame_scores(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``s_t = max over C, H, W of (m_t * X_t)`` (AdaptiveMaxPool3d to one value per frame): ``N x T``."""
    peak = x.flatten(1, -2).amax(dim=1)
    return mask * peak


def keep_threshold(scores: torch.Tensor, theta: float) -> torch.Tensor:
    """Hard keep decision ``s_t > theta``: ``N x T`` bool."""
    return scores > theta


def keep_ratio(scores: torch.Tensor, ratio: float) -> torch.Tensor:
    """Prune the ``round(ratio*T)`` lowest-score frames of each sample (earlier frame first on ties)."""
    n, t = scores.shape
    order = torch.sort(scores, dim=1, stable=True).indices
    keep = torch.ones_like(scores, dtype=torch.bool)
    k = n_pruned(ratio, t)
    if k:
        keep.scatter_(1, order[:, :k], False)
    return keep


def broadcast_time(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Reshape an ``N x T`` per-frame value to multiply ``x`` (``N x ... x T``)."""
    return v.reshape(v.shape[0], *([1] * (x.dim() - 2)), v.shape[1])
