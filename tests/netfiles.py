"""Small network files for the Lava tests: random RazorNets whose pruners really
prune, random spike frames, and plain lava-dl netx files razor_lava did not train."""

from __future__ import annotations

import h5py
import numpy as np
import torch

from razor_lava.data.framing import FrameSpec
from razor_lava.netfile import export_network
from razor_lava.config import parse_config
from razor_lava.model.network import RazorNet

T = 12
CONV = {
    "data": {"dataset": "synthetic"},
    "input": [2, 10, 8],
    "neuron": {"threshold": 0.8},
    "layers": [
        {"type": "conv", "out": 6, "kernel": 3, "stride": 2, "padding": 1, "weight_scale": 6},
        {"type": "conv", "out": 6, "kernel": [3, 1], "padding": [1, 0], "weight_scale": 6},
        {"type": "pool", "kernel": 2},
        {"type": "flatten"},
        {"type": "dense", "out": 12, "weight_scale": 6},
        {"type": "dense", "out": 4, "neuron": "liaf", "weight_scale": 6},
    ],
}
# A small trainable conv network (2 x 8 x 8 input, LIAF output, no pruner): the training-side tests' model.
SMALL_CONV = {
    "data": {"dataset": "synthetic"},
    "input": [2, 8, 8],
    "neuron": {"tau_grad": 1.0, "scale_grad": 1.0},
    "layers": [
        {"type": "conv", "out": 4, "kernel": 3, "stride": 2, "padding": 1},
        {"type": "flatten"},
        {"type": "dense", "out": 16},
        {"type": "dense", "out": 3, "neuron": "liaf"},
    ],
    "pruner": {"positions": "E1"},
}
DENSE = {
    "data": {"dataset": "synthetic"},
    "input": [30],
    "neuron": {"threshold": 0.8},
    "layers": [
        {"type": "dense", "out": 20, "weight_scale": 5},
        {"type": "dense", "out": 16, "neuron": "liaf", "weight_scale": 5},
        {"type": "dense", "out": 12, "weight_scale": 3},
        {"type": "dense", "out": 5, "weight_scale": 5},
    ],
}


def export_random(path, raw: dict, pruner: dict, seed: int = 0):
    """Export a RazorNet of config ``raw`` with random pruners (that really prune) to ``path``.

    Returns ``(net, path)``; the file's frame spec has 1 ms frames and ``T`` of them.
    """
    torch.manual_seed(seed)
    raw = dict(raw, pruner=pruner)
    net = RazorNet(parse_config(raw))
    with torch.no_grad():
        for p in net.pruners.values():
            p.weight.normal_(0, 1.5)
            p.embeddings.normal_(0, 1.5)
    inp = raw["input"]
    spec = FrameSpec((inp[2], inp[1], inp[0]) if len(inp) == 3 else (inp[0], 1, 1), 1, T)
    return net, export_network(net, path, spec)


def random_frames(input_shape, n: int, seed: int = 1) -> np.ndarray:
    """Binary frames ``n x input_shape x T`` (uint8) with a random density per sample and frame."""
    g = torch.Generator().manual_seed(seed)
    dens = torch.rand(n, *([1] * len(input_shape)), T, generator=g) * 0.6
    return (torch.rand((n, *input_shape, T), generator=g) < dens).numpy().astype(np.uint8)


def write_plain_netx(path, blocks, input_shape) -> None:
    """A netx file of lava-dl blocks exported with their own ``export_hdf5``, plus an input-shape layer."""
    with h5py.File(path, "w") as f:
        layer = f.create_group("layer")
        inp = layer.create_group("0")
        inp.create_dataset("type", (1,), "S10", [b"input"])
        inp.create_dataset("shape", data=np.array(input_shape))
        for i, b in enumerate(blocks):
            b.export_hdf5(layer.create_group(str(i + 1)))
