"""RCS regulariser, config / CLI options, and the cutoff table in the network file and checkpoint."""

import numpy as np
import pytest
import torch

from razor_lava.cutoff import calibrate
from razor_lava.cutoff.rcs import RCS, capture_activity, n_reference, rcs_penalty
from netfiles import SMALL_CONV  # tests/ is on sys.path
from razor_lava.errors import ConfigError
from razor_lava.netfile import export_network, load_network_file
from razor_lava.config import parse_config, with_train_overrides
from razor_lava.model.network import RazorNet
from razor_lava.training.loop import train_epoch
from razor_lava.training.losses import make_loss

RAW = SMALL_CONV


def batch(n=6, T=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 2, 8, 8, T, generator=g) < 0.3).float()


# ---- the authors' code, verbatim but for names (Dengyu-Wu/snncutoff, MIT: regularizer/rcs_snn.py and the
# stacking in snncase.py). Their tensors are time-first: x T x N x ..., output T x N x classes.
def _authors_rcssnn(x, mem, beta=0.3):
    rank = len(x.size()) - 2
    dim = list(-np.arange(rank) - 1)
    r_t = x + torch.relu(mem)
    index = -int(r_t.shape[0] * beta)
    r_d = r_t[index:, ...].mean(0, keepdim=True).detach()
    r_d_norm = (r_d.pow(2).sum(dim=dim) + 1e-5) ** 0.5
    r_t_norm = (r_t.pow(2).sum(dim=dim) + 1e-5) ** 0.5
    cs = (r_t * r_d).sum(dim=dim) / (r_t_norm * r_d_norm)
    cs = cs.mean(0, keepdim=True)
    return 1 / (cs + 1e-5)


def _authors_reg_loss(x, y, features, rcs_n=0.3):
    _target = torch.unsqueeze(y, dim=0)
    index = -int(x.shape[0] * rcs_n)
    right_predict_mask = x[index:].max(-1)[1].eq(_target).to(torch.float32)
    right_predict_mask = right_predict_mask.prod(0, keepdim=True)
    right_predict_mask = torch.unsqueeze(right_predict_mask, dim=2).flatten(0, 1).contiguous().detach()
    features = features * right_predict_mask
    features = features.max(dim=0)[0]
    return features.mean()


def _authors(spikes, mems, output, labels, beta):
    """Their whole term: per layer RCSSNN (spikes and mem/vth T-first), stacked as snncase.py stacks them."""
    hooks = [_authors_rcssnn(s, m, beta) for s, m in zip(spikes, mems)]
    cs_mean = torch.stack(hooks, dim=2).flatten(0, 1).contiguous()
    return _authors_reg_loss(output, labels, cs_mean, beta)


@pytest.mark.parametrize("T,beta", [(10, 0.3), (7, 0.3), (3, 0.3), (12, 0.5)])
def test_rcs_equals_the_authors_code_on_fixed_tensors(T, beta):
    """Ours (time last, r = s + relu(v/vth) already summed) against their code (time first) on the same
    tensors: two layers (one conv-shaped), a batch where some samples are wrong at some final step, and a
    T where int(beta T) = 0 (their slice then takes every step)."""
    g = torch.Generator().manual_seed(T)
    N = 6
    spikes = [(torch.rand(T, N, 4, 3, 3, generator=g) < 0.3).float(), (torch.rand(T, N, 5, generator=g) < 0.4).float()]
    mems = [torch.randn(T, N, 4, 3, 3, generator=g), torch.randn(T, N, 5, generator=g)]
    output = torch.rand(T, N, 3, generator=g)
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    output[:, :3, :] = 0
    output[:, 0, 0] = output[:, 1, 1] = output[:, 2, 2] = 1  # samples 0-2 right at every step
    theirs = _authors(spikes, mems, output, labels, beta)
    records = [(s + torch.relu(m)).movedim(0, -1).reshape(N, -1, T) for s, m in zip(spikes, mems)]
    ours = rcs_penalty(records, output.movedim(0, -1), labels, beta)
    assert torch.allclose(ours, theirs, rtol=1e-6, atol=0), (ours.item(), theirs.item())
    assert ours.item() > 0


def test_rcs_penalty_is_finite_and_has_gradients():
    torch.manual_seed(0)
    net = RazorNet(parse_config(RAW))
    x = batch()
    with capture_activity(net) as records:
        out = net(x)
    assert len(records) == 3 and records[0].shape == (6, 4 * 4 * 4, 10)
    assert all("spike" not in vars(b.neuron) for b in net.blocks if getattr(b, "neuron", None) is not None)
    labels = out.detach()[..., -1].argmax(1)
    out = out.clone()
    out.data[..., -3:] = 0
    out.data[torch.arange(6), labels, -3:] = 1  # every sample right at the last int(0.3 T) = 3 steps
    reg = rcs_penalty(records, out, labels, 0.3)
    assert torch.isfinite(reg) and reg.item() > 0
    reg.backward()
    grads = [p.grad for p in net.parameters() if p.requires_grad and p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads) and any(g.abs().sum() > 0 for g in grads)
    # No qualifying sample: zero.
    with capture_activity(net) as records:
        net(x)
    assert rcs_penalty(records, out.detach(), (labels + 1) % 3, 0.3).item() == 0.0
    assert n_reference(10, 0.3) == 3 and n_reference(10, 0.01) == 0 and n_reference(10, 1.0) == 10


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
                                       ("val_fraction", 0.5), ("val_fraction", -0.1), ("select", "first"),
                                       ("lr_schedule", "step"), ("dropout", 1.0),
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
                           "--cutoff-epsilon", "0.1", "--val-fraction", "0.2", "--select", "last"])
    assert mod.train_overrides(args) == {"rcs_alpha": 0.002, "rcs_ref_fraction": 0.25, "cutoff_epsilon": 0.1,
                                         "val_fraction": 0.2, "select": "last"}
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
