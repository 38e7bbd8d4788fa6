"""The RCS regulariser (Wu et al., arXiv 2301.09522; DESIGN.md 2.4), for SLAYER training.

Per layer the activity ``r_t = s_t + ReLU(v_t / vth)`` (spikes plus the
membrane voltage in units of the threshold) should point, already at early
``t``, the way it points at the end: the reference ``r_d`` is the mean of
``r_t`` over the last ``ref_fraction`` of timesteps (detached), and the
penalty is ``1 / (max(cos_sim(r_t, r_d), floor) + 1e-5)``, averaged over timesteps and
samples, maximum over layers; only samples the network already classifies
correctly over those last timesteps take part. The loss is
``task + alpha * reg``.

The floor is ours (``floor = 0`` is the paper's form). The gradient of
``1 / cos`` is ``-1 / cos^2``: one near-orthogonal early activity vector gives
a gradient up to 1e10 and, measured on N-MNIST (alpha 0.002, seed 1) and the
synthetic set, training collapsed (31% and ~20% test accuracy instead of ~80%
and ~90%). With ``floor = 0.1`` the term is at most 10, pairs below the floor
pass no gradient, and the same N-MNIST run reached 81%.

How the voltage is obtained: lava-dl's ``cuba.Neuron.forward`` computes
``voltage`` with ``dynamics`` and passes it to ``spike(voltage)``, then
returns only the spikes. ``capture_activity`` wraps each block neuron's
``spike`` method for the duration of a forward pass, so it sees the very
voltage tensor (in the autograd graph, no second computation) and the
spikes it produces; ``s_t`` here is the neuron's own spike before the block's
one-step ``delay_shift`` (both terms are then at the same ``t``). For a
graded (LIAF) layer ``s_t`` is the graded value.

Pairs (sample, t) with ``r_t == 0`` (no input has reached the layer yet: every
block delays by one step, and pruned frames are all-zero) or with ``r_d == 0``
are left out: their cosine is 0, which would add a constant 1e5 with no
useful gradient (and an ill-conditioned one at the zero vector).
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import torch
import torch.nn.functional as F

EPS = 1e-5


@contextmanager
def capture_activity(net):
    """Record ``r_t`` of every neuron block of ``net`` during a forward pass.

    Yields a list that fills with one ``N x M x T`` tensor per neuron layer
    (``M`` = neurons of the layer, flattened), in forward order.
    """
    records: list[torch.Tensor] = []
    wrapped = []
    for block in net.blocks:
        neuron = getattr(block, "neuron", None)
        if neuron is None:
            continue

        def spike(voltage, _orig=neuron.spike, _th=float(neuron.threshold)):
            s = _orig(voltage)
            r = s + F.relu(voltage / _th)
            records.append(r.reshape(r.shape[0], -1, r.shape[-1]))
            return s

        neuron.spike = spike  # an instance attribute shadows the method for this pass only
        wrapped.append(neuron)
    try:
        yield records
    finally:
        for neuron in wrapped:
            del neuron.spike


def n_reference(T: int, ref_fraction: float) -> int:
    """Number of final timesteps forming the reference (at least 1)."""
    return max(1, min(T, math.ceil(ref_fraction * T - 1e-9)))


def rcs_penalty(records: list[torch.Tensor], output: torch.Tensor, labels: torch.Tensor,
                ref_fraction: float = 0.3, cos_floor: float = 0.0) -> torch.Tensor:
    """The RCS term (a scalar tensor; 0 when no sample or pair qualifies).

    ``records``: per layer ``N x M x T`` activity (``capture_activity``);
    ``output``: ``N x classes x T`` network output; ``labels``: ``N``.
    A sample qualifies when ``argmax`` of the accumulated output equals its
    label at every one of the last ``n_reference(T, ref_fraction)`` steps.
    """
    T = output.shape[-1]
    k = n_reference(T, ref_fraction)
    with torch.no_grad():
        Y = output.detach().cumsum(dim=-1)
        correct = (Y[..., -k:].argmax(dim=1) == labels[:, None]).all(dim=1)  # N
    per_layer = []
    for r in records:
        r_d = r[..., -k:].mean(dim=-1).detach()  # N x M
        cos = F.cosine_similarity(r, r_d.unsqueeze(-1), dim=1)  # N x T
        valid = correct[:, None] & (r.detach().abs().sum(dim=1) > 0) & (r_d.abs().sum(dim=1) > 0)[:, None]
        if valid.any():
            per_layer.append((1.0 / (cos[valid].clamp(min=cos_floor) + EPS)).mean())
    if not per_layer:
        return output.new_zeros(())
    return torch.stack(per_layer).max()


class RCS:
    """``loss = task + alpha * reg`` with per-epoch bookkeeping of ``reg``."""

    def __init__(self, alpha: float, ref_fraction: float = 0.3, cos_floor: float = 0.1):
        self.alpha, self.ref_fraction, self.cos_floor = float(alpha), float(ref_fraction), float(cos_floor)
        self.reset()

    def reset(self) -> None:
        self.total, self.n = 0.0, 0

    def penalty(self, records, output, labels) -> torch.Tensor:
        reg = rcs_penalty(records, output, labels, self.ref_fraction, self.cos_floor)
        self.total += float(reg) * len(labels)
        self.n += len(labels)
        return reg

    @property
    def mean(self) -> float:
        """Mean ``reg`` per sample since the last ``reset`` (the value logged per epoch)."""
        return self.total / max(self.n, 1)
