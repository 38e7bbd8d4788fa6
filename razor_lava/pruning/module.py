"""``EventPruner``: the Razor event pruner as a torch module (a SLAYER block part).

Training (``module.train()``): ``soft`` returns ``m_t * X_t`` (the paper);
``ste`` returns ``keep_t * X_t`` forward with the gradient of ``m_t``
backward (straight-through, no train/infer gap).
Inference (``module.eval()``): ``keep_t * X_t`` with ``keep`` from the
integer decision (``decide.decide_batch`` on the frames' integer payloads),
the very code the Lava gate runs.

``method`` other than "razor" puts a trivial rule (``baselines.py``: events,
uniform, random) in the pruner's place, in training too: a fixed hard decision
the network learns around. ``freeze`` keeps Razor's embeddings and weighting at
their random initialisation (drawn from ``seed``): the "frozen" baseline.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from . import functional as Fp
from .baselines import baseline
from .decide import decide_batch
from .params import (EMBED_BITS, LOGIT_BITS, METHODS, TRAIN_MODES, PrunerParams, check_method_options,
                     resolve_method_rule)


class EventPruner(nn.Module):
    """Razor event pruner at the input of a block.

    channels: C of the input; spatial: (H, W) for conv inputs
    ``N x C x H x W x T``, None for dense inputs ``N x C x T``.
    n_embeddings: K global temporal embeddings (paper: 4). K = 0 means no
    global embeddings: one learned vector scores each frame on its own.
    kernel: temporal kernel of the embedding-weighting conv (odd).
    pool: (h, w) grid of the frame descriptor (D = C*h*w); must divide (H, W).
    theta: keep frames whose score exceeds theta (0 < theta < 1), or
    ratio: prune this fraction of each sample's frames (window variant only);
    neither given: theta 0.5. Checked by ``params.resolve_rule``.
    train_mode: "soft" or "ste"; variant: "window" or "causal".
    input_scale: integer payload of a unit input on Lava (1 spikes/counts,
    ``razor_lava.fixed_point.GRADED_SCALE`` graded).
    method: "razor", or a baseline rule: "events" (keep frames with more than
    ``events_k`` events; theta and ratio unused), "uniform" / "random" (prune
    a ratio of frame positions; random draws them from ``seed``).
    seed: the random initialisation of embeddings and weighting (0: the shipped configs').
    freeze: leave the embeddings and weighting untrained (the mask offset trains).
    infer_ratio: the ratio the integer decision (eval mode, export) prunes at, if
    not ``ratio`` (which training keeps using).
    """

    def __init__(self, channels: int, spatial: tuple[int, int] | None = None, n_embeddings: int = 4,
                 kernel: int = 3, pool: tuple[int, int] = (1, 1), theta: float | None = None,
                 ratio: float | None = None, train_mode: str = "soft", variant: str = "window",
                 input_scale: int = 1, method: str = "razor", events_k: int | None = None, seed: int = 0,
                 freeze: bool = False, infer_ratio: float | None = None):
        super().__init__()
        if train_mode not in TRAIN_MODES:
            raise ConfigError("pruner.train_mode", f"expected one of {TRAIN_MODES}, got {train_mode!r}")
        if method not in METHODS:
            raise ConfigError("pruner.method", f"expected one of {METHODS}, got {method!r}")
        if method == "razor" and theta is None and ratio is None:
            theta = 0.5
        theta, ratio = resolve_method_rule(method, theta, ratio, variant)
        check_method_options(method, ratio, events_k, infer_ratio, variant)
        if kernel < 1 or kernel % 2 == 0:
            raise ConfigError("pruner.kernel", f"expected an odd temporal kernel >= 1, got {kernel}")
        if n_embeddings < 0:
            raise ConfigError("pruner.n_embeddings", f"expected K >= 0, got {n_embeddings}")
        if spatial is not None:
            h, w = spatial
            if h % pool[0] or w % pool[1]:
                raise ConfigError("pruner.pool", f"grid {tuple(pool)} must divide the input's H x W = {h} x {w}")
            self.area = (h // pool[0]) * (w // pool[1])
        else:
            pool = (1, 1)
            self.area = 1
        self.channels, self.spatial, self.pool = channels, spatial, tuple(pool)
        self.n_embeddings, self.kernel = n_embeddings, kernel
        self.theta, self.ratio = theta, ratio
        self.train_mode, self.variant, self.input_scale = train_mode, variant, int(input_scale)
        self.method, self.events_k, self.seed, self.freeze = method, events_k, int(seed), bool(freeze)
        self.infer_ratio = infer_ratio
        dim = channels * self.pool[0] * self.pool[1]
        k = max(n_embeddings, 1)
        gen = torch.Generator().manual_seed(self.seed)
        self.embeddings = nn.Parameter(torch.randn(k, dim, generator=gen))
        if n_embeddings > 0:
            bound = 1.0 / math.sqrt(dim * kernel)
            self.weight = nn.Parameter((torch.rand(k, dim, kernel, generator=gen) * 2 - 1) * bound)
            self.bias = nn.Parameter(torch.zeros(k))
        else:  # one embedding, softmax of one logit = 1: nothing to weight
            self.register_buffer("weight", torch.zeros(1, dim, kernel))
            self.register_buffer("bias", torch.zeros(1))
        # Offset of the mask logit: starts the mask near 0.88 so soft training
        # does not halve the block's input at the first step.
        self.mask_offset = nn.Parameter(torch.tensor(2.0))
        if freeze or method != "razor":  # nothing of Razor's scoring learns
            for p in (self.embeddings, self.weight, self.bias):
                p.requires_grad_(False)
        self._n_frames: int | None = None  # T of the latest input (a schedule depends on it)
        self.last_keep: torch.Tensor | None = None
        self.last_mask: torch.Tensor | None = None
        self.last_events: torch.Tensor | None = None
        self.last_cost: torch.Tensor | None = None

    @property
    def dim(self) -> int:
        return self.embeddings.shape[1]

    def mask(self, x: torch.Tensor) -> torch.Tensor:
        """Float Events-of-Interest mask ``N x T`` in (0, 1)."""
        f = Fp.frame_descriptors(x, self.pool)
        logits = Fp.embedding_logits(f, self.weight, self.bias, causal=self.variant == "causal")
        return Fp.eoi_mask(f, self.embeddings, logits, self.mask_offset)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._n_frames = int(x.shape[-1])
        if self.training and self.method == "razor":  # a baseline decides the same way in training
            m = self.mask(x)
            self.last_mask = m.detach()
            # The soft fraction of this input's events the mask lets through (the synop-aware term of
            # the loss, train.synops_weight): its gradient lowers the mask of busy frames.
            ev = events_per_frame(x).to(m.dtype)
            self.last_cost = (m * ev).sum(dim=1) / ev.sum(dim=1).clamp(min=1)
            if self.train_mode == "soft":
                self.last_keep = None
                return x * Fp.broadcast_time(m, x)
            s = Fp.frame_scores(x, m)
            keep = Fp.keep_ratio(s, self.ratio) if self.ratio is not None else Fp.keep_threshold(s, self.theta)
            self.last_keep = keep.detach()
            gate = keep.to(x.dtype) + (m - m.detach())  # forward: hard keep; backward: d/dm
            return x * Fp.broadcast_time(gate, x)
        keep = self.decide(x)
        self.last_keep = keep
        # Events (non-zero entries) per frame at this pruner's input, for "events removed".
        self.last_events = events_per_frame(x).cpu()
        return x * Fp.broadcast_time(keep.to(device=x.device, dtype=x.dtype), x)

    def decide(self, x: torch.Tensor) -> torch.Tensor:
        """Integer keep decision ``N x T`` (bool, on the CPU), as the Lava gate makes it.

        ``x`` (float, a unit input = 1) becomes the integer payloads the gate
        receives, ``round(x * input_scale)``, and goes through ``decide.decide_batch``.
        """
        p = self.quantized()
        return torch.from_numpy(decide_batch(payloads(x, p.input_scale), p))

    def use_quantized(self, params: PrunerParams) -> None:
        """Decide with these integer parameters (e.g. read from a network file) from now on."""
        self._fixed = params

    def quantized(self) -> PrunerParams:
        """Integer parameters for inference (``decide``, on both sides)."""
        if getattr(self, "_fixed", None) is not None:
            return self._fixed
        if self.method != "razor":
            if self._n_frames is None:
                raise RuntimeError(f"the {self.method} pruner knows its window only after a forward pass")
            return baseline(self.method, self.dim, self._n_frames, k=self.events_k, ratio=self.ratio,
                            seed=self.seed, pool=self.pool, input_scale=self.input_scale, area=self.area,
                            variant=self.variant)
        return self._razor_params()

    def _razor_params(self) -> PrunerParams:
        to_int = lambda t, bits: np.round(t.detach().cpu().double().numpy() * 2.0**bits).astype(np.int64)
        theta_int = None
        if self.theta is not None:
            den = self.area * self.input_scale
            logit = math.log(self.theta / (1 - self.theta)) - float(self.mask_offset)
            theta_int = int(round(logit * math.sqrt(self.dim) * den * 2.0**EMBED_BITS))
        return PrunerParams(
            weight=to_int(self.weight, LOGIT_BITS), bias=to_int(self.bias, LOGIT_BITS),
            embeddings=to_int(self.embeddings, EMBED_BITS), theta=self.theta, theta_int=theta_int,
            ratio=self.ratio if self.infer_ratio is None else self.infer_ratio, variant=self.variant,
            pool=self.pool, input_scale=self.input_scale, area=self.area,
        )

    def extra_repr(self) -> str:
        rule = f"ratio={self.ratio}" if self.ratio is not None else f"theta={self.theta}"
        if self.method == "events":
            rule = f"events_k={self.events_k}"
        return (f"method={self.method}, C={self.channels}, spatial={self.spatial}, K={self.n_embeddings}, "
                f"kernel={self.kernel}, "
                f"pool={self.pool}, {rule}, train_mode={self.train_mode}, variant={self.variant}")


def events_per_frame(x: torch.Tensor) -> torch.Tensor:
    """Non-zero entries of each frame of ``x`` (``N x ... x T``): ``N x T``."""
    return (x != 0).flatten(1, -2).sum(dim=1)


def payloads(x: torch.Tensor, input_scale: int) -> np.ndarray:
    """SLAYER frames (float, a unit input = 1) as the gate's integer payloads: ``round(x * input_scale)``, int64."""
    return torch.round(x.detach().to("cpu", torch.float64) * input_scale).to(torch.int64).numpy()


def frozen_pruner(like: PrunerParams, channels: int, spatial, n_embeddings: int, kernel: int, seed: int
                  ) -> PrunerParams:
    """``like``'s pruner (same shape, ratio and units) with random embeddings and weighting drawn from ``seed``.

    Ratio pruners only: a threshold is a score learned with the embeddings and means nothing without them.
    """
    if like.ratio is None:
        raise ValueError("frozen_pruner replaces ratio pruners only (a threshold belongs to trained embeddings)")
    return EventPruner(channels, spatial, n_embeddings=n_embeddings, kernel=kernel, pool=like.pool,
                       ratio=like.ratio, variant=like.variant, input_scale=like.input_scale,
                       seed=seed).quantized()
