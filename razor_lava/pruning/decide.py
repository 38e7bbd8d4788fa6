"""The pruner's inference decision in integer arithmetic (numpy reference).

This is the function the Lava frame gate runs, and the one the torch pruner's
eval path (``torch_decide.py``) must equal frame for frame. Integer maths
makes that equality exact (float exp/sigmoid differ between libraries).

For one sample with integer frames ``X`` (``C x H x W x T`` or ``C x T``,
payload units: 1 per binary spike or event count, 64 per graded unit):

1. descriptor ``f_t``: per channel sums over the ``pool`` grid's blocks of
   ``X_t`` (``D x T``, ``D = C*h*w``); the float descriptor is
   ``f_t / den`` with ``den = area * input_scale``;
2. logits ``A_k``: the weighting conv over time (``same`` padding in window
   mode, left padding in causal mode), averaged over the frames seen so far
   (all ``T``, or ``0..t``), with floor division, plus the bias;
3. softmax weights ``e_k = lut[A_max - A_k]`` (``lut`` = exp table);
4. similarity ``num_t = sum_k e_k * <E_k, f_t>``; the float mask is
   ``sigmoid(num_t / sum_k e_k / (2**EMBED_BITS * den * sqrt(D)))``;
5. keep: threshold mode ``nonempty_t and num_t > theta_int * sum_k e_k``
   (``sigmoid(z) > theta`` iff ``z > logit(theta)``); ratio mode prunes the
   ``round(rho*T)`` frames of lowest score (empty frames score lowest, ties:
   the earlier frame is pruned first).
"""

from __future__ import annotations

import numpy as np

from .params import PrunerParams, n_pruned

INT64_MIN = np.iinfo(np.int64).min


def descriptors(frames: np.ndarray, pool: tuple[int, int] = (1, 1)) -> np.ndarray:
    """Integer frame descriptors ``D x T`` from frames ``C x H x W x T`` or ``C x T``."""
    x = np.asarray(frames, dtype=np.int64)
    if x.ndim == 2:
        return x
    c, h, w, t = x.shape
    ph, pw = pool
    return x.reshape(c, ph, h // ph, pw, w // pw, t).sum(axis=(2, 4)).reshape(c * ph * pw, t)


def _conv_over_time(f: np.ndarray, weight: np.ndarray, causal: bool) -> np.ndarray:
    """``K x T`` integer conv of ``D x T`` descriptors with ``K x D x kernel`` weights."""
    k, d, ker = weight.shape
    t = f.shape[1]
    left = ker - 1 if causal else ker // 2
    fpad = np.zeros((d, t + ker - 1), dtype=np.int64)
    fpad[:, left : left + t] = f
    out = np.zeros((k, t), dtype=np.int64)
    for j in range(ker):  # one tap at a time: the same order as the torch mirror
        out += weight[:, :, j] @ fpad[:, j : j + t]
    return out


def _softmax_weights(logits: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Integer softmax numerators along axis 0 (``K`` or ``K x T``)."""
    idx = np.minimum(logits.max(axis=0, keepdims=True) - logits, len(lut) - 1)
    return lut[idx]


def scores(frames: np.ndarray, p: PrunerParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer similarity ``num`` (T), softmax normaliser ``den_e`` (T) and ``nonempty`` (T, bool)."""
    f = descriptors(frames, p.pool)
    t = f.shape[1]
    den = p.area * p.input_scale
    conv = _conv_over_time(f, p.weight, causal=p.variant == "causal")
    if p.variant == "causal":
        counts = np.arange(1, t + 1, dtype=np.int64) * den
        logits = np.cumsum(conv, axis=1) // counts + p.bias[:, None]  # K x T
    else:
        logits = np.broadcast_to((conv.sum(axis=1) // (t * den) + p.bias)[:, None], conv.shape)
    e = _softmax_weights(logits, p.lut)  # K x T
    g = p.embeddings @ f  # K x T
    num = (e * g).sum(axis=0)
    nonempty = np.asarray(frames).reshape(-1, t).any(axis=0)
    return num, e.sum(axis=0), nonempty


def decide(frames: np.ndarray, p: PrunerParams) -> np.ndarray:
    """Keep (True) or prune (False) each of the ``T`` frames of one sample."""
    num, den_e, nonempty = scores(frames, p)
    if p.ratio is None:
        return nonempty & (num > p.theta_int * den_e)
    key = np.where(nonempty, num, INT64_MIN)
    order = np.argsort(key, kind="stable")
    keep = np.ones(len(key), dtype=bool)
    keep[order[: n_pruned(p.ratio, len(key))]] = False
    return keep


def decide_batch(frames: np.ndarray, p: PrunerParams) -> np.ndarray:
    """``decide`` for each sample of ``N x ...`` frames: ``N x T`` bool."""
    return np.stack([decide(x, p) for x in frames])
