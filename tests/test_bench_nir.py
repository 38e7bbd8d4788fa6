"""bench/nir_interop.py --quick: a trained run on the embedded set goes to NIR and back exactly, and Norse
running the exported graph predicts what SLAYER does."""

import json

import pytest

pytest.importorskip("norse", reason="the test extras (norse) are not installed")

import bench_scripts  # noqa: E402


@pytest.mark.slow
def test_nir_bench_quick_round_trip_exact_and_norse_agrees(tmp_path):
    mod = bench_scripts.load("nir_interop")
    out = tmp_path / "NIR.md"
    assert mod.main(["--quick", "--work", str(tmp_path / "runs"), "--out", str(out), "--samples", "60"]) == 0
    r = json.loads(out.with_suffix(".json").read_text())["results"][0]
    rt = r["round_trip"]
    assert rt["differences"] == [] and rt["identical_slayer_outputs"] == r["samples"] == 60
    assert rt["netx_layers_bytes_equal"] and rt["pruners"] == [2, 5]
    # One epoch on 120 samples: a weak network whose ties and near-threshold voltages make the agreement
    # lower than the trained network's 97% (docs/results.md); still far above chance (10 classes).
    assert r["norse"]["prediction_agreement"] >= 0.85 and r["norse"]["spike_agreement"] >= 0.9
    assert "| seed0 | 60 | none | 60 / 60 | yes |" in out.read_text()
