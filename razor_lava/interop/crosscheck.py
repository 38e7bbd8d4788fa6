"""Run an exported NIR graph in another framework (Norse) and compare it with razor_lava's SLAYER path.

NIR promises the same ODEs, not the same numbers: SLAYER computes the decays in
12-bit fixed point, Norse in float32, so spikes can differ where a voltage sits
at the threshold. And SLAYER delays each layer's output by one step (as Loihi
does), Norse does not: Norse's output at step t is SLAYER's at t + L for L
weighted layers. ``compare`` aligns the two that way (what a reader who knows
``metadata["razor_lava"]["delay_per_layer"]`` does) and also reports the naive
reading (both over all T steps).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from . import require


def norse_module(graph):
    """The graph as a Norse module at dt = 1 (one step per frame); Norse's deprecation chatter silenced."""
    norse = require("norse.torch", "running a NIR graph in Norse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return norse.from_nir(graph, dt=1.0)


def run_norse(module, frames):
    """Output spikes ``N x classes x T`` of the Norse module on ``frames`` (``N x C x H x W x T`` or ``N x C x T``).

    One sample at a time, without a batch axis: NIR has none, and Norse's Flatten keeps NIR's ``start_dim`` 0.
    """
    import torch  # here, not at import: ``Agreement`` is read (bench reports) without torch

    outs = []
    with torch.no_grad():
        for x in frames:
            state, steps = None, []
            for t in range(x.shape[-1]):
                y, state = module(x[..., t].float(), state)
                steps.append(y.reshape(-1))
            outs.append(torch.stack(steps, -1))
    return torch.stack(outs)


@dataclass
class Agreement:
    samples: int
    prediction_agreement: float      # same argmax of the spike counts (delay-aligned)
    naive_agreement: float           # same argmax, both counted over all T steps
    spike_agreement: float           # fraction of (sample, neuron, step) outputs equal, delay-aligned
    identical_samples: int           # samples whose aligned output spike trains are identical
    accuracy_slayer: float | None = None
    accuracy_other: float | None = None


def compare(slayer_out, other_out, n_layers: int, labels=None) -> Agreement:
    """Agreement of SLAYER's output with another framework's (``N x classes x T`` both), ``n_layers`` weighted layers."""
    t = slayer_out.shape[-1]
    a, b = slayer_out[..., n_layers:], other_out[..., : t - n_layers]
    pred_a, pred_b = slayer_out.sum(-1).argmax(1), b.sum(-1).argmax(1)
    naive_b = other_out.sum(-1).argmax(1)
    same = (a == b)
    acc = lambda p: float((p.cpu().numpy() == np.asarray(labels)).mean()) if labels is not None else None  # noqa: E731
    return Agreement(samples=len(slayer_out), prediction_agreement=float((pred_a == pred_b).float().mean()),
                     naive_agreement=float((pred_a == naive_b).float().mean()),
                     spike_agreement=float(same.float().mean()),
                     identical_samples=int(same.reshape(len(a), -1).all(1).sum()),
                     accuracy_slayer=acc(pred_a), accuracy_other=acc(pred_b))
