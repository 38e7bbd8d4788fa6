"""The baselines run on Lava as Razor does: written into a network file in Razor's place
(``write_operating_point``), streamed with Lava's synop counters, they give SLAYER's outputs, gate
decisions and synops exactly, with and without the cutoff, on random frames and on real N-MNIST."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from razor_lava.cutoff.calibrate import calibrate
from razor_lava.netfile import export_network, load_network_file, write_operating_point
from razor_lava.profile.deploy_synops import deploy_counting
from razor_lava.profile.operating_point import (count_split, gate_input_sums, summarise, tuned_events_gates,
                                                with_gates)
from razor_lava.pruning.baselines import baseline_like

from netfiles import CONV, T, export_random, random_frames
from test_netx_fidelity import nmnist_frames


def assert_exact_on_lava(nf, frames, cutoff=False):
    labels = np.zeros(len(frames), dtype=np.int64)
    rep = deploy_counting(nf, frames, labels, cutoff=cutoff, mode="stream")
    assert rep["agreement"] == 1.0 and rep["gate_decision_agreement"] == 1.0
    assert rep["synops_agreement"] == 1.0
    counts, out = count_split(nf, frames)
    beta = nf.cutoff["beta"] if cutoff else None
    assert rep["lava_synops_per_sample"] == summarise(nf, counts, out, labels, beta)["synops"]
    return rep


@pytest.fixture(scope="module")
def conv_file(tmp_path_factory):
    _, path = export_random(tmp_path_factory.mktemp("razor") / "razor.h5", CONV, {"positions": [2, 5], "ratio": 0.25})
    return path


def test_events_gates_tuned_in_razors_place_prune_the_asked_fraction_and_run_exactly_on_lava(conv_file, tmp_path,
                                                                                          one_torch_thread):
    nf = load_network_file(conv_file)
    frames = random_frames((2, 10, 8), 8)
    gates = tuned_events_gates(nf, frames, {2: 0.25, 5: 0.25})
    point = with_gates(nf, gates)
    for k, sums in gate_input_sums(point, frames).items():  # each gate sees what the gates before it let through
        pruned = (sums <= gates[k].theta_int).mean()
        assert abs(pruned - 0.25) < 0.1, (k, pruned)
    path = write_operating_point(conv_file, tmp_path / "events.h5", gates, None)
    assert_exact_on_lava(load_network_file(path), frames[:4])


@pytest.mark.parametrize("method", ["uniform", "random"])
def test_schedules_with_the_cutoff_run_exactly_on_lava(conv_file, tmp_path, method, one_torch_thread):
    nf = load_network_file(conv_file)
    frames = random_frames((2, 10, 8), 6, seed=4)
    gates = {k: baseline_like(method, p, T, ratio=0.5, seed=3) for k, p in nf.pruners.items()}
    counts, out = count_split(with_gates(nf, gates), frames)
    labels = out.sum(axis=-1).argmax(axis=-1)  # answers a calibrated table will exit on
    table = calibrate(out, labels, 0.2)
    path = write_operating_point(conv_file, tmp_path / f"{method}.h5", gates, table)
    point = load_network_file(path)
    assert np.array_equal(point.cutoff["beta"], table["beta"])
    assert all(np.array_equal(point.pruners[k].frame_bias, gates[k].frame_bias) for k in gates)
    assert_exact_on_lava(point, frames[:4], cutoff=True)


def test_write_operating_point_refuses_gates_the_file_does_not_have(conv_file, tmp_path):
    nf = load_network_file(conv_file)
    with pytest.raises(ValueError, match="gates at layers"):
        write_operating_point(conv_file, tmp_path / "x.h5", {2: nf.pruners[2]}, None)
    assert not (tmp_path / "x.h5").exists()


def test_an_events_gate_at_the_nmnist_encoder_is_exact_on_real_recordings(tmp_path, one_torch_thread):
    from razor_lava.config import load_config, parse_config
    from razor_lava.model.network import RazorNet
    from razor_lava.data.framing import FrameSpec

    frames = nmnist_frames(6)
    raw = load_config("nmnist").to_dict() | {"pruner": {"positions": "E2", "ratio": 0.5}}
    torch.manual_seed(0)
    net = RazorNet(parse_config(raw))
    with torch.no_grad():  # random weights strong enough that the hidden layers spike
        for b in net.blocks:
            if hasattr(b, "synapse"):
                b.synapse.weight.mul_(8)
    path = export_network(net, tmp_path / "e2.h5", FrameSpec((34, 34, 2), 10, T))
    nf = load_network_file(path)
    gates = tuned_events_gates(nf, frames, {k: 0.5 for k in nf.pruners})
    point = load_network_file(write_operating_point(path, tmp_path / "events.h5", gates, None))
    counts, _ = count_split(point, frames)
    assert counts.total() > 0 and 0 < counts.keep[min(counts.keep)].mean() < 1
    assert_exact_on_lava(point, frames[:3])
