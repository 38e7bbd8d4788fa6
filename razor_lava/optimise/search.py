"""Events gates and the search over gates and cutoff settings (``razor_lava.optimise``'s second half).

See the package's docstring for what a gate is kept for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataFormatError, UsageError
from ..metrics import accuracy, predict
from ..netfile import NetworkFile
from ..pruning.baselines import events_gate, fraction_pruned
from ..pruning.params import PrunerParams
from .calibration import (_TOL, EPSILON_GRID, FOLDS, WINDOW_GRID, CutoffChoice, _pick, cutoff_options, cutoff_table,
                          folds_of)

FRACTIONS = (0.25, 0.5)  # fractions of the non-empty frames an events gate's candidate k prunes (calibration)
TARGETS = ("labels", "answers")  # what the cutoff is calibrated against (optimise's ``target``)

def events_gate_at(nf: NetworkFile, layer: int, k: int) -> PrunerParams:
    """A causal ``events`` gate (keep frames with more than ``k`` events) at the input of ``layer``."""
    from ..fixed_point import GRADED_SCALE

    s = nf.layers[layer]
    shape = tuple(s.in_shape)
    dim, area = (shape[0], shape[1] * shape[2]) if len(shape) == 3 else (int(np.prod(shape)), 1)
    return events_gate(dim, int(k), input_scale=GRADED_SCALE if s.graded_in else 1, area=area, variant="causal")


def candidate_positions(nf: NetworkFile, positions=None) -> list[int]:
    """The layers whose input may get a gate: ``positions`` (checked) or every weighted layer without a gate."""
    weighted = nf.weighted_indices()
    if positions is None:
        return [i for i in weighted if i not in nf.pruners]
    out = []
    for p in positions:
        if p not in weighted:
            raise UsageError("--positions", f"layer {p} of {nf.path} is no conv or dense layer; gates sit at the "
                             f"input of one of {weighted}")
        if p in nf.pruners:
            raise UsageError("--positions", f"layer {p} of {nf.path} has a gate already")
        out.append(int(p))
    return sorted(set(out))


# ----------------------------------------------------------------------------------------------------------
# One counted pass


@dataclass
class Pass:
    """One counted SLAYER pass on a split: ``counts`` (``SynopCounts``), ``out`` (payloads ``N x K x T``) and
    ``sums`` (layer -> ``N x T`` payload sums at that layer's input: what an ``events`` gate there compares)."""

    counts: object
    out: np.ndarray
    sums: dict[int, np.ndarray] = field(default_factory=dict)

    def take(self, idx) -> "Pass":
        """The pass of the samples ``idx`` alone (every sample runs on its own: the same numbers)."""
        idx = np.asarray(idx, dtype=np.int64)
        return Pass(self.counts.take(idx), self.out[idx], {k: v[idx] for k, v in self.sums.items()})


def counted_pass(nf: NetworkFile, frames: np.ndarray, sum_at=(), batch: int = 32) -> Pass:
    """``profile.operating_point.count_split`` plus the payload sums at the input of the layers ``sum_at``."""
    import torch

    from ..deployment.evaluate import slayer_reference
    from ..fixed_point import GRADED_SCALE
    from ..model.reference import reference_network
    from ..profile.counts import build_counts, fanout_maps
    from ..profile.slayer_counter import attach_counters
    from ..pruning.module import payloads

    frames = np.asarray(frames)
    n_frames = int(frames.shape[-1])
    net = reference_network(nf)
    sums: dict[int, list] = {k: [] for k in sum_at}

    def grab(k):
        scale = GRADED_SCALE if nf.layers[k].graded_in else 1

        def hook(module, args):
            x = args[0].detach()
            if scale == 1:  # spikes or event counts: integers already, their float64 sum is exact
                s = x.reshape(x.shape[0], -1, x.shape[-1]).sum(dim=1, dtype=torch.float64).round()
                sums[k].append(s.to(torch.int64).cpu().numpy())
            else:
                p = payloads(x, scale)
                sums[k].append(p.reshape(p.shape[0], -1, p.shape[-1]).sum(axis=1))
        return hook

    fanouts = fanout_maps(nf)
    handles = [net.layer(k).register_forward_pre_hook(grab(k)) for k in sum_at]
    try:
        with torch.no_grad(), attach_counters({i: net.layer(i) for i in fanouts}, fanouts, n_frames) as counter:
            ref = slayer_reference(nf, frames, batch, net=net)
    finally:
        for h in handles:
            h.remove()
    counts = build_counts(nf, counter.events(), counter.synops(), ref["keep"], n_frames, fanouts)
    return Pass(counts, ref["output"], {k: np.concatenate(v) if v else np.zeros((0, n_frames), np.int64)
                                        for k, v in sums.items()})


# ----------------------------------------------------------------------------------------------------------
# ----------------------------------------------------------------------------------------------------------
# The search


@dataclass
class Plan:
    """What ``optimise`` chose: the gates (layer index -> rule; the file's own included), the cutoff table
    (None: none), the settings and the calibration-split numbers, and every setting it tried (``tried``)."""

    gates: dict[int, PrunerParams]
    added: dict[int, int]  # layer -> events k of the gates added
    cutoff: dict | None
    epsilon: float | None
    window: int
    calibration: dict
    tried: list[dict]
    final: Pass | None = None  # the calibration pass of the chosen gates


def _gate_set(nf: NetworkFile, added: dict[int, int]) -> NetworkFile:
    from ..profile.operating_point import with_gates

    gates = dict(nf.pruners) | {k: events_gate_at(nf, k, v) for k, v in added.items()}
    return with_gates(nf, gates, add=True)


def optimise(nf: NetworkFile, frames: np.ndarray, labels, *, epsilon: float | None = None, window: int = 0,
             max_loss: float | None = None, gates: str = "none", positions=None, fractions=FRACTIONS,
             epsilons=EPSILON_GRID, windows=WINDOW_GRID, fold_seed: int = 0, log=None, base: Pass | None = None,
             target: str = "answers") -> Plan:
    """Choose the gates and the cutoff of ``nf`` on the calibration split ``frames`` / ``labels``.

    ``epsilon`` (with ``window``): the cutoff is that calibration, no search; else ``max_loss`` (percentage
    points of calibration accuracy, default 0.5; out of fold for the cutoff) picks the setting with the fewest
    synops. ``gates``: "none" or "events" (with a fixed ``epsilon``, a gate must keep the calibration accuracy
    of that cutoff within ``max_loss``). ``base``: ``counted_pass(nf, frames, sum_at=candidate_positions(nf,
    positions))`` when the caller has it already (``bench/optimise_nir_cnn.py`` shares one between searches).
    ``log``: a callable taking a line of progress (None: quiet).

    ``target`` is what the cutoff and the loss are judged against. "labels": the calibration labels (the
    paper's rule: exit where the answer is right for good; the loss is accuracy lost). "answers": the file's
    own answers over the full window, as it is (exit where the answer is the one it would give at the end; the
    loss is the share of answers changed, which bounds the accuracy lost; labels are not used). A sample the
    network gets wrong at the end never counts as right for good against its label, so with "labels" the few
    samples it misses set the thresholds; with "answers" only the samples whose answer is not yet settled do.
    """
    say = log or (lambda line: None)
    labels = np.asarray(labels, dtype=np.int64)
    if gates not in ("none", "events"):
        raise UsageError("--gates", f"expected none or events, got {gates!r}")
    if epsilon is not None and not 0 <= epsilon < 1:
        raise UsageError("--cutoff-epsilon", f"expected 0 <= epsilon < 1, got {epsilon}")
    if max_loss is None:
        max_loss = 0.5
    if not 0 <= max_loss <= 100:
        raise UsageError("--max-loss", f"expected percentage points in [0, 100], got {max_loss}")
    if target not in TARGETS:
        raise UsageError("--cutoff-target", f"expected one of {', '.join(TARGETS)}, got {target!r}")
    if nf.n_outputs < 2:
        raise DataFormatError(nf.path, f"the network has {nf.n_outputs} output: the cutoff needs 2 classes or more")
    fold = folds_of(labels, FOLDS, fold_seed)
    eps_grid, win_grid = ((epsilon,), (window,)) if epsilon is not None else (epsilons, windows)
    cands = candidate_positions(nf, positions) if gates == "events" else []
    tried: list[dict] = []
    if base is None:
        base = counted_pass(nf, frames, sum_at=cands)
    answers = predict(base.out)  # the file's own answers over its full window
    label_accuracy = accuracy(answers, labels)
    goal = labels if target == "labels" else answers  # what "right" means for the cutoff and the loss

    def judge(added: dict[int, int]) -> tuple[Pass, list[CutoffChoice]]:
        point = _gate_set(nf, added)
        p = base if not added else counted_pass(point, frames, sum_at=[c for c in cands if c not in added])
        rows = cutoff_options(point, p, goal, fold, eps_grid, win_grid)
        for r in rows:
            tried.append({"gates": {int(k): int(v) for k, v in added.items()}} | r.to_dict())
        return p, rows

    base_pass, base_rows = judge({})
    acc0 = base_rows[0].accuracy
    floor = acc0 - max_loss / 100
    say(f"calibration split: {len(labels)} samples, accuracy {label_accuracy:.4f} as the file is, "
        f"{base_rows[0].synops:.4g} synops per sample; the cutoff judged against the {target}")
    if epsilon is not None:  # the setting asked for stands; gates must keep its accuracy within max_loss
        best = [r for r in base_rows if r.epsilon is not None][0]
        floor = best.accuracy - max_loss / 100
    else:
        best = _pick(base_rows, floor, epsilon)
    added: dict[int, int] = {}
    current = base_pass
    for pos in cands:
        sums = current.sums[pos]
        # k from the frames that carry events: behind an earlier gate most frames are empty, and quantiles over
        # all of them would be 0 (a gate that drops only empty frames, which saves nothing).
        busy = sums[sums > 0]
        ks = sorted({int(np.quantile(busy, q, method="lower")) for q in fractions} - {0}) if busy.size else []
        say(f"layer {pos}: events k candidates {ks} (pruning "
            + ", ".join(f"{fraction_pruned(sums, k):.2f}" for k in ks) + " of its frames)")
        chosen = None
        for k in ks:
            p, rows = judge(added | {pos: k})
            r = _pick(rows, floor, epsilon)
            say(f"  k {k}: " + ("no setting within the allowed loss" if r is None else
                                f"{r.synops:.4g} synops at accuracy {r.accuracy:.4f} "
                                f"(epsilon {r.epsilon}, window {r.window})"))
            if r is None:
                break  # a larger k prunes more: it will not come back within the loss
            if best is None or r.synops < best.synops - _TOL:
                best, chosen, current = r, k, p
        if chosen is not None:
            added[pos] = chosen
            say(f"  gate kept at layer {pos}: k {chosen}")
        else:
            say(f"  no gate at layer {pos}: it does not pay")
    if best is None:
        raise UsageError("--cutoff-epsilon" if epsilon is not None else "--max-loss",
                         f"no setting keeps the calibration accuracy within {max_loss:g} pt of {acc0:.4f}")
    point = _gate_set(nf, added)
    cutoff = None
    if best.epsilon is not None:
        cutoff = cutoff_table(current.out, goal, best.epsilon, best.window)
    # accuracy_*: against ``target`` (with "answers", agreement with the file's own answers: 1.0 before).
    calibration = {"samples": int(len(labels)), "target": target, "label_accuracy_before": label_accuracy,
                   "accuracy_before": acc0, "synops_before": base_rows[0].synops,
                   "accuracy_after_out_of_fold": best.accuracy, "synops_after_out_of_fold": best.synops,
                   "timesteps_after_out_of_fold": best.timesteps, "max_loss_pts": max_loss, "folds": FOLDS}
    return Plan(point.pruners, added, cutoff, best.epsilon, best.window, calibration, tried, current)


def measure(nf: NetworkFile, opt: NetworkFile, frames: np.ndarray, labels) -> dict:
    """Before (``nf`` as it is, no cutoff) and after (``opt``: its gates and cutoff) on ``frames`` / ``labels``
    (the test split), with the SLAYER synop counters (Lava's counts, sample for sample)."""
    from ..profile.operating_point import count_split, summarise

    labels = np.asarray(labels, dtype=np.int64)
    c0, o0 = count_split(nf, frames)
    before = summarise(nf, c0, o0, labels)
    c1, o1 = count_split(opt, frames)
    after = summarise(opt, c1, o1, labels, None if opt.cutoff is None else opt.cutoff["beta"])
    return {"test_samples": int(len(labels)), "accuracy_before": before["accuracy"],
            "accuracy_after": after["accuracy"], "synops_before": before["synops"], "synops_after": after["synops"],
            "synops_reduction": before["synops"] / after["synops"] if after["synops"] else float("inf"),
            "timesteps_before": before["timesteps"], "timesteps_after": after["timesteps"],
            "timestep_reduction": before["timesteps"] / after["timesteps"],
            "frames_pruned_per_gate": after["frames_pruned_per_gate"],
            "synops_per_layer_before": before["synops_per_layer"], "synops_per_layer_after": after["synops_per_layer"]}
