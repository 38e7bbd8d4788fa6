"""torchrun with 2 CPU processes (gloo) against one process at the same global batch: the same steps, the
same validation, cutoff and files; --resume; a global batch the ranks cannot share is refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

ROOT = Path(__file__).parents[2]
CONFIG = """\
name: ddp-test
data: {dataset: synthetic}
input: [2, 32, 32]
neuron: {tau_grad: 1.0, scale_grad: 1.0}
layers:
  - {type: conv, out: 8, kernel: 3, stride: 2, padding: 1}
  - {type: pool, kernel: 2}
  - {type: flatten}
  - {type: dense, out: 10}
pruner: {positions: E2, ratio: 0.3}
train: {epochs: 2, batch_size: 16, lr: 0.003, cutoff_epsilon: 0.2, augment: {translate: 2}}
"""
# No dropout: lava-dl's dropout masks come from each process's own RNG, so they cannot match one process's.
# The augmentation does match: each sample's draw comes from (seed, epoch, index) alone.


def train(tmp_path, out: str, ranks: int, *extra: str) -> subprocess.CompletedProcess:
    cfg = tmp_path / "ddp.yaml"
    cfg.write_text(CONFIG)
    args = ["train/train.py", "--config", str(cfg), "--out", str(tmp_path / out), "--train-samples", "96",
            "--test-samples", "20", "--no-progress", *extra]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={ranks}"] \
        if ranks > 1 else [sys.executable]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run(launcher + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_two_ranks_take_the_single_process_steps_and_rank_0_writes(tmp_path):
    one, two = train(tmp_path, "one", 1), train(tmp_path, "two", 2)
    assert one.returncode == 0, one.stderr[-2000:]
    assert two.returncode == 0, two.stderr[-2000:]
    a = torch.load(tmp_path / "one/checkpoint.pt", weights_only=True)
    b = torch.load(tmp_path / "two/checkpoint.pt", weights_only=True)
    # Tolerance: the two half-batch gradients are averaged by all-reduce, one process sums the whole batch:
    # the same numbers in another float summation order (measured differences ~6e-8).
    for k, v in a["model"].items():
        assert torch.allclose(v.float(), b["model"][k].float(), rtol=0, atol=1e-5), k
    ha, hb = a["history"], b["history"]
    assert [h["epoch"] for h in hb] == [1, 2]
    for x, y in zip(ha, hb):
        assert x["train_accuracy"] == y["train_accuracy"] and x["val_accuracy"] == y["val_accuracy"]
        assert x["train_loss"] == pytest.approx(y["train_loss"], rel=1e-5)
    ra, rb = (json.loads((tmp_path / d / "result.json").read_text()) for d in ("one", "two"))
    for key in ("selected_epoch", "test_accuracy", "val_samples", "train_samples", "cutoff_accuracy"):
        assert ra[key] == rb[key], key
    with h5py.File(tmp_path / "one/network.h5") as fa, h5py.File(tmp_path / "two/network.h5") as fb:
        assert np.array_equal(fa["razor/cutoff/beta"][()], fb["razor/cutoff/beta"][()])
        for k in ("1", "4"):
            assert np.array_equal(fa[f"layer/{k}/weight"][()], fb[f"layer/{k}/weight"][()])
    # Rank 0 alone printed the summary (one JSON document on stdout).
    # (lava-dl's import note comes from every rank; the JSON from rank 0 only.)
    assert two.stdout.count('"selected_epoch"') == 1
    assert json.loads(two.stdout[two.stdout.index("{\n"):])["selected_epoch"] == ra["selected_epoch"]
    resumed = train(tmp_path, "two", 2, "--resume", "--epochs", "3")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert [h["epoch"] for h in torch.load(tmp_path / "two/checkpoint.pt", weights_only=True)["history"]] == [1, 2, 3]


@pytest.mark.slow
def test_a_global_batch_the_ranks_cannot_share_is_refused(tmp_path):
    r = train(tmp_path, "odd", 2, "--batch-size", "15")
    assert r.returncode != 0
    assert "the global batch 15 must be a multiple of the 2 ranks" in r.stderr
    assert not (tmp_path / "odd").exists()
