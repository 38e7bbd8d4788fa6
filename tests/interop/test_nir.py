"""NIR export and import (razor_lava.interop): exact round trips, clear refusals, foreign graphs, the CLIs."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

nir = pytest.importorskip("nir", reason="the interop extra (pip install 'razor_lava[interop]') is not installed")

from netfiles import CONV, DENSE, export_random, random_frames  # noqa: E402
from razor_lava.errors import DataFormatError  # noqa: E402
from razor_lava.interop.nir_export import export_nir, to_nir  # noqa: E402
from razor_lava.interop.nir_import import import_nir, network_file_from_nir, write_network_file  # noqa: E402
from razor_lava.model.reference import reference_network  # noqa: E402
from razor_lava.netfile import export_network, load_network_file  # noqa: E402


def cuba_output(raw: dict) -> dict:
    """``raw`` with binary CUBA neurons in every layer (NIR has no LIAF)."""
    raw = copy.deepcopy(raw)
    for layer in raw["layers"]:
        if layer.get("neuron") == "liaf":
            layer["neuron"] = {}
    return raw


@pytest.fixture
def conv_file(tmp_path):
    """A conv network (non-square kernel, a pool layer) with window gates at E3 and a cutoff table."""
    net, path = export_random(tmp_path / "net.h5", cuba_output(CONV), {"positions": "E3", "ratio": 0.4})
    nf = load_network_file(path)
    beta = np.full(nf.frame_spec.n_frames, np.inf)
    beta[5] = 2.0
    path = export_network(net, tmp_path / "cut.h5", nf.frame_spec, ["a", "b", "c", "d"], cutoff={"beta": beta,
                                                                                               "epsilon": 0.05})
    return net.eval(), load_network_file(path)


def test_round_trip_is_exact(conv_file, tmp_path):
    net, nf = conv_file
    path = export_nir(nf, tmp_path / "net.nir")
    graph = nir.read(path, type_check=False)  # a non-square kernel: nir 1.0.8's type check gets its shape wrong
    assert [type(graph.nodes[k]).__name__ for k in ("conv1", "lif1", "pool3", "flatten4", "dense5")] == \
        ["Conv2d", "CubaLIF", "SumPool2d", "Flatten", "Linear"]
    back = network_file_from_nir(graph)
    for a, b in zip(nf.layers, back.layers, strict=True):
        assert (a.type, a.shape, a.in_shape, a.kernel, a.stride, a.padding, a.groups) == \
            (b.type, b.shape, b.in_shape, b.kernel, b.stride, b.padding, b.groups)
        if a.weighted:
            assert np.array_equal(a.weight, b.weight)
            assert [int(getattr(a.neuron, f)) for f in ("i_decay", "v_decay", "vth_mant")] == \
                [int(getattr(b.neuron, f)) for f in ("i_decay", "v_decay", "vth_mant")]
    assert sorted(back.pruners) == sorted(nf.pruners) == [2, 5]
    for k, p in nf.pruners.items():
        q = back.pruners[k]
        assert all(np.array_equal(getattr(p, f), getattr(q, f)) for f in ("weight", "bias", "embeddings", "lut"))
        assert (p.ratio, p.theta_int, p.variant, p.pool, p.area) == (q.ratio, q.theta_int, q.variant, q.pool, q.area)
        assert back.pruner_in_shapes[k] == nf.pruner_in_shapes[k]
    assert np.array_equal(back.cutoff["beta"], nf.cutoff["beta"]) and back.cutoff["epsilon"] == 0.05
    assert back.classes == ["a", "b", "c", "d"] and back.frame_spec == nf.frame_spec
    x = torch.as_tensor(random_frames(nf.input_shape, 16)).float()
    with torch.no_grad():
        want = net(x)
        got = import_nir(path)(x)
    assert want.sum() > 0 and torch.equal(want, got)
    # The pruners really prune in the imported network: without them the outputs differ.
    with torch.no_grad():
        assert not torch.equal(reference_network(back.without_gates())(x), got)


def test_network_file_from_nir_deploys_the_same_layers(conv_file, tmp_path):
    _, nf = conv_file
    out = write_network_file(export_nir(nf, tmp_path / "net.nir"), tmp_path / "back.h5")
    again = load_network_file(out)
    assert [np.array_equal(a.weight, b.weight) for a, b in zip(nf.weighted(), again.weighted())] == [True] * 5
    assert sorted(again.pruners) == [2, 5] and np.array_equal(again.cutoff["beta"], nf.cutoff["beta"])


def test_square_kernels_pass_nirs_own_type_check(tmp_path):
    raw = cuba_output(CONV)
    raw["layers"][1] = {"type": "conv", "out": 6, "kernel": 3, "padding": 1, "weight_scale": 6}
    _, path = export_random(tmp_path / "sq.h5", raw, {"positions": "E1"})
    graph = nir.read(export_nir(load_network_file(path), tmp_path / "sq.nir"))  # type_check on (nir's default)
    assert "note" not in graph.metadata["razor_lava"]
    assert graph.metadata["razor_lava"]["layer_nodes"]["1"] == "conv1"


def test_liaf_layers_are_refused_by_name(tmp_path):
    _, path = export_random(tmp_path / "liaf.h5", DENSE, {"positions": "E1"})
    with pytest.raises(DataFormatError, match=r"layer/2 is a LIAF layer .*no neuron whose spike carries"):
        export_nir(load_network_file(path), tmp_path / "x.nir")
    assert not (tmp_path / "x.nir").exists()


def _chain(*nodes, metadata=None):
    names = [n for n, _ in nodes]
    return nir.NIRGraph(nodes=dict(nodes), edges=list(zip(names, names[1:])), metadata=metadata or {},
                        type_check=False)


def _lif(n, **kw):
    args = dict(tau=np.full(n, 2.0), r=np.full(n, 2.0), v_leak=np.zeros(n), v_threshold=np.full(n, 1.0))
    args.update(kw)
    return nir.LIF(**args)


def test_unsupported_nodes_are_named():
    g = _chain(("input", nir.Input(np.array([4]))), ("w", nir.Linear(np.ones((3, 4)) / 32)),
               ("li", nir.LI(tau=np.ones(3) * 2, r=np.ones(3), v_leak=np.zeros(3))),
               ("d", nir.Delay(np.ones(3))), ("output", nir.Output(np.array([3]))))
    with pytest.raises(DataFormatError, match=r"unsupported NIR nodes: 'li' \(LI\), 'd' \(Delay\)"):
        network_file_from_nir(g)


@pytest.mark.parametrize("edges,match", [
    ([("input", "w"), ("w", "lif"), ("lif", "output"), ("lif", "w")], "feeds 2 nodes"),
    ([("input", "w"), ("w", "lif"), ("lif", "w")], "closes a loop"),
])
def test_branches_and_loops_are_refused(edges, match):
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([4])), "w": nir.Linear(np.ones((4, 4)) / 32),
                            "lif": _lif(4), "output": nir.Output(np.array([4]))}, edges=edges, type_check=False)
    with pytest.raises(DataFormatError, match=match):
        network_file_from_nir(g)


def test_neuron_parameters_razor_lava_cannot_hold_are_named():
    base = [("input", nir.Input(np.array([4]))), ("w", nir.Linear(np.ones((3, 4)) / 32))]
    leaky = _chain(*base, ("lif", _lif(3, v_leak=np.full(3, 0.25))), ("output", nir.Output(np.array([3]))))
    assert np.array_equal(network_file_from_nir(leaky).layers[1].bias, np.full(3, 8))  # v_leak / tau = 1/8: bias 8/64
    reset = _chain(*base, ("lif", _lif(3, v_reset=np.full(3, 0.5))), ("output", nir.Output(np.array([3]))))
    with pytest.raises(DataFormatError, match="node 'lif' .*v_reset must be 0"):
        network_file_from_nir(reset)
    mixed = _chain(*base, ("lif", _lif(3, v_threshold=np.array([1.0, 1.0, 2.0]))), ("output", nir.Output(np.array([3]))))
    with pytest.raises(DataFormatError, match="thresholds in \\[1, 2\\] differ between neurons"):
        network_file_from_nir(mixed)
    fast = _chain(*base, ("lif", _lif(3, tau=np.full(3, 2e-4))), ("output", nir.Output(np.array([3]))))
    with pytest.raises(DataFormatError, match="expected >= 1 step .*pass the graph's own time step as dt"):
        network_file_from_nir(fast)


def test_a_foreign_graph_is_scaled_onto_the_grid_with_a_warning_and_keeps_its_float_spikes():
    """An snnTorch-style graph (dt = 1e-4, r = tau / dt, weights off lava-dl's grid): weights and threshold
    are scaled together, so the spikes are those of the float network up to the rounding."""
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.05, (5, 8))
    dt, tau = 1e-4, 4e-4  # 4 steps
    g = _chain(("input", nir.Input(np.array([8]))), ("w", nir.Linear(w)),
               ("lif", _lif(5, tau=np.full(5, tau), r=np.full(5, tau / dt), v_threshold=np.full(5, 0.1))),
               ("output", nir.Output(np.array([5]))))
    with pytest.warns(UserWarning, match="not on lava-dl's 8-bit grid; scaled by"):
        nf = network_file_from_nir(g, dt=dt)
    layer = nf.layers[1]
    assert int(layer.neuron.i_decay) == 4096 and int(layer.neuron.v_decay) == 1024  # LIF: 1 / tau = 1/4 per step
    assert np.abs(layer.weight).max() == 254 and np.all(layer.weight % 2 == 0)
    scale = 254 / np.abs(w).max()
    assert np.allclose(layer.weight, w * scale, atol=1.0)  # rounded to the nearest even integer
    assert abs(int(layer.neuron.vth_mant) - 0.1 * scale) <= 0.5
    # The float LIF at dt = 1e-4 (v += (dt / tau) * (r * W x - v)) against the imported network.
    x = (rng.random((8, 8, 40)) < 0.3).astype(np.float32)
    v, want = np.zeros((8, 5)), np.zeros((8, 5, 40))
    for t in range(40):
        v = v + 0.25 * (4 * (x[..., t] @ w.T) - v)
        want[..., t] = v > 0.1
        v[want[..., t] > 0] = 0
    with torch.no_grad(), pytest.warns(UserWarning, match="scaled by"):
        got = import_nir(g, dt=dt)(torch.as_tensor(x)).numpy()
    assert want.sum() > 20
    assert (got[..., 1:] == want[..., :-1]).mean() > 0.97  # one step later: the layer's synaptic delay


@pytest.mark.parametrize("argv_tail,match", [
    (["missing.h5", "--nir", "x.nir"], "no such"),
    (["liaf.h5", "--nir", "x.nir"], "LIAF"),
])
def test_export_cli_bad_input_exit_2_and_no_file(tmp_path, monkeypatch, capsys, argv_tail, match):
    from razor_lava.cli import export

    monkeypatch.chdir(tmp_path)
    export_random(tmp_path / "liaf.h5", DENSE, {"positions": "E1"})
    assert export.main(argv_tail) == 2
    assert match in capsys.readouterr().err
    assert not (tmp_path / "x.nir").exists()


def test_cli_export_then_import_gives_the_same_network_file(conv_file, tmp_path, capsys):
    from razor_lava.cli import export, import_nir as import_cli

    _, nf = conv_file
    assert export.main([str(nf.path), "--nir", str(tmp_path / "o.nir")]) == 0
    assert import_cli.main([str(tmp_path / "o.nir"), "--out", str(tmp_path / "o.h5")]) == 0
    back = load_network_file(tmp_path / "o.h5")
    assert all(np.array_equal(a.weight, b.weight) for a, b in zip(nf.weighted(), back.weighted(), strict=True))
    (tmp_path / "bad.nir").write_text("not hdf5")
    capsys.readouterr()
    assert import_cli.main([str(tmp_path / "bad.nir"), "--out", str(tmp_path / "b.h5")]) == 2
    assert "bad.nir" in capsys.readouterr().err and not (tmp_path / "b.h5").exists()


def test_to_nir_records_how_to_read_the_graph(conv_file):
    _, nf = conv_file
    meta = to_nir(nf).metadata["razor_lava"]
    assert meta["dt"] == 1.0 and meta["delay_per_layer"] == 1 and meta["format"] == "razor_lava-nir/1"
    assert meta["layer_nodes"] == {"1": "conv1", "2": "conv2", "3": "pool3", "4": "flatten4", "5": "dense5",
                                   "6": "dense6"}
    assert "type_check=False" in meta["note"]
