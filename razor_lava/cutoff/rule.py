"""The Top-K cutoff exit rule on integer outputs.

All functions take the network output as Lava integer payloads
(``razor_lava.fixed_point.as_payloads``): ``out`` is ``N x K x T`` int64 with
``N`` samples, ``K`` classes, ``T`` timesteps; a binary spike is 1, a graded
(LIAF) spike is its integer payload (``GRADED_SCALE`` per SLAYER unit).
Everything is integer arithmetic except the comparison with ``beta``, which is
done against ``integer_thresholds(beta)`` so a Lava process holding those
integers makes the identical decision.

Conventions:
- ``gap`` is ``top1 - top2`` of the accumulated output; a tie for the top
  place gives 0.
- Exit at ``t`` iff ``gap[t] > beta[t]`` (strict) or ``t = T - 1``
  (``exits``). ``beta[t] = +inf`` means never exit at ``t`` before the end.
- The answer is ``argmax Y[:, :, exit]``, ties to the lower class index
  (``razor_lava.metrics.answer``; ``metrics.predict`` is it on the whole window).

This module is the rule's one home: ``exit_decisions`` applies it to whole
outputs at once, ``step`` to one accumulated vector at one frame, as the Lava
``Cutoff`` process (``razor_lava.procs.cutoff``) runs it; both go through
``gap``, ``exits`` and ``answer``.
"""

from __future__ import annotations

import numpy as np

from ..metrics import answer

# Stands for beta = +inf in integer form: no int64 gap can exceed it.
NEVER = np.iinfo(np.int64).max


def _check_out(out) -> np.ndarray:
    out = np.asarray(out)
    if out.ndim != 3:
        raise ValueError(f"expected outputs N x classes x T, got shape {out.shape}")
    if out.shape[1] < 2:
        raise ValueError(f"the cutoff needs at least 2 classes, got {out.shape[1]}")
    if not np.issubdtype(out.dtype, np.integer):
        raise ValueError(f"expected integer payloads (as_payloads), got dtype {out.dtype}")
    return out.astype(np.int64, copy=False)


def accumulate(out) -> np.ndarray:
    """Cumulative output ``Y`` (``N x K x T`` int64): ``Y[..., t] = sum_{tau <= t} out[..., tau]``."""
    return np.cumsum(_check_out(out), axis=-1, dtype=np.int64)


def gap(Y, axis: int = 1) -> np.ndarray:
    """``top1 - top2`` of ``Y`` over the classes (``axis``), int64, >= 0 (0 on a tie).

    ``N x K x T`` -> ``N x T`` (the default axis 1); one accumulated vector ``K``
    with ``axis=0`` -> a 0-d array.
    """
    Y = np.asarray(Y, dtype=np.int64)
    top2 = np.partition(Y, -2, axis=axis)  # the last two along axis: the two largest, in order
    return np.take(top2, -1, axis=axis) - np.take(top2, -2, axis=axis)


def exits(g, beta_int, t):
    """The exit test at frame ``t``: ``g > beta_int[t]`` (strict), or ``t`` is the last frame ``T - 1``.

    ``g``: gaps at ``t`` (any shape broadcasting with ``t``); ``beta_int``: the
    ``(T,)`` integer thresholds (``integer_thresholds``); ``t``: a frame index
    or an array of them. Elementwise; a bool (array).
    """
    beta_int = np.asarray(beta_int, dtype=np.int64)
    t = np.asarray(t)
    return (np.asarray(g) > beta_int[t]) | (t == len(beta_int) - 1)


def step(acc, beta_int, t: int) -> tuple[bool, int]:
    """The rule at frame ``t`` for one sample: ``(exit now, answer)``.

    ``acc``: the accumulated output ``Y(t)`` (``K`` int64); ``beta_int``: the
    ``(T,)`` integer thresholds. What the Lava ``Cutoff`` runs each step; the
    first ``t`` where it says exit is ``exit_decisions``'s exit step.
    """
    return bool(exits(gap(acc, axis=0), beta_int, t)), int(answer(acc, axis=0))


def integer_thresholds(beta) -> np.ndarray:
    """``beta`` (``T`` float64, +inf = never) as int64 thresholds with the same decisions.

    For an integer gap ``g`` and a finite ``b``, ``g > b`` iff ``g > floor(b)``;
    ``+inf`` becomes ``NEVER``. ``-inf`` / negative values mean "exit whenever"
    and become -1 (gaps are never negative).
    """
    beta = np.asarray(beta, dtype=np.float64)
    if beta.ndim != 1 or np.isnan(beta).any():
        raise ValueError(f"beta must be a (T,) array without NaN, got shape {beta.shape}")
    out = np.full(beta.shape, NEVER, dtype=np.int64)
    finite = np.isfinite(beta)
    out[finite] = np.maximum(np.floor(beta[finite]), -1).astype(np.int64)
    out[beta == -np.inf] = -1
    return out


def exit_decisions(out, beta) -> tuple[np.ndarray, np.ndarray]:
    """Exit step and answer of every sample.

    ``out``: ``N x K x T`` integer payloads; ``beta``: ``T`` thresholds (in
    payload units of the accumulated output; +inf = never exit at ``t``).
    Returns ``exit_step`` (``N`` int64, the first ``t`` with
    ``gap[t] > beta[t]``, else ``T - 1``) and ``answer`` (``N`` int64,
    ``argmax Y[:, :, exit_step]`` with ties to the lower class).
    """
    Y = accumulate(out)
    n, _, T = Y.shape
    b = integer_thresholds(beta)
    if b.shape != (T,):
        raise ValueError(f"beta has {b.shape[0]} timesteps, the outputs have {T}")
    fire = exits(gap(Y), b, np.arange(T))  # N x T; always True at T - 1
    exit_step = fire.argmax(axis=1).astype(np.int64)  # the first exit
    return exit_step, answer(Y[np.arange(n), :, exit_step], axis=1).astype(np.int64)


def correct_from(Y, labels) -> np.ndarray:
    """``N x T`` bool: ``argmax Y(tau) == label`` for every ``tau >= t`` (ties to the lower class)."""
    right = np.asarray(Y).argmax(axis=1) == np.asarray(labels)[:, None]  # N x T
    # A reversed cumulative AND: still right at t and at every later step.
    return np.flip(np.logical_and.accumulate(np.flip(right, axis=1), axis=1), axis=1)
