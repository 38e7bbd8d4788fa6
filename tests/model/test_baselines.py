"""The trivial pruning rules (pruning/baselines.py) as integer pruners: each decides exactly what its one-line
rule says, in window and causal form; they train in Razor's place; the config refuses what they cannot take."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from razor_lava.errors import ConfigError
from razor_lava.config import parse_config
from razor_lava.model.network import RazorNet
from razor_lava.netfile import export_network, load_network_file
from razor_lava.pruning.baselines import (baseline, events_gate, fraction_pruned, random_positions,
                                          tune_events_k, uniform_positions)
from razor_lava.pruning.decide import decide_batch
from razor_lava.pruning.module import EventPruner, frozen_pruner

from netfiles import CONV, T, export_random

RNG = np.random.default_rng(3)


def counts(n=6, shape=(2, 4, 4), t=30, empty=(3, 7)):
    x = RNG.integers(0, 3, (n, *shape, t)) * (RNG.random((n, 1, 1, 1, t)) < 0.8)
    x[..., list(empty)] = 0
    return x


@pytest.mark.parametrize("pool", [(1, 1), (2, 2)])
def test_events_gate_keeps_exactly_the_frames_with_more_than_k_events(pool):
    x = counts()
    sums = x.reshape(x.shape[0], -1, x.shape[-1]).sum(axis=1)
    d = 2 * pool[0] * pool[1]
    area = (4 // pool[0]) * (4 // pool[1])
    for k in (0, 5, int(np.median(sums)), int(sums.max())):
        keep = decide_batch(x, events_gate(d, k, pool=pool, area=area))
        assert np.array_equal(keep, sums > k), k
    assert not decide_batch(x, events_gate(d, 0, pool=pool, area=area))[:, [3, 7]].any()  # k = 0: empty frames go


def test_schedules_prune_the_same_positions_of_every_sample_and_no_content_matters():
    x = counts()
    for ratio in (0.1, 0.3, 0.5, 0.7):
        pos = uniform_positions(ratio, 30)
        assert len(pos) == round(ratio * 30) and len(set(pos)) == len(pos)
        keep = decide_batch(x, baseline("uniform", 2, 30, ratio=ratio))
        want = np.ones(30, bool)
        want[pos] = False
        assert np.array_equal(keep, np.broadcast_to(want, keep.shape) & x.reshape(6, -1, 30).any(axis=1))
    assert list(uniform_positions(0.5, 30)) == list(range(1, 30, 2))  # every other frame
    a, b = random_positions(0.5, 30, 0), random_positions(0.5, 30, 1)
    assert len(a) == 15 and not np.array_equal(a, b) and np.array_equal(a, random_positions(0.5, 30, 0))


@pytest.mark.parametrize("method", ["events", "uniform", "random"])
def test_baselines_decide_causally_in_the_causal_variant(method):
    x = counts(t=20)
    p = baseline(method, 2 * 16, 20, k=6, ratio=0.4, seed=2, variant="causal", pool=(4, 4), area=1)
    full = decide_batch(x, p)
    for t in range(20):
        assert np.array_equal(decide_batch(x[..., : t + 1], p)[:, -1], full[:, t])


def test_a_schedule_refuses_a_window_longer_than_it_knows():
    with pytest.raises(ValueError, match="frame_bias covers 10 frames"):
        decide_batch(counts(t=12), baseline("uniform", 2, 10, ratio=0.5))


def test_tune_events_k_lands_nearest_the_target_fraction():
    sums = RNG.poisson(20, (40, 30))
    for target in (0.1, 0.3, 0.5, 0.8):
        k = tune_events_k(sums, target)
        best = min(range(-1, int(sums.max()) + 1), key=lambda c: (abs(fraction_pruned(sums, c) - target), c))
        assert abs(fraction_pruned(sums, k) - target) == pytest.approx(abs(fraction_pruned(sums, best) - target))


def test_frozen_pruner_is_razor_with_other_random_embeddings_and_refuses_a_threshold():
    trained = EventPruner(2, (4, 4), ratio=0.5, pool=(2, 2)).quantized()
    frozen = frozen_pruner(trained, 2, (4, 4), 4, 3, seed=7)
    assert frozen.weight.shape == trained.weight.shape and frozen.ratio == 0.5 and frozen.pool == (2, 2)
    assert not np.array_equal(frozen.embeddings, trained.embeddings)
    assert (decide_batch(counts(), frozen).sum(axis=1) == 15).all()  # the same fraction
    with pytest.raises(ValueError, match="ratio pruners only"):
        frozen_pruner(EventPruner(2, (4, 4), theta=0.5).quantized(), 2, (4, 4), 4, 3, seed=7)


def test_a_baseline_trains_in_razors_place_with_its_hard_decision_and_razors_parameters_frozen():
    x = torch.as_tensor(counts(n=4, t=10), dtype=torch.float32)
    for kw in ({"method": "uniform", "ratio": 0.5}, {"method": "events", "events_k": 4},
               {"method": "random", "ratio": 0.3, "seed": 5}):
        p = EventPruner(2, (4, 4), **kw).train()
        y = p(x)
        keep = torch.from_numpy(decide_batch(x.numpy().astype(np.int64), p.quantized()))
        assert torch.equal(y, x * keep[:, None, None, None, :]), kw
        assert not any(q.requires_grad for q in (p.embeddings, p.weight, p.bias))
    frozen = EventPruner(2, (4, 4), ratio=0.5, train_mode="ste", freeze=True, seed=3).train()
    before = frozen.embeddings.detach().clone()
    opt = torch.optim.Adam([q for q in frozen.parameters() if q.requires_grad], lr=0.1)
    frozen(x).sum().backward()
    opt.step()
    assert torch.equal(frozen.embeddings, before) and frozen.mask_offset.grad is not None


def test_the_config_takes_the_methods_and_refuses_what_they_cannot_use():
    raw = dict(CONV, pruner={"positions": [2], "method": "uniform", "ratio": 0.4, "variant": "causal"})
    cfg = parse_config(raw)  # a schedule needs no window: causal is fine
    assert cfg.pruner["method"] == "uniform" and cfg.pruner["ratio"] == 0.4
    with pytest.raises(ConfigError, match="pruner.events_k"):
        parse_config(dict(CONV, pruner={"positions": [2], "method": "events"}))
    with pytest.raises(ConfigError, match="pruner.events_k"):
        parse_config(dict(CONV, pruner={"positions": [2], "events_k": 3}))
    with pytest.raises(ConfigError, match="pruner.ratio.*ratio of frame positions"):
        parse_config(dict(CONV, pruner={"positions": [2], "method": "random", "theta": 0.5}))
    with pytest.raises(ConfigError, match="pruner.method"):
        parse_config(dict(CONV, pruner={"positions": [2], "method": "smart"}))


def test_a_baseline_network_file_holds_the_rule_and_reads_back_to_the_same_decisions(tmp_path):
    torch.manual_seed(0)
    cfg = parse_config(dict(CONV, pruner={"positions": [2, 5], "method": "uniform", "ratio": 0.5}))
    net = RazorNet(cfg).eval()
    x = torch.as_tensor(counts(n=3, shape=(2, 10, 8), t=T), dtype=torch.float32).clamp(max=1)
    net(x)  # the schedule knows its window from the first input
    path = export_network(net, tmp_path / "uniform.h5")
    nf = load_network_file(path)
    for k, pruner in net.pruner_items():
        assert np.array_equal(nf.pruners[k].frame_bias, pruner.quantized().frame_bias)
        assert nf.pruners[k].theta_int == 0 and nf.pruners[k].ratio is None
    assert nf.config["pruner"]["method"] == "uniform"
