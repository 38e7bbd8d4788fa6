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
- Exit at ``t`` iff ``gap[t] > beta[t]`` (strict). ``beta[t] = +inf`` means
  never exit at ``t``. A sample that never exits ends at ``T - 1``.
- The answer is ``argmax Y[:, :, exit]``, ties to the lower class index
  (``np.argmax``; the same as ``training.evaluate.predict``).
"""

from __future__ import annotations

import numpy as np

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


def gap(Y) -> np.ndarray:
    """``top1 - top2`` of ``Y`` over classes: ``N x T`` int64, >= 0 (0 on a tie)."""
    Y = np.asarray(Y, dtype=np.int64)
    top2 = np.partition(Y, -2, axis=1)[:, -2:, :]  # the two largest, in order
    return top2[:, 1, :] - top2[:, 0, :]


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
    fire = gap(Y) > b[None, :]  # N x T
    exit_step = np.where(fire.any(axis=1), fire.argmax(axis=1), T - 1).astype(np.int64)
    answer = Y[np.arange(n), :, exit_step].argmax(axis=1).astype(np.int64)
    return exit_step, answer


def correct_from(Y, labels) -> np.ndarray:
    """``N x T`` bool: ``argmax Y(tau) == label`` for every ``tau >= t`` (ties to the lower class)."""
    right = np.asarray(Y).argmax(axis=1) == np.asarray(labels)[:, None]  # N x T
    # A reversed cumulative AND: still right at t and at every later step.
    return np.flip(np.logical_and.accumulate(np.flip(right, axis=1), axis=1), axis=1)
