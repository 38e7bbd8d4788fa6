"""Training: a short run learns, runs are deterministic, interrupted runs resume."""

import json

import h5py
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from razor_lava.data.framing import FrameSpec, frame_many
from razor_lava.data.synthetic import SyntheticGestures
from razor_lava.data.torch_data import FramedDataset
from razor_lava.config import load_config, parse_config
from razor_lava.model.network import RazorNet
from razor_lava.training import loop as run_mod
from razor_lava.training.evaluate import evaluate
from razor_lava.training.loop import train_epoch
from razor_lava.training.losses import make_loss
from razor_lava.training.options import RunOptions
from razor_lava.training.run import train

from interrupted import failing_epoch  # tests/ is on sys.path

TINY = {
    "data": {"dataset": "synthetic"},
    "input": [2, 16, 16],
    "neuron": {"tau_grad": 1.0, "scale_grad": 1.0},
    "layers": [
        {"type": "conv", "out": 8, "kernel": 3, "stride": 2, "padding": 1},
        {"type": "conv", "out": 16, "kernel": 3, "padding": 1},
        {"type": "pool", "kernel": 2},
        {"type": "flatten"},
        {"type": "dense", "out": 32},
        {"type": "dense", "out": 10, "neuron": "liaf"},
    ],
    "pruner": {"positions": "E3", "ratio": 0.3},
}


def synthetic_frames(split, n):
    ds = SyntheticGestures(split, n_samples=n, sensor=16, seed=0)
    spec = FrameSpec((16, 16, 2), window_ms=10, n_frames=30)
    frames = frame_many([ds[i][0] for i in range(n)], spec)
    return FramedDataset.from_arrays(frames, [ds.label(i) for i in range(n)], spec, ds.classes)


@pytest.mark.slow
def test_short_training_run_beats_chance_by_a_clear_margin():
    torch.manual_seed(0)
    train_set, test_set = synthetic_frames("train", 400), synthetic_frames("test", 100)
    net = RazorNet(parse_config(TINY))
    opt = torch.optim.Adam(net.parameters(), lr=0.003)
    loss_fn = make_loss({"loss": "rate_ce"})
    gen = torch.Generator().manual_seed(0)
    for epoch in range(4):
        train_epoch(net, DataLoader(train_set, 32, shuffle=True, generator=gen), opt, loss_fn, "cpu", False, "")
    ev = evaluate(net, DataLoader(test_set, 50))
    assert ev["accuracy"] >= 0.35, f"10 classes (chance 10%): test accuracy {ev['accuracy']:.2f}"
    for stats in ev["pruners"].values():  # E3 with ratio 0.3 prunes 9 of 30 frames
        assert stats["frames_pruned"] == pytest.approx(0.3)


def small_options(tmp_path, name, **kw):
    return RunOptions(out=tmp_path / name, epochs=kw.pop("epochs", 2), train_samples=40, test_samples=20,
                      progress=False, **kw)


@pytest.fixture(scope="module")
def small_cfg():
    cfg = load_config("synthetic_small")
    return cfg


@pytest.mark.slow
def test_interrupted_run_resumes_to_the_same_result(tmp_path, small_cfg, monkeypatch):
    full = train(small_cfg, small_options(tmp_path, "full"), log=lambda *a: None)

    real_epoch = run_mod.train_epoch
    monkeypatch.setattr(run_mod, "train_epoch", failing_epoch(real_epoch, 2, KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        train(small_cfg, small_options(tmp_path, "cut"), log=lambda *a: None)
    ckpt = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)
    assert ckpt["epoch"] == 1  # epoch 1 survived the interruption
    assert not list((tmp_path / "cut").glob("*.tmp*"))  # no half-written files
    monkeypatch.setattr(run_mod, "train_epoch", real_epoch)
    resumed = train(small_cfg, small_options(tmp_path, "cut", resume=True), log=lambda *a: None)

    assert resumed["train_loss"] == full["train_loss"] and resumed["test_accuracy"] == full["test_accuracy"]
    a = torch.load(tmp_path / "full" / "checkpoint.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    # The end-of-run cutoff calibration is deterministic and lands in the checkpoint and network.h5.
    assert resumed["timestep_reduction"] == full["timestep_reduction"] >= 1.0
    assert resumed["cutoff_accuracy"] == full["cutoff_accuracy"]
    # weights_only: what a run writes is data (tensors and plain types, training/checkpoint.py)
    beta = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)["cutoff"]["beta"]
    np.testing.assert_array_equal(beta, torch.load(tmp_path / "full" / "checkpoint.pt",
                                                   weights_only=True)["cutoff"]["beta"])
    with h5py.File(tmp_path / "cut" / "network.h5") as f:
        np.testing.assert_array_equal(f["razor/cutoff/beta"][()], beta)

    history = json.loads((tmp_path / "cut" / "metrics.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert (tmp_path / "cut" / "metrics.csv").read_text().startswith("epoch,")
    png = (tmp_path / "cut" / "learning_curve.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with h5py.File(tmp_path / "cut" / "network.h5") as f:
        types = [f["layer"][str(i)]["type"][0].decode() for i in range(len(f["layer"]))]
    assert types == ["input", "conv", "conv", "conv", "flatten", "dense", "dense"]


@pytest.mark.slow
def test_resume_refuses_a_different_config(tmp_path, small_cfg):
    train(small_cfg, small_options(tmp_path, "a", epochs=1), log=lambda *a: None)
    with pytest.raises(Exception, match="different config"):
        train(small_cfg, small_options(tmp_path, "a", epochs=2, resume=True, pruner={"positions": "E1"}),
              log=lambda *a: None)


def test_exported_weights_are_the_quantized_slayer_weights(tmp_path):
    net = RazorNet(parse_config(TINY))
    path = net.export_hdf5(tmp_path / "net.h5")
    with h5py.File(path) as f:
        w = f["layer/5/weight"][()]
        assert f["layer/0/shape"][()].tolist() == [2, 16, 16]
        assert bool(f["layer/6/neuron/gradedSpike"][()]) is True
    block = net.blocks[4]
    q = block.synapse.pre_hook_fx(block.synapse.weight, descale=True).reshape(32, -1).detach().numpy()
    np.testing.assert_array_equal(w, q)
    assert np.all(w == np.round(w)) and np.all(w % 2 == 0) and w.min() >= -256 and w.max() <= 254


@pytest.mark.parametrize("seed,epoch", [(0, 1), (0, 7), (3, 2)])
def test_epoch_order_is_the_loaders_shuffle_and_a_progress_bar_does_not_change_it(seed, epoch):
    """epoch_order reproduces DataLoader(shuffle=True, generator=g) as runs before it used it (so recorded
    results still reproduce), and the training loop's progress bar (tqdm.auto) around the loader built on it leaves the
    order alone - around the old loader it did not (that is why it exists)."""
    from razor_lava.progress import progress
    from razor_lava.training.loop import epoch_order

    data = list(range(50))
    g = torch.Generator().manual_seed(seed * 100_003 + epoch)
    old = [i for b in DataLoader(data, batch_size=8, shuffle=True, generator=g) for i in b.tolist()]
    order = epoch_order(len(data), seed, epoch)
    assert order == old and sorted(order) == data
    g = torch.Generator().manual_seed(seed * 100_003 + epoch)
    old_with_bar = [i for b in progress(DataLoader(data, batch_size=8, shuffle=True, generator=g), leave=False)
                    for i in b.tolist()]
    new_with_bar = [i for b in progress(DataLoader(data, batch_size=8, sampler=order), leave=False)
                    for i in b.tolist()]
    assert new_with_bar == order
    assert old_with_bar != old  # the old way depended on the bar


@pytest.mark.slow
def test_the_exported_network_is_the_epoch_the_validation_split_selected(tmp_path, small_cfg, monkeypatch):
    """Validation accuracies are scripted (3 epochs: 0.5, 0.8, 0.6): epoch 2 is selected, its weights are
    the ones in network.h5 and load_trained, the checkpoint still resumes from epoch 3, and the test split
    is evaluated once, after training."""
    from razor_lava.netfile import load_network_file
    from razor_lava.training.checkpoint import load_trained

    real_evaluate, seen = run_mod.evaluate, []
    scripted = iter([0.5, 0.8, 0.6])

    def evaluate(net, loader, *a, **k):
        ev = real_evaluate(net, loader, *a, **k)
        seen.append(len(loader.dataset))
        if len(seen) <= 3:  # the three validation passes
            ev["accuracy"] = next(scripted)
        return ev

    monkeypatch.setattr(run_mod, "evaluate", evaluate)
    result = train(small_cfg, small_options(tmp_path, "sel", epochs=3), log=lambda *a: None)
    ckpt = torch.load(tmp_path / "sel" / "checkpoint.pt", weights_only=True)
    assert result["selected_epoch"] == 2 and result["val_accuracy"] == 0.8 and ckpt["best"]["epoch"] == 2
    n_val, n_test = result["val_samples"], result["test_samples"]
    assert seen == [n_val] * 3 + [n_test] and n_val > 0  # validation every epoch, the test split once
    assert json.loads((tmp_path / "sel" / "result.json").read_text())["selected_epoch"] == 2
    assert "test_accuracy" not in json.loads((tmp_path / "sel" / "metrics.json").read_text())[0]
    assert ckpt["epoch"] == 3 and any(not torch.equal(ckpt["model"][k], ckpt["best"]["model"][k])
                                      for k in ckpt["model"])
    net = load_trained(tmp_path / "sel")
    best = ckpt["best"]["model"]
    assert all(torch.equal(net.state_dict()[k], best[k]) for k in best)
    w_file = load_network_file(tmp_path / "sel" / "network.h5").layers[1].weight
    w_best = net.block(1).synapse.pre_hook_fx(net.block(1).synapse.weight, descale=True).detach().numpy()
    np.testing.assert_array_equal(w_file, w_best.reshape(w_file.shape))
