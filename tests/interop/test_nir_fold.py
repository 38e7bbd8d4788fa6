"""NIR import of what other frameworks write: folded linear runs, biases, per-neuron arrays, malformed graphs.

Every fold is checked against the unfolded computation (torch, float64) on random integer inputs, exactly; an
imported IF graph with biases against an independent float simulation (reset to zero, one step of delay per
layer, bias from the first step, as netx runs it), exactly; the written file against what lava-dl's netx reads.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F

nir = pytest.importorskip("nir", reason="the interop extra (pip install 'razor_lava[interop]') is not installed")

from razor_lava.errors import DataFormatError  # noqa: E402
from razor_lava.interop.nir_fold import FoldError, fold, synapse_of  # noqa: E402
from razor_lava.interop.nir_import import read_nir, write_network_file  # noqa: E402
from razor_lava.netfile import load_network_file  # noqa: E402

RNG = np.random.default_rng(0)


def grid(shape, rng=RNG):
    """Weights on lava-dl's grid: even integers / 64 in [-32, 32] / 64."""
    return rng.integers(-16, 17, size=shape) * 2 / 64


def conv(w, b=None, stride=1, padding=0, in_hw=(8, 8)):
    return nir.Conv2d(input_shape=np.array(in_hw), weight=w, stride=np.array([stride] * 2),
                      padding=np.array([padding] * 2), dilation=np.array([1, 1]), groups=1,
                      bias=np.zeros(w.shape[0]) if b is None else b)


def pool(k=2):
    return nir.SumPool2d(kernel_size=np.array([k, k]), stride=np.array([k, k]), padding=np.array([0, 0]))


def run_syn(syn, x):
    """A Synapse on ``x`` (``N x in_shape``), float64."""
    x = torch.as_tensor(x, dtype=torch.float64)
    if syn.kind == "dense":
        y = x.reshape(len(x), -1) @ torch.as_tensor(syn.weight).T
    else:
        y = F.conv2d(x, torch.as_tensor(syn.weight), stride=syn.stride, padding=syn.padding, dilation=syn.dilation,
                     groups=syn.groups)
    if syn.bias is not None:
        y = y + torch.as_tensor(syn.bias).reshape(1, -1, *([1] * (y.ndim - 2)))
    return y


def ints(shape):
    return RNG.integers(0, 6, size=shape).astype(np.float64)


@pytest.mark.parametrize("hw,k_p,padding,stride", [((8, 8), 2, 1, 1), ((9, 7), 2, 0, 1), ((12, 12), 3, 1, 2),
                                                   ((8, 10), 2, 2, 1)])
def test_sumpool_then_conv_is_one_conv_exactly(hw, k_p, padding, stride):
    c = 3
    w = ints((4, c, 3, 3)) - 3  # integer weights: float64 sums of them are exact in any order
    p = synapse_of("pool", pool(k_p), (c, *hw))
    q = synapse_of("conv", conv(w, ints(4) - 2, stride, padding), p.out_shape)
    f = fold(p, q)
    x = ints((5, c, *hw))
    want = F.conv2d(F.avg_pool2d(torch.as_tensor(x), k_p) * k_p ** 2, torch.as_tensor(w), stride=stride,
                    padding=padding) + torch.as_tensor(q.bias).reshape(1, -1, 1, 1)
    assert f.kernel == ((3 - 1) * k_p + k_p,) * 2 and f.stride == (stride * k_p,) * 2
    assert f.padding == (padding * k_p,) * 2
    assert torch.equal(run_syn(f, x), want)


def test_sumpool_then_sumpool_is_one_pool():
    p = synapse_of("p1", pool(2), (2, 12, 12))
    f = fold(p, synapse_of("p2", pool(3), p.out_shape))
    x = ints((3, 2, 12, 12))
    want = F.avg_pool2d(F.avg_pool2d(torch.as_tensor(x), 2) * 4, 3) * 9
    assert f.kernel == (6, 6) and f.stride == (6, 6) and f.pool == (6, 6)
    assert torch.equal(run_syn(f, x), want)


@pytest.mark.parametrize("first", ["pool", "conv"])
def test_pool_or_conv_then_flatten_then_affine_is_one_dense_matrix(first):
    c, hw = 3, (9, 8)  # a pool that drops the last row: those pixels get weight 0
    node = pool(2) if first == "pool" else conv(ints((4, c, 3, 3)) - 3, ints(4) - 2, stride=2, padding=1)
    a = synapse_of("a", node, (c, *hw))
    n = int(np.prod(a.out_shape))
    w, b = ints((7, n)) - 3, ints(7) - 2
    d = synapse_of("d", nir.Affine(weight=w, bias=b), (n,))
    f = fold(a, d, flatten_between=True)
    x = ints((4, c, *hw))
    want = run_syn(a, x).reshape(4, -1) @ torch.as_tensor(w).T + torch.as_tensor(b)
    assert f.kind == "dense" and f.weight.shape == (7, c * hw[0] * hw[1])
    assert torch.equal(run_syn(f, x), want)
    if first == "pool":  # a gather of grid weights: on the grid, so the comparison is exact
        wg = grid((7, n))
        f = fold(a, synapse_of("d", nir.Linear(weight=wg), (n,)), flatten_between=True)
        assert torch.equal(run_syn(f, x), run_syn(a, x).reshape(4, -1) @ torch.as_tensor(wg).T)
        assert set(np.unique(f.weight)) <= set(np.unique(wg)) | {0.0}


def test_linear_then_affine_is_the_matrix_product():
    w1, b1, w2, b2 = grid((6, 5)), grid(6), grid((3, 6)), grid(3)
    a = synapse_of("l1", nir.Affine(weight=w1, bias=b1), (5,))
    f = fold(a, synapse_of("l2", nir.Affine(weight=w2, bias=b2), (6,)))
    x = ints((8, 5))
    want = (torch.as_tensor(x) @ torch.as_tensor(w1).T + torch.as_tensor(b1)) @ torch.as_tensor(w2).T \
        + torch.as_tensor(b2)
    assert torch.equal(run_syn(f, x), want)


@pytest.mark.parametrize("nodes,match", [
    (lambda: [conv(grid((3, 2, 3, 3))), conv(grid((3, 3, 3, 3)))], "conv .*followed by a conv"),
    (lambda: [nir.SumPool2d(kernel_size=np.array([3, 3]), stride=np.array([2, 2]), padding=np.array([0, 0])),
              conv(grid((3, 2, 3, 3)))], "kernel differs from its stride"),
    (lambda: [pool(2), conv(grid((3, 2, 3, 3)), padding=1)], "drops the last 1 row"),
])
def test_folds_that_are_not_exact_are_refused(nodes, match):
    first, second = nodes()
    a = synapse_of("a", first, (2, 9, 9))
    with pytest.raises(FoldError, match=match):
        fold(a, synapse_of("b", second, a.out_shape))


def _chain(*nodes, edges=None):
    names = [n for n, _ in nodes]
    return nir.NIRGraph(nodes=dict(nodes), edges=edges if edges is not None else list(zip(names, names[1:])),
                        type_check=False)


def if_node(shape, v_th=1.0, r=1.0):
    return nir.IF(r=np.full(shape, r), v_threshold=np.full(shape, v_th), v_reset=np.zeros(shape))


def paper_like_graph(bias=True, seed=1):
    """A small IF CNN shaped like the NIR paper's: conv -> IF -> pool -> conv -> IF -> pool -> flatten -> affine
    -> IF -> affine -> IF, grid weights, grid biases (multiples of 1/64), integer thresholds."""
    rng, rng_b = np.random.default_rng(seed), np.random.default_rng(seed + 100)
    b = (lambda n: rng_b.integers(-8, 9, size=n) / 64) if bias else (lambda n: np.zeros(n))
    return _chain(("input", nir.Input(np.array([2, 12, 12]))),
                  ("c1", conv(grid((4, 2, 3, 3), rng) * 2, b(4), stride=1, padding=1, in_hw=(12, 12))),
                  ("i1", if_node((4, 12, 12))),
                  ("p1", pool(2)), ("c2", conv(grid((4, 4, 3, 3), rng) * 2, b(4), padding=1, in_hw=(6, 6))),
                  ("i2", if_node((4, 6, 6))), ("p2", pool(2)), ("fl", nir.Flatten(np.array([4, 3, 3]))),
                  ("a1", nir.Affine(weight=grid((10, 36), rng) * 2, bias=b(10))), ("i3", if_node(10)),
                  ("a2", nir.Affine(weight=grid((3, 10), rng) * 2, bias=b(3))), ("i4", if_node(3)),
                  ("output", nir.Output(np.array([3]))))


def float_sim(graph, x: np.ndarray) -> np.ndarray:
    """An independent float64 simulation of an IF NIR chain (not razor_lava code), as netx runs it: every
    synapse-and-neuron stage sees its input one step late, integrates ``r * (W x + b)``, spikes where
    ``v > v_threshold`` and resets to 0. ``x``: ``N x C x H x W x T``; returns ``N x out x T``."""
    order, succ = ["input"], dict(graph.edges)
    while order[-1] != "output":
        order.append(succ[order[-1]])
    n, t_max = x.shape[0], x.shape[-1]
    state, delayed, outs = {}, {}, []
    for t in range(t_max):
        h = torch.as_tensor(x[..., t], dtype=torch.float64)
        for name in order[1:-1]:
            node = graph.nodes[name]
            kind = type(node).__name__
            if kind == "Conv2d":
                h = F.conv2d(h, torch.as_tensor(node.weight, dtype=torch.float64), torch.as_tensor(node.bias),
                             stride=tuple(node.stride), padding=tuple(node.padding))
            elif kind == "SumPool2d":
                k = int(node.kernel_size[0])
                h = F.avg_pool2d(h, k) * k * k
            elif kind == "Flatten":
                h = h.reshape(n, -1)
            elif kind == "Affine":
                h = h @ torch.as_tensor(node.weight, dtype=torch.float64).T + torch.as_tensor(node.bias)
            elif kind == "IF":  # the one-step delay of the layer (synapse sends last step's input; bias every step)
                fresh = h
                h_in = delayed.get(name, torch.zeros_like(fresh))
                delayed[name] = fresh - _bias_part(graph, order, name, fresh)
                v = state.get(name, torch.zeros_like(fresh)) + float(np.ravel(node.r)[0]) * (
                    h_in + _bias_part(graph, order, name, fresh))
                s = (v > float(np.ravel(node.v_threshold)[0])).to(torch.float64)
                state[name] = v * (1 - s)
                h = s
        outs.append(h.reshape(n, -1))
    return torch.stack(outs, -1).numpy()


def _bias_part(graph, order, name, like):
    """The bias reaching neuron ``name``: its synapse run's biases carried through the linear nodes between."""
    i = order.index(name) - 1
    run = []
    while type(graph.nodes[order[i]]).__name__ not in ("IF", "Input"):
        run.insert(0, graph.nodes[order[i]])
        i -= 1
    b = None
    for node in run:
        kind = type(node).__name__
        if kind == "Conv2d":
            nb = torch.as_tensor(node.bias, dtype=torch.float64).reshape(-1, 1, 1)
            if b is not None:
                b = F.conv2d(b.expand(-1, *like.shape[-2:])[None] if b.ndim == 3 else b, torch.as_tensor(
                    node.weight, dtype=torch.float64), padding=tuple(node.padding))[0]
            b = nb if b is None else b + nb
        elif kind == "Affine":
            nb = torch.as_tensor(node.bias, dtype=torch.float64)
            b = nb if b is None else torch.as_tensor(node.weight, dtype=torch.float64) @ b.reshape(-1) + nb
        elif kind == "SumPool2d" and b is not None:
            raise NotImplementedError("a bias before a pool")
    return torch.zeros_like(like) if b is None else b.expand_as(like[0]).expand_as(like)


def frames(shape, t, seed=2):
    g = np.random.default_rng(seed)
    return (g.random((4, *shape, t)) < 0.25).astype(np.uint8) * g.integers(1, 3, size=(4, *shape, t)).astype(np.uint8)


@pytest.mark.parametrize("bias", [False, True])
def test_a_paper_shaped_if_graph_imports_exactly(tmp_path, bias):
    """The folds, biases and IF mapping together: the SLAYER reference of the written file equals the float
    simulation of the graph spike for spike (grid weights and integer thresholds: nothing is rounded)."""
    from razor_lava.model.reference import reference_network

    g = paper_like_graph(bias)
    imp = read_nir(g)
    nf = imp.network
    assert [s.type for s in nf.layers] == ["input", "conv", "conv", "flatten", "dense", "dense"]
    assert nf.layers[2].kernel == (6, 6) and nf.layers[2].stride == (2, 2) and nf.layers[2].padding == (2, 2)
    assert nf.layers[4].in_shape == (4 * 6 * 6,)  # the last pool folded into the dense matrix
    assert all((s.bias is not None) == bias for s in nf.weighted())
    text = imp.format()
    assert "folded 'p1' -> 'c2': pool 2x2 + conv 3x3 = one conv 6x6 stride 2x2 padding 2x2" in text
    assert "folded 'p2' -> Flatten -> 'a1'" in text and "Loihi resets the membrane to 0" in text
    assert ("bias: none (all zero)" in text) != bias
    out = write_network_file(imp, tmp_path / "net.h5")
    back = load_network_file(out)
    with h5py.File(out, "r") as f:
        assert ("bias" in f["layer/1"]) == bias and ("bias" in f["layer/4"]) == bias
        if bias:
            assert f["layer/1/bias"].shape == (4,) and f["layer/4/bias"].shape == (10,)
    for a, b in zip(nf.weighted(), back.weighted(), strict=True):
        assert np.array_equal(a.weight, b.weight)
        assert (a.bias is None and b.bias is None) or np.array_equal(a.bias, b.bias)
    x = frames((2, 12, 12), 24)
    with torch.no_grad():
        got = reference_network(back)(torch.as_tensor(x, dtype=torch.float32)).numpy()
    want = float_sim(g, x)
    assert want.sum() > 10
    assert np.array_equal(got, want)


def test_the_written_layers_are_lava_dls_block_export_plus_bias(tmp_path):
    """Without biases the file's layer groups are exactly lava-dl's export of the same blocks; with biases
    the only addition is each layer's bias dataset, which netx maps to bias_mant."""
    a = write_network_file(read_nir(paper_like_graph(False)), tmp_path / "a.h5")
    b = write_network_file(read_nir(paper_like_graph(True)), tmp_path / "b.h5")

    def items(path):
        out = {}
        with h5py.File(path, "r") as f:
            f["layer"].visititems(lambda k, v: out.__setitem__(k, v[()]) if isinstance(v, h5py.Dataset) else None)
        return out

    ia, ib = items(a), items(b)
    assert sorted(set(ib) - set(ia)) == ["1/bias", "2/bias", "4/bias", "5/bias"]
    assert all(np.array_equal(ia[k], ib[k]) for k in ia)
    from lava.lib.dl.netx.hdf5 import Network  # what Lava builds from it: the bias as bias_mant

    net = Network(net_config=str(b), skip_layers=1)
    lif = net.layers[0].neuron
    assert np.array_equal(np.ravel(lif.bias_mant.init)[:1], [load_network_file(b).layers[1].bias[0, 0, 0]])


def test_per_neuron_arrays_collapse_or_are_named():
    base = lambda n: [("input", nir.Input(np.array([4]))), ("w", nir.Linear(grid((3, 4))))]  # noqa: E731
    ok = _chain(*base(3), ("lif", nir.LIF(tau=np.full(3, 4.0), r=np.full(3, 4.0), v_leak=np.zeros(3),
                                            v_threshold=np.full(3, 1.0))), ("output", nir.Output(np.array([3]))))
    layer = read_nir(ok).network.layers[1]
    assert int(layer.neuron.v_decay) == 1024 and np.ndim(layer.neuron.vth_mant) == 0 and int(layer.neuron.vth_mant) == 64
    taus = _chain(*base(3), ("lif", nir.LIF(tau=np.array([4.0, 4.0, 8.0]), r=np.full(3, 4.0), v_leak=np.zeros(3),
                                              v_threshold=np.full(3, 1.0))), ("output", nir.Output(np.array([3]))))
    with pytest.raises(DataFormatError, match=r"node 'lif' \(LIF\) tau: time constants in \[4, 8\] differ"):
        read_nir(taus)
    sizes = _chain(*base(3), ("lif", if_node(5)), ("output", nir.Output(np.array([5]))))
    with pytest.raises(DataFormatError, match=r"node 'lif' \(IF\): r has 5 values, but the synapse before it has 3"):
        read_nir(sizes)


def test_a_bias_into_a_filtering_synapse_is_refused():
    g = _chain(("input", nir.Input(np.array([4]))), ("a", nir.Affine(weight=grid((3, 4)), bias=np.full(3, 0.5))),
               ("lif", nir.CubaLIF(tau_syn=np.full(3, 4.0), tau_mem=np.full(3, 4.0), r=np.full(3, 4.0),
                                   v_leak=np.zeros(3), v_threshold=np.ones(3), w_in=np.full(3, 4.0))),
               ("output", nir.Output(np.array([3]))))
    with pytest.raises(DataFormatError, match="node 'lif' .*the bias of 'a' enters a synaptic current with tau_syn = 4"):
        read_nir(g)


def _base_nodes():
    return {"input": nir.Input(np.array([4])), "w": nir.Linear(grid((3, 4))), "lif": if_node(3),
            "output": nir.Output(np.array([3]))}


@pytest.mark.parametrize("mutate,match", [
    (lambda n, e: (n, [("input", "w"), ("w", "ghost"), ("lif", "output")]), "names node 'ghost', which is not"),
    (lambda n, e: (n, [("input", "w"), ("w", "lif")]), r"node 'lif' \(IF\) leads nowhere"),
    (lambda n, e: ({k: v for k, v in n.items() if k != "output"}, e[:-1]), "0 Output nodes"),
    (lambda n, e: (n, e + [("lif", "w")]), "feeds 2 nodes"),
    (lambda n, e: (n, [("input", "w"), ("w", "lif"), ("lif", "w")]), "closes a loop"),
    (lambda n, e: (dict(n, w=nir.Linear(np.full((3, 4), np.nan))), e), r"node 'w' \(Linear\): its weight holds NaN"),
    (lambda n, e: (dict(n, w=nir.Affine(np.ones((3, 4)) / 32, np.array([0, np.inf, 0]))), e),
     r"node 'w' \(Affine\): its bias holds NaN or infinite"),
    (lambda n, e: (dict(n, w=nir.Linear(grid((3, 5)))), e), r"node 'w' \(Linear\): weight shape \(3, 5\), but the node "
                                                          "before sends 4"),
    (lambda n, e: (dict(n, lif=nir.LI(tau=np.ones(3), r=np.ones(3), v_leak=np.zeros(3))), e),
     r"unsupported NIR nodes: 'lif' \(LI\)"),
    (lambda n, e: (dict(n, lif=nir.Linear(grid((3, 3)))), e), r"node 'lif' \(Linear\) reaches the output with no neuron"),
])
def test_malformed_graphs_are_refused_by_node(mutate, match):
    nodes, edges = mutate(_base_nodes(), [("input", "w"), ("w", "lif"), ("lif", "output")])
    with pytest.raises(DataFormatError, match=match):
        read_nir(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))


def test_cli_malformed_graph_exit_2_nothing_written(tmp_path, capsys):
    from razor_lava.cli import import_nir as cli

    nodes = dict(_base_nodes(), w=nir.Linear(np.full((3, 4), np.inf)))
    nir.write(tmp_path / "bad.nir", nir.NIRGraph(nodes=nodes, edges=[("input", "w"), ("w", "lif"), ("lif", "output")],
                                                  type_check=False))
    assert cli.main([str(tmp_path / "bad.nir"), "--out", str(tmp_path / "o.h5")]) == 2
    err = capsys.readouterr().err
    assert "node 'w' (Linear)" in err and not (tmp_path / "o.h5").exists()
