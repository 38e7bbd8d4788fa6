"""An optimised network file (train/optimise.py: events gates added where the file had none, a cutoff table)
runs on Lava as SLAYER says: ``deploy/deploy.py OPT.h5 --cutoff --synops`` gives SLAYER's outputs, gate
decisions, exit steps, answers and synop counts on every sample, and the report's "after" numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from razor_lava.cli import deploy, optimise
from razor_lava.netfile import load_network_file, write_operating_point
from razor_lava.optimise import cutoff_table, events_gate_at
from razor_lava.profile.operating_point import count_split, with_gates

from netfiles import CONV, export_random

pytestmark = pytest.mark.lava
# the synthetic set's 32 x 32 sensor framed at 16 x 16, and its 10 classes
SMALL = dict(CONV, input=[2, 16, 16], layers=CONV["layers"][:-1] + [dict(CONV["layers"][-1], out=10)])
FRAMING = ["--dataset", "synthetic", "--window-ms", "25", "--n-frames", "12"]


def test_an_optimised_file_deploys_exactly_with_the_cutoff_and_counters(tmp_path, capsys, one_torch_thread):
    _, net = export_random(tmp_path / "net.h5", SMALL, {"positions": "E1"}, seed=3)
    assert optimise.main([str(net), *FRAMING, "--out", str(tmp_path / "opt.h5"), "--report",
                          str(tmp_path / "opt.json"), "--cutoff-epsilon", "0.9", "--max-loss", "100",
                          "--gates", "events",
                          "--calibration-samples", "30", "--test-samples", "6", "--no-progress"]) == 0
    rep = json.loads((tmp_path / "opt.json").read_text())
    assert rep["settings"]["gates_added"], "a loss of 100 pt lets every gate that saves synops in"
    capsys.readouterr()
    assert deploy.main([str(tmp_path / "opt.h5"), "--samples", "6", "--cutoff", "--synops", "--no-progress",
                        "--report", str(tmp_path / "deploy.json")]) == 0
    d = json.loads((tmp_path / "deploy.json").read_text())
    assert d["agreement"] == 1.0 and d["gate_decision_agreement"] == 1.0
    assert d["cutoff_agreement"] == 1.0 and d["synops_agreement"] == 1.0
    assert d["lava_synops_per_sample"] == pytest.approx(rep["synops_after"])
    assert d["cutoff_accuracy"] == pytest.approx(rep["accuracy_after"])


def test_gates_added_at_every_layer_with_a_cutoff_run_exactly_on_lava(tmp_path, one_torch_thread):
    from razor_lava.profile.deploy_synops import deploy_counting

    _, net = export_random(tmp_path / "net.h5", SMALL, {"positions": "E1"}, seed=4)
    nf = load_network_file(net)
    frames = np.random.default_rng(2).integers(0, 3, size=(5, 2, 16, 16, 12)).astype(np.uint8)
    gates = {k: events_gate_at(nf, k, 2 if k == 1 else 0) for k in nf.weighted_indices()}
    point = with_gates(nf, gates, add=True)
    _, out = count_split(point, frames)
    table = cutoff_table(out, out.sum(-1).argmax(-1), 0.2, 1)
    path = write_operating_point(net, tmp_path / "opt.h5", gates, table, add=True)
    opt = load_network_file(path)
    rep = deploy_counting(opt, frames, np.zeros(5, dtype=np.int64), cutoff=True, mode="stream")
    assert rep["agreement"] == 1.0 and rep["gate_decision_agreement"] == 1.0
    assert rep["cutoff_agreement"] == 1.0 and rep["synops_agreement"] == 1.0
