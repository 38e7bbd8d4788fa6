"""RCS regulariser, config / CLI options, and the cutoff table in the network file and checkpoint."""

import numpy as np
import pytest
import torch

from razor_lava.cutoff import calibrate
from razor_lava.cutoff.rcs import RCS, capture_activity, n_reference, rcs_penalty
from razor_lava.errors import ConfigError
from razor_lava.netfile import export_network, load_network_file
from razor_lava.model.config import parse_config, with_train_overrides
from razor_lava.model.network import RazorNet
from razor_lava.training.run import make_loss, train_epoch

RAW = {
    "data": {"dataset": "synthetic"},
    "input": [2, 8, 8],
    "neuron": {"tau_grad": 1.0, "scale_grad": 1.0},
    "layers": [
        {"type": "conv", "out": 4, "kernel": 3, "stride": 2, "padding": 1},
        {"type": "flatten"},
        {"type": "dense", "out": 16},
        {"type": "dense", "out": 3, "neuron": "liaf"},
    ],
    "pruner": {"positions": "E1"},
}


def batch(n=6, T=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 2, 8, 8, T, generator=g) < 0.3).float()


def test_rcs_penalty_is_finite_and_has_gradients():
    torch.manual_seed(0)
    net = RazorNet(parse_config(RAW))
    x = batch()
    with capture_activity(net) as records:
        out = net(x)
    assert len(records) == 3 and records[0].shape == (6, 4 * 4 * 4, 10)
    assert all("spike" not in vars(b.neuron) for b in net.blocks if getattr(b, "neuron", None) is not None)
    labels = out.detach().cumsum(-1)[..., -1].argmax(1)  # every sample "correct": all take part
    reg = rcs_penalty(records, out, labels, 0.3)
    assert torch.isfinite(reg) and reg.item() >= 1.0 - 1e-4  # 1/cos >= 1
    reg.backward()
    grads = [p.grad for p in net.parameters() if p.requires_grad and p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads) and any(g.abs().sum() > 0 for g in grads)
    # No qualifying sample: zero, still a tensor.
    wrong = (labels + 1) % 3
    with capture_activity(net) as records:
        out = net(x)
    assert rcs_penalty(records, out, wrong, 0.3).item() == 0.0
    assert n_reference(10, 0.3) == 3 and n_reference(10, 0.01) == 1 and n_reference(10, 1.0) == 10


def test_cos_floor_bounds_the_term_and_its_gradient():
    """One layer, one sample, T = 4, reference = the last step. r_0 is nearly orthogonal to r_d (cos 0.01):
    the paper's form gives ~100 with a gradient ~1e4; with a floor of 0.1 that pair gives 10 and no gradient."""
    # N=1, M=2, T=4: r_t = (0.01, 1), (1, 1), (1, 1), (1, 0); r_d = r_3 = (1, 0)
    r = torch.tensor([[[0.01, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 0.0]]], requires_grad=True)
    out = torch.tensor([[[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]])  # class 0 wins: the sample qualifies
    labels = torch.tensor([0])
    cos0 = 0.01 / (0.01 ** 2 + 1) ** 0.5
    paper = rcs_penalty([r], out, labels, 0.25, cos_floor=0.0)
    paper.backward()
    g_paper = r.grad.abs().max().item()
    r.grad = None
    floored = rcs_penalty([r], out, labels, 0.25, cos_floor=0.1)
    floored.backward()
    # cos of t = 1, 2 with (1, 1): 1/sqrt(2); t = 3: 1
    cos12 = 2 ** -0.5
    assert paper.item() == pytest.approx((1 / cos0 + 2 / cos12 + 1) / 4, rel=1e-3)
    assert floored.item() == pytest.approx((10 + 2 / cos12 + 1) / 4, rel=1e-3)
    assert g_paper > 1e3 and r.grad[..., 0].abs().max().item() == 0.0 and r.grad.abs().max().item() < 10


def test_train_epoch_with_rcs_logs_the_mean_term():
    torch.manual_seed(0)
    net = RazorNet(parse_config(RAW))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loader = [(batch(seed=s), torch.tensor([0, 1, 2, 0, 1, 2])) for s in range(2)]
    rcs = RCS(alpha=0.002, ref_fraction=0.3)
    loss, acc = train_epoch(net, loader, opt, make_loss({"loss": "rate_ce"}), "cpu", False, "", rcs=rcs)
    assert np.isfinite(loss) and np.isfinite(rcs.mean) and rcs.n == 12


@pytest.mark.parametrize("key,value", [("rcs_alpha", -0.1), ("rcs_alpha", "big"), ("rcs_alpha", float("nan")),
                                       ("rcs_ref_fraction", 0), ("rcs_ref_fraction", 1.5),
                                       ("rcs_cos_floor", -0.1), ("rcs_cos_floor", 1.0),
                                       ("cutoff_epsilon", 1.0), ("cutoff_epsilon", -0.01), ("cutoff_epsilon", True)])
def test_bad_options_name_the_key(key, value):
    with pytest.raises(ConfigError) as e:
        parse_config(RAW | {"train": {key: value}})
    assert e.value.key == f"train.{key}"


def test_defaults_and_overrides():
    cfg = parse_config(RAW)
    assert (cfg.train["rcs_alpha"], cfg.train["rcs_ref_fraction"], cfg.train["cutoff_epsilon"]) == (0.0, 0.3, 0.05)
    cfg2 = with_train_overrides(cfg, {"rcs_alpha": 0.002, "cutoff_epsilon": None})
    assert cfg2.train["rcs_alpha"] == 0.002 and cfg2.train["cutoff_epsilon"] is None
    assert cfg.train["rcs_alpha"] == 0.0  # the original is untouched


def test_cli_flags(capsys):
    from razor_lava.cli import train as mod
    args = mod.parse_args(["--config", "c", "--out", "o", "--rcs-alpha", "0.002", "--rcs-ref-fraction", "0.25",
                           "--rcs-cos-floor", "0", "--cutoff-epsilon", "0.1"])
    assert mod.train_overrides(args) == {"rcs_alpha": 0.002, "rcs_ref_fraction": 0.25, "rcs_cos_floor": 0.0,
                                         "cutoff_epsilon": 0.1}
    assert mod.train_overrides(mod.parse_args(["--config", "c", "--out", "o", "--no-cutoff"])) == \
        {"cutoff_epsilon": None}
    rc = mod.main(["--config", "synthetic_small", "--out", "/nonexistent/x",
                   "--cutoff-epsilon", "1.5"])
    assert rc == 2 and "train.cutoff_epsilon" in capsys.readouterr().err


def test_cutoff_table_round_trips_through_the_network_file(tmp_path):
    net = RazorNet(parse_config(RAW))
    out = np.zeros((4, 3, 5), dtype=np.int64)
    out[:, 0, :] = 1
    table = calibrate(out, np.array([0, 0, 0, 1]), epsilon=0.05)  # a wrong sample: fallback everywhere
    assert table["fallback_steps"].tolist() == [0, 1, 2, 3, 4]
    nf = load_network_file(export_network(net, tmp_path / "n.h5", cutoff=table))
    np.testing.assert_array_equal(nf.cutoff["beta"], table["beta"])
    assert nf.cutoff["epsilon"] == 0.05 and nf.cutoff["warning"] == table["warning"]
    np.testing.assert_array_equal(nf.cutoff["fallback_steps"], [0, 1, 2, 3, 4])
    table = calibrate(out, np.zeros(4, dtype=np.int64), epsilon=0.05)  # no fallback: empty list stored
    nf = load_network_file(export_network(net, tmp_path / "m.h5", cutoff=table))
    assert np.asarray(nf.cutoff["fallback_steps"]).size == 0 and nf.cutoff["warning"] == ""
    assert load_network_file(export_network(net, tmp_path / "p.h5")).cutoff is None


def test_end_of_run_calibration_is_deterministic():
    from razor_lava.data.framing import FrameSpec
    from razor_lava.data.torch_data import FramedDataset
    from razor_lava.training.cutoff import calibrate_run

    torch.manual_seed(0)
    net = RazorNet(parse_config(RAW))
    spec = FrameSpec((8, 8, 2), window_ms=5, n_frames=10)
    frames = [batch(1, seed=s)[0].numpy() for s in range(8)]
    data = FramedDataset.from_arrays(frames, [s % 3 for s in range(8)], spec, ["a", "b", "c"])
    a, row_a = calibrate_run(net, data, data, 0.05, 4, "cpu", log=lambda *a: None)
    b, row_b = calibrate_run(net, data, data, 0.05, 4, "cpu", log=lambda *a: None)
    np.testing.assert_array_equal(a["beta"], b["beta"])
    assert row_a == row_b and a["beta"].shape == (10,) and sum(row_a["exit_histogram"]) == 8
