"""The profile report: fields present and consistent, files written, the profile script end to end."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from razor_lava.profile.counts import SynopCounts
from razor_lava.profile.plots import plot_report
from razor_lava.profile.report import counts_equal, profile_report, write_report

ROOT = Path(__file__).parents[2]
PNG = b"\x89PNG\r\n\x1a\n"


def made_up_counts(gates: bool, n=6, t=8, seed=0):
    """Three layers; with gates, gate 1 (into layer 2) prunes frames and so does gate 2 (into layer 3)."""
    rng = np.random.default_rng(seed)
    fan = {1: 9, 2: 20, 3: 4}
    drawn = {g: rng.random((n, t)) > 0.35 for g in (1, 2)}
    keep = drawn if gates else {}
    events = {1: rng.integers(0, 50, (n, t))}
    events[2] = rng.integers(0, 30, (n, t)) * (drawn[1] if gates else 1)
    events[3] = rng.integers(0, 10, (n, t)) * (drawn[2] if gates else 1)
    return SynopCounts(
        layers=[1, 2, 3], names=["conv1", "conv2", "dense3"],
        events={i: e.astype(np.int64) for i, e in events.items()},
        synops={i: (e * fan[i]).astype(np.int64) for i, e in events.items()},
        neurons={1: 64, 2: 32, 3: 4}, dense_macs={1: 900, 2: 640, 3: 128}, keep=keep, n_frames=t)


@pytest.fixture(scope="module")
def report():
    labels = np.array([0, 1, 2, 0, 1, 2])
    return profile_report(made_up_counts(True), made_up_counts(False), 0.5, 2 / 3, labels, example_sample=2)


def test_report_fields_are_consistent(report):
    w, wo = made_up_counts(True), made_up_counts(False)
    for key in ("synops_total", "synops_unpruned", "synops_reduction", "energy_uj", "dense_ann_macs", "per_layer",
                "per_frame", "accuracy", "frames_pruned", "example", "per_class"):
        assert key in report, key
    assert report["synops_total"] == w.total() and report["synops_unpruned"] == wo.total()
    assert report["synops_reduction"] == pytest.approx(report["synops_unpruned"] / report["synops_total"])
    assert report["synops_reduction"] > 1
    assert sum(r["synops_with_gates"] for r in report["per_layer"]) == report["synops_total"]
    assert sum(r["synops_without_gates"] for r in report["per_layer"]) == report["synops_unpruned"]
    assert [r["name"] for r in report["per_layer"]] == ["conv1", "conv2", "dense3"]
    assert report["per_layer"][0]["synops_with_gates"] == report["per_layer"][0]["synops_without_gates"]  # no gate
    pf = report["per_frame"]
    assert sum(pf["synops_mean_with_gates"]) * report["samples"] == pytest.approx(report["synops_total"])
    assert sum(pf["synops_mean_without_gates"]) * report["samples"] == pytest.approx(report["synops_unpruned"])
    for g in ("1", "2"):
        frac = np.array(pf["pruned_fraction"][g])
        assert frac.shape == (8,) and np.allclose(frac, (~w.keep[int(g)]).mean(axis=0))
        assert report["frames_pruned"]["per_gate"][g] == int((~w.keep[int(g)]).sum())
    fp = report["frames_pruned"]
    assert fp["possible"] == 6 * 8 * 2 and fp["total"] == sum(fp["per_gate"].values())
    assert report["accuracy"] == {"with_gates": 0.5, "without_gates": pytest.approx(2 / 3)}
    assert report["dense_ann_macs"] == {"per_frame": 1668, "per_sample": 1668 * 8}
    assert report["example"]["sample"] == 2
    assert report["example"]["pruned"]["1"] == (~w.keep[1][2]).tolist()
    assert sum(c["samples"] for c in report["per_class"].values()) == 6


def test_energy_is_labelled_and_follows_the_synops(report):
    en = report["energy_uj"]
    assert en["unit"] == "uJ per sample" and set(en["snn"]) == {"loihi1", "horowitz45nm"}
    assert set(en["dense_ann"]) == {"horowitz45nm"}
    h = en["snn"]["horowitz45nm"]
    assert h["with_gates"] == pytest.approx(report["synops_total"] / 6 * 0.9e-6)
    assert h["without_gates"] / h["with_gates"] == pytest.approx(report["synops_reduction"])
    # neuron updates are the same with and without gates: the difference is the synops alone
    lo = en["snn"]["loihi1"]
    assert lo["without_gates"] - lo["with_gates"] == pytest.approx(
        (report["synops_unpruned"] - report["synops_total"]) / 6 * 23.6e-6)
    assert en["dense_ann"]["horowitz45nm"] == pytest.approx(1668 * 8 * 4.6e-6)
    assert {c["name"] for c in en["constants"]} >= {"loihi1.synop", "horowitz45nm.fp32_mac"}
    assert all(c["source"] for c in en["constants"])


def test_mismatched_counts_are_refused():
    with pytest.raises(ValueError, match="same layers"):
        profile_report(made_up_counts(True), made_up_counts(False, n=5), 0.5, 0.5)


def test_counts_equal_compares_the_first_samples():
    a, b = made_up_counts(True), made_up_counts(True)
    assert counts_equal(a, b, 6)
    b.synops[2][4, 3] += 1
    assert counts_equal(a, b, 4) and not counts_equal(a, b, 5)
    assert not counts_equal(a, made_up_counts(False), 1)


def test_csv_json_and_png_are_written(tmp_path, report):
    paths = write_report(report, tmp_path / "prof")
    paths |= plot_report(report, tmp_path / "prof")
    assert sorted(p.name for p in (tmp_path / "prof").iterdir()) == sorted(
        ["report.json", "per_layer.csv", "per_frame.csv", "synops_per_frame.png", "synops_per_layer.png",
         "totals.png"])  # no temporary files left behind
    assert json.loads(paths["report"].read_text())["synops_total"] == report["synops_total"]
    layer_rows = paths["per_layer"].read_text().splitlines()
    assert layer_rows[0].startswith("layer,name,events_with_gates") and len(layer_rows) == 4
    frame_rows = paths["per_frame"].read_text().splitlines()
    assert frame_rows[0].endswith("pruned_fraction_gate1,pruned_fraction_gate2") and len(frame_rows) == 9
    for name in ("synops_per_frame", "synops_per_layer", "totals"):
        assert paths[name].read_bytes()[:8] == PNG and paths[name].stat().st_size > 10_000


def test_a_network_without_gates_and_without_synops_still_reports(tmp_path):
    empty = made_up_counts(False)
    for i in empty.layers:
        empty.synops[i][:] = 0
        empty.events[i][:] = 0
    r = profile_report(empty, empty, 0.1, 0.1)
    assert r["synops_reduction"] == 1.0 and r["frames_pruned"]["possible"] == 0 and r["gates"] == []
    write_report(r, tmp_path)
    assert all(p.read_bytes()[:8] == PNG for p in plot_report(r, tmp_path).values())


@pytest.mark.lava
def test_profile_script_on_the_embedded_data_set(tmp_path):
    """Export the untrained default network; profile 4 synthetic samples, 1 of them also on Lava."""
    import torch

    from razor_lava.data.synthetic import CLASSES, default_frame_spec
    from razor_lava.netfile import export_network
    from razor_lava.config import load_config
    from razor_lava.model.network import RazorNet

    torch.manual_seed(0)
    net = RazorNet(load_config("synthetic_small"))
    path = export_network(net, tmp_path / "net.h5", default_frame_spec(), CLASSES)
    out = tmp_path / "profile"
    r = subprocess.run([sys.executable, str(ROOT / "deploy" / "synops.py"), str(path), "--samples", "4",
                        "--lava-samples", "1", "--out", str(out)],  # with a progress bar: it must not upset Lava
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "synops per sample" in r.stdout and "Lava counts equal SLAYER" in r.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["samples"] == 4 and report["n_frames"] == 30 and report["gates"] == [2, 5]
    assert report["lava_samples_checked"] == 1 and report["lava_counts_equal"] is True
    assert report["frames_pruned"]["total"] == 4 * 2 * 9  # two window gates, ratio 0.3 of 30 frames
    assert report["synops_total"] > 0 and report["synops_unpruned"] > 0  # (no order: later layers are nonlinear)
    for name in ("synops_per_frame", "synops_per_layer", "totals"):
        assert (out / f"{name}.png").read_bytes()[:8] == PNG


def test_profile_script_names_bad_input(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "deploy" / "synops.py"), str(tmp_path / "nope.h5")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "no such file" in r.stderr


def test_no_script_shadows_a_standard_library_module():
    """A script's folder comes first on sys.path: deploy/profile.py once hid the stdlib
    `profile` that cProfile (imported by torch) needs, and broke every deploy script."""
    scripts = list((ROOT / "deploy").glob("*.py")) + list((ROOT / "train").glob("*.py"))
    assert scripts
    clashes = [p.name for p in scripts if p.stem in sys.stdlib_module_names]
    assert clashes == []
