"""Calibration of the per-timestep cutoff thresholds ``beta_t``.

For every timestep ``t`` (docs/design.md 2.4): the smallest ``beta_t`` such that,
among the calibration samples that would exit at ``t`` (``gap(t) > beta_t``),
at least ``1 - epsilon`` are *correct from t onward* (``argmax Y(tau) ==
label`` for every ``tau >= t``, ties to the lower class).

Conventions (they matter for bit-exact deployment and for tests):
- Candidates for ``beta_t`` are 0 and the gap values observed at ``t``; the
  smallest candidate meeting the condition wins. So ``beta_t >= 0`` and a
  sample never exits on a tie for the top place (gap 0). The largest observed
  gap lets no sample exit and is never chosen.
- Each timestep is calibrated on its own, over *all* samples (not only those
  that did not exit earlier), as in the paper; ``beta_t`` is not forced to be
  monotonic in ``t``.
- "At least 1 - epsilon" is ``wrong <= epsilon * exiting`` with a 1e-9
  tolerance, so that e.g. epsilon = 0.05 with 20 exiting samples allows
  exactly 1 wrong despite floating-point rounding.
- Fallback: where no candidate qualifies (or no sample would exit at all),
  ``beta_t = +inf`` ("never exit at t"), ``t`` is listed in
  ``fallback_steps`` and a warning naming those steps is logged and returned.
"""

from __future__ import annotations

import logging

import numpy as np

from .rule import accumulate, correct_from, gap

log = logging.getLogger(__name__)
_TOL = 1e-9


def calibrate(out, labels, epsilon: float) -> dict:
    """Calibrate ``beta`` on integer payload outputs.

    ``out``: ``N x K x T`` integer payloads (``as_payloads``) of the
    calibration (training) samples; ``labels``: ``N`` ints; ``epsilon``: the
    tolerated error rate among exiting samples, in ``[0, 1)``.

    Returns a dict ready for ``export.write_cutoff``: ``beta`` (``T`` float64,
    +inf = never exit), ``epsilon``, ``n_samples``, ``fallback_steps`` (int64
    array of the timesteps that fell back to +inf), ``coverage`` (``T``:
    fraction of calibration samples with ``gap(t) > beta_t``), ``precision``
    (``T``: fraction of those correct from ``t`` on; NaN where none exit) and
    ``warning`` (a sentence naming the fallback steps, or "").
    """
    if not 0 <= float(epsilon) < 1:
        raise ValueError(f"epsilon must be in [0, 1), got {epsilon!r}")
    epsilon = float(epsilon)
    Y = accumulate(out)
    labels = np.asarray(labels, dtype=np.int64)
    if labels.shape != (Y.shape[0],):
        raise ValueError(f"expected {Y.shape[0]} labels, got shape {labels.shape}")
    T = Y.shape[-1]
    g = gap(Y)
    good = correct_from(Y, labels)
    beta = np.full(T, np.inf)
    coverage = np.zeros(T)
    precision = np.full(T, np.nan)
    for t in range(T):
        b = _threshold(g[:, t], good[:, t], epsilon)
        if b is None:
            continue
        beta[t] = b
        exits = g[:, t] > b
        coverage[t] = exits.mean()
        precision[t] = good[exits, t].mean()
    fallback = np.flatnonzero(np.isinf(beta)).astype(np.int64)
    warning = ""
    if len(fallback):
        warning = (f"cutoff calibration: no threshold reaches 1 - epsilon = {1 - epsilon:.4g} on "
                   f"{len(labels)} samples at timesteps {fallback.tolist()}; never exit there (beta = inf)")
        log.warning(warning)
    return {"beta": beta, "epsilon": epsilon, "n_samples": int(len(labels)), "fallback_steps": fallback,
            "coverage": coverage, "precision": precision, "warning": warning}


def _threshold(g: np.ndarray, good: np.ndarray, epsilon: float) -> float | None:
    """Smallest candidate ``b`` (0 or an observed gap) with ``wrong <= eps * exiting`` among ``g > b``."""
    for b in np.union1d([0], g):  # ascending
        exits = g > b
        n = int(exits.sum())
        if n == 0:
            return None  # larger candidates let even fewer samples exit
        wrong = n - int(good[exits].sum())
        if wrong <= epsilon * n + _TOL:
            return float(b)
    return None
