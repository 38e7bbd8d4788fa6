"""Loihi 2: detection that tells the truth, a placement plan a user can read, and the hardware run.

Offline (no lava-loihi here): the plan of every shipped config and of plain netx files, with exact
expectations; the detection messages, with lava-loihi and SLURM simulated where a test needs them. The
hardware test runs only where lava-loihi and a board are present (``RAZOR_LOIHI2_HOST`` names an
Ethernet host; otherwise SLURM must be available) and skips with that reason otherwise.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from razor_lava.deployment.backends import Board, BackendUnavailable, check_backend, lava_loihi_installed
from razor_lava.deployment.placement import placement_plan, power_of_two_at_least
from razor_lava.netfile import load_network_file

from netfiles import DENSE, T, export_random


def shipped_file(tmp_path, name: str):
    from razor_lava.data.framing import FrameSpec
    from razor_lava.config import load_config
    from razor_lava.model.network import RazorNet
    from razor_lava.netfile import export_network

    torch.manual_seed(0)
    cfg = load_config(name)
    inp = cfg.input
    spec = FrameSpec((inp[2], inp[1], inp[0]) if len(inp) == 3 else (inp[0], 1, 1), 10, 30)
    return load_network_file(export_network(RazorNet(cfg), tmp_path / f"{name}.h5", spec))


def rows(plan) -> list[tuple]:
    return [(p.where, p.part, p.layers) for p in plan.parts]


PRE = [("cpu", "source", "input")]
POST = [("cpu", "recorder", "output")]
IN_ = ("cpu", "adapter", None)  # an adapter; its "layers" field says where it sits


def adapters(plan) -> list[str]:
    return [p.why.split("spike.")[1].split(" ")[0] for p in plan.adapters]


@pytest.mark.parametrize("name,expected,n_adapters,period", [
    # E3: gates at the inputs of the backbone blocks; the LIAF output on the CPU (CubaDense)
    ("synthetic_small", [("loihi2", "netx", "layer/1"), ("cpu", "gate", "layer/2"), ("loihi2", "netx", "layer/2-3"),
                         ("cpu", "gate", "layer/5"), ("loihi2", "netx", "layer/5"), ("cpu", "cuba", "layer/6")], 6, 32),
    ("nmnist", [("loihi2", "netx", "layer/2"), ("cpu", "gate", "layer/3"), ("loihi2", "netx", "layer/3"),
                ("cpu", "cuba", "layer/4")], 4, 32),
    ("shd", [("loihi2", "netx", "layer/1"), ("cpu", "gate", "layer/2"), ("loihi2", "netx", "layer/2"),
             ("cpu", "cuba", "layer/3")], 4, 32),
])
def test_the_plan_of_shipped_configs(tmp_path, name, expected, n_adapters, period):
    nf = shipped_file(tmp_path, name)
    plan = placement_plan(nf)
    got = [r for r in rows(plan) if r[1] != "adapter"]
    assert got == PRE + expected + POST
    assert len(plan.adapters) == n_adapters and plan.reset_interval == period and not plan.all_on_chip
    # an adapter exactly where a neighbour changes sides
    sides = [p.where for p in plan.parts if p.part != "adapter"]
    assert sum(a != b for a, b in zip(sides, sides[1:])) == n_adapters
    assert all(c["ok"] for c in plan.constraints)
    text = plan.format()
    assert "on-chip reset interval 32" in text and "NxToPyAdapter" in text and "PyToNxAdapter" in text


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dvsgesture", "ncaltech101", "cifar10dvs"])
def test_the_plan_of_the_large_shipped_configs(tmp_path, name):
    nf = shipped_file(tmp_path, name)
    plan = placement_plan(nf)
    parts = [r for r in rows(plan) if r[1] not in ("adapter", "source", "recorder")]
    assert [p for _, p, _ in parts].count("gate") == len(nf.pruners) >= 2
    assert all(w == ("loihi2" if p == "netx" else "cpu") for w, p, _ in parts)
    assert plan.reset_interval == power_of_two_at_least(plan.period) and plan.period > 30
    assert all(c["ok"] for c in plan.constraints)


def test_a_network_without_gates_or_graded_layers_goes_on_chip(tmp_path):
    binary = dict(DENSE, layers=[{"type": "dense", "out": 20, "weight_scale": 5},
                                 {"type": "dense", "out": 5, "weight_scale": 5}])
    _, path = export_random(tmp_path / "e1.h5", binary, {"positions": "E1"})
    plan = placement_plan(load_network_file(path))
    assert plan.all_on_chip and rows(plan)[1:3] == [("cpu", "adapter", "before layer/1-2"),
                                                     ("loihi2", "netx", "layer/1-2")]
    assert adapters(plan) == ["PyToNxAdapter", "NxToPyAdapter"]
    assert plan.period == T + 2 and plan.reset_interval == 16  # two netx layers: 2 steps of padding


def test_the_plan_names_constraints_that_fail(tmp_path):
    import h5py

    binary = dict(DENSE, layers=[{"type": "dense", "out": 20, "weight_scale": 5},
                                 {"type": "dense", "out": 5, "weight_scale": 5}])
    _, path = export_random(tmp_path / "e1.h5", binary, {"positions": "E1"})
    with h5py.File(path, "a") as f:
        del f["razor"]  # now a plain netx file, edited
        f["layer/2/delay"] = np.full(5, 40.0)  # axonal: one per output neuron
        f["layer/1/bias"] = np.array(3)
    nf = load_network_file(path)
    plan = placement_plan(nf, n_frames=T)
    by_name = {c["constraint"]: c for c in plan.constraints}
    assert by_name["axonal delays at most 62 steps"] == {"constraint": "axonal delays at most 62 steps",
                                                       "value": "layer/2: 40", "ok": True}
    assert by_name["biased layers reset on each sample's frame 0"]["value"] == "layer/1"
    assert ("cpu", "silence", "layer/2") in rows(plan)  # the biased layer feeds a neurocore layer
    assert plan.period == T + 41 and plan.reset_interval == 64


# --------------------------------------------------------------------------- detection


def test_without_lava_loihi_the_hardware_backend_says_so():
    if lava_loihi_installed():
        pytest.skip("lava-loihi is installed here")
    with pytest.raises(BackendUnavailable, match=r"lava-loihi .* not installed here: "
                                                 r"lava\.utils\.loihi\.is_installed\(\) is False"):
        check_backend("loihi2", Board(host="10.0.0.1"))
    assert check_backend("sim") == "sim"


@pytest.fixture
def fake_lava_loihi(monkeypatch):
    """lava-loihi "installed", SLURM absent, and lava.utils.loihi's connectors recorded instead of run."""
    from lava.utils import loihi, slurm

    calls = []
    monkeypatch.setattr(loihi, "is_installed", lambda *a, **k: True)
    monkeypatch.setattr(slurm, "is_available", lambda: False)

    def ethernet(host, host_binary_path=None, loihi_gen=None):
        if host == "10.9.9.9":
            raise ValueError("Attempting to use ethernet host for Loihi2 but `ping 10.9.9.9` failed.")
        calls.append(("ethernet", host, loihi_gen.value))

    monkeypatch.setattr(loihi, "use_ethernet_host", ethernet)
    monkeypatch.setattr(loihi, "use_slurm_host", lambda partition=None, board=None, loihi_gen=None:
                        calls.append(("slurm", partition, board, loihi_gen.value)))
    return calls


@pytest.mark.parametrize("board,match", [
    (Board(), r"no --host was given, and reaching a board without one needs SLURM, which is not available"),
    (Board(partition="oheogulch"), r"--partition/--board need SLURM, which is not available"),
    (Board(host="10.9.9.9"), r"--host 10\.9\.9\.9: the Loihi 2 host does not answer \(.*ping 10\.9\.9\.9"),
    (Board(host="10.0.0.1", board="ncl-ext-og-01"), r"give either --host .* or --partition/--board"),
    (Board(loihi_gen="N9"), r"--loihi-gen 'N9': expected one of N3B2, N3B3"),
])
def test_each_detection_failure_names_what_is_missing(fake_lava_loihi, board, match):
    with pytest.raises(BackendUnavailable, match=match):
        check_backend("loihi2", board)
    assert fake_lava_loihi == []


def test_a_reachable_board_is_connected_as_lava_says(fake_lava_loihi, monkeypatch):
    from lava.utils import slurm

    assert check_backend("loihi2", Board(host="10.0.0.1", loihi_gen="N3C1")) == "loihi2"
    monkeypatch.setattr(slurm, "is_available", lambda: True)
    check_backend("loihi2", Board(partition="oheogulch"))
    check_backend("loihi2", Board())  # SLURM picks a board
    assert fake_lava_loihi == [("ethernet", "10.0.0.1", "N3C1"), ("slurm", "oheogulch", None, "N3B3"),
                               ("slurm", None, None, "N3B3")]
    with pytest.raises(BackendUnavailable, match="give one of them"):
        check_backend("loihi2", Board(partition="p", board="b"))


def test_plan_flag_prints_and_writes_the_plan_anywhere(tmp_path, capsys):
    from test_cli_bad_input_deploy import run

    _, path = export_random(tmp_path / "net.h5", DENSE, {"positions": [2], "ratio": 0.3})
    code, err = run("deploy.py", path, "--backend", "loihi2", "--plan", "--cutoff", "--report", tmp_path / "p.json")
    assert code == 0, err
    out = capsys.readouterr().out
    assert "Loihi 2 placement of" in out and "Cutoff" in out
    plan = json.loads((tmp_path / "p.json").read_text())["plan"]
    assert [p["part"] for p in plan["parts"] if p["part"] != "adapter"] == \
        ["source", "netx", "gate", "cuba", "cuba", "netx", "cutoff", "recorder"]
    assert plan["adapters"] == 4 and plan["ok"]  # into netx 1, out to the gate, into netx 4, out of it


def test_hardware_flags_need_the_hardware_backend(tmp_path):
    from test_cli_bad_input_deploy import assert_refused, run

    _, path = export_random(tmp_path / "net.h5", DENSE, {"positions": "E1"})
    code, err = run("deploy.py", path, "--host", "10.0.0.1")
    assert_refused(code, err, r"--host/--partition/--board: only with --backend loihi2")
    if not lava_loihi_installed():
        code, err = run("deploy.py", path, "--backend", "loihi2", "--report", tmp_path / "r.json")
        assert_refused(code, err, r"is_installed\(\) is False")
        assert not (tmp_path / "r.json").exists()


# --------------------------------------------------------------------------- the hardware run


def _board_from_env() -> Board | None:
    host = os.environ.get("RAZOR_LOIHI2_HOST")
    if host:
        return Board(host=host, loihi_gen=os.environ.get("RAZOR_LOIHI2_GEN", "N3B3"))
    from lava.utils import slurm

    return Board(partition=os.environ.get("RAZOR_LOIHI2_PARTITION")) if slurm.is_available() else None


@pytest.mark.lava
def test_on_loihi2_hardware_outputs_equal_slayer(tmp_path):
    if not lava_loihi_installed():
        pytest.skip("Loihi 2 hardware test: lava-loihi is not installed (lava.utils.loihi.is_installed() is False)")
    board = _board_from_env()
    if board is None:
        pytest.skip("Loihi 2 hardware test: no board: set RAZOR_LOIHI2_HOST, or run where SLURM is available")
    from razor_lava.deployment.evaluate import deploy_samples

    from netfiles import random_frames

    check_backend("loihi2", board)
    net, path = export_random(tmp_path / "net.h5", DENSE, {"positions": [2], "ratio": 0.3})
    nf = load_network_file(path)
    frames = random_frames(net.cfg.input, 4, seed=2)
    report = deploy_samples(nf, frames, np.zeros(4, dtype=np.int64), backend="loihi2", progress=False)
    assert report["agreement"] == 1.0 and report["gate_decision_agreement"] == 1.0
    assert report["plan"]["reset_interval"] == power_of_two_at_least(report["plan"]["period"])
