"""bench/gpu_check.py runs to its report on a machine without a GPU (its smoke mode): the check a GPU
machine runs is itself checked here, so that a lent GPU's few minutes are not spent on a broken script."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_gpu_check_reports_every_section(tmp_path):
    out = tmp_path / "GPU.md"
    r = subprocess.run([sys.executable, str(REPO / "bench" / "gpu_check.py"), "--smoke", "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    res = json.loads(out.with_suffix(".json").read_text())
    assert not any("error" in v for v in res.values() if isinstance(v, dict))
    assert res["kernels"]["mode"] == ("no CUDA device" if not torch.cuda.is_available() else res["kernels"]["mode"])
    assert all(s > 0 for s in res["agreement"]["cpu_layer_spikes"])  # the compared network spikes in every layer
    rows = res["throughput"]["rows"]
    assert {r["network"] for r in rows} == {"synthetic_frontier", "dvsgesture"}
    assert all(r["samples_per_s"] > 0 for r in rows)
    assert "| dvsgesture | cpu |" in out.read_text()
