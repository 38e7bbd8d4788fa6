"""The Lava frame gate: its decisions equal the numpy and torch pruner's, frame for frame, and a
RazorNet deployed as netx slices with gates between them equals its SLAYER eval forward exactly."""

import numpy as np
import pytest
import torch
from lava.lib.dl import netx
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc import io

from razor_lava.errors import ConfigError
from razor_lava.fixed_point import GRADED_SCALE
from razor_lava.lava_run import leftover_workers, run_steps
from razor_lava.procs.gate.process import FrameGate
from razor_lava.pruning.decide import decide
from razor_lava.pruning.module import EventPruner

T = 12


def randomise(pruner: EventPruner, seed: int) -> EventPruner:
    """Trained-like parameters: a weighting that matters and a mask centred on theta."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for prm, std in ((pruner.weight, 1.0), (pruner.bias, 0.5), (pruner.embeddings, 1.0)):
            prm.copy_(torch.randn(prm.shape, generator=g) * std)
        pruner.mask_offset.fill_(0.0)
    return pruner.eval()


def frames(shape, seed: int, graded: bool = False) -> np.ndarray:
    """Integer frames ``shape x T`` (pruner layout) with per-channel, per-frame densities and two empty frames."""
    rng = np.random.default_rng(seed)
    dens = rng.random((shape[0],) + (1,) * (len(shape) - 1) + (T,)) * 0.7
    x = (rng.random(shape + (T,)) < dens).astype(np.int64)
    x[..., [2, 7]] = 0
    if graded:  # graded payloads: pre-reset voltages, integers above the threshold (1 unit = GRADED_SCALE)
        x *= rng.integers(GRADED_SCALE, 5 * GRADED_SCALE, x.shape)
    return x


def run(proc, steps: int, read, tag: str = "fixed_pt"):
    """Run the network of ``proc``, return ``read(proc)``, and always stop it (no worker left behind)."""
    return run_steps(proc, steps, Loihi2SimCfg(select_tag=tag), timeout_s=60, read=read)


CASES = {  # layout: conv (W, H, C) input; dense (N,); flat: (W, H, C) input, pruner after a flatten
    "conv-window-ratio": dict(layout="conv", variant="window", ratio=0.3),
    "conv-window-theta": dict(layout="conv", variant="window", theta=0.5),
    "conv-causal-theta": dict(layout="conv", variant="causal", theta=0.5, start=5),
    "dense-window-ratio": dict(layout="dense", variant="window", ratio=0.5, start=3),
    "dense-causal-graded": dict(layout="dense", variant="causal", theta=0.5, graded=True),
    "flat-window-theta": dict(layout="flat", variant="window", theta=0.5),
}
C, H, W, N = 3, 4, 6, 10


@pytest.mark.lava
@pytest.mark.parametrize("tag", ["fixed_pt", "floating_pt"])
@pytest.mark.parametrize("case", list(CASES))
def test_gate_alone_decides_like_numpy_and_torch(case, tag):
    kw = dict(CASES[case])
    layout, graded, start = kw.pop("layout"), kw.pop("graded", False), kw.pop("start", 0)
    scale = GRADED_SCALE if graded else 1
    if layout == "conv":
        pruner = EventPruner(C, (H, W), pool=(2, 2), input_scale=scale, **kw)
        x = frames((C, H, W), seed=1)
        in_shape, lava_x = (W, H, C), x.transpose(2, 1, 0, 3)
    elif layout == "dense":
        pruner = EventPruner(N, None, input_scale=scale, **kw)
        x = frames((N,), seed=2, graded=graded)
        in_shape, lava_x = (N,), x
    else:
        pruner = EventPruner(C * H * W, None, input_scale=scale, **kw)
        chw = frames((C, H, W), seed=3)
        x = chw.reshape(-1, T)  # what SLAYER's flatten hands the dense block: C, H, W order
        in_shape, lava_x = (W, H, C), chw.transpose(2, 1, 0, 3)
    params = randomise(pruner, seed=len(case)).quantized()
    ref = decide(x, params)
    torch_keep = pruner.decide(torch.from_numpy(x / scale)[None])[0].numpy()
    np.testing.assert_array_equal(ref, torch_keep)
    assert 0 < ref.sum() < T, "the test needs a mix of kept and pruned frames"

    gate = FrameGate.from_params(in_shape, T, params, flatten_out=layout == "flat", start=start)
    latency = start + gate.latency  # frame 0 arrives at step start+1
    steps = T + latency + 3  # the source wraps around after start+T: the gate must ignore later input
    lava_x = np.concatenate([np.zeros(lava_x.shape[:-1] + (start,)), lava_x], axis=-1)
    src = io.source.RingBuffer(data=lava_x.astype(np.int32))
    sink = io.sink.RingBuffer(shape=gate.out.shape, buffer=steps)
    src.s_out.connect(gate.inp)
    gate.out.connect(sink.a_in)
    out, keep, counts = run(gate, steps, lambda g: (
        sink.data.get(), g.keep.get(),
        [int(v.get()[0]) for v in (g.frames_kept, g.frames_pruned, g.events_in, g.events_out)]), tag)

    np.testing.assert_array_equal(keep, ref.astype(int))
    sent = x * ref  # kept frames unchanged, pruned frames zero (pruner layout)
    want = sent.transpose(2, 1, 0, 3) if layout == "conv" else sent
    np.testing.assert_array_equal(out[..., latency : latency + T], want)
    assert not out[..., :latency].any() and not out[..., latency + T :].any()
    assert counts == [int(ref.sum()), int(T - ref.sum()), int(np.count_nonzero(x)), int(np.count_nonzero(sent))]


def test_gate_rejects_parameters_that_do_not_fit_its_input():
    params = randomise(EventPruner(C, (H, W), pool=(2, 2), ratio=0.3), 0).quantized()
    with pytest.raises(ConfigError, match="in_shape"):
        FrameGate.from_params((W, H, C + 1), T, params)
    with pytest.raises(ConfigError, match="pool"):
        FrameGate.from_params((W, H, C), T, params, flatten_out=True)
    rule = dict(in_shape=(W, H, C), n_frames=T, weight=params.weight, bias=params.bias,
                embeddings=params.embeddings, pool=params.pool, area=params.area)
    with pytest.raises(ConfigError, match=r"gate\.theta_int/ratio"):  # the rule: pruning.params.resolve_rule
        FrameGate(variant="window", theta_int=5, ratio=0.3, **rule)
    with pytest.raises(ConfigError, match=r"'gate\.ratio'"):
        FrameGate(variant="causal", theta_int=None, ratio=0.3, **rule)


# ---------------------------------------------------------------------------------------------
# The contract: SLAYER eval forward == netx slices with gates between them, exactly.

NET = {
    "data": {"dataset": "synthetic"},
    "input": [2, 8, 8],
    # weight_scale 4 (default 2): output rate 0.27 instead of 0.03, so every sample has spikes to compare.
    "layers": [
        {"type": "conv", "out": 4, "kernel": 3, "padding": 1, "weight_scale": 4},  # hdf5 group 1
        {"type": "conv", "out": 6, "kernel": 3, "stride": 2, "padding": 1, "weight_scale": 4},  # 2: 6 x 4 x 4
        {"type": "flatten"},  # 3
        {"type": "dense", "out": 12, "weight_scale": 4},  # 4
        {"type": "dense", "out": 5, "weight_scale": 4},  # 5
    ],
    "pruner": {"positions": [2, 4], "pool": [2, 2]},  # second conv's input; first dense, after the flatten
}
RULES = {"window": {"ratio": 0.3}, "causal": {"theta": 0.5, "variant": "causal"}}
N_SAMPLES, T_NET = 3, 16




def gated_chain(fn, pruners: dict):
    """slice -> gate -> slice -> gate (flattening) -> slice of the exported net.

    Returns ((first slice, last slice), (gate 1, gate 2), latency of the gates in steps).

    Layer index = hdf5 group (config entry + 1); ``num_layers``/``skip_layers`` count groups (input and flatten too).
    """
    a = netx.hdf5.Network(fn, num_layers=2)  # input + conv 0 -> (8, 8, 4)
    g1 = FrameGate.from_params(a.out.shape, T_NET, pruners[2].quantized())
    b = netx.hdf5.Network(fn, skip_layers=2, num_layers=3)  # conv 1 -> (4, 4, 6)
    g2 = FrameGate.from_params(b.out.shape, T_NET, pruners[4].quantized(), flatten_out=True, start=g1.latency)
    c = netx.hdf5.Network(fn, skip_layers=3)  # flatten + dense + dense; inp (96,)
    a.out.connect(g1.inp)
    g1.out.connect(b.inp)
    b.out.connect(g2.inp)
    g2.out.connect(c.inp)
    return (a, c), (g1, g2), g1.latency + g2.latency


@pytest.mark.lava
@pytest.mark.parametrize("variant", list(RULES))
def test_gated_network_equals_slayer_eval_forward(variant, tmp_path, one_torch_thread):
    from razor_lava.config import parse_config
    from razor_lava.model.network import RazorNet

    torch.manual_seed(0)
    net = RazorNet(parse_config(dict(NET, pruner=dict(NET["pruner"], **RULES[variant]))))
    pruners = dict(net.pruner_items())
    for i, p in pruners.items():
        randomise(p, seed=10 + i)
    net.eval()
    x = (torch.rand(N_SAMPLES, 2, 8, 8, T_NET) < 0.3).float()
    with torch.no_grad():
        y = net(x).numpy()
        unpruned = x
        for block in net.blocks:
            unpruned = block(unpruned)
    assert y.any() and not np.array_equal(y, unpruned.numpy()), "the pruners must change the output"
    for p in pruners.values():
        assert 0 < p.last_keep.sum() < p.last_keep.numel(), "each pruner must keep some frames and prune some"
    fn = net.export_hdf5(tmp_path / "net.h5")

    for n in range(N_SAMPLES):
        (first, last), gates, latency = gated_chain(fn, pruners)
        steps = T_NET + latency  # window gates delay everything downstream by T each
        data = np.zeros((8, 8, 2, steps), dtype=np.int32)  # zero-padded: the RingBuffer wraps around
        data[..., :T_NET] = x[n].permute(2, 1, 0, 3).numpy()  # C, H, W, T -> Lava's W, H, C, T
        src = io.source.RingBuffer(data=data)
        sink = io.sink.RingBuffer(shape=last.out.shape, buffer=steps)
        src.s_out.connect(first.inp)
        last.out.connect(sink.a_in)
        out, keeps = run(src, steps, lambda _: (sink.data.get(), [g.keep.get() for g in gates]))
        np.testing.assert_array_equal(out[:, latency:], y[n], err_msg=f"sample {n}")
        assert not out[:, :latency].any()
        for g_keep, p in zip(keeps, pruners.values()):
            np.testing.assert_array_equal(g_keep, p.last_keep[n].numpy().astype(int), err_msg=f"sample {n}")
    assert not leftover_workers()


@pytest.mark.lava
@pytest.mark.parametrize("variant", ["window", "causal"])
def test_a_stop_flag_closes_the_gate_for_good(variant):
    """``stop_in`` (what the Cutoff sends) makes the gate send zeros from that step on, kept frames included,
    while frames before it pass exactly as without the flag."""
    kw = {"ratio": 0.3} if variant == "window" else {"theta": 0.5}
    pruner = EventPruner(N, None, variant=variant, **kw)
    params = randomise(pruner, seed=4).quantized()
    x = frames((N,), seed=5)
    keep = decide(x, params)
    gate = FrameGate.from_params((N,), T, params)
    latency = gate.latency
    steps = T + latency
    stop_at = latency + T // 2  # the flag arrives halfway through the replay of the frames
    flag = np.zeros((1, steps), dtype=np.int32)
    flag[0, stop_at - 1:] = 1  # a RingBuffer sends column s - 1 at step s
    src = io.source.RingBuffer(data=x.astype(np.int32))
    stop = io.source.RingBuffer(data=flag)
    sink = io.sink.RingBuffer(shape=gate.out.shape, buffer=steps)
    src.s_out.connect(gate.inp)
    stop.s_out.connect(gate.stop_in)
    gate.out.connect(sink.a_in)
    out = run(gate, steps, lambda g: sink.data.get())
    sent = x * keep
    k = stop_at - 1 - latency  # frames 0 .. k-1 left before the flag
    np.testing.assert_array_equal(out[..., latency: latency + k], sent[..., :k])
    assert sent[..., k:].any(), "the test needs kept events after the stop"
    assert not out[..., latency + k:].any()
    assert leftover_workers() == []
