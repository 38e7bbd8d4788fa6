"""Synop counting: the SLAYER hooks and the Lava counters give IDENTICAL numbers, layer by layer and
frame by frame, on razor_lava networks (window and causal gates, LIAF) and on a plain lava-dl file.
Counting never changes what a network computes; gates zero the events of pruned frames."""

import numpy as np
import pytest
import torch

from razor_lava.deployment.evaluate import slayer_reference
from razor_lava.errors import ConfigError
from razor_lava.netfile import load_network_file
from razor_lava.model._slayer import slayer
from razor_lava.model.reference import reference_network
from razor_lava.profile.counts import SynopCounts, fanout_map, fanout_maps
from razor_lava.profile.slayer_counter import attach_counters, count_slayer

from netfiles import CONV, DENSE, T, export_random, random_frames, write_plain_netx

N_LAVA = 2  # a new Lava network per sample costs about 1-3 s here
CASES = {
    "conv-window": (CONV, {"positions": [1, 2, 5], "ratio": 0.25}),
    "conv-causal": (CONV, {"positions": [2, 5, 6], "theta": 0.8, "ratio": None, "variant": "causal"}),
    "dense-liaf-window": (DENSE, {"positions": [2, 3], "ratio": 0.3}),
}


def make_file(path, raw, pruner, seed=0):
    """A random exported RazorNet whose pruners really prune, loaded back."""
    return load_network_file(export_random(path, raw, pruner, seed)[1])


frames_for = random_frames


@pytest.fixture(scope="module")
def case_file(tmp_path_factory):
    cache = {}

    def get(name):
        if name not in cache:
            raw, pruner = CASES[name]
            cache[name] = make_file(tmp_path_factory.mktemp(name) / "net.h5", raw, pruner)
        return cache[name]

    return get


def assert_same(a: SynopCounts, b: SynopCounts):
    """Identical counts, layer by layer and frame by frame; the message names the first difference."""
    assert a.layers == b.layers and a.names == b.names and a.n_frames == b.n_frames
    assert a.neurons == b.neurons and a.dense_macs == b.dense_macs
    for kind in ("events", "synops"):
        for i in a.layers:
            x, y = getattr(a, kind)[i], getattr(b, kind)[i]
            assert x.shape == y.shape, (kind, i, x.shape, y.shape)
            bad = np.argwhere(x != y)
            assert bad.size == 0, f"{kind} of layer {i} differ first at (n, t) = {tuple(bad[0])}: {x[tuple(bad[0])]} " \
                                  f"vs {y[tuple(bad[0])]}"
    assert set(a.keep) == set(b.keep) and all(np.array_equal(a.keep[i], b.keep[i]) for i in a.keep)


def test_hooks_leave_the_network_unchanged_and_are_removed(case_file):
    nf = case_file("conv-window")
    frames = frames_for(nf.input_shape, 4)
    net = reference_network(nf)
    x = torch.as_tensor(frames, dtype=torch.float32)
    with torch.no_grad():
        plain = net(x)
        keep = {k: p.last_keep.clone() for k, p in net.pruners.items()}
        fans = fanout_maps(nf)
        with attach_counters({i: net.layer(i) for i in fans}, fans, T) as counter:
            hooked = net(x)
        assert all(not m._forward_pre_hooks for m in net.layers.values())
        after = net(x)
    assert torch.equal(plain, hooked) and torch.equal(plain, after)
    assert all(torch.equal(keep[k], p.last_keep) for k, p in net.pruners.items())
    assert counter.synops()[1].shape == (4, T)
    counts, out = count_slayer(nf, frames)
    ref = slayer_reference(nf, frames)
    assert np.array_equal(out, ref["output"])
    assert all(np.array_equal(counts.keep[i], ref["keep"][i]) for i in nf.pruners)


def test_slayer_counts_equal_a_count_by_hand(case_file):
    """Layer 1 sees the gated input frames: count them directly."""
    nf = case_file("conv-window")  # a gate in front of layer 1
    frames = frames_for(nf.input_shape, 5)
    counts, _ = count_slayer(nf, frames)
    keep = counts.keep[1]
    assert 0 < (~keep).sum() < keep.size
    nz = (frames != 0) * keep[:, None, None, None, :]
    fan = fanout_maps(nf)[1]
    assert np.array_equal(counts.events[1], nz.sum(axis=(1, 2, 3)))
    assert np.array_equal(counts.synops[1], np.einsum("nchwt,chw->nt", nz.astype(np.int64), fan))
    assert counts.neurons[1] == 6 * 5 * 4 and counts.dense_macs[1] == fan.sum()
    assert counts.names == ["conv1", "conv2", "pool3", "dense5", "dense6"]


def test_helpers_and_batching(case_file):
    nf = case_file("dense-liaf-window")
    frames = frames_for(nf.input_shape, 5)
    whole, out = count_slayer(nf, frames)
    parts = [count_slayer(nf, frames[:2], batch=1)[0], count_slayer(nf, frames[2:], batch=2)[0]]
    assert_same(SynopCounts.concat(parts), whole)
    for kind in ("events", "synops"):
        assert whole.per_frame(kind).shape == (5, T)
        assert whole.per_frame(kind).sum() == whole.total(kind) == sum(whole.per_layer(kind).values()) > 0
    assert whole.neuron_updates()[4] == 5 * 5 * T and whole.dense_total() == 5 * T * (30 * 20 + 20 * 16 + 16 * 12
                                                                                       + 12 * 5)
    assert whole.summary()["synops"] == whole.total() and out.shape == (5, 5, T)
    with pytest.raises(ValueError, match="different networks"):
        SynopCounts.concat([whole, count_slayer(nf, frames, gates=False)[0]])


@pytest.mark.lava
@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_slayer_and_lava_counts_are_identical(case_file, name):
    from razor_lava.profile.lava_counter import count_lava

    torch.set_num_threads(1)
    nf = case_file(name)
    frames = frames_for(nf.input_shape, N_LAVA)
    s_counts, s_out = count_slayer(nf, frames)
    l_counts, l_out = count_lava(nf, frames)
    assert np.array_equal(s_out, l_out)
    assert_same(s_counts, l_counts)
    # the networks really spike in every layer, and the gates really prune
    assert all(v > 0 for v in s_counts.per_layer().values()), s_counts.per_layer()
    assert all(0 < (~k).sum() < k.size for k in s_counts.keep.values())
    # a pruned frame sends no event into the layer behind its gate, in both counters
    for c in (s_counts, l_counts):
        for k, keep in c.keep.items():
            assert np.all(c.events[k][~keep] == 0) and np.all(c.synops[k][~keep] == 0)


@pytest.mark.lava
def test_first_gate_only_removes_synops(case_file):
    """Behind the first gate (nothing upstream changes), synops with gates <= without on every frame:
    equal on kept frames, zero on pruned ones. (Behind later gates the inputs themselves differ.)"""
    from razor_lava.profile.lava_counter import count_lava

    torch.set_num_threads(1)
    nf = case_file("dense-liaf-window")  # gates at layers 2 and 3: the first sits in front of layer 2
    frames = frames_for(nf.input_shape, N_LAVA)
    with_g, _ = count_slayer(nf, frames)
    without, _ = count_slayer(nf, frames, gates=False)
    l_with, _ = count_lava(nf, frames)
    l_without, _ = count_lava(nf, frames, gates=False)
    assert_same(without, l_without) and not l_without.keep
    keep = with_g.keep[2]
    for w, wo in ((with_g, without), (l_with, l_without)):
        assert np.all(w.synops[2] <= wo.synops[2])
        assert np.array_equal(w.synops[2][keep], wo.synops[2][keep]) and np.all(w.synops[2][~keep] == 0)
        assert (wo.synops[2][~keep] > 0).any()  # something was actually removed
        assert np.array_equal(w.synops[1], wo.synops[1])  # upstream of the gate nothing changes


@pytest.mark.lava
def test_plain_lava_dl_file_counts_agree_with_the_original_blocks(tmp_path):
    """A network razor_lava did not train: lava-dl blocks exported with their own export_hdf5."""
    from razor_lava.profile.lava_counter import count_lava

    torch.manual_seed(3)
    torch.set_num_threads(1)
    p = {"threshold": 0.5, "current_decay": 0.2, "voltage_decay": 0.05}
    blocks = [slayer.block.cuba.Conv(p, 2, 4, 3, stride=2, padding=1, weight_scale=4),
              slayer.block.cuba.Conv(p, 4, 6, (3, 1), padding=(1, 0), groups=2, weight_scale=4),
              slayer.block.cuba.Flatten(),
              slayer.block.cuba.Dense(p, 6 * 4 * 3, 10, weight_scale=4),
              slayer.block.cuba.Dense(p, 10, 5, weight_scale=4)]
    in_shapes = {1: (2, 7, 6), 2: (4, 4, 3), 4: (72,), 5: (10,)}
    frames = frames_for((2, 7, 6), N_LAVA, seed=5)
    fans = {i: fanout_map(blocks[i - 1], s) for i, s in in_shapes.items()}
    with torch.no_grad(), attach_counters({i: blocks[i - 1] for i in fans}, fans, T) as direct:
        y = torch.as_tensor(frames, dtype=torch.float32)
        for b in blocks:
            y = b(y)
    path = tmp_path / "plain.net"
    write_plain_netx(path, blocks, [2, 7, 6])
    nf = load_network_file(path)
    assert all(np.array_equal(fanout_maps(nf)[i], fans[i]) for i in fans)
    s_counts, s_out = count_slayer(nf, frames)
    l_counts, l_out = count_lava(nf, frames)
    assert np.array_equal(s_out, np.rint(y.numpy()).astype(np.int64)) and np.array_equal(s_out, l_out)
    assert_same(s_counts, l_counts)
    assert s_counts.layers == [1, 2, 4, 5] and not s_counts.keep
    for i in fans:
        assert np.array_equal(direct.events()[i], s_counts.events[i])
        assert np.array_equal(direct.synops()[i], s_counts.synops[i])
    assert all(v > 0 for v in s_counts.per_layer().values()), s_counts.per_layer()


@pytest.mark.lava
@pytest.mark.parametrize("tag", ["fixed_pt", "floating_pt"])
def test_counter_process_counts_its_window_and_adds_no_delay(tag):
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc import io

    from razor_lava.lava_run import run_steps
    from razor_lava.procs.counter.process import SynopCounter

    rng = np.random.default_rng(0)
    shape, n_frames, t_start, steps = (3, 2, 2), 4, 2, 8
    data = (rng.random((*shape, steps)) < 0.5) * rng.integers(1, 300, (*shape, steps))  # graded payloads
    fan = rng.integers(0, 9, shape)
    src = io.source.RingBuffer(data=data.astype(np.int32))
    counter = SynopCounter(in_shape=shape, fanout=fan, n_frames=n_frames, t_start=t_start)
    sink = io.sink.RingBuffer(shape=shape, buffer=steps)
    src.s_out.connect(counter.inp)
    counter.out.connect(sink.a_in)
    got = run_steps(src, steps, Loihi2SimCfg(select_tag=tag), timeout_s=120,
                    read=lambda _: (sink.data.get(), counter.events.get(), counter.synops.get()))
    out, events, synops = (np.asarray(g) for g in got)
    assert np.array_equal(out, data)  # unchanged and undelayed
    window = data[..., t_start: t_start + n_frames] != 0  # frame t arrives at step t_start + 1 + t
    assert np.array_equal(events, window.sum(axis=(0, 1, 2)))
    assert np.array_equal(synops, np.einsum("whct,whc->t", window.astype(np.int64), fan))


def test_counter_process_refuses_a_wrong_fanout():
    from razor_lava.procs.counter.process import SynopCounter

    with pytest.raises(ConfigError, match="counter.fanout"):
        SynopCounter(in_shape=(3, 2, 2), fanout=np.ones((2, 2, 3)), n_frames=4)
    with pytest.raises(ConfigError, match="n_frames"):
        SynopCounter(in_shape=(5,), fanout=np.ones(5), n_frames=0)


def test_a_pool_is_named_from_the_file_layer_not_from_the_config(case_file):
    """A sum pool is a depthwise conv of one shared weight in the file; a file with no razor_lava config (a
    lava-dl file) names it so too, and a depthwise conv whose weights differ stays a conv."""
    from dataclasses import replace

    from razor_lava.profile.counts import layer_names

    nf = case_file("conv-window")
    plain = replace(nf, config=None, format_version=None)
    assert layer_names(plain) == layer_names(nf) == {1: "conv1", 2: "conv2", 3: "pool3", 5: "dense5", 6: "dense6"}
    pool = nf.layer(3)
    assert pool.is_pool and not nf.layer(2).is_pool
    w = pool.weight.copy()
    w.flat[0] += 1
    layers = [replace(s, weight=w) if s.index == 3 else s for s in nf.layers]
    assert layer_names(replace(plain, layers=layers))[3] == nf.layer(3).name != "pool3"
