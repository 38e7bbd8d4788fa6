"""deploy.py and synops.py on raw inputs (``--input X.npy``, ``--labels``, ``--save-output``): a plain
array runs without a data set, and what is saved is Lava's output, equal to SLAYER's."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from razor_lava.deployment.evaluate import slayer_reference
from razor_lava.lava_run import leftover_workers
from razor_lava.netfile import load_network_file

from netfiles import CONV, export_random, random_frames
from test_cli_bad_input_deploy import run

pytestmark = pytest.mark.lava


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    torch.manual_seed(0)
    net, path = export_random(tmp_path_factory.mktemp("net") / "net.h5", CONV, {"positions": [2], "ratio": 0.25})
    return path, random_frames(net.cfg.input, 3, seed=6)


def test_a_batch_with_labels_runs_and_saves_lavas_output(network, tmp_path):
    path, frames = network
    np.save(tmp_path / "x.npy", frames)
    labels = np.array([0, 3, 1])
    np.save(tmp_path / "y.npy", labels)
    code, err = run("deploy.py", path, "--input", tmp_path / "x.npy", "--labels", tmp_path / "y.npy",
                    "--save-output", tmp_path / "out.npy", "--report", tmp_path / "r.json", "--synops")
    assert code == 0, err
    report = json.loads((tmp_path / "r.json").read_text())
    ref = slayer_reference(load_network_file(path), frames)
    saved = np.load(tmp_path / "out.npy")
    assert saved.dtype == np.int32 and np.array_equal(saved, ref["output"])
    assert report["samples"] == 3 and report["agreement"] == 1.0 and report["synops_agreement"] == 1.0
    pred = ref["output"].sum(-1).argmax(-1)
    assert report["accuracy"] == pytest.approx((pred == labels).mean()) and report["split"] is None
    assert leftover_workers() == []


def test_one_sample_without_labels_runs_per_sample_too(network, tmp_path):
    path, frames = network
    np.save(tmp_path / "x1.npy", frames[1])  # C x H x W x T: one sample
    for mode in ("stream", "per-sample"):
        code, err = run("deploy.py", path, "--input", tmp_path / "x1.npy", "--mode", mode,
                        "--save-output", tmp_path / f"{mode}.npy", "--report", tmp_path / f"{mode}.json")
        assert code == 0, err
        report = json.loads((tmp_path / f"{mode}.json").read_text())
        assert report["samples"] == 1 and report["mode"] == mode and report["accuracy"] is None
    ref = slayer_reference(load_network_file(path), frames[1:2])["output"]
    assert np.array_equal(np.load(tmp_path / "stream.npy"), ref)
    assert np.array_equal(np.load(tmp_path / "per-sample.npy"), ref)


def test_synops_counts_raw_inputs_on_lava(network, tmp_path):
    path, frames = network
    np.save(tmp_path / "x.npy", frames)
    code, err = run("synops.py", path, "--input", tmp_path / "x.npy", "--out", tmp_path / "p", "--no-plots")
    assert code == 0, err
    report = json.loads((tmp_path / "p" / "report.json").read_text())
    assert report["samples"] == 3 and report["lava_samples_checked"] == 3 and report["lava_counts_equal"]
    assert report["accuracy"]["with_gates"] is None
