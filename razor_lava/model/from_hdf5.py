"""Rebuild the SLAYER network of a network file: the fixed-point reference that
the Lava run must equal.

Works for razor_lava exports and for plain lava-dl netx files: the layers are
read back from ``layer/*`` (weights are the exported integers / 64, which
lava-dl's 8-bit quantization maps back onto themselves; neuron parameters
from the device parameters), and pruners take their integer parameters from
``razor/pruners`` as they are.
"""

from __future__ import annotations

import h5py
import numpy as np
import torch

from ..errors import DataFormatError
from ..export import NetworkFile
from .config import parse_config
from .network import RazorNet

W_SCALE = 64  # lava-dl CUBA weight scale: exported weight = float weight * 64


def _scalar(v):
    return v.item() if hasattr(v, "item") else v


def _neuron(g: h5py.Group) -> dict:
    n = g["neuron"]
    return {
        "threshold": float(_scalar(n["vThMant"][()])) / 64,
        "current_decay": float(_scalar(n["iDecay"][()])) / 4096,
        "voltage_decay": float(_scalar(n["vDecay"][()])) / 4096,
        "graded_spike": bool(_scalar(n["gradedSpike"][()])) if "gradedSpike" in n else False,
    }


def _pair(g, key, default):
    if key not in g:
        return [default, default]
    v = np.ravel(g[key][()]).astype(int).tolist()
    return v * 2 if len(v) == 1 else v[:2]


def config_from_file(nf: NetworkFile) -> dict:
    """A config mapping equivalent to the file's layers (and pruners)."""
    layers = []
    with h5py.File(nf.path, "r") as f:
        for info in nf.layers[1:]:
            g = f["layer"][str(info.index)]
            if info.type == "flatten":
                layers.append({"type": "flatten"})
            elif info.type == "dense":
                layers.append({"type": "dense", "out": int(np.prod(info.shape)), "neuron": _neuron(g)})
            else:
                layers.append({"type": "conv", "out": int(info.shape[0]), "kernel": _pair(g, "kernelSize", 1),
                               "stride": _pair(g, "stride", 1), "padding": _pair(g, "padding", 0),
                               "dilation": _pair(g, "dilation", 1), "groups": int(_scalar(g["groups"][()]))
                               if "groups" in g else 1, "neuron": _neuron(g)})
    raw = {"data": dict((nf.config or {}).get("data", {"dataset": "synthetic"})), "input": list(nf.input_shape),
           "layers": layers, "pruner": {"positions": sorted(nf.pruners)}}
    return raw


@torch.no_grad()
def reference_network(nf: NetworkFile) -> RazorNet:
    """The SLAYER network of ``nf`` in eval mode, weights and pruner decisions as in the file."""
    net = RazorNet(parse_config(config_from_file(nf), source=str(nf.path)))
    with h5py.File(nf.path, "r") as f:
        for i, block in enumerate(net.blocks):
            g = f["layer"][str(i + 1)]
            if "weight" not in g:
                continue
            w = torch.as_tensor(np.asarray(g["weight"][()], dtype=np.float64) / W_SCALE, dtype=torch.float32)
            target = block.synapse.weight
            if w.numel() != target.numel():
                raise DataFormatError(nf.path, f"layer/{i + 1}/weight has {w.numel()} values, the layer needs "
                                      f"{target.numel()} ({tuple(target.shape)})")
            target.copy_(w.reshape(target.shape))
    for i, params in nf.pruners.items():
        net.pruners[str(i)].use_quantized(params)
    net._infer_shapes()
    return net.eval()
