"""train/optimise.py and razor_lava.optimise: a cutoff and events gates fitted to a network file after training,
on a calibration split of the training split; the written file (gates added where it had none, cutoff table,
checksum) reads back as what was measured; bad input exits 2 with one line and writes nothing.

Small random networks (tests/netfiles.py) on the embedded synthetic data set, framed to fit them."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from razor_lava.cli import optimise as cli
from razor_lava.netfile import load_network_file, write_operating_point
from razor_lava.optimise import (MIN_CALIBRATION, calibration_indices, crossfit, cutoff_table, events_gate_at,
                                 folds_of, widen)
from razor_lava.profile.operating_point import count_split, summarise, with_gates

from netfiles import CONV, export_random

# the synthetic set's 32 x 32 sensor framed at 16 x 16, and its 10 classes
SMALL = dict(CONV, input=[2, 16, 16], layers=CONV["layers"][:-1] + [dict(CONV["layers"][-1], out=10)])
FRAMING = ["--dataset", "synthetic", "--window-ms", "25", "--n-frames", "12"]


@pytest.fixture(scope="module")
def net_file(tmp_path_factory):
    _, path = export_random(tmp_path_factory.mktemp("opt") / "net.h5", SMALL, {"positions": "E1"}, seed=3)
    return path


@pytest.fixture(scope="module")
def optimised(net_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("optout")
    code = cli.main([str(net_file), *FRAMING, "--out", str(out / "opt.h5"), "--report", str(out / "opt.json"),
                     "--max-loss", "5", "--gates", "events", "--calibration-samples", "40", "--test-samples", "20",
                     "--no-progress"])
    assert code == 0
    return out / "opt.h5", json.loads((out / "opt.json").read_text())


def test_widen_takes_the_largest_threshold_of_the_neighbouring_frames():
    beta = np.array([5.0, 1.0, np.inf, 0.0, 2.0, 0.0, 0.0])
    assert np.array_equal(widen(beta, 0), beta)
    assert np.array_equal(widen(beta, 1), [5, np.inf, np.inf, np.inf, 2, 2, 0])


def test_the_calibration_split_is_stratified_seeded_and_refuses_too_few_samples():
    labels = np.repeat(np.arange(10), 30)
    a, b = calibration_indices(labels, 100, 0), calibration_indices(labels, 100, 1)
    assert len(a) == 100 and np.bincount(labels[a]).tolist() == [10] * 10
    assert not np.array_equal(a, b) and np.array_equal(a, calibration_indices(labels, 100, 0))
    assert np.array_equal(calibration_indices(labels, 300), np.arange(300))
    from razor_lava.errors import UsageError
    with pytest.raises(UsageError, match="at least"):
        calibration_indices(labels, MIN_CALIBRATION - 1)
    with pytest.raises(UsageError, match="fewer than"):
        calibration_indices(labels, 301)


def test_out_of_fold_exits_use_tables_calibrated_without_the_sample():
    rng = np.random.default_rng(0)
    out = rng.integers(0, 2, size=(60, 4, 20))
    labels = out.sum(-1).argmax(-1)
    fold = folds_of(labels, 5)
    assert sorted(np.bincount(fold).tolist()) == [12] * 5
    from razor_lava.cutoff.rule import exit_decisions
    exit_step, answer = crossfit(out, labels, 0.1, 2, fold)
    held = fold == 0
    e0, a0 = exit_decisions(out[held], cutoff_table(out[~held], labels[~held], 0.1, 2)["beta"])
    assert np.array_equal(exit_step[held], e0) and np.array_equal(answer[held], a0)


def test_gates_can_be_added_where_the_file_had_none(net_file, tmp_path):
    nf = load_network_file(net_file)
    assert nf.pruners == {}
    gates = {1: events_gate_at(nf, 1, 3), 5: events_gate_at(nf, 5, 1)}
    with pytest.raises(ValueError, match="do not match"):
        with_gates(nf, gates)
    point = with_gates(nf, gates, add=True)
    assert point.pruner_in_shapes == {1: (2, 16, 16), 5: (nf.layers[5].in_shape[0],)}
    with pytest.raises(ValueError, match="gates at layers"):
        write_operating_point(net_file, tmp_path / "x.h5", gates, None)  # without add: as before
    path = write_operating_point(net_file, tmp_path / "x.h5", gates, None, add=True)
    back = load_network_file(path)
    assert sorted(back.pruners) == [1, 5] and back.pruners[1].theta_int == 3 and back.pruners[1].variant == "causal"
    frames = np.random.default_rng(0).integers(0, 2, size=(4, 2, 16, 16, 12)).astype(np.uint8)
    a, b = count_split(point, frames), count_split(back, frames)
    assert np.array_equal(a[1], b[1]) and a[0].total() == b[0].total()


def test_a_plain_netx_file_gets_a_razor_group_with_gates_cutoff_and_frame_spec(net_file, tmp_path):
    plain = tmp_path / "plain.h5"
    with h5py.File(net_file, "r") as src, h5py.File(plain, "w") as dst:
        src.copy("layer", dst)
    nf = load_network_file(plain)
    assert nf.format_version is None
    from razor_lava.data.framing import FrameSpec
    spec = FrameSpec((16, 16, 2), window_ms=25, n_frames=12)
    table = {"beta": np.full(12, 3.0), "epsilon": 0.1}
    path = write_operating_point(plain, tmp_path / "p.h5", {2: events_gate_at(nf, 2, 0)}, table, add=True,
                                 frame_spec=spec, dataset="synthetic")
    back = load_network_file(path)
    assert back.format_version == 2 and back.frame_spec == spec and back.config["data"]["dataset"] == "synthetic"
    assert sorted(back.pruners) == [2] and np.array_equal(back.cutoff["beta"], table["beta"])
    with pytest.raises(ValueError, match="timesteps"):
        write_operating_point(plain, tmp_path / "q.h5", {}, {"beta": np.zeros(5)}, add=True, frame_spec=spec)
    assert not (tmp_path / "q.h5").exists()


def test_optimise_writes_a_file_whose_test_numbers_are_the_report(net_file, optimised):
    path, rep = optimised
    for key in ("accuracy_before", "accuracy_after", "synops_before", "synops_after", "synops_reduction",
                "timestep_reduction", "test_samples", "settings", "calibration", "tried"):
        assert key in rep, key
    assert rep["test_samples"] == 20 and rep["calibration"]["samples"] == 40
    opt = load_network_file(path)
    assert sorted(opt.pruners) == sorted(int(k) for k in rep["settings"]["gates_added"])
    assert (opt.cutoff is None) == (rep["settings"]["cutoff_epsilon"] is None)
    # The report's "after" is the written file run on the test split; its "before" the input file.
    from razor_lava.deployment.samples import load_samples
    frames, labels, _ = load_samples(opt, None, "test", 20)
    counts, out = count_split(opt, frames)
    after = summarise(opt, counts, out, labels, None if opt.cutoff is None else opt.cutoff["beta"])
    assert after["accuracy"] == rep["accuracy_after"] and after["synops"] == rep["synops_after"]
    assert rep["synops_reduction"] == pytest.approx(rep["synops_before"] / rep["synops_after"])
    # The calibration split came from the training split, within the allowed loss there.
    cal = rep["calibration"]
    assert cal["accuracy_after_out_of_fold"] >= cal["accuracy_before"] - 0.05 - 1e-9
    assert rep["calibration_indices"] == sorted(rep["calibration_indices"])


def test_a_pass_of_some_samples_taken_from_a_pass_of_more_is_their_own_pass(net_file):
    """bench/optimise_nir_cnn.py counts the training split once and takes each calibration draw from it."""
    from razor_lava.optimise import counted_pass

    nf = load_network_file(net_file)
    gated = with_gates(nf, {2: events_gate_at(nf, 2, 1)}, add=True)
    frames = np.random.default_rng(0).binomial(1, 0.3, size=(9,) + nf.frame_spec.frame_shape).astype(np.uint8)
    idx = np.array([7, 0, 4, 5])
    whole, alone = counted_pass(gated, frames, sum_at=[5]), counted_pass(gated, frames[idx], sum_at=[5])
    part = whole.take(idx)
    assert np.array_equal(part.out, alone.out) and np.array_equal(part.sums[5], alone.sums[5])
    for kind in ("events", "synops", "keep"):
        got, want = getattr(part.counts, kind), getattr(alone.counts, kind)
        assert sorted(got) == sorted(want) and all(np.array_equal(got[k], want[k]) for k in want), kind
    assert part.counts.n_samples == 4 and part.counts.total() < whole.counts.total()


def test_the_cutoff_keeps_the_networks_own_answers_or_the_labels(net_file):
    """target "answers": calibrated against the file's full-window answers (agreement 1.0 before, labels unused);
    "labels": against the labels. The command offers the same two."""
    from razor_lava.metrics import predict
    from razor_lava.optimise import TARGETS, counted_pass, optimise

    nf = load_network_file(net_file)
    rng = np.random.default_rng(1)
    frames = rng.binomial(1, 0.3, size=(40,) + nf.frame_spec.frame_shape).astype(np.uint8)
    labels = rng.integers(0, 10, size=40)
    p = counted_pass(nf, frames)
    answers = predict(p.out)
    assert not np.array_equal(answers, labels)  # else the two targets would be one
    by = {t: optimise(nf, frames, labels, epsilon=0.0, target=t) for t in TARGETS}
    assert by["answers"].calibration["accuracy_before"] == 1.0
    assert by["labels"].calibration["accuracy_before"] == by["answers"].calibration["label_accuracy_before"] \
        == float((answers == labels).mean())
    assert np.array_equal(by["answers"].cutoff["beta"], cutoff_table(p.out, answers, 0.0)["beta"])
    assert np.array_equal(by["labels"].cutoff["beta"], cutoff_table(p.out, labels, 0.0)["beta"])
    # the same answers whatever the labels say
    shuffled = optimise(nf, frames, rng.permutation(labels), epsilon=0.0, target="answers")
    assert np.array_equal(shuffled.cutoff["beta"], by["answers"].cutoff["beta"])
    action = next(a for a in cli.build_parser()._actions if a.dest == "cutoff_target")
    assert sorted(action.choices) == sorted(TARGETS) and action.default == "answers"
    import inspect
    assert inspect.signature(optimise).parameters["target"].default == action.default  # one default


def test_a_fixed_epsilon_is_one_calibration_without_a_search(net_file, tmp_path):
    code = cli.main([str(net_file), *FRAMING, "--out", str(tmp_path / "o.h5"), "--report", str(tmp_path / "o.json"),
                     "--cutoff-epsilon", "0.2", "--cutoff-window", "1", "--calibration-samples", "30",
                     "--test-samples", "10", "--no-progress"])
    assert code == 0
    rep = json.loads((tmp_path / "o.json").read_text())
    assert rep["settings"]["cutoff_epsilon"] == 0.2 and rep["settings"]["cutoff_window"] == 1
    assert load_network_file(tmp_path / "o.h5").cutoff["epsilon"] == 0.2


def _bad(capsys, argv, tmp_path):
    with pytest.raises(SystemExit) as e:
        code = cli.main(argv)
        raise SystemExit(code)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert not list(tmp_path.glob("out*")), "nothing is written"
    return err[-1]


@pytest.mark.parametrize("extra, message", [
    (["--calibration-samples", "5"], "--calibration-samples: expected at least 20"),
    (["--calibration-samples", "5000"], "fewer than the 5000"),
    (["--cutoff-epsilon", "1.5"], "--cutoff-epsilon: expected a number in [0, 1)"),
    (["--cutoff-epsilon", "-0.1"], "--cutoff-epsilon: expected a number"),
    (["--max-loss", "-1"], "--max-loss: expected a number in [0, 100]"),
    (["--cutoff-window", "3"], "--cutoff-window: only with --cutoff-epsilon"),
    (["--positions", "1"], "--positions: only with --gates events"),
    (["--gates", "events", "--positions", "4"], "layer 4 of"),
    (["--cutoff-target", "truth"], "--cutoff-target: invalid choice: 'truth'"),
])
def test_bad_options_exit_2_with_one_line(net_file, tmp_path, capsys, extra, message):
    line = _bad(capsys, [str(net_file), *FRAMING, "--out", str(tmp_path / "out.h5"),
                         "--report", str(tmp_path / "out.json"), "--no-progress", *extra], tmp_path)
    assert message in line


def test_frames_that_do_not_fit_the_network_exit_2(net_file, tmp_path, capsys):
    base = [str(net_file), "--out", str(tmp_path / "out.h5"), "--report", str(tmp_path / "out.json"), "--no-progress"]
    # the file's own frame spec is for a 16 x 16 sensor: the synthetic data set's events do not fit it
    assert "sensor" in _bad(capsys, base + ["--dataset", "synthetic"], tmp_path)
    assert "--dataset" in _bad(capsys, base + ["--dataset", "shd", "--data-root", str(tmp_path)], tmp_path)


def test_a_file_that_is_not_a_network_exits_2(tmp_path, capsys):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5")
    line = _bad(capsys, [str(junk), *FRAMING, "--out", str(tmp_path / "out.h5"), "--report",
                         str(tmp_path / "out.json")], tmp_path)
    assert "junk.h5: not an HDF5 file" in line
