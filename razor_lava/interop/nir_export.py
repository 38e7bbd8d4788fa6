"""NIR export of a network file: ``to_nir(nf)`` builds the graph, ``export_nir`` writes it atomically.

The source is the network file (``razor_lava.netfile``), the deployed truth: its
integer weights and 12-bit decays are what SLAYER and Lava compute with, so the
graph holds exactly those (``nir_mapping`` says how each maps). A run exports
through its network file (``cli/export.py --nir``); a plain lava-dl netx file
exports the same way.

Nodes: ``input``; per layer k a synapse node (``conv<k>``, ``pool<k>``,
``dense<k>``) and its neuron ``lif<k>``, or ``flatten<k>``; ``output``. The
graph's ``metadata["razor_lava"]`` carries what NIR has no node for:

- ``layer_nodes``: layer index -> the synapse node of that layer;
- ``pruners``: layer index -> the pruner's integer parameters (``pruner_record``).
  A pruner gates the *input* of its layer: a reader reinserts it by computing the
  keep mask of each frame (``razor_lava.pruning.decide``, or its own port of it)
  from the tensor entering ``layer_nodes[k]`` and multiplying that tensor by it;
- ``cutoff``: the Top-K cutoff table (``beta`` per step): stop at the first step
  where top1 - top2 of the accumulated output exceeds ``beta[t]``;
- ``config`` (YAML), ``frame_spec`` and ``classes`` (JSON), ``dt`` and
  ``delay_per_layer`` (1: each layer delays its output by one step).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..errors import DataFormatError
from ..fixed_point import weight_to_slayer
from ..netfile import LayerSpec, NetworkFile
from . import require
from .nir_mapping import tau_from_decay
from .nir_metadata import metadata

NON_SQUARE_NOTE = ("a conv layer has a non-square kernel, whose output shape nir 1.0.8's type inference gets wrong: "
                   "read this graph with nir.read(path, type_check=False)")


def pool_weight(s: LayerSpec) -> float | None:
    """The shared weight of a conv that is a sum pool (``LayerSpec.is_pool``), else None."""
    if not s.is_pool:
        return None
    return float(weight_to_slayer(s.weight.ravel()[0]))


def to_nir(nf: NetworkFile):
    """The NIR graph of ``nf``; ``DataFormatError`` naming the layer where NIR cannot say what it computes."""
    nir = require("nir", "NIR export")

    nodes: dict = {"input": nir.Input(input_type=np.array(nf.input_shape))}
    edges: list[tuple[str, str]] = []
    layer_nodes: dict[str, str] = {}
    prev, square = "input", True
    for s in nf.layers:
        if s.type == "input":
            continue
        _check_exportable(nf, s)
        if s.type == "flatten":
            name = f"flatten{s.index}"
            nodes[name] = nir.Flatten(input_type={"input": np.array(s.in_shape)}, start_dim=0, end_dim=-1)
            edges.append((prev, name))
            layer_nodes[str(s.index)] = prev = name
            continue
        w_in = 1.0
        if s.type == "dense":
            syn = f"dense{s.index}"
            nodes[syn] = nir.Linear(weight=weight_to_slayer(s.weight))
        elif (pw := pool_weight(s)) is not None:
            syn, w_in = f"pool{s.index}", pw
            nodes[syn] = nir.SumPool2d(kernel_size=np.array(s.kernel), stride=np.array(s.stride),
                                       padding=np.array([0, 0]))
        else:
            syn = f"conv{s.index}"
            # nir 1.0.8 infers a Conv2d's output shape from the kernel's first side only, so a graph with a
            # non-square kernel fails nir's type check: it is written without one (NON_SQUARE_NOTE).
            square &= s.kernel[0] == s.kernel[1]
            nodes[syn] = nir.Conv2d(input_shape=tuple(s.in_shape[1:]), weight=weight_to_slayer(s.weight),
                                    stride=s.stride, padding=s.padding, dilation=s.dilation, groups=s.groups,
                                    bias=np.zeros(s.shape[0]))
        lif = f"lif{s.index}"
        nodes[lif] = _cuba_lif(s, w_in)
        edges += [(prev, syn), (syn, lif)]
        layer_nodes[str(s.index)] = syn
        prev = lif
    nodes["output"] = nir.Output(output_type=np.array(nf.layers[-1].shape))
    edges.append((prev, "output"))
    meta = metadata(nf, layer_nodes)
    if not square:
        meta["note"] = NON_SQUARE_NOTE
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"razor_lava": meta}, type_check=square)


def export_nir(nf: NetworkFile, path: str | os.PathLike) -> Path:
    """Write ``nf`` as a NIR file at ``path``, atomically (a failed export leaves no file and an old one as it was)."""
    nir = require("nir", "NIR export")

    graph = to_nir(nf)
    path = Path(path)
    with atomic_path(path) as tmp:
        nir.write(tmp, graph)
    return path


def _cuba_lif(s: LayerSpec, w_in: float):
    nir = require("nir", "NIR export")

    n = s.neuron
    shape = s.shape
    tau_syn = np.full(shape, tau_from_decay(n.i_decay), dtype=np.float64)
    tau_mem = np.full(shape, tau_from_decay(n.v_decay), dtype=np.float64)
    return nir.CubaLIF(tau_syn=tau_syn, tau_mem=tau_mem, r=tau_mem.copy(), v_leak=np.zeros(shape),
                       v_threshold=np.full(shape, float(n.vth_mant) / 64.0), v_reset=np.zeros(shape),
                       w_in=tau_syn * w_in)


def _check_exportable(nf: NetworkFile, s: LayerSpec) -> None:
    where = f"layer/{s.index}"
    if s.graded:
        raise DataFormatError(nf.path, f"{where} is a LIAF layer (graded spikes): NIR 1.0 has no neuron whose "
                              "spike carries its voltage, so no NIR reader would compute it; train with CUBA "
                              "(binary) neurons in every layer to export to NIR (neuron: cuba, the default)")
    if s.bias is not None:
        raise DataFormatError(nf.path, f"{where}/bias: netx adds a bias to the voltage every step, NIR's Affine "
                              "to the synaptic current: not exported (remove the bias or fold it into v_leak by hand)")
    if s.neuron is not None and (int(s.neuron.i_decay) == 0 or int(s.neuron.v_decay) == 0):
        raise DataFormatError(nf.path, f"{where}/neuron: a decay of 0 (a state that never decays) is an infinite "
                              "NIR time constant, and CubaLIF's input gain w_in / tau_syn (r / tau_mem) would be 0 "
                              "or undefined: not exported")
    if s.delay is not None:
        raise DataFormatError(nf.path, f"{where}/delay: learned synaptic delays are not exported to NIR "
                              "(train without delay: true)")
