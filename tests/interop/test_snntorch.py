"""A graph written by snnTorch's own exporter (snnTorch 1.0 ``export_to_nir``), imported and run by razor_lava,
against snnTorch's own simulation on the same inputs.

snnTorch writes LIF time constants for dt = 1e-4 (``--dt 1e-4``); per-neuron ``beta`` / ``threshold`` tensors
avoid its 0-d arrays that ``nir.write`` cannot store (docs/design.md 6). The Leaky neurons reset to zero
(``reset_mechanism="zero"``, ``reset_delay=False``), which is what NIR's ``v_reset = 0`` and Loihi do; snnTorch's
default subtracts. SLAYER delays each layer by one step, snnTorch does not (``crosscheck.compare`` aligns them).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

nir = pytest.importorskip("nir", reason="the interop extra is not installed")
snn = pytest.importorskip("snntorch", reason="snnTorch (the test extra) is not installed")
snn_nir = pytest.importorskip("snntorch.export_nir", reason="snnTorch without its NIR exporter")

from razor_lava.interop.crosscheck import compare  # noqa: E402
from razor_lava.interop.nir_import import read_nir, write_network_file  # noqa: E402
from razor_lava.model.reference import reference_network  # noqa: E402
from razor_lava.netfile import load_network_file  # noqa: E402


def snntorch_net(seed=0):
    torch.manual_seed(seed)
    g = np.random.default_rng(seed)
    lin = lambda i, o: torch.nn.Linear(i, o, bias=False)  # noqa: E731
    l1, l2 = lin(20, 12), lin(12, 4)
    with torch.no_grad():  # weights on lava-dl's grid: the import changes nothing
        l1.weight.copy_(torch.as_tensor(g.integers(-12, 25, (12, 20)) * 2 / 64))
        l2.weight.copy_(torch.as_tensor(g.integers(-12, 25, (4, 12)) * 2 / 64))
    leaky = lambda n: snn.Leaky(beta=torch.full((n,), 0.5), threshold=torch.full((n,), 1.0), init_hidden=True,  # noqa: E731
                                reset_mechanism="zero", reset_delay=False)
    return torch.nn.Sequential(l1, leaky(12), l2, leaky(4))


def run_snntorch(net, x: torch.Tensor) -> torch.Tensor:
    """``x``: ``N x 20 x T`` -> output spikes ``N x 4 x T``, snnTorch stepping its own neurons."""
    from snntorch import utils

    utils.reset(net)
    with torch.no_grad():
        return torch.stack([net(x[..., t]) for t in range(x.shape[-1])], -1)


def test_snntorch_export_imports_and_agrees(tmp_path):
    net = snntorch_net()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = snn_nir.export_to_nir(net, torch.zeros(20))
    nir.write(tmp_path / "s.nir", graph)
    with warnings.catch_warnings():  # r = tau / dt in float32 is not exactly 2: scaled onto the grid (reported)
        warnings.simplefilter("ignore")
        imp = read_nir(tmp_path / "s.nir", dt=1e-4)
    layer = imp.network.layers[1]
    assert (int(layer.neuron.i_decay), int(layer.neuron.v_decay)) == (4096, 2048)  # LIF, beta 0.5
    nf = load_network_file(write_network_file(imp, tmp_path / "s.h5"))
    g = np.random.default_rng(1)
    x = torch.as_tensor((g.random((16, 20, 40)) < 0.3).astype(np.float32))
    theirs = run_snntorch(net, x)
    with torch.no_grad():
        ours = reference_network(nf)(x)
    a = compare(ours, theirs, n_layers=2)
    assert theirs.sum() > 20
    # 12-bit fixed-point decay and the grid scaling (r = tau / dt is not exactly 2 in float32) vs float: close.
    assert a.spike_agreement >= 0.95 and a.prediction_agreement >= 0.85  # measured: 0.980, 0.9375
