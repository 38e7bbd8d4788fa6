"""bench/streaming.py: its smoke run measures both modes on one network and writes a report whose
numbers come from the run (outputs identical both ways, synops equal, no worker left)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.lava
@pytest.mark.slow
def test_quick_run_writes_a_report_of_both_modes(tmp_path):
    from razor_lava.data.synthetic import CLASSES, default_frame_spec
    from razor_lava.config import load_config
    from razor_lava.model.network import RazorNet
    from razor_lava.netfile import export_network

    torch.manual_seed(0)
    path = export_network(RazorNet(load_config("synthetic_small")), tmp_path / "net.h5", default_frame_spec(),
                          CLASSES)
    out = tmp_path / "S.md"
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "streaming.py"), "--quick", "--synthetic", str(path),
                        "--workers", "2", "--out", str(out)], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.with_suffix(".json").read_text())["datasets"]["synthetic"]
    assert res["samples"] == 6 and res["per_sample_samples"] == 2 and res["leftover_workers"] == 0
    assert res["stream"]["agreement"] == 1.0 and res["stream"]["synops_agreement"] == 1.0
    assert res["per_sample"]["outputs_equal_stream"] and res["stream_workers"]["outputs_equal_stream"]
    assert res["stream_lava_conv"]["outputs_equal_stream"]  # Lava's own Conv model: the same outputs
    assert res["throughput_ratio"] == pytest.approx(res["stream"]["samples_per_second"]
                                                    / res["per_sample"]["samples_per_second"])
    text = out.read_text()
    assert f"{res['throughput_ratio']:.1f}x" in text and out.with_suffix(".png").stat().st_size > 0
