"""The exit rule, calibration on a hand-computed case, the fallback, and the metrics."""

import logging

import numpy as np
import pytest

from razor_lava.cutoff import accumulate, calibrate, cutoff_metrics, exit_decisions, gap, integer_thresholds
from razor_lava.cutoff.rule import NEVER, correct_from, step


def case():
    """Integer outputs N x 2 x 3 whose cumulative sums are worked out in the comments."""
    out = np.array([
        [[3, 1, 1], [0, 0, 0]],  # s0 label 0: Y0 3,4,5  Y1 0,0,0  gap 3,4,5  right from t=0
        [[2, 0, 2], [0, 1, 0]],  # s1 label 0: Y0 2,2,4  Y1 0,1,1  gap 2,1,3  right from t=0
        [[1, 0, 0], [0, 2, 2]],  # s2 label 1: Y0 1,1,1  Y1 0,2,4  gap 1,1,3  right from t=1
        [[0, 1, 1], [0, 0, 0]],  # s3 label 0: tie at t=0 (gap 0, argmax 0) gap 0,1,2 right from t=0
        [[5, 0, 0], [0, 3, 3]],  # s4 label 1: Y0 5,5,5  Y1 0,3,6  gap 5,2,1  right from t=2
    ], dtype=np.int64)
    return out, np.array([0, 0, 1, 0, 1])


def test_accumulate_gap_and_correct_from():
    out, labels = case()
    Y = accumulate(out)
    np.testing.assert_array_equal(Y[2], [[1, 1, 1], [0, 2, 4]])
    np.testing.assert_array_equal(gap(Y), [[3, 4, 5], [2, 1, 3], [1, 1, 3], [0, 1, 2], [5, 2, 1]])
    np.testing.assert_array_equal(gap(np.array([[[2], [2], [1]]])), [[0]])  # tie for the top: 0
    np.testing.assert_array_equal(correct_from(Y, labels)[[2, 4]], [[False, True, True], [False, False, True]])
    with pytest.raises(ValueError, match="integer"):
        accumulate(out.astype(float))


def test_calibration_matches_the_hand_computed_thresholds():
    out, labels = case()
    # Without s4, epsilon 0: at t=0 beta=0 lets s2 (gap 1, wrong at t=0) exit; beta=1 leaves s0, s1: all right.
    # At t=1 and t=2 every sample is right from there on, so beta=0 (exit unless tied).
    c = calibrate(out[:4], labels[:4], epsilon=0.0)
    np.testing.assert_array_equal(c["beta"], [1, 0, 0])
    assert c["fallback_steps"].tolist() == [] and c["warning"] == ""
    np.testing.assert_allclose(c["coverage"], [0.5, 1.0, 1.0])
    np.testing.assert_allclose(c["precision"], [1.0, 1.0, 1.0])


def test_fallback_when_no_threshold_reaches_one_minus_epsilon(caplog):
    out, labels = case()
    # s4 has the largest gap at t=0 and is wrong there: every beta < 5 lets it exit, beta=5 lets nobody
    # exit -> never exit at t=0. At t=1 only beta=2 (s0 alone exits) is clean.
    with caplog.at_level(logging.WARNING):
        c = calibrate(out, labels, epsilon=0.0)
    assert c["beta"][0] == np.inf and c["beta"][1:].tolist() == [2, 0]
    assert c["fallback_steps"].tolist() == [0]
    assert "timesteps [0]" in c["warning"] and "timesteps [0]" in caplog.text
    assert c["coverage"][0] == 0 and np.isnan(c["precision"][0])


def test_epsilon_boundary_is_inclusive():
    out, labels = case()
    # t=0, beta=0: s0, s1, s2, s4 exit, 2 wrong. 2 <= 0.5 * 4 passes; 0.25 does not (and nothing else does).
    assert calibrate(out, labels, epsilon=0.5)["beta"][0] == 0
    assert calibrate(out, labels, epsilon=0.25)["beta"][0] == np.inf
    with pytest.raises(ValueError):
        calibrate(out, labels, epsilon=1.0)


def test_exit_rule_first_step_above_beta_else_last():
    out, labels = case()
    steps, answer = exit_decisions(out[:4], np.array([1.0, 0.0, 0.0]))
    # s0, s1 gap > 1 at t=0; s2 (gap 1) and s3 (gap 0) wait until t=1, where s2's answer has become 1.
    np.testing.assert_array_equal(steps, [0, 0, 1, 1])
    np.testing.assert_array_equal(answer, [0, 0, 1, 0])
    steps, answer = exit_decisions(out, np.full(3, np.inf))
    np.testing.assert_array_equal(steps, [2] * 5)
    np.testing.assert_array_equal(answer, accumulate(out)[:, :, -1].argmax(1))
    # gap == beta does not exit (strict); float beta decides like its floor.
    steps, _ = exit_decisions(out[:1], np.array([3.0, 4.0, 4.5]))
    assert steps.tolist() == [2]


def test_ties_answer_the_lower_class():
    out = np.zeros((1, 3, 2), dtype=np.int64)
    out[0, 1, 0] = out[0, 2, 0] = 1  # classes 1 and 2 tied at t=0
    steps, answer = exit_decisions(out, np.array([-np.inf, np.inf]))
    assert steps.tolist() == [0] and answer.tolist() == [1]
    np.testing.assert_array_equal(integer_thresholds([np.inf, 2.7, -np.inf, -3.0]), [NEVER, 2, -1, -1])


def test_one_step_at_a_time_decides_as_exit_decisions():
    """``rule.step`` (what the Lava Cutoff runs each frame) gives exit_decisions's exit and answer, on outputs
    with ties for the top place, all-zero samples, negative payloads and never/always-exit thresholds."""
    rng = np.random.default_rng(0)
    n, k, t = 200, 4, 9
    out = rng.integers(-1, 3, (n, k, t)) * rng.integers(1, 3, (n, 1, 1))
    out[:10] = 0
    out[10:20, 1] = out[10:20, 2]  # classes 1 and 2 always equal
    beta = np.array([np.inf, 3.5, 2.0, 6.0, 4.0, 1.2, np.inf, 0.0, np.inf])
    steps, answer = exit_decisions(out, beta)
    b = integer_thresholds(beta)
    for i in range(n):
        acc = np.zeros(k, dtype=np.int64)
        for tt in range(t):
            acc += out[i, :, tt]
            exit_now, ans = step(acc, b, tt)
            if exit_now:
                break
        assert (tt, ans) == (steps[i], answer[i]), f"sample {i}"
    assert 0 < (steps < t - 1).sum() < n, "the case needs early exits and samples that never exit"
    assert step(np.array([2, 5, 5, 1]), b, 0) == (False, 1)  # a tie for the top: gap 0, the lower class
    assert step(np.array([2, 5, 5, 1]), b, t - 1) == (True, 1)  # the last frame always exits


def test_metrics():
    out, labels = case()
    m = cutoff_metrics(out[:4], labels[:4], np.array([1.0, 0.0, 0.0]))
    assert m["accuracy"] == 1.0 and m["accuracy_full"] == 1.0
    assert m["exit_histogram"] == [2, 2, 0] and m["mean_exit_step"] == 0.5
    assert m["timestep_reduction"] == pytest.approx(3 / 1.5)
    m = cutoff_metrics(out, labels, np.array([-np.inf] * 3))  # exit at once: s2, s4 answered wrongly
    assert m["accuracy"] == pytest.approx(3 / 5) and m["timestep_reduction"] == 3.0


def test_calibrated_beta_keeps_precision_on_its_own_data():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 300)
    out = rng.integers(0, 2, (300, 4, 12))
    out[np.arange(300), labels] += rng.integers(0, 2, (300, 12))  # the label's output fires more
    c = calibrate(out, labels, epsilon=0.1)
    ok = ~np.isinf(c["beta"])
    assert ok.any() and np.all(c["precision"][ok] >= 0.9)
    assert cutoff_metrics(out, labels, c["beta"])["timestep_reduction"] > 1
