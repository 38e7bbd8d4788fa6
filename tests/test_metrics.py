"""The evaluation metrics' one home (razor_lava.metrics): the class rule on numpy and torch alike, and every
metric defined on an empty set, the same way wherever it is reported."""

import numpy as np
import torch

from razor_lava.cutoff.evaluate import cutoff_metrics
from razor_lava.deployment.evaluate import _cutoff_report
from razor_lava.metrics import accuracy, exit_summary, predict


def test_the_class_rule_is_the_largest_accumulated_output_ties_to_the_lower_class():
    out = np.zeros((3, 4, 5), dtype=np.int64)
    out[0, 2, :2] = 1          # class 2 by 2 spikes
    out[1, [1, 3], 0] = 1      # a tie between 1 and 3: the lower
    out[2, 0, 4] = 1
    out[2, 3, [0, 1]] = 1      # class 3
    assert predict(out).tolist() == [2, 1, 3]
    assert predict(torch.as_tensor(out)).tolist() == [2, 1, 3]  # the same rule on training's tensors


def test_every_metric_is_defined_on_no_samples():
    assert accuracy([], []) == 0.0
    assert exit_summary([], 30) == {"mean_exit_step": 0.0, "timestep_reduction": 1.0}
    empty = cutoff_metrics(np.zeros((0, 4, 30), dtype=np.int64), np.zeros(0, dtype=np.int64), np.full(30, 1.0))
    lava = _cutoff_report([], np.zeros(0, dtype=np.int64), 30)
    for key in ("mean_exit_step", "timestep_reduction"):
        assert empty[key] == lava[key] == exit_summary([], 30)[key], key
    assert empty["accuracy"] == lava["cutoff_accuracy"] == 0.0 and empty["samples"] == 0


def test_exit_summary_and_accuracy():
    assert exit_summary([0, 9], 10) == {"mean_exit_step": 4.5, "timestep_reduction": 10 / 5.5}
    assert accuracy([1, 2, 3], [1, 0, 3]) == 2 / 3


def test_a_spread_over_seeds_is_the_mean_and_the_sample_std_and_shows_as_mean_pm_std():
    import math
    import statistics

    from razor_lava.formatting import ratio, spread
    from razor_lava.metrics import Spread

    s = Spread.of([0.95, None, 0.97, 0.93])  # a run without the number is left out
    assert (s.mean, s.n) == (statistics.fmean([0.95, 0.97, 0.93]), 3)
    assert s.std == statistics.stdev([0.95, 0.97, 0.93]) > np.std([0.95, 0.97, 0.93])  # n - 1, not n
    assert Spread.of([0.5]) == Spread(0.5, 0.0, 1)
    empty = Spread.of([None])
    assert empty.n == 0 and math.isnan(empty.mean) and math.isnan(empty.std)
    assert spread(s) == "95.0% +- 2.0%" and spread(Spread(2.69, 0.05, 3), ratio) == "2.69x +- 0.05x"
    assert spread(empty) == "n/a +- n/a"
