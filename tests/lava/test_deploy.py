"""The deployment contract: for every sample, the Lava output (graded payloads
included) equals SLAYER's fixed-point output exactly, and every gate makes the
torch pruner's decision on every frame. Plus: plain netx files, bad backends,
the deploy script's report."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from razor_lava.deployment.assemble import plan_segments
from razor_lava.deployment.backends import BackendUnavailable, check_backend
from razor_lava.deployment.evaluate import deploy_samples
from razor_lava.profile.deploy_synops import deploy_counting
from razor_lava.netfile import export_network, load_network_file
from razor_lava.model.network import RazorNet

from netfiles import CONV, DENSE, T, export_random, random_frames, write_plain_netx

pytestmark = pytest.mark.lava
ROOT = Path(__file__).parents[2]



def make_file(tmp_path, raw, pruner, seed=0):
    return export_random(tmp_path / "net.h5", raw, pruner, seed)


def frames_for(net, n, seed=1):
    return random_frames(net.cfg.input, n, seed)


@pytest.mark.parametrize(
    "raw,pruner",
    [
        (CONV, {"positions": "E1"}),
        (CONV, {"positions": [1, 2, 5], "ratio": 0.25}),
        (CONV, {"positions": [2, 5, 6], "theta": 0.8, "ratio": None, "variant": "causal"}),
        (DENSE, {"positions": [2, 3], "ratio": 0.3}),
        (DENSE, {"positions": [1, 4], "theta": 0.75, "ratio": None, "variant": "causal"}),
    ],
    ids=["conv-nogate", "conv-window", "conv-causal", "dense-liaf-window", "dense-liaf-causal"],
)
def test_lava_equals_slayer_exactly(tmp_path, raw, pruner):
    torch.set_num_threads(1)
    net, path = make_file(tmp_path, raw, pruner)
    nf = load_network_file(path)
    frames = frames_for(net, 3)
    report = deploy_samples(nf, frames, np.zeros(3, dtype=np.int64), progress=False)
    assert report["agreement"] == 1.0, [s for s in report["per_sample"] if not s["equal"]]
    assert report["gate_decision_agreement"] == 1.0
    assert report["prediction_agreement"] == 1.0
    # the networks must really be active, or equality would be trivial
    from razor_lava.deployment.evaluate import slayer_reference

    ref = slayer_reference(nf, frames)
    assert (ref["output"] != 0).sum() > 3
    if nf.pruners:
        pruned = report["frames_pruned"]
        assert 0 < pruned < report["frames_total"]


def test_segments_put_gates_and_graded_layers_in_their_own_processes(tmp_path):
    _, path = make_file(tmp_path, DENSE, {"positions": [3], "ratio": 0.3})
    segs = [(s.kind, s.start, s.end) for s in plan_segments(load_network_file(path))]
    # layer 2 (hdf5 2) is LIAF, layer 3 (hdf5 3) receives graded spikes: both CubaDense
    assert segs == [("netx", 1, 2), ("cuba", 2, 0), ("gate", 3, 0), ("cuba", 3, 0), ("netx", 4, 5)]


def test_plain_lava_dl_netx_file_runs(tmp_path):
    """A network razor_lava did not train: lava-dl blocks exported with their own export_hdf5."""
    from razor_lava.model._slayer import slayer

    torch.manual_seed(3)
    p = {"threshold": 0.5, "current_decay": 0.2, "voltage_decay": 0.05}
    blocks = [slayer.block.cuba.Conv(p, 2, 4, 3, padding=1, weight_scale=4),
              slayer.block.cuba.Flatten(), slayer.block.cuba.Dense(p, 4 * 6 * 6, 5, weight_scale=4)]
    x = torch.rand(2, 2, 6, 6, T) < 0.4
    with torch.no_grad():
        y = x.float()
        for b in blocks:
            y = b(y)
    path = tmp_path / "plain.net"
    write_plain_netx(path, blocks, [2, 6, 6])
    nf = load_network_file(path)
    assert nf.format_version is None and not nf.pruners
    report = deploy_samples(nf, x.numpy().astype(np.uint8), np.zeros(2, dtype=np.int64), progress=False)
    assert report["agreement"] == 1.0
    lava_like = np.rint(y.numpy()).astype(np.int64)
    assert (lava_like.sum() > 0)


def test_without_gates_drops_every_gate(tmp_path):
    _, path = make_file(tmp_path, CONV, {"positions": [2, 5], "ratio": 0.25})
    nf = load_network_file(path).without_gates()
    assert not nf.pruners and [s.kind for s in plan_segments(nf)].count("gate") == 0


def test_hardware_backend_says_what_is_missing():
    with pytest.raises(BackendUnavailable, match="lava-loihi"):
        check_backend("loihi2")
    assert check_backend("sim") == "sim"
    with pytest.raises(BackendUnavailable, match="unknown backend"):
        check_backend("gpu")


def test_deploy_script_report_on_the_embedded_data_set(tmp_path):
    from razor_lava.data.synthetic import CLASSES, default_frame_spec
    from razor_lava.config import load_config

    torch.manual_seed(0)
    net = RazorNet(load_config("synthetic_small"))
    path = export_network(net, tmp_path / "net.h5", default_frame_spec(), CLASSES)
    report_path = tmp_path / "deploy.json"
    # with the progress bar on: tqdm and Lava both want to set multiprocessing's start method
    r = subprocess.run([sys.executable, str(ROOT / "deploy" / "deploy.py"), str(path), "--samples", "2",
                        "--report", str(report_path)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    report = json.loads(report_path.read_text())
    for key in ("backend", "samples", "accuracy", "slayer_accuracy", "agreement", "frames_total", "frames_pruned",
                "steps", "seconds_per_sample"):
        assert key in report, key
    assert report["backend"] == "sim" and report["samples"] == 2 and report["agreement"] == 1.0
    assert report["frames_total"] == 2 * 30 * 2 and report["frames_pruned"] == 2 * 2 * 9  # 2 gates, ratio 0.3
    # Streamed: two window gates add a period of latency each (paid once); then a sample every period.
    assert report["mode"] == "stream" and report["latency"] == 2 * report["period"] >= 2 * 30
    assert report["steps"] == report["latency"] + report["period"] + 30


def test_deploy_script_refuses_missing_hardware_and_files(tmp_path):
    _, path = make_file(tmp_path, CONV, {"positions": [2], "ratio": 0.25})
    r = subprocess.run([sys.executable, str(ROOT / "deploy" / "deploy.py"), str(path), "--backend", "loihi2"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "lava-loihi" in r.stderr
    r = subprocess.run([sys.executable, str(ROOT / "deploy" / "deploy.py"), str(tmp_path / "nope.h5")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no such file" in r.stderr


@pytest.mark.slow
def test_trained_default_network_deploys_bit_exact_and_leaves_no_workers(tmp_path):
    """A (briefly) trained network of the embedded default, both gate variants."""
    from razor_lava.data.framing import frame_many
    from razor_lava.data.synthetic import SyntheticGestures
    from razor_lava.lava_run import leftover_workers
    from razor_lava.config import load_config
    from razor_lava.training.options import RunOptions
    from razor_lava.training.run import train

    cfg = load_config("synthetic_small")
    test = SyntheticGestures("test", n_samples=3)
    items = [test[i] for i in range(3)]
    for variant, rule in (("window", {"ratio": 0.3}), ("causal", {"theta": 0.9, "ratio": None})):
        out = tmp_path / variant
        train(cfg, RunOptions(out=out, epochs=1, train_samples=64, test_samples=10, progress=False,
                              pruner={"variant": variant, **rule}), log=lambda *a: None)
        nf = load_network_file(out / "network.h5")
        assert sorted(nf.pruners) == [2, 5] and all(p.variant == variant for p in nf.pruners.values())
        frames = frame_many([e for e, _ in items], nf.frame_spec)
        report = deploy_counting(nf, frames, np.array([y for _, y in items]), progress=False)
        assert report["agreement"] == 1.0 and report["gate_decision_agreement"] == 1.0
        assert report["synops_agreement"] == 1.0
        assert report["latency"] == report["period"] * (2 if variant == "window" else 0)
    assert leftover_workers() == []
