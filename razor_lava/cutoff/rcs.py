"""The RCS regulariser (Wu et al., arXiv 2301.09522; docs/design.md 2.4) in the authors' form, for SLAYER.

Ported from their reference code (Dengyu-Wu/snncutoff, MIT: ``regularizer/rcs_snn.py``
``RCSSNN.forward`` and ``RCSSNNLoss.compute_reg_loss``, used by ``snncase.py``); tests/cutoff checks it
against a verbatim port on fixed tensors. Per layer, with ``r_t = s_t + ReLU(v_t / vth)`` (spikes plus
the membrane voltage in units of the threshold):

- ``k = int(ref_fraction * T)``; the reference ``r_d`` is the mean of ``r_t`` over the last ``k`` steps
  (over all ``T`` when ``k`` is 0, as the authors' ``r_t[-0:]`` slices), detached;
- ``cos_t = <r_t, r_d> / (sqrt(|r_t|^2 + 1e-5) sqrt(|r_d|^2 + 1e-5))`` per sample and step;
- the layer's term per sample is ``1 / (mean over t of cos_t + 1e-5)`` (the mean inside the reciprocal);
- a sample takes part when the argmax of each of the last ``k`` per-step outputs (``output[..., t]``,
  not the accumulated output) is its label; the others count 0;
- ``reg`` = the mean over layers of the maximum over the batch. The loss is ``task + alpha * reg``.

The variant this module held before (the mean over t of a floored ``1 / cos``, the maximum over
layers, correctness on the accumulated output) is gone: its collapses in docs/results.md were of that
variant, and the authors' form, with the cosine averaged before the reciprocal, is bounded wherever the
average cosine is not near 0.

How the voltage is obtained: lava-dl's ``cuba.Neuron.forward`` computes
``voltage`` with ``dynamics`` and passes it to ``spike(voltage)``, then
returns only the spikes. ``capture_activity`` wraps each block neuron's
``spike`` method for the duration of a forward pass, so it sees the very
voltage tensor (in the autograd graph, no second computation) and the
spikes it produces; ``s_t`` here is the neuron's own spike before the block's
one-step ``delay_shift`` (both terms are then at the same ``t``), and before dropout.
For a graded (LIAF) layer ``s_t`` is the graded value.
"""

from __future__ import annotations

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
    """The authors' ``int(ref_fraction * T)`` final steps (0 means all ``T``: their ``x[-0:]``)."""
    return int(T * ref_fraction)


def rcs_penalty(records: list[torch.Tensor], output: torch.Tensor, labels: torch.Tensor,
                ref_fraction: float = 0.3) -> torch.Tensor:
    """The RCS term (a scalar tensor).

    ``records``: per layer ``N x M x T`` activity (``capture_activity``);
    ``output``: ``N x classes x T`` network output (per step); ``labels``: ``N``.
    """
    T = output.shape[-1]
    start = T - n_reference(T, ref_fraction)
    start = 0 if start == T else start
    with torch.no_grad():
        correct = (output.detach()[..., start:].argmax(dim=1) == labels[:, None]).all(dim=1)
    terms = []
    for r in records:
        r_d = r[..., start:].mean(dim=-1, keepdim=True).detach()  # N x M x 1
        r_d_norm = (r_d.pow(2).sum(dim=1) + EPS) ** 0.5  # N x 1
        r_t_norm = (r.pow(2).sum(dim=1) + EPS) ** 0.5  # N x T
        cos = (r * r_d).sum(dim=1) / (r_t_norm * r_d_norm)  # N x T
        terms.append(1 / (cos.mean(dim=-1) + EPS))  # N
    if not terms:
        return output.new_zeros(())
    per_sample = torch.stack(terms, dim=1) * correct[:, None].to(output.dtype)  # N x layers
    return per_sample.max(dim=0)[0].mean()


class RCS:
    """``loss = task + alpha * reg`` with per-epoch bookkeeping of ``reg``."""

    def __init__(self, alpha: float, ref_fraction: float = 0.3):
        self.alpha, self.ref_fraction = float(alpha), float(ref_fraction)
        self.reset()

    def reset(self) -> None:
        self.total, self.n = 0.0, 0

    def penalty(self, records, output, labels) -> torch.Tensor:
        reg = rcs_penalty(records, output, labels, self.ref_fraction)
        self.total += float(reg) * len(labels)
        self.n += len(labels)
        return reg

    @property
    def mean(self) -> float:
        """Mean ``reg`` per sample since the last ``reset`` (the value logged per epoch)."""
        return self.total / max(self.n, 1)
