"""Count synaptic operations of a network file in SLAYER (the fast, batched path).

As sinabs does, the counting is attached from outside: forward pre-hooks on
the weighted blocks see exactly what reaches each block's synapses (after its
pruner, which ``RazorNet.forward`` applies before the block), count it, and
return nothing, so the network computes what it computes without them. The
hooks are removed when counting ends, also on errors.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from ..deployment.evaluate import slayer_reference
from ..model.reference import reference_network
from ..netfile import NetworkFile
from .counts import SynopCounts, build_counts, fanout_maps


class attach_counters:  # noqa: N801 (used like a function: ``with attach_counters(...) as c``)
    """Context manager: count events and synops at the input of ``blocks`` while inside it.

    ``blocks``: key (e.g. layer index) -> module whose input is the layer's synaptic input; ``fanouts``: key ->
    fan-out map of the block's input in SLAYER order (``fanout_map``). Every
    forward pass inside the ``with`` adds its ``batch x T`` counts; read them
    with ``events()`` / ``synops()`` (``N x T`` int64 per key, N = all samples
    seen). Leaving the ``with`` removes the hooks.
    """

    def __init__(self, blocks: Mapping[int, nn.Module], fanouts: Mapping[int, np.ndarray], n_frames: int = 0):
        self.blocks = dict(blocks)
        self.fanouts = {k: np.asarray(fanouts[k], dtype=np.int64).reshape(-1) for k in self.blocks}
        self.n_frames = n_frames
        self._events: dict[int, list] = {k: [] for k in self.blocks}
        self._synops: dict[int, list] = {k: [] for k in self.blocks}
        self._handles: list = []

    def __enter__(self) -> "attach_counters":
        for k, block in self.blocks.items():
            self._handles.append(block.register_forward_pre_hook(self._hook(k)))
        return self

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def _hook(self, key):
        fan = torch.as_tensor(self.fanouts[key], dtype=torch.float64)

        def hook(module, args):
            x = args[0].detach()
            nz = (x != 0).reshape(x.shape[0], -1, x.shape[-1])  # N x D x T, D in C, H, W order
            if nz.shape[1] != fan.numel():
                raise ValueError(f"layer {key}: input has {nz.shape[1]} elements per frame, its fan-out map "
                                 f"{fan.numel()}")
            self._events[key].append(nz.sum(dim=1).cpu().numpy().astype(np.int64))
            # float64 matmul of 0/1 and integer fan-outs is exact below 2**53; per sample, so the
            # float copy of the input stays one sample large.
            f = fan.to(x.device)
            syn = [(f @ nz[n].to(torch.float64)).round().to(torch.int64).cpu().numpy() for n in range(nz.shape[0])]
            self._synops[key].append(np.stack(syn) if syn else np.zeros((0, nz.shape[-1]), dtype=np.int64))
            return None  # the input is passed on untouched

        return hook

    def _joined(self, parts: dict) -> dict[int, np.ndarray]:
        return {k: np.concatenate(v) if v else np.zeros((0, self.n_frames), dtype=np.int64) for k, v in parts.items()}

    def events(self) -> dict[int, np.ndarray]:
        return self._joined(self._events)

    def synops(self) -> dict[int, np.ndarray]:
        return self._joined(self._synops)


def count_slayer(nf: NetworkFile, frames: np.ndarray, gates: bool = True, batch: int = 32
                 ) -> tuple[SynopCounts, np.ndarray]:
    """``count_reference``'s counts and the reference outputs (Lava payloads ``N x n_out x T`` int64)."""
    counts, ref = count_reference(nf, frames, gates, batch)
    return counts, ref["output"]


@torch.no_grad()
def count_reference(nf: NetworkFile, frames: np.ndarray, gates: bool = True, batch: int = 32
                    ) -> tuple[SynopCounts, dict]:
    """Count the synops of ``nf``'s SLAYER fixed-point reference on ``frames``.

    ``frames``: ``N x C x H x W x T`` or ``N x C x T`` integer payloads (as for
    deployment). ``gates=False`` counts the same network with its pruners
    removed. Returns the counts and what ``deployment.evaluate.slayer_reference``
    returns (outputs as Lava payloads, gate decisions, seconds of the forward
    pass): one forward pass serves both.
    """
    frames = np.asarray(frames)
    if frames.ndim < 2 or tuple(frames.shape[1:-1]) != tuple(nf.input_shape):
        raise ValueError(f"frames have shape {frames.shape}: expected N x {' x '.join(map(str, nf.input_shape))} x T "
                         f"for {nf.path}")
    n_frames = int(frames.shape[-1])
    run_nf = nf if gates else nf.without_gates()
    net = reference_network(run_nf)
    fanouts = fanout_maps(nf)
    with attach_counters({i: net.layer(i) for i in fanouts}, fanouts, n_frames) as counter:
        ref = slayer_reference(run_nf, frames, batch, net=net)  # the deploy path's own batched forward
    return build_counts(nf, counter.events(), counter.synops(), ref["keep"], n_frames, fanouts), ref
