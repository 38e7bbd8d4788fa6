"""``RazorNet``: a lava-dl SLAYER network built from a config, with Razor pruners.

Layers are lava-dl CUBA blocks (8-bit quantization-aware; ``graded_spike``
turns a layer into LIAF). A ``pool`` layer is built as a depthwise strided
``cuba.Conv`` with fixed weights: netx 0.6 cannot build pool layers, but it
builds this conv, so every shipped layer type deploys as it is.
Pruners (``EventPruner``) sit at the input of the blocks the config names.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import torch
from torch import nn

from ._slayer import slayer

from ..atomic import atomic_path
from ..errors import ConfigError
from ..fixed_point import GRADED_SCALE
from ..layers import Conv, Dense, Flatten, Layer, LayerShapeError, Pool
from ..pruning.module import EventPruner
from ..pruning.params import resolve_method_rule
from ..config import NetConfig


def _neuron_params(p: dict) -> dict:
    return {k: p[k] for k in ("threshold", "current_decay", "voltage_decay", "tau_grad", "scale_grad",
                              "requires_grad", "graded_spike")}


def effective_pruner(cfg: NetConfig, pruner_overrides: dict | None = None) -> dict:
    """The pruner section a network of ``cfg`` with ``pruner_overrides`` runs (what its files record).

    A threshold given alone replaces the config's ratio, and a ratio given alone its threshold (as on the
    command line): {"theta": 0.5} must not clash with the config's ratio 0.3 (``resolve_method_rule``).
    """
    pruner_cfg = dict(cfg.pruner)
    overrides = dict(pruner_overrides or {})
    pruner_cfg.update({k: v for k, v in overrides.items() if k not in ("theta", "ratio")})
    pruner_cfg["theta"], pruner_cfg["ratio"] = resolve_method_rule(
        pruner_cfg["method"], cfg.pruner["theta"], cfg.pruner["ratio"], pruner_cfg["variant"], overrides)
    return pruner_cfg


def _neuron(layer: Layer, dropout: float) -> dict:
    params = _neuron_params(layer.neuron)
    if dropout > 0:
        params["dropout"] = slayer.neuron.Dropout(p=dropout)
    return params


def _build_conv(layer: Conv, in_shape, dropout: float) -> nn.Module:
    return slayer.block.cuba.Conv(
        _neuron(layer, dropout), in_shape[0], layer.out, layer.kernel, stride=layer.stride, padding=layer.padding,
        dilation=layer.dilation, groups=layer.groups, weight_scale=layer.weight_scale, weight_norm=layer.weight_norm,
        delay_shift=True)


def _build_pool(layer: Pool, in_shape, dropout: float) -> nn.Module:
    """A sum pool as the depthwise conv it deploys as (``Pool.as_conv``), its weight fixed; no dropout."""
    conv = layer.as_conv(in_shape[0])
    block = slayer.block.cuba.Conv(_neuron(layer, 0.0), conv.out, conv.out, conv.kernel, stride=conv.stride,
                                   groups=conv.groups, weight_norm=False, delay_shift=True)
    block.synapse.weight.data.fill_(layer.weight)
    block.synapse.weight.requires_grad_(False)
    return block


def _build_dense(layer: Dense, in_shape, dropout: float) -> nn.Module:
    # A learnable axonal delay is lava-dl's (max 62 steps, netx's limit); on the CPU SLAYER shifts
    # by the delay's floor, which is what export writes, so the deployed network stays exact.
    return slayer.block.cuba.Dense(_neuron(layer, dropout), int(np.prod(in_shape)), layer.out,
                                   weight_scale=layer.weight_scale, weight_norm=layer.weight_norm, delay=layer.delay,
                                   delay_shift=True)


def _build_flatten(layer: Flatten, in_shape, dropout: float) -> nn.Module:
    return slayer.block.cuba.Flatten()


# The one table from a layer type to its SLAYER block: ``BUILD[layer.type](layer, in_shape, dropout)``.
# RazorNet builds configs and network files (the SLAYER reference, NIR imports) through it.
BUILD = {"conv": _build_conv, "pool": _build_pool, "dense": _build_dense, "flatten": _build_flatten}


class RazorNet(nn.Module):
    """SLAYER network from a ``NetConfig``.

    Input ``N x C x H x W x T`` (or ``N x C x T``); output ``N x classes x T``
    spikes (binary, or graded payloads for a LIAF output layer). Each block
    delays its output by one step (``delay_shift``), as on Loihi.

    Layers are numbered by the layer index of the exported file
    (``razor_lava.netfile.spec``): ``layer/0`` is the input, layer ``k`` is
    ``block(k) = blocks[k - 1]`` (the ``k``-th entry of the config's ``layers:``).
    ``pruners`` and ``layer_inputs`` are keyed by it.
    """

    def __init__(self, cfg: NetConfig, pruner_overrides: dict | None = None):
        super().__init__()
        self.cfg = cfg
        pruner_cfg = self.pruner_cfg = effective_pruner(cfg, pruner_overrides)
        self.blocks = nn.ModuleList()
        self.pruners = nn.ModuleDict()
        self.layer_inputs: dict[int, tuple[int, ...]] = {}  # layer index -> its input shape, (C, H, W) or (C,)
        positions = set(cfg.pruner_layers() if "positions" not in (pruner_overrides or {})
                        else _positions_override(cfg, pruner_overrides["positions"]))
        shape = tuple(cfg.input)
        graded = False
        # Dropout on every block but the output block (lava-dl's N-MNIST recipe); it only acts in training.
        last_block = cfg.block_indices()[-1]
        dropout = float(cfg.train.get("dropout", 0.0))
        for i, layer in enumerate(cfg.layers):
            k = i + 1
            self.layer_inputs[k] = shape
            if k in positions:
                self.pruners[str(k)] = self._make_pruner(shape, graded, pruner_cfg)
            try:
                out_shape = layer.out_shape(shape)
            except LayerShapeError as e:
                raise ConfigError(f"layers[{i}]" + (f".{e.key}" if e.key else ""), str(e), cfg.source) from None
            block = BUILD[layer.type](layer, shape, dropout if k != last_block else 0.0)
            self.blocks.append(block)
            if layer.weighted:
                graded = bool(layer.neuron["graded_spike"])
            shape = out_shape
        self.output_shape = shape

    def _make_pruner(self, shape, graded: bool, p: dict) -> EventPruner:
        spatial = tuple(shape[1:]) if len(shape) == 3 else None
        return EventPruner(
            shape[0], spatial, n_embeddings=int(p["n_embeddings"]), kernel=int(p["kernel"]),
            pool=tuple(p["pool"]) if spatial else (1, 1), theta=p["theta"], ratio=p["ratio"],
            train_mode=p["train_mode"], variant=p["variant"], input_scale=GRADED_SCALE if graded else 1,
            method=p["method"], events_k=p["events_k"], seed=int(p["seed"]), freeze=bool(p["freeze"]),
            infer_ratio=p["infer_ratio"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for k, block in enumerate(self.blocks, start=1):
            if str(k) in self.pruners:
                x = self.pruners[str(k)](x)
            x = block(x)
        return x

    def block(self, k: int) -> nn.Module:
        """The SLAYER block of layer ``k`` (layer 0 is the input)."""
        return self.blocks[k - 1]

    def pruner_items(self) -> list[tuple[int, EventPruner]]:
        """``(layer index, pruner)`` in layer order."""
        return sorted(((int(k), v) for k, v in self.pruners.items()), key=lambda kv: kv[0])

    def export_hdf5(self, path: str | os.PathLike) -> Path:
        """Write the layers as a plain netx HDF5 file, atomically (see ``write_layers``).

        ``razor_lava.netfile.export_network`` writes the same layers plus the
        pruners, frame spec and cutoff: use that for deployment.
        """
        path = Path(path)
        with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
            self.write_layers(f)
        return path

    def write_layers(self, f: h5py.File) -> None:
        """lava-dl's block export into ``f['layer']``.

        ``layer/0`` is an input layer holding the input shape; ``layer/k`` is ``block(k)``.
        """
        self._infer_shapes()
        layer = f.create_group("layer")
        inp = layer.create_group("0")
        inp.create_dataset("type", (1,), "S10", [b"input"])
        # SLAYER order (C, H, W), as lava-dl's Input block writes it; netx reverses it to (x, y, f).
        inp.create_dataset("shape", data=np.array(self.cfg.input))
        for k, block in enumerate(self.blocks, start=1):
            block.export_hdf5(layer.create_group(str(k)))

    @torch.no_grad()
    def _infer_shapes(self) -> None:
        """lava-dl blocks learn their neuron shape in the first forward pass; export needs it."""
        if all(getattr(getattr(b, "neuron", None), "shape", 1) is not None for b in self.blocks):
            return
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        x = torch.zeros(1, *self.cfg.input, 1, device=device)
        for block in self.blocks:  # no pruners: shapes only
            x = block(x)
        self.train(was_training)


def _positions_override(cfg: NetConfig, positions) -> list[int]:
    from ..config import parse_config

    raw = dict(cfg.raw)
    raw["pruner"] = dict(raw.get("pruner") or {}, positions=positions)
    return parse_config(raw, cfg.source).pruner_layers()
