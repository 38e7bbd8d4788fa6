"""Post-training optimisation of any network file: a Top-K cutoff and event-count gates, fitted on a
calibration split carved from the training split (``train/optimise.py`` is its command).

Nothing here trains: the network's weights stay as they are. What changes is when it stops (the cutoff,
docs/design.md 2.4) and which frames reach which layer (training-free ``events`` gates, ``pruning/baselines.py``).
Every number comes from the SLAYER fixed-point reference with the synop counters (``profile``), which Lava's
counters equal sample for sample; ``deploy/deploy.py OPT.h5 --cutoff --synops`` checks the written file on Lava.

**The calibration split** (``calibration_indices``): ``n`` recordings of the training split, stratified by
class (``data.split.stratified_split``, the carve of the validation split, drawn from ``seed``). The test
split is never looked at here.

**The cutoff.** ``calibrate`` (``cutoff/calibrate.py``) sets each ``beta_t`` from the calibration samples at
``t`` alone: the largest gap of a sample that is not yet right for good. With a few hundred samples and
hundreds of frames that is a noisy maximum, and a new sample finds the one frame whose threshold came out
low: on the NIR paper's N-MNIST CNN, epsilon 0 on 300 recordings keeps every calibration answer but loses
4 pt on the test split. ``widen`` pools the neighbouring frames: ``beta_t`` becomes the largest threshold of
frames ``t - w .. t + w`` (the samples that were wrong near ``t`` bound the exit at ``t`` too). Because the
calibration split's own accuracy cannot see that overfit (the table was fitted on it), ``--max-loss`` judges
each ``(epsilon, window)`` **out of fold** (``crossfit``): calibrated on 4/5 of the calibration split,
applied to the remaining fifth, five times; the table written is then calibrated on the whole split.

**What the cutoff keeps** (``target``): the labels (the paper's rule, exit where the answer is right for
good) or the file's own answers over its full window (exit where the answer is already the final one).
Against the answers, the loss ``--max-loss`` bounds is the share of answers changed, an upper bound on the
accuracy lost, and the few samples the network misses no longer set the thresholds: on the NIR paper's CNN
(800 calibration recordings, 3 draws) it kept the test accuracy on every draw at 2.69x fewer synops where the
labels lost 1.3 pt at 3.06x (``bench/OPTIMISE_NIR_CNN.md``).

**The gates** (``optimise``): at each candidate position (the input of each weighted layer without a
gate, or the positions given), in layer order, an ``events`` gate (keep a frame with more than ``k``
events; causal, so it adds no latency and the cutoff stops every layer at the exit frame) with ``k`` taken
from the gate input's own distribution on the calibration split (the ``k`` that prunes ``FRACTIONS`` of the
frames that carry events; ``k = 0`` drops only empty frames, which is free and saves nothing). A gate stays where, with the
best cutoff re-chosen behind it, it spends fewer synops at no more than the allowed loss.

``calibration``: the calibration split and the cutoff fitted on it; ``search``: the gates and ``optimise``.
"""

from .calibration import (EPSILON_GRID, FOLDS, MIN_CALIBRATION, WINDOW_GRID, CutoffChoice, best_within,
                          calibration_indices, crossfit, cutoff_options, cutoff_table, folds_of, widen)
from .search import FRACTIONS, TARGETS, Pass, Plan, candidate_positions, counted_pass, events_gate_at, measure, optimise

__all__ = ["EPSILON_GRID", "FOLDS", "FRACTIONS", "MIN_CALIBRATION", "TARGETS", "WINDOW_GRID", "CutoffChoice", "Pass", "Plan",
           "best_within", "calibration_indices", "candidate_positions", "counted_pass", "crossfit",
           "cutoff_options", "cutoff_table", "events_gate_at", "folds_of", "measure", "optimise", "widen"]
