"""The calibration split and the Top-K cutoff fitted on it (``razor_lava.optimise``'s first half).

See the package's docstring for why the thresholds are widened and judged out of fold.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..cutoff.calibrate import calibrate
from ..cutoff.rule import exit_decisions
from ..errors import UsageError
from ..netfile import NetworkFile

EPSILON_GRID = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1)
WINDOW_GRID = (0, 2, 5, 10, 20, 40)  # frames each side (widen)
FOLDS = 5
MIN_CALIBRATION = 20  # samples: below that, a threshold per frame means nothing
_TOL = 1e-9

# ----------------------------------------------------------------------------------------------------------
# The calibration split


def calibration_indices(labels, n: int, seed: int = 0, where: str = "the training split") -> np.ndarray:
    """Sorted indices of about ``n`` samples of ``labels`` (the training split), stratified by class and drawn
    from ``seed`` (``stratified_split``: each class gives its share, rounded). All of them when ``n`` is the
    split's size. ``UsageError`` (``--calibration-samples``) below ``MIN_CALIBRATION`` or above the split."""
    from ..data.split import stratified_split

    labels = np.asarray(labels, dtype=np.int64)
    if n < MIN_CALIBRATION:
        raise UsageError("--calibration-samples", f"expected at least {MIN_CALIBRATION} calibration samples "
                         f"(a cutoff threshold per frame needs them), got {n}")
    if len(labels) < n:
        raise UsageError("--calibration-samples", f"{where} holds {len(labels)} samples, fewer than the {n} asked "
                         "for (the calibration split is carved from it; the test split is never used)")
    if n == len(labels):
        return np.arange(n, dtype=np.int64)
    _, idx = stratified_split(labels, n / len(labels), seed)
    return idx


# ----------------------------------------------------------------------------------------------------------
# Gates


# The cutoff


@contextmanager
def _quiet_calibration():
    """``calibrate`` warns about every frame it cannot set; a search calls it hundreds of times."""
    log = logging.getLogger("razor_lava.cutoff.calibrate")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def widen(beta, window: int) -> np.ndarray:
    """``beta_t`` -> the largest of ``beta_{t-w} .. beta_{t+w}`` (+inf stays +inf): frames near ``t`` whose
    samples were not yet right for good bound the exit at ``t`` too. ``window`` 0: ``beta`` unchanged."""
    beta = np.asarray(beta, dtype=np.float64)
    if window < 0:
        raise UsageError("--cutoff-window", f"expected a number of frames >= 0, got {window}")
    if window == 0:
        return beta.copy()
    t = len(beta)
    pad = np.concatenate([np.full(window, -np.inf), beta, np.full(window, -np.inf)])
    return np.lib.stride_tricks.sliding_window_view(pad, 2 * window + 1)[:t].max(axis=1)


def cutoff_table(out, labels, epsilon: float, window: int = 0) -> dict:
    """``calibrate(out, labels, epsilon)`` with its thresholds ``widen``-ed by ``window`` frames; the table's
    ``coverage`` / ``precision`` are those of the widened thresholds on ``out``."""
    from ..cutoff.rule import accumulate, correct_from, gap, integer_thresholds

    with _quiet_calibration():
        table = calibrate(out, labels, epsilon)
    beta = widen(table["beta"], window)
    Y = accumulate(out)
    g, good = gap(Y), correct_from(Y, np.asarray(labels))
    exits = g > integer_thresholds(beta)[None, :]
    coverage = exits.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(exits.any(axis=0), (exits & good).sum(axis=0) / np.maximum(exits.sum(axis=0), 1), np.nan)
    fallback = np.flatnonzero(np.isinf(beta)).astype(np.int64)
    return dict(table, beta=beta, window=int(window), coverage=coverage, precision=precision,
                fallback_steps=fallback)


def folds_of(labels, folds: int = FOLDS, seed: int = 0) -> np.ndarray:
    """Fold number of each sample: each class dealt round-robin over the folds in a seeded order."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(labels), dtype=np.int64)
    start = 0
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        fold[members] = (np.arange(len(members)) + start) % folds
        start += len(members)
    return fold


def crossfit(out, labels, epsilon: float, window: int, fold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold exit steps and answers: each fold's samples run under the table calibrated on the others."""
    out, labels = np.asarray(out), np.asarray(labels)
    exit_step = np.zeros(len(labels), dtype=np.int64)
    answer = np.zeros(len(labels), dtype=np.int64)
    for f in np.unique(fold):
        held = fold == f
        beta = cutoff_table(out[~held], labels[~held], epsilon, window)["beta"]
        exit_step[held], answer[held] = exit_decisions(out[held], beta)
    return exit_step, answer


@dataclass
class CutoffChoice:
    """A cutoff setting and what it gives on the calibration split (out of fold; ``None`` epsilon: no cutoff)."""

    epsilon: float | None
    window: int
    accuracy: float
    synops: float
    timesteps: float

    def to_dict(self) -> dict:
        return {"epsilon": self.epsilon, "window": self.window, "accuracy": self.accuracy, "synops": self.synops,
                "timesteps": self.timesteps}


def cutoff_options(nf: NetworkFile, p, labels, fold, epsilons=EPSILON_GRID, windows=WINDOW_GRID
                   ) -> list[CutoffChoice]:
    """Every ``(epsilon, window)`` of the grids, judged out of fold on the counted pass ``p`` (``search.Pass``),
    plus "no cutoff"."""
    from ..profile.cutoff_spent import spent_counts
    from ..metrics import accuracy, predict

    labels = np.asarray(labels)
    n, t = len(labels), p.counts.n_frames
    rows = [CutoffChoice(None, 0, accuracy(predict(p.out), labels), p.counts.total() / n, float(t))]
    for eps in epsilons:
        for w in windows:
            exit_step, answer = crossfit(p.out, labels, eps, w, fold)
            spent = spent_counts(nf, p.counts, exit_step)
            rows.append(CutoffChoice(float(eps), int(w), float((answer == labels).mean()), spent.total() / n,
                                     float(np.mean(exit_step + 1))))
    return rows


def best_within(rows: list[CutoffChoice], floor: float) -> CutoffChoice | None:
    """The row with the fewest synops whose accuracy is at least ``floor`` (ties: the smaller epsilon)."""
    ok = [r for r in rows if r.accuracy >= floor - _TOL]
    return min(ok, key=lambda r: (r.synops, -1 if r.epsilon is None else r.epsilon)) if ok else None


def _pick(rows: list[CutoffChoice], floor: float, epsilon: float | None) -> CutoffChoice | None:
    """With a fixed epsilon: that row (if within the loss, else None); else the best row within the loss."""
    if epsilon is not None:
        fixed = [r for r in rows if r.epsilon is not None]
        return fixed[0] if fixed and fixed[0].accuracy >= floor - _TOL else None
    return best_within(rows, floor)


# ----------------------------------------------------------------------------------------------------------
# Measuring on the test split
