"""Synops a Top-K cutoff does not spend: the SLAYER-side account (``spent_counts``)
equals what the Lava counters measure when the Cutoff process really stops the
run, on conv networks with window and causal gates and a table built by
``calibrate``; and the report's "Razor + cutoff vs neither" section adds up."""

import numpy as np
import pytest
import torch

from razor_lava.cutoff.calibrate import calibrate
from razor_lava.cutoff.rule import exit_decisions
from razor_lava.metrics import predict
from razor_lava.netfile import export_network, load_network_file
from razor_lava.lava_run import leftover_workers
from razor_lava.profile.cutoff_spent import frames_run, spent_counts, window_lag
from razor_lava.profile.energy import operation_counts
from razor_lava.profile.report import profile_network
from razor_lava.profile.slayer_counter import count_slayer

from netfiles import CONV, T, export_random, random_frames

CASES = {
    "conv-window": {"positions": [1, 2, 5], "ratio": 0.25},
    "conv-causal": {"positions": [2, 5, 6], "theta": 0.8, "ratio": None, "variant": "causal"},
}
N_CAL = 48  # SLAYER samples the table is calibrated on (cheap)


@pytest.fixture(scope="module", params=list(CASES), ids=list(CASES))
def cutoff_case(request, tmp_path_factory):
    """A conv network with a cutoff table from ``calibrate`` on its own outputs; labels = the full-run answers
    with every third one changed, so some samples are "wrong" and the calibration has something to avoid."""
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp(request.param)
    net, path = export_random(tmp / "net.h5", CONV, CASES[request.param])
    nf = load_network_file(path)
    frames = random_frames(nf.input_shape, N_CAL, seed=7)
    _, out = count_slayer(nf, frames)
    labels = predict(out)
    labels[::3] = (labels[::3] + 1) % 4
    table = calibrate(out, labels, epsilon=0.2)
    path = export_network(net, tmp / "cut.h5", nf.frame_spec, cutoff=table)
    return load_network_file(path), frames, labels, out


def test_window_lag_counts_the_window_gates_after_each_layer(cutoff_case):
    nf = cutoff_case[0]
    lag = window_lag(nf)
    assert sorted(lag) == [1, 2, 3, 5, 6]  # conv, conv, pool (a depthwise conv), dense, dense
    if nf.pruners[min(nf.pruners)].variant == "causal":
        assert set(lag.values()) == {0}
    else:  # gates at the inputs of hdf5 layers 1, 2 and 5
        assert lag == {1: 2, 2: 1, 3: 1, 5: 0, 6: 0}
    run = frames_run(nf, np.array([0, 5, T - 1]), T)
    for i, k in lag.items():
        assert run[i].tolist() == [min(e + T * k, T - 1) + 1 for e in (0, 5, T - 1)]
    with pytest.raises(ValueError, match="exit_step"):
        frames_run(nf, np.array([T]), T)


def test_spent_counts_zero_what_was_not_run(cutoff_case):
    nf, frames, labels, out = cutoff_case
    counts, _ = count_slayer(nf, frames)
    exit_step, _ = exit_decisions(out, nf.cutoff["beta"])
    assert (exit_step < T - 1).any(), "the calibrated table should let some samples exit early"
    spent = spent_counts(nf, counts, exit_step)
    for i in counts.layers:
        ran = np.arange(T)[None, :] < spent.frames_run[i][:, None]
        assert np.array_equal(spent.synops[i][ran], counts.synops[i][ran]) and np.all(spent.synops[i][~ran] == 0)
    assert spent.total() < counts.total()
    ops, full = operation_counts(spent), operation_counts(counts)
    assert ops["neuron_updates"] < full["neuron_updates"]
    assert spent.neuron_updates()[6] == counts.neurons[6] * int(spent.frames_run[6].sum())


@pytest.mark.lava
def test_lava_spends_exactly_the_slayer_account(cutoff_case):
    """Run with the cutoff on Lava: the counters stop when the run stops; what they counted is the account."""
    from razor_lava.profile.lava_counter import count_lava

    nf, frames, labels, out = cutoff_case
    exit_step, _ = exit_decisions(out, nf.cutoff["beta"])
    pick = [int(np.argmin(exit_step)), int(np.argmax(exit_step))]  # the earliest exit and the latest
    assert exit_step[pick[0]] < exit_step[pick[1]]
    counts, _ = count_slayer(nf, frames[pick])
    spent = spent_counts(nf, counts, exit_step[pick])
    lava, _ = count_lava(nf, frames[pick], cutoff=True)
    for i in counts.layers:
        assert np.array_equal(lava.events[i], spent.events[i]), i
        assert np.array_equal(lava.synops[i], spent.synops[i]), i
    report = profile_network(nf, frames[pick], labels[pick], lava_samples=2)
    assert report["lava_counts_equal"] and report["lava_cutoff_counts_equal"]
    assert leftover_workers() == []


def test_report_cutoff_section(cutoff_case):
    nf, frames, labels, out = cutoff_case
    report = profile_network(nf, frames, labels)
    c = report["cutoff"]
    exit_step, answer = exit_decisions(out, nf.cutoff["beta"])
    assert c["epsilon"] == pytest.approx(0.2)
    assert c["accuracy"] == pytest.approx((answer == labels).mean())
    assert c["mean_exit_step"] == pytest.approx(exit_step.mean())
    assert c["synops_total"] <= report["synops_total"]
    assert c["combined_reduction"] == pytest.approx(report["synops_unpruned"] / c["synops_total"])
    assert c["reduction_vs_gates_only"] == pytest.approx(report["synops_total"] / c["synops_total"])
    assert sum(c["synops_mean_per_frame"]) == pytest.approx(c["synops_per_sample"])
    assert c["energy_uj"]["loihi1"] < report["energy_uj"]["snn"]["loihi1"]["with_gates"]
    assert "cutoff" not in profile_network(nf, frames[:4], labels[:4], cutoff=False)
