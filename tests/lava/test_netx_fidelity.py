"""Plain netx files razor_lava did not write: every field netx honours is honoured, exactly.

The files are written here group by group, as lava-dl / netx lay them out: bias
(scalar, per channel, per neuron in netx's W, H, C order), axonal, per-input
and synaptic delays (one clamped above 62), a dense layer without a neuron
group, a 1-D weight, odd weights (netx takes the integers as they are), an
input layer with its own neuron, a file whose layer/0 is a dense layer. For
each: the SLAYER reference equals the Lava output exactly and the two synop
counters agree exactly, on N-MNIST recordings from ../shared/data (skipped with
the reason when absent) and on random spikes.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from razor_lava.errors import DataFormatError
from razor_lava.netfile import load_network_file

NMNIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "nmnist-small"
T = 12
RNG = np.random.default_rng(7)


def neuron(g, vth=80, i_decay=1024, v_decay=128, graded=False):
    n = g.create_group("neuron")
    n.create_dataset("type", data=b"CUBA")
    for k, v in (("iDecay", i_decay), ("vDecay", v_decay), ("vThMant", vth), ("refDelay", 1), ("gradedSpike", graded)):
        n.create_dataset(k, data=v)


def layer(f, i, kind, **data):
    g = f.create_group(f"layer/{i}")
    g.create_dataset("type", (1,), "S10", [kind.encode()])
    for k, v in data.items():
        if k == "neuron":
            if v is not None:
                neuron(g, **v)
        else:
            g.create_dataset(k, data=v)
    return g


def weights(n_out, n_in, lo=-60, hi=90):
    return RNG.integers(lo, hi, size=(n_out, n_in)).astype(np.float32)  # odd values too


def write_dense(path, tail_without_neuron=False, input_neuron=False, with_input_layer=True):
    """34x34x2 -> flatten -> 64 (per-neuron bias, axonal delays) -> 32 (scalar bias, synaptic delays)
    -> 10 (1-D weight, per-input delays) [-> 10 without a neuron group]."""
    with h5py.File(path, "w") as f:
        i = 0
        if with_input_layer:
            g = layer(f, 0, "input", shape=np.array([2, 34, 34]))
            if input_neuron:
                neuron(g)
            layer(f, 1, "flatten")
            i = 2
        d1 = RNG.integers(0, 4, size=64)
        d1[3] = 70  # netx clamps delays above 62 (with a warning)
        layer(f, i, "dense", shape=np.array([64]), weight=weights(64, 2312, -40, 60), neuron={},
              bias=RNG.integers(-20, 60, size=64), delay=d1.astype(np.float32))
        layer(f, i + 1, "dense", shape=np.array([32]), weight=weights(32, 64), neuron={"vth": 60}, bias=np.array(15),
              delay=RNG.integers(0, 5, size=(32, 64)).astype(np.float32))
        layer(f, i + 2, "dense", shape=np.array([10]), weight=weights(10, 32).ravel(), neuron={"vth": 40},
              delay=RNG.integers(0, 3, size=32).astype(np.float32))
        if tail_without_neuron:
            layer(f, i + 3, "dense", shape=np.array([10]), weight=weights(10, 10, 0, 120), neuron=None)
    return path


def write_graded(path):
    """34x34x2 -> flatten -> 48 LIAF (graded spikes, per-neuron bias) -> 10 (graded input, scalar bias):
    both run as razor_lava's CubaDense on Lava."""
    with h5py.File(path, "w") as f:
        layer(f, 0, "input", shape=np.array([2, 34, 34]))
        layer(f, 1, "flatten")
        layer(f, 2, "dense", shape=np.array([48]), weight=weights(48, 2312, -40, 60), neuron={"graded": True},
              bias=RNG.integers(-20, 60, size=48))
        layer(f, 3, "dense", shape=np.array([10]), weight=weights(10, 48), neuron={"vth": 300}, bias=np.array(-5))
    return path


def write_conv(path):
    """2x17x17 -> conv 4 k3 s2 p1 (per-channel bias) -> conv 6 k3 p1 groups 2 (per-neuron bias, W,H,C)
    -> flatten -> dense 10 (axonal delays)."""
    with h5py.File(path, "w") as f:
        layer(f, 0, "input", shape=np.array([2, 17, 17]))
        conv = dict(stride=np.array([2, 2]), padding=np.array([1, 1]), dilation=np.array([1, 1]), groups=np.array(1))
        layer(f, 1, "conv", shape=np.array([4, 9, 9]), weight=RNG.integers(-50, 90, (4, 2, 3, 3, 1)).astype(np.float32),
              neuron={}, bias=RNG.integers(-10, 40, 4), **conv)
        conv = dict(stride=np.array([1, 1]), padding=np.array([1, 1]), dilation=np.array([1, 1]), groups=np.array(2))
        layer(f, 2, "conv", shape=np.array([6, 9, 9]), weight=RNG.integers(-50, 90, (6, 2, 3, 3, 1)).astype(np.float32),
              neuron={"vth": 60}, bias=RNG.integers(-10, 40, (9, 9, 6)), **conv)
        layer(f, 3, "flatten")
        layer(f, 4, "dense", shape=np.array([10]), weight=weights(10, 486), neuron={"vth": 60},
              delay=RNG.integers(0, 6, 10).astype(np.float32))
    return path


def nmnist_frames(n: int, size=None) -> np.ndarray:
    if not NMNIST.is_dir():
        pytest.skip(f"the real N-MNIST subset is not at {NMNIST}")
    from razor_lava.data import NMNIST as Reader
    from razor_lava.data.framing import FrameSpec, frame_many

    ds = Reader(NMNIST, split="test")
    spec = FrameSpec(sensor_size=ds.sensor_size, window_ms=10, n_frames=T, size=size)
    return frame_many([ds[i][0] for i in range(n)], spec)


def random_frames(shape, n: int, density=0.3) -> np.ndarray:
    return (RNG.random((n, *shape, T)) < density).astype(np.uint8)


def check_exact(nf, frames, min_active_layers=None):
    """Lava == SLAYER reference, and both synop counters, on every sample; the layers are really active."""
    from razor_lava.deployment.evaluate import deploy_samples
    from razor_lava.profile.lava_counter import count_lava
    from razor_lava.profile.slayer_counter import count_slayer

    torch.set_num_threads(1)
    # Streamed (the default): a silent sample right after a busy one checks that nothing leaks across.
    frames = np.concatenate([frames[:1], np.zeros_like(frames[:1]), frames[1:]])
    report = deploy_samples(nf, frames, np.zeros(len(frames), dtype=np.int64), progress=False)
    assert report["agreement"] == 1.0, [s["equal"] for s in report["per_sample"]]
    s_counts, s_out = count_slayer(nf, frames)
    l_counts, l_out = count_lava(nf, frames)
    assert np.array_equal(s_out, l_out)
    for k in s_counts.layers:
        assert np.array_equal(s_counts.events[k], l_counts.events[k]), k
        assert np.array_equal(s_counts.synops[k], l_counts.synops[k]), k
    active = [k for k, v in s_counts.per_layer().items() if v > 0]
    assert len(active) >= (min_active_layers or len(s_counts.layers)), s_counts.per_layer()
    return s_out


def test_the_reader_decodes_what_netx_decodes(tmp_path):
    with pytest.warns(UserWarning, match="clamped to 62"):
        nf = load_network_file(write_dense(tmp_path / "d.net", tail_without_neuron=True))
    first, second, third, tail = (nf.layer(k) for k in (2, 3, 4, 5))
    assert first.delay.shape == (64, 2312) and first.delay.max() == 62
    assert np.all(first.delay == first.delay[:, :1])  # axonal: one delay per output neuron
    assert np.all(third.delay == third.delay[:1, :])  # one per input
    assert second.bias.shape == (32,) and np.all(second.bias == 15)
    assert third.weight.shape == (10, 32)  # stored 1-D
    assert tail.neuron.default and int(tail.neuron.vth_mant) == 1 << 17 and int(tail.neuron.v_decay) == 4096
    conv = load_network_file(write_conv(tmp_path / "c.net"))
    with h5py.File(tmp_path / "c.net") as f:
        whc = f["layer/2/bias"][()]
    assert conv.layer(2).bias.shape == (6, 9, 9) and np.array_equal(conv.layer(2).bias, whc.transpose(2, 1, 0))
    assert np.array_equal(conv.layer(1).bias[:, 4, 4], conv.layer(1).bias[:, 0, 0])  # per channel


@pytest.mark.lava
def test_default_neuron_parameters_are_the_ones_netx_builds(tmp_path):
    from lava.lib.dl import netx

    path = write_dense(tmp_path / "d.net", tail_without_neuron=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nf = load_network_file(path)
        built = netx.hdf5.Network(net_config=str(path))
    lif = built.layers[-1].neuron
    spec = nf.layer(5).neuron
    # netx: du = iDecay - 1 (Lava's LIF adds 1), dv = vDecay, vth = vThMant
    assert int(np.ravel(lif.du.init)[0]) + 1 == int(spec.i_decay)
    assert int(np.ravel(lif.dv.init)[0]) == int(spec.v_decay) and int(np.ravel(lif.vth.init)[0]) == int(spec.vth_mant)


@pytest.mark.lava
@pytest.mark.slow
def test_bias_delays_and_1d_weights_are_exact_on_nmnist(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nf = load_network_file(write_dense(tmp_path / "d.net"))
    out = check_exact(nf, nmnist_frames(3))
    assert out.sum() > 0


@pytest.mark.lava
@pytest.mark.slow
def test_conv_bias_per_channel_and_per_neuron_is_exact(tmp_path):
    nf = load_network_file(write_conv(tmp_path / "c.net"))
    check_exact(nf, nmnist_frames(2, size=(17, 17)))
    check_exact(nf, random_frames((2, 17, 17), 1))


@pytest.mark.lava
def test_graded_layers_with_bias_run_exactly_as_cuba_dense(tmp_path):
    from razor_lava.deployment.assemble import plan_segments

    nf = load_network_file(write_graded(tmp_path / "g.net"))
    assert [(s.kind, s.start) for s in plan_segments(nf)] == [("netx", 1), ("cuba", 2), ("cuba", 3)]
    check_exact(nf, nmnist_frames(2))


@pytest.mark.lava
def test_a_dense_layer_without_neuron_group_and_an_input_neuron_run(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nf = load_network_file(write_dense(tmp_path / "d.net", tail_without_neuron=True, input_neuron=True))
    assert nf.input_block_skipped and "skipped" in nf.input_note()
    # the default integrator's threshold (2**23 state units) is out of reach: the tail is silent, the rest is not
    check_exact(nf, random_frames((2, 34, 34), 2, 0.2), min_active_layers=3)


@pytest.mark.lava
def test_a_file_that_starts_with_a_dense_layer(tmp_path):
    """lava-dl's own Network.export_hdf5 writes no input layer: layer/0 is the first dense block."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nf = load_network_file(write_dense(tmp_path / "d.net", with_input_layer=False))
    assert nf.input_shape == (2312,) and nf.layer(0).type == "dense"
    check_exact(nf, random_frames((2312,), 2, 0.2))


def test_unsupported_layers_and_neurons_are_named_and_leading_layers_can_run(tmp_path):
    path = write_conv(tmp_path / "c.net")
    with h5py.File(path, "r+") as f:
        f["layer/3/type"][0] = b"average"
    with pytest.raises(DataFormatError, match=r"c\.net: layer/3: layer type 'average' is not supported "
                                              r"\(netx 0.6 cannot build it\).*num_layers=3"):
        load_network_file(path)
    nf = load_network_file(path, num_layers=3)
    assert [s.index for s in nf.layers] == [0, 1, 2] and nf.n_outputs == 6 * 9 * 9
    path = write_dense(tmp_path / "sd.net")
    with h5py.File(path, "r+") as f:
        del f["layer/3/neuron/type"]
        f["layer/3/neuron"].create_dataset("type", data=b"SDNN")
    with pytest.raises(DataFormatError, match=r"layer/3/neuron: neuron type 'SDNN' is not supported"):
        load_network_file(path)
    path = write_conv(tmp_path / "cd.net")
    with h5py.File(path, "r+") as f:
        f["layer/1"].create_dataset("delay", data=np.ones(4))
    with pytest.raises(DataFormatError, match="layer/1/delay: netx 0.6 builds conv layers without delays"):
        load_network_file(path)


@pytest.mark.lava
def test_leading_layers_of_a_truncated_file_are_exact(tmp_path):
    path = write_conv(tmp_path / "c.net")
    with h5py.File(path, "r+") as f:
        f["layer/3/type"][0] = b"average"
    check_exact(load_network_file(path, num_layers=3), random_frames((2, 17, 17), 1))
