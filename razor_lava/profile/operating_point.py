"""Operating points of a trained network: what it answers, and what it spends, on a split.

An operating point is a network file with a rule at each gate (its trained pruners, another ratio, or a
baseline in their place: ``pruning/baselines.py``) and, optionally, a Top-K cutoff table calibrated on
the validation split. ``count_split`` runs the SLAYER fixed-point reference with the synop counters
(``slayer_counter.count_reference``) once per split; ``summarise`` turns that pass into the numbers of a
point, with or without a cutoff (``cutoff_spent.spent_counts``: what Lava spends before the answer), so
one pass serves every cutoff epsilon. These are the counts Lava's counters give, sample for sample
(tests/profile/test_counters_agree.py, test_cutoff_spent.py; ``bench/frontier.py`` checks its best
point on Lava again).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from ..cutoff.rule import exit_decisions
from ..metrics import predict
from ..netfile import NetworkFile
from ..pruning.baselines import baseline_like, tune_events_k
from ..pruning.params import PrunerParams
from .counts import SynopCounts
from .cutoff_spent import spent_counts
from .slayer_counter import count_reference


def with_gates(nf: NetworkFile, pruners: dict[int, PrunerParams], add: bool = False) -> NetworkFile:
    """``nf`` with the gates ``pruners`` (layer index -> rule) in place of its own; positions stay.

    ``add=True`` also allows gates at weighted layers that had none (the gate sees the layer's input,
    ``LayerSpec.in_shape``: what ``razor_lava.optimise`` adds); the file's own gates must still all be given.
    """
    if not add and set(pruners) != set(nf.pruners):
        raise ValueError(f"gates at layers {sorted(pruners)} do not match the file's {sorted(nf.pruners)}")
    if add:
        missing = set(nf.pruners) - set(pruners)
        if missing:
            raise ValueError(f"gates at layers {sorted(pruners)} leave out the file's own gates at {sorted(missing)}")
        bad = [k for k in pruners if not 0 <= k < len(nf.layers) or not nf.layers[k].weighted]
        if bad:
            raise ValueError(f"a gate sits at the input of a conv or dense layer: layers {bad} are not such layers")
    in_shapes = {k: nf.pruner_in_shapes.get(k, tuple(nf.layers[k].in_shape)) for k in pruners}
    return replace(nf, pruners=dict(pruners), pruner_in_shapes=in_shapes)


def count_split(nf: NetworkFile, frames: np.ndarray) -> tuple[SynopCounts, np.ndarray]:
    """One counted SLAYER pass: the synop counts and the outputs (payloads ``N x n_out x T``)."""
    counts, ref = count_reference(nf, frames)
    return counts, ref["output"]


def summarise(nf: NetworkFile, counts: SynopCounts, out: np.ndarray, labels, beta=None) -> dict:
    """The numbers of one operating point on one split.

    ``beta``: a cutoff table (None: no cutoff). Returns ``accuracy``, ``synops`` (per sample, what was
    spent), ``synops_per_layer`` (layer name -> per sample), ``frames_pruned`` (mean over the gates of
    the fraction of frames each pruned; 0 without gates), ``frames_pruned_per_gate`` (layer index ->
    fraction), ``timesteps`` (mean output frames run: the exit step + 1 with the cutoff, else ``T``),
    ``samples``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    n, t = len(labels), counts.n_frames
    if beta is None:
        answer, steps = predict(out), np.full(n, t)
    else:
        exit_step, answer = exit_decisions(out, beta)
        counts, steps = spent_counts(nf, counts, exit_step), exit_step + 1
    per_gate = {int(k): float(1 - keep.mean()) for k, keep in counts.keep.items()}
    return {"accuracy": float((answer == labels).mean()) if n else float("nan"),
            "synops": counts.total() / max(n, 1),
            "synops_per_layer": {nm: counts.per_layer()[i] / max(n, 1) for i, nm in zip(counts.layers, counts.names)},
            "frames_pruned": float(np.mean(list(per_gate.values()))) if per_gate else 0.0,
            "frames_pruned_per_gate": per_gate, "timesteps": float(np.mean(steps)) if n else float("nan"),
            "samples": int(n)}


@torch.no_grad()
def gate_input_sums(nf: NetworkFile, frames: np.ndarray, batch: int = 32) -> dict[int, np.ndarray]:
    """Gate layer index -> ``N x T`` int64: the sum of the integer payloads each gate receives per frame
    (what an ``events`` gate compares with its ``k``), with every gate deciding as ``nf`` says."""
    from ..model.reference import reference_network
    from ..pruning.module import payloads

    net = reference_network(nf)
    sums: dict[int, list] = {k: [] for k in nf.pruners}

    def hook(k):
        def grab(module, args):
            x = payloads(args[0], nf.pruners[k].input_scale)
            sums[k].append(x.reshape(x.shape[0], -1, x.shape[-1]).sum(axis=1))
        return grab

    handles = [net.pruners[str(k)].register_forward_pre_hook(hook(k)) for k in nf.pruners]
    try:
        for s in range(0, len(frames), batch):
            net(torch.as_tensor(np.array(frames[s: s + batch]), dtype=torch.float32))
    finally:
        for h in handles:
            h.remove()
    return {k: np.concatenate(v) for k, v in sums.items()}


def tuned_events_gates(nf: NetworkFile, frames: np.ndarray, targets: dict[int, float]) -> dict[int, PrunerParams]:
    """An ``events`` gate at each of ``nf``'s gates, its ``k`` tuned on ``frames`` (the validation split) so
    that it prunes the fraction ``targets[k]`` of frames, as near as the data allow.

    Gates are tuned in layer order: a gate's input depends on the gates before it, so each is tuned with
    the ones before it already in place (the ones after it keep every non-empty frame, ``k = 0``).
    """
    gates = {i: baseline_like("events", p, k=0) for i, p in nf.pruners.items()}
    for i in sorted(nf.pruners):
        sums = gate_input_sums(with_gates(nf, gates), frames)[i]
        gates[i] = baseline_like("events", nf.pruners[i], k=tune_events_k(sums, targets[i]))
    return gates
