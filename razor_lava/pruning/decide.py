"""The pruner's inference decision in integer arithmetic: its one implementation.

Batched numpy (``N`` samples at once). Both sides of the deployment run it:
the torch pruner's eval path (``EventPruner.decide``, whole SLAYER batches,
after turning its frames into integer payloads ``round(x * input_scale)``)
and the Lava ``FrameGate`` (a batch of one: the frames it received). Integer
maths makes the two bit-identical and platform-independent (float
exp/sigmoid differ between libraries): every step is exact int64 arithmetic,
no float is involved.

For integer frames ``X`` (``N x C x H x W x T`` or ``N x C x T``, payload
units: 1 per binary spike or event count, ``GRADED_SCALE`` = 4096 per graded
unit, ``razor_lava.fixed_point``):

1. descriptor ``f_t``: per channel sums over the ``pool`` grid's blocks of
   ``X_t`` (``N x D x T``, ``D = C*h*w``); the float descriptor is
   ``f_t / den`` with ``den = area * input_scale``;
2. logits ``A_k``: the weighting conv over time (``same`` padding in window
   mode, left padding in causal mode), averaged over the frames seen so far
   (all ``T``, or ``0..t``), with floor division, plus the bias;
3. softmax weights ``e_k = lut[A_max - A_k]`` (``lut`` = exp table);
4. similarity ``num_t = sum_k e_k * <E_k, f_t>``; the float mask is
   ``sigmoid(num_t / sum_k e_k / (2**EMBED_BITS * den * sqrt(D)))``;
5. a ``frame_bias`` (a per-frame-index prior, schedules only) adds ``frame_bias_t * sum_k e_k``;
6. keep: threshold mode ``nonempty_t and num_t > theta_int * sum_k e_k``
   (``sigmoid(z) > theta`` iff ``z > logit(theta)``); ratio mode prunes the
   ``round(rho*T)`` frames of lowest score (empty frames score lowest, ties:
   the earlier frame is pruned first).

Causality: in the causal variant the conv is left-padded and the logits are
running means, so everything frame ``t`` is decided from (descriptor, conv
taps, logit, softmax weights, similarity, emptiness) depends on frames
``0..t`` only: ``decide(X[..., :t+1])[-1] == decide(X)[t]``. That is what lets
the causal gate decide each frame as it arrives.
"""

from __future__ import annotations

import numpy as np

from .params import PrunerParams, n_pruned

INT64_MIN = np.iinfo(np.int64).min


def descriptors_batch(frames: np.ndarray, pool: tuple[int, int] = (1, 1)) -> np.ndarray:
    """Integer frame descriptors ``N x D x T`` from frames ``N x C x H x W x T`` or ``N x C x T``."""
    x = np.asarray(frames, dtype=np.int64)
    if x.ndim == 3:
        return x
    n, c, h, w, t = x.shape
    ph, pw = pool
    return x.reshape(n, c, ph, h // ph, pw, w // pw, t).sum(axis=(3, 5)).reshape(n, c * ph * pw, t)


def descriptors(frames: np.ndarray, pool: tuple[int, int] = (1, 1)) -> np.ndarray:
    """``descriptors_batch`` of one sample: ``D x T`` from ``C x H x W x T`` or ``C x T``."""
    return descriptors_batch(np.asarray(frames)[None], pool)[0]


def _conv_over_time(f: np.ndarray, weight: np.ndarray, causal: bool) -> np.ndarray:
    """``N x K x T`` integer conv of ``N x D x T`` descriptors with ``K x D x kernel`` weights."""
    k, d, ker = weight.shape
    n, _, t = f.shape
    left = ker - 1 if causal else ker // 2  # causal: output t sees frames t-ker+1 .. t only
    fpad = np.zeros((n, d, t + ker - 1), dtype=np.int64)
    fpad[:, :, left : left + t] = f
    out = np.zeros((n, k, t), dtype=np.int64)
    for j in range(ker):  # (K x D) @ (N x D x T) -> N x K x T, exact int64
        out += np.matmul(weight[:, :, j], fpad[:, :, j : j + t])
    return out


def scores_batch(frames: np.ndarray, p: PrunerParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer similarity ``num``, softmax normaliser ``den_e`` (int64) and ``nonempty`` (bool), each ``N x T``."""
    x = np.asarray(frames)
    if not (np.issubdtype(x.dtype, np.integer) or x.dtype == bool):
        raise ValueError(f"expected integer payloads, got dtype {x.dtype}")
    f = descriptors_batch(x, p.pool)
    n, _, t = f.shape
    den = p.area * p.input_scale
    conv = _conv_over_time(f, p.weight, causal=p.variant == "causal")
    if p.variant == "causal":
        counts = np.arange(1, t + 1, dtype=np.int64) * den
        logits = np.cumsum(conv, axis=2) // counts + p.bias[:, None]  # N x K x T: running mean over 0..t
    else:
        logits = np.broadcast_to((conv.sum(axis=2) // (t * den) + p.bias)[:, :, None], conv.shape)
    # Integer softmax numerators: lut[A_max - A_k] (the exp table ends at 0).
    e = p.lut[np.minimum(logits.max(axis=1, keepdims=True) - logits, len(p.lut) - 1)]  # N x K x T
    g = np.matmul(p.embeddings, f)  # (K x D) @ (N x D x T) -> N x K x T
    num = (e * g).sum(axis=1)
    nonempty = x.reshape(n, -1, t).any(axis=1)
    den_e = e.sum(axis=1)
    if p.frame_bias is not None:
        if len(p.frame_bias) < t:
            raise ValueError(f"the pruner's frame_bias covers {len(p.frame_bias)} frames, the input has {t}")
        num = num + p.frame_bias[None, :t] * den_e  # a causal prefix 0..t uses the bias of 0..t
    return num, den_e, nonempty


def decide_batch(frames: np.ndarray, p: PrunerParams) -> np.ndarray:
    """Keep (True) or prune (False) each frame of ``N x ...`` integer frames: ``N x T`` bool."""
    num, den_e, nonempty = scores_batch(frames, p)
    if p.ratio is None:
        return nonempty & (num > p.theta_int * den_e)
    key = np.where(nonempty, num, INT64_MIN)
    keep = np.ones(key.shape, dtype=bool)
    k = n_pruned(p.ratio, key.shape[1])
    if k:
        order = np.argsort(key, axis=1, kind="stable")  # lowest first; ties: the earlier frame first
        np.put_along_axis(keep, order[:, :k], False, axis=1)
    return keep


def scores(frames: np.ndarray, p: PrunerParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``scores_batch`` of one sample (``C x H x W x T`` or ``C x T``): ``num``, ``den_e``, ``nonempty``, each ``T``."""
    num, den_e, nonempty = scores_batch(np.asarray(frames)[None], p)
    return num[0], den_e[0], nonempty[0]


def decide(frames: np.ndarray, p: PrunerParams) -> np.ndarray:
    """``decide_batch`` of one sample (``C x H x W x T`` or ``C x T``): ``T`` bool."""
    return decide_batch(np.asarray(frames)[None], p)[0]
