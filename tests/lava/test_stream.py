"""Streaming: many samples through one compiled Lava network, each bit-exact with SLAYER.

Nothing may leak across a sample boundary: the same samples in other orders,
a busy sample right before a silent one, and each sample run on its own
network (``--mode per-sample``) give identical outputs, gate decisions and
synop counts. Where netx layers need time to settle between samples, and
where a biased layer needs a ``PadSilencer``, are checked on exact plans.
"""

import numpy as np
import pytest
import torch

from razor_lava.deployment.assemble import plan_segments
from razor_lava.deployment.evaluate import slayer_reference
from razor_lava.deployment.runner import run_per_sample, run_samples, run_stream, stream_period
from razor_lava.deployment.stream import settling
from razor_lava.lava_run import leftover_workers
from razor_lava.netfile import load_network_file
from razor_lava.profile.lava_counter import SynopTap
from razor_lava.profile.slayer_counter import count_slayer

from netfiles import CONV, DENSE, T, export_random, random_frames

pytestmark = pytest.mark.lava


def busy_and_silent(shape, n: int, seed: int) -> np.ndarray:
    """``n`` random samples, every other one silent (all zeros), a very busy one right before each silent one."""
    x = random_frames(shape, n, seed)
    x[0::2] = (np.random.default_rng(seed).random(x[0::2].shape) < 0.7).astype(np.uint8)  # busy
    x[1::2] = 0  # silent
    return x


def check_against_slayer(nf, frames, res):
    ref = slayer_reference(nf, frames)
    for n in range(len(frames)):
        np.testing.assert_array_equal(res.output[n], ref["output"][n], err_msg=f"sample {n}")
        for g in nf.pruners:
            np.testing.assert_array_equal(res.keep[g][n] == 1, ref["keep"][g][n], err_msg=f"gate {g} sample {n}")
    counts, _ = count_slayer(nf, frames)
    for k in counts.layers:
        np.testing.assert_array_equal(res.taps["synops"]["synops"][k], counts.synops[k], err_msg=f"layer {k}")
        np.testing.assert_array_equal(res.taps["synops"]["events"][k], counts.events[k], err_msg=f"layer {k}")


@pytest.mark.parametrize("raw,pruner", [
    (CONV, {"positions": "E3", "ratio": 0.3}),  # two window gates: the double buffers
    (DENSE, {"positions": [1, 3], "theta": 0.6, "ratio": None, "variant": "causal"}),
], ids=["conv-window", "dense-causal"])
def test_stream_is_exact_in_any_order_and_nothing_leaks(tmp_path, raw, pruner, one_torch_thread):
    net, path = export_random(tmp_path / "net.h5", raw, pruner)
    nf = load_network_file(path)
    frames = busy_and_silent(net.cfg.input, 6, seed=3)
    res = run_stream(nf, frames, taps=[SynopTap()])
    assert res.period > T and res.steps == res.latency + 5 * res.period + T
    check_against_slayer(nf, frames, res)
    assert not res.output[1::2].any() or not nf.layer(nf.weighted_indices()[0]).bias  # silent in, silent out
    order = np.array([5, 2, 0, 3, 4, 1])
    again = run_stream(nf, frames[order], taps=[SynopTap()])
    np.testing.assert_array_equal(again.output, res.output[order])
    for g in nf.pruners:
        np.testing.assert_array_equal(again.keep[g], res.keep[g][order])
        np.testing.assert_array_equal(again.gate_counts[g], res.gate_counts[g][order])
    alone = run_per_sample(nf, frames, taps=[SynopTap()])
    np.testing.assert_array_equal(alone.output, res.output)
    for k, v in res.taps["synops"]["synops"].items():
        np.testing.assert_array_equal(alone.taps["synops"]["synops"][k], v)
    assert leftover_workers() == []


def test_workers_share_the_samples_and_merge_in_order(tmp_path, one_torch_thread):
    net, path = export_random(tmp_path / "net.h5", DENSE, {"positions": [2], "ratio": 0.3})
    nf = load_network_file(path)
    frames = random_frames(net.cfg.input, 5, seed=8)
    one = run_samples(nf, frames)
    two = run_samples(nf, frames, workers=2, taps=[SynopTap()])
    np.testing.assert_array_equal(two.output, one.output)
    np.testing.assert_array_equal(two.keep[2], one.keep[2])
    check_against_slayer(nf, frames, two)
    assert leftover_workers() == []


def test_a_failing_worker_is_reported_and_leaves_no_process(tmp_path):
    from razor_lava.errors import LavaRunError

    net, path = export_random(tmp_path / "net.h5", DENSE, {"positions": "E1"})
    nf = load_network_file(path)
    frames = random_frames(net.cfg.input, 4, seed=8)
    with pytest.raises(LavaRunError, match="worker"):
        run_samples(nf, frames, workers=2, timeout_s=1e-4)  # every run times out
    assert leftover_workers() == []


def test_the_cutoff_stops_each_streamed_sample_where_a_run_of_its_own_stops(tmp_path, one_torch_thread):
    from razor_lava.cutoff.rule import accumulate, exit_decisions, gap
    from razor_lava.netfile import export_network
    from razor_lava.profile.cutoff_spent import spent_counts

    net, path = export_random(tmp_path / "net.h5", DENSE, {"positions": [1, 3], "theta": 0.6, "ratio": None,
                                                           "variant": "causal"})
    nf = load_network_file(path)
    frames = busy_and_silent(net.cfg.input, 6, seed=5)
    ref = slayer_reference(nf, frames)["output"]
    g = gap(accumulate(ref))
    t0 = next(t for t in range(T - 1) if g[:, t].max() > g[:, t].min())  # where the samples' gaps differ
    beta = np.full(T, np.inf)
    beta[t0] = g[:, t0].min() + 0.5  # some samples are answered at t0, the others at the last frame
    nf = load_network_file(export_network(net, tmp_path / "cut.h5", nf.frame_spec, cutoff={"beta": beta}))
    want_exit, want_answer = exit_decisions(ref, beta)
    assert (want_exit == t0).any() and (want_exit == T - 1).any()
    res = run_stream(nf, frames, taps=[SynopTap()], cutoff=True)
    np.testing.assert_array_equal(res.exit_step, want_exit)
    np.testing.assert_array_equal(res.answer, want_answer)
    for n, e in enumerate(want_exit):
        np.testing.assert_array_equal(res.output[n][:, : e + 1], ref[n][:, : e + 1])
    # Synops really saved: what the counters saw is SLAYER's account of the frames run before each answer.
    spent = spent_counts(nf, count_slayer(nf, frames)[0], want_exit)
    for k in spent.layers:
        np.testing.assert_array_equal(res.taps["synops"]["synops"][k], spent.synops[k], err_msg=f"layer {k}")
    alone = run_per_sample(nf, frames, taps=[SynopTap()], cutoff=True)
    for k in spent.layers:
        np.testing.assert_array_equal(alone.taps["synops"]["synops"][k], spent.synops[k])
    assert leftover_workers() == []


def test_padding_follows_the_longest_chain_of_netx_layers_and_their_delays(tmp_path):
    _, path = export_random(tmp_path / "e1.h5", DENSE, {"positions": "E1"})
    nf = load_network_file(path)
    # DENSE: netx layer 1 -> CubaDense 2 (LIAF), 3 (graded in) -> netx layer 4: chains of one netx layer.
    segs = plan_segments(nf, streaming=True)
    assert [s.kind for s in segs] == ["netx", "cuba", "cuba", "netx"]
    assert settling(nf, segs, T) == (1, {1: T + 1, 4: T + 1})
    assert stream_period(nf, T) == T + 1
    _, path = export_random(tmp_path / "conv.h5", CONV, {"positions": "E1"})
    nf = load_network_file(path)
    # CONV: conv, conv, pool, (flatten) dense in one netx slice, then the LIAF output: a chain of 4.
    segs = plan_segments(nf, streaming=True)
    assert [(s.kind, s.start) for s in segs] == [("netx", 1), ("cuba", 6)]
    assert settling(nf, segs, T) == (4, {1: T + 1})
    # A gate restarts the chain: E3 gates conv 2 and dense 5.
    _, path = export_random(tmp_path / "conv3.h5", CONV, {"positions": "E3", "ratio": 0.3})
    nf = load_network_file(path)
    assert settling(nf, plan_segments(nf, streaming=True), T)[0] == 2  # conv 2 + pool 3


def test_a_biased_layer_resets_on_frame_zero_behind_a_pad_silencer(tmp_path):
    """Plain netx files with biases and delays (tests/lava/test_netx_fidelity.py runs them, streamed,
    bit-exact on real N-MNIST with a silent sample after a busy one): where the silencers go."""
    import h5py

    _, path = export_random(tmp_path / "d.h5", DENSE, {"positions": "E1"})
    with h5py.File(path, "a") as f:  # biases on the first netx layer and on the last one: now a plain netx file
        del f["razor"]
        f["layer/1/bias"] = np.arange(20) % 3
        f["layer/4/bias"] = np.array(2)
    nf = load_network_file(path)
    # layer 1 is biased and feeds CubaDense (clean): no silencer; the output layer is biased and last.
    segs = plan_segments(nf, streaming=True)
    assert [(s.kind, s.start) for s in segs] == [("netx", 1), ("cuba", 2), ("cuba", 3), ("netx", 4)]
    pad, reset_at = settling(nf, segs, T)
    assert pad == 1 and reset_at == {1: T + 1, 4: T + 1}  # biased: reset on the next sample's frame 0
    _, path = export_random(tmp_path / "c.h5", CONV, {"positions": "E1"})
    with h5py.File(path, "a") as f:
        del f["razor"]
        f["layer/1/bias"] = np.array([1, 0, 2, 0, 1, 3])
    nf = load_network_file(path)
    segs = plan_segments(nf, streaming=True)
    assert [(s.kind, s.start, s.end) for s in segs] == [("netx", 1, 2), ("silence", 2, 0), ("netx", 2, 6),
                                                        ("cuba", 6, 0)]
    assert settling(nf, segs, T) == (3, {1: T + 3, 2: T + 1})
    assert [(s.kind, s.start) for s in plan_segments(nf)] == [("netx", 1), ("cuba", 6)]  # one sample: no silencer


@pytest.mark.parametrize("raw,pruner", [(CONV, {"positions": "E2", "ratio": 0.3}), (DENSE, {"positions": "E1"})],
                         ids=["conv-gate-at-the-input", "dense"])
def test_count_frames_reach_the_first_layer_as_counts(tmp_path, raw, pruner, one_torch_thread):
    """Frames of event counts (values > 1, FrameSpec mode "count"): netx's first layer must weigh them, not
    read them as 0/1 spikes; through a gate at the encoder's input too."""
    net, path = export_random(tmp_path / "net.h5", raw, pruner)
    nf = load_network_file(path)
    frames = random_frames(net.cfg.input, 3, seed=9) * np.random.default_rng(9).integers(1, 4, (3, 1)).reshape(
        3, *([1] * (len(net.cfg.input) + 1))).astype(np.uint8)
    assert frames.max() > 1
    res = run_stream(nf, frames, taps=[SynopTap()])
    check_against_slayer(nf, frames, res)
    assert leftover_workers() == []
