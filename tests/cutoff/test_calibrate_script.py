"""train/calibrate.py adds a cutoff table to a finished run (checkpoint and network.h5)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from razor_lava.netfile import load_network_file

ROOT = Path(__file__).parents[2]


@pytest.mark.slow
def test_calibrate_script_stores_the_table(copy_of_tiny_run):
    run = copy_of_tiny_run
    r = subprocess.run([sys.executable, str(ROOT / "train" / "calibrate.py"), str(run), "--epsilon", "0.2"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    row = json.loads(r.stdout[r.stdout.index("{"):])
    assert row["cutoff_epsilon"] == 0.2 and row["timestep_reduction"] >= 1.0
    ckpt = torch.load(run / "checkpoint.pt", weights_only=True)
    assert ckpt["cutoff"]["epsilon"] == 0.2
    nf = load_network_file(run / "network.h5")
    assert nf.cutoff is not None and len(nf.cutoff["beta"]) == 30
    assert sorted(nf.pruners) == [2, 5]  # the re-export keeps the pruners

    bad = subprocess.run([sys.executable, str(ROOT / "train" / "calibrate.py"), str(run), "--epsilon", "1.5"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--epsilon" in bad.stderr
