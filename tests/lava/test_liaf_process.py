"""CubaDense on Lava reproduces SLAYER's eval forward exactly: spikes and graded payloads.

Nets are RazorNet dense stacks exported with ``export_hdf5`` (layer/0 holds
the input shape, layer/i+1 is config layer i). Binary CUBA layers run as netx
slices, LIAF layers and the layer after one as ``CubaDense``. A SLAYER graded
value y is the integer payload ``y * GRADED_SCALE`` on Lava.
"""

import warnings

import h5py
import numpy as np
import pytest
import torch
from lava.lib.dl import netx
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc import io

from razor_lava.errors import DataFormatError
from razor_lava.lava_run import run_steps
from razor_lava.config import parse_config
from razor_lava.fixed_point import GRADED_SCALE
from razor_lava.model.network import RazorNet
from razor_lava.netfile import load_network_file
from razor_lava.procs.liaf import CubaDense

FIXED = Loihi2SimCfg(select_tag="fixed_pt")
FLOAT = Loihi2SimCfg(select_tag="floating_pt")
T = 40
N_IN = 20
# (config layers, how Lava runs them): "netx k" = hdf5 groups [0, k) as a netx Network,
# "cuba k" = CubaDense of group k, "rest k" = hdf5 groups [k, end) as a netx Network.
CASES = {
    "binary_hidden_liaf_out": ([{"type": "dense", "out": 12}, {"type": "dense", "out": 6, "neuron": "liaf"}],
                               ["netx 2", "cuba 2"]),
    "liaf_hidden_binary_after": ([{"type": "dense", "out": 16, "neuron": "liaf"}, {"type": "dense", "out": 10},
                                  {"type": "dense", "out": 5}],
                                 ["cuba 1", "cuba 2", "rest 3"]),
}


def make_net(layers, seed, path):
    """(SLAYER outputs of every layer as (C, T) arrays, binary input (N_IN, T), hdf5 path)."""
    torch.manual_seed(seed)
    raw = {"data": {"dataset": "synthetic"}, "input": [N_IN], "layers": layers, "pruner": {"positions": "E1"}}
    net = RazorNet(parse_config(raw)).eval()
    x = (torch.rand(1, N_IN, T) < 0.5).float()
    outs = []
    with torch.no_grad():
        y = x
        for block in net.blocks:
            y = block(y)
            outs.append(y[0].numpy())
    net.export_hdf5(path)
    return outs, x[0].numpy(), path


def build_chain(path, plan):
    """Lava processes for ``plan``; returns [(process, in_port, out_port, config layer index or None)]."""
    chain = []
    nf = load_network_file(path)
    for step in plan:
        kind, k = step.split()
        k = int(k)
        if kind == "netx":
            p = netx.hdf5.Network(str(path), num_layers=k)
            chain.append((p, p.inp, p.out, k - 2))
        elif kind == "rest":
            p = netx.hdf5.Network(str(path), skip_layers=k)
            chain.append((p, p.inp, p.out, None))
        else:
            p = CubaDense.from_spec(nf.layer(k))
            chain.append((p, p.a_in, p.s_out, k - 1))
    return chain


def run_chain(chain, x, cfg):
    """Drive the chain with ``x`` (N, T); returns {config layer index: (C, T) sink data}, {index: spike count}."""
    src = io.source.RingBuffer(data=x.astype(np.int32))
    src.s_out.connect(chain[0][1])
    for (_, _, out, _), (_, inp, _, _) in zip(chain[:-1], chain[1:]):
        out.connect(inp)
    sinks = {}
    for i, (_, _, out, layer) in enumerate(chain):
        if layer is not None or i == len(chain) - 1:
            sinks[layer if layer is not None else "out"] = io.sink.RingBuffer(shape=out.shape, buffer=T)
            out.connect(sinks[layer if layer is not None else "out"].a_in)
    cubas = {layer: p for p, _, _, layer in chain if isinstance(p, CubaDense)}

    def read(_):
        return ({k: s.data.get() for k, s in sinks.items()},
                {k: int(p.spikes_out.get()[0]) for k, p in cubas.items()})

    return run_steps(src, T, cfg, timeout_s=120, read=read)


def assert_layer_equal(lava_out, slayer_out, graded):
    if graded:
        expected = np.round(slayer_out * GRADED_SCALE)
        assert np.array_equal(lava_out > 0, slayer_out > 0), "graded spike times differ"
        assert np.array_equal(lava_out, expected), "graded payloads differ"
        assert np.count_nonzero(lava_out) >= 5, "the LIAF layer hardly fired: the test proves little"
    else:
        assert set(np.unique(lava_out)) <= {0, 1}
        assert np.array_equal(lava_out, slayer_out)


@pytest.mark.lava
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", sorted(CASES))
def test_lava_chain_equals_slayer(case, seed, tmp_path):
    layers, plan = CASES[case]
    outs, x, path = make_net(layers, seed, tmp_path / "net.h5")
    chain = build_chain(path, plan)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data, counts = run_chain(chain, x, FIXED)
    # Lava's model discovery turns a failed import of a module next to the process into a warning.
    assert not [w for w in caught if "Cannot import module" in str(w.message)]
    for p, _, _, _ in chain:
        if isinstance(p, CubaDense):
            assert p.model_class.__name__ == "PyCubaDenseFixed"
    graded = [layer.get("neuron") == "liaf" for layer in layers]
    for layer, lava_out in data.items():
        i = len(layers) - 1 if layer == "out" else layer
        assert_layer_equal(lava_out, outs[i], graded[i])
    for layer, n in counts.items():
        assert n == np.count_nonzero(data[layer])


@pytest.mark.lava
@pytest.mark.parametrize("case", sorted(CASES))
def test_floating_pt_model_gives_the_same_outputs(case, tmp_path):
    """CubaDense alone (fed SLAYER's input to its layer): floating_pt equals SLAYER like fixed_pt."""
    layers, plan = CASES[case]
    outs, x, path = make_net(layers, 3, tmp_path / "net.h5")
    cuba_steps = [s for s in plan if s.startswith("cuba")]
    first = int(cuba_steps[0].split()[1]) - 1  # config layer index of the first CubaDense
    feed = x if first == 0 else outs[first - 1] * (GRADED_SCALE if layers[first - 1].get("neuron") == "liaf" else 1)
    chain = build_chain(path, cuba_steps)
    data, _ = run_chain(chain, feed, FLOAT)
    for p, _, _, _ in chain:
        assert p.model_class.__name__ == "PyCubaDenseFloat"
    for layer, lava_out in data.items():
        assert_layer_equal(lava_out, outs[layer], layers[layer].get("neuron") == "liaf")


def test_from_spec_names_what_it_cannot_mirror():
    from razor_lava.netfile import LayerSpec, NeuronSpec

    neuron = NeuronSpec(np.int64(1024), np.int64(128), np.int64(80))
    delayed = LayerSpec(3, "dense", (3,), (4,), weight=np.zeros((3, 4), np.int64), neuron=neuron,
                        delay=np.ones((3, 4), np.int64))
    with pytest.raises(DataFormatError, match=r"net\.h5: layer/3.*delays"):
        CubaDense.from_spec(delayed, source="net.h5")
    conv = LayerSpec(2, "conv", (1, 2, 2), (1, 2, 2), weight=np.zeros((1, 1, 1, 1), np.int64), neuron=neuron)
    with pytest.raises(DataFormatError, match="expected 'dense'"):
        CubaDense.from_spec(conv)


def test_constructor_rejects_bad_parameters():
    with pytest.raises(ValueError, match="weight"):
        CubaDense(weight=np.zeros(4), i_decay=0, v_decay=0, vth_mant=80)
    with pytest.raises(ValueError, match="v_decay"):
        CubaDense(weight=np.zeros((2, 3)), i_decay=0, v_decay=5000, vth_mant=80)
