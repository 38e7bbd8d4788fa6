"""Post-training optimisation of any network file: a Top-K cutoff and event-count gates, fitted on a
calibration split carved from the training split (issue 25, part 2; ``train/optimise.py`` is its command).

Nothing here trains: the network's weights stay as they are. What changes is when it stops (the cutoff,
DESIGN.md 2.4) and which frames reach which layer (training-free ``events`` gates, ``pruning/baselines.py``).
Every number comes from the SLAYER fixed-point reference with the synop counters (``profile``), which Lava's
counters equal sample for sample; ``deploy/deploy.py OPT.h5 --cutoff --synops`` checks the written file on Lava.

**The calibration split** (``calibration_indices``): ``n`` recordings of the training split, stratified by
class (``data.split.stratified_split``, the carve of the validation split, drawn from ``seed``). The test
split is never looked at here.

**The cutoff.** ``calibrate`` (``cutoff/calibrate.py``) sets each ``beta_t`` from the calibration samples at
``t`` alone: the largest gap of a sample that is not yet right for good. With a few hundred samples and
hundreds of frames that is a noisy maximum, and a new sample finds the one frame whose threshold came out
low: on the NIR paper's N-MNIST CNN, epsilon 0 on 300 recordings keeps every calibration answer but loses
4 pt on the test split. ``widen`` pools the neighbouring frames: ``beta_t`` becomes the largest threshold of
frames ``t - w .. t + w`` (the samples that were wrong near ``t`` bound the exit at ``t`` too). Because the
calibration split's own accuracy cannot see that overfit (the table was fitted on it), ``--max-loss`` judges
each ``(epsilon, window)`` **out of fold** (``crossfit``): calibrated on 4/5 of the calibration split,
applied to the remaining fifth, five times; the table written is then calibrated on the whole split.

**The gates** (``optimise``): at each candidate position (the input of each weighted layer without a
gate, or the positions given), in layer order, an ``events`` gate (keep a frame with more than ``k``
events; causal, so it adds no latency and the cutoff stops every layer at the exit frame) with ``k`` taken
from the gate input's own distribution on the calibration split (the ``k`` that prunes ``FRACTIONS`` of the
frames; ``k = 0`` drops only empty frames, which is free and saves nothing). A gate stays where, with the
best cutoff re-chosen behind it, it spends fewer synops at no more than the allowed loss.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .cutoff.calibrate import calibrate
from .cutoff.rule import exit_decisions
from .errors import DataFormatError, UsageError
from .netfile import NetworkFile
from .pruning.baselines import events_gate, fraction_pruned
from .pruning.params import PrunerParams

EPSILON_GRID = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1)
WINDOW_GRID = (0, 2, 5, 10, 20, 40)  # frames each side (widen)
FRACTIONS = (0.25, 0.5)  # frame fractions an events gate's candidate k prunes on the calibration split
FOLDS = 5
MIN_CALIBRATION = 20  # samples: below that, a threshold per frame means nothing
_TOL = 1e-9


# ----------------------------------------------------------------------------------------------------------
# The calibration split


def calibration_indices(labels, n: int, seed: int = 0, where: str = "the training split") -> np.ndarray:
    """Sorted indices of about ``n`` samples of ``labels`` (the training split), stratified by class and drawn
    from ``seed`` (``stratified_split``: each class gives its share, rounded). All of them when ``n`` is the
    split's size. ``UsageError`` (``--calibration-samples``) below ``MIN_CALIBRATION`` or above the split."""
    from .data.split import stratified_split

    labels = np.asarray(labels, dtype=np.int64)
    if n < MIN_CALIBRATION:
        raise UsageError("--calibration-samples", f"expected at least {MIN_CALIBRATION} calibration samples "
                         f"(a cutoff threshold per frame needs them), got {n}")
    if len(labels) < n:
        raise UsageError("--calibration-samples", f"{where} holds {len(labels)} samples, fewer than the {n} asked "
                         "for (the calibration split is carved from it; the test split is never used)")
    if n == len(labels):
        return np.arange(n, dtype=np.int64)
    _, idx = stratified_split(labels, n / len(labels), seed)
    return idx


# ----------------------------------------------------------------------------------------------------------
# Gates


def events_gate_at(nf: NetworkFile, layer: int, k: int) -> PrunerParams:
    """A causal ``events`` gate (keep frames with more than ``k`` events) at the input of ``layer``."""
    from .fixed_point import GRADED_SCALE

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


def counted_pass(nf: NetworkFile, frames: np.ndarray, sum_at=(), batch: int = 32) -> Pass:
    """``profile.operating_point.count_split`` plus the payload sums at the input of the layers ``sum_at``."""
    import torch

    from .deployment.evaluate import slayer_reference
    from .fixed_point import GRADED_SCALE
    from .model.reference import reference_network
    from .profile.counts import build_counts, fanout_maps
    from .profile.slayer_counter import attach_counters
    from .pruning.module import payloads

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
# The cutoff


@contextmanager
def _quiet_calibration():
    """``calibrate`` warns about every frame it cannot set; a search calls it hundreds of times."""
    log = logging.getLogger("razor_lava.cutoff.calibrate")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def widen(beta, window: int) -> np.ndarray:
    """``beta_t`` -> the largest of ``beta_{t-w} .. beta_{t+w}`` (+inf stays +inf): frames near ``t`` whose
    samples were not yet right for good bound the exit at ``t`` too. ``window`` 0: ``beta`` unchanged."""
    beta = np.asarray(beta, dtype=np.float64)
    if window < 0:
        raise UsageError("--cutoff-window", f"expected a number of frames >= 0, got {window}")
    if window == 0:
        return beta.copy()
    t = len(beta)
    pad = np.concatenate([np.full(window, -np.inf), beta, np.full(window, -np.inf)])
    return np.lib.stride_tricks.sliding_window_view(pad, 2 * window + 1)[:t].max(axis=1)


def cutoff_table(out, labels, epsilon: float, window: int = 0) -> dict:
    """``calibrate(out, labels, epsilon)`` with its thresholds ``widen``-ed by ``window`` frames; the table's
    ``coverage`` / ``precision`` are those of the widened thresholds on ``out``."""
    from .cutoff.rule import accumulate, correct_from, gap, integer_thresholds

    with _quiet_calibration():
        table = calibrate(out, labels, epsilon)
    beta = widen(table["beta"], window)
    Y = accumulate(out)
    g, good = gap(Y), correct_from(Y, np.asarray(labels))
    exits = g > integer_thresholds(beta)[None, :]
    coverage = exits.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(exits.any(axis=0), (exits & good).sum(axis=0) / np.maximum(exits.sum(axis=0), 1), np.nan)
    fallback = np.flatnonzero(np.isinf(beta)).astype(np.int64)
    return dict(table, beta=beta, window=int(window), coverage=coverage, precision=precision,
                fallback_steps=fallback)


def folds_of(labels, folds: int = FOLDS, seed: int = 0) -> np.ndarray:
    """Fold number of each sample: each class dealt round-robin over the folds in a seeded order."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(labels), dtype=np.int64)
    start = 0
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        fold[members] = (np.arange(len(members)) + start) % folds
        start += len(members)
    return fold


def crossfit(out, labels, epsilon: float, window: int, fold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold exit steps and answers: each fold's samples run under the table calibrated on the others."""
    out, labels = np.asarray(out), np.asarray(labels)
    exit_step = np.zeros(len(labels), dtype=np.int64)
    answer = np.zeros(len(labels), dtype=np.int64)
    for f in np.unique(fold):
        held = fold == f
        beta = cutoff_table(out[~held], labels[~held], epsilon, window)["beta"]
        exit_step[held], answer[held] = exit_decisions(out[held], beta)
    return exit_step, answer


@dataclass
class CutoffChoice:
    """A cutoff setting and what it gives on the calibration split (out of fold; ``None`` epsilon: no cutoff)."""

    epsilon: float | None
    window: int
    accuracy: float
    synops: float
    timesteps: float

    def to_dict(self) -> dict:
        return {"epsilon": self.epsilon, "window": self.window, "accuracy": self.accuracy, "synops": self.synops,
                "timesteps": self.timesteps}


def cutoff_options(nf: NetworkFile, p: Pass, labels, fold, epsilons=EPSILON_GRID, windows=WINDOW_GRID
                   ) -> list[CutoffChoice]:
    """Every ``(epsilon, window)`` of the grids, judged out of fold on the pass ``p``, plus "no cutoff"."""
    from .profile.cutoff_spent import spent_counts
    from .deployment.evaluate import predict_payloads

    labels = np.asarray(labels)
    n, t = len(labels), p.counts.n_frames
    rows = [CutoffChoice(None, 0, float((predict_payloads(p.out) == labels).mean()), p.counts.total() / n, float(t))]
    for eps in epsilons:
        for w in windows:
            exit_step, answer = crossfit(p.out, labels, eps, w, fold)
            spent = spent_counts(nf, p.counts, exit_step)
            rows.append(CutoffChoice(float(eps), int(w), float((answer == labels).mean()), spent.total() / n,
                                     float(np.mean(exit_step + 1))))
    return rows


def best_within(rows: list[CutoffChoice], floor: float) -> CutoffChoice | None:
    """The row with the fewest synops whose accuracy is at least ``floor`` (ties: the smaller epsilon)."""
    ok = [r for r in rows if r.accuracy >= floor - _TOL]
    return min(ok, key=lambda r: (r.synops, -1 if r.epsilon is None else r.epsilon)) if ok else None


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
    from .profile.operating_point import with_gates

    gates = dict(nf.pruners) | {k: events_gate_at(nf, k, v) for k, v in added.items()}
    return with_gates(nf, gates, add=True)


def optimise(nf: NetworkFile, frames: np.ndarray, labels, *, epsilon: float | None = None, window: int = 0,
             max_loss: float | None = None, gates: str = "none", positions=None, fractions=FRACTIONS,
             epsilons=EPSILON_GRID, windows=WINDOW_GRID, fold_seed: int = 0, log=None, base: Pass | None = None
             ) -> Plan:
    """Choose the gates and the cutoff of ``nf`` on the calibration split ``frames`` / ``labels``.

    ``epsilon`` (with ``window``): the cutoff is that calibration, no search; else ``max_loss`` (percentage
    points of calibration accuracy, default 0.5; out of fold for the cutoff) picks the setting with the fewest
    synops. ``gates``: "none" or "events" (with a fixed ``epsilon``, a gate must keep the calibration accuracy
    of that cutoff within ``max_loss``). ``base``: ``counted_pass(nf, frames, sum_at=candidate_positions(nf,
    positions))`` when the caller has it already (``bench/optimise_nir_cnn.py`` shares one between searches).
    ``log``: a callable taking a line of progress (None: quiet).
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
    if nf.n_outputs < 2:
        raise DataFormatError(nf.path, f"the network has {nf.n_outputs} output: the cutoff needs 2 classes or more")
    fold = folds_of(labels, FOLDS, fold_seed)
    eps_grid, win_grid = ((epsilon,), (window,)) if epsilon is not None else (epsilons, windows)
    cands = candidate_positions(nf, positions) if gates == "events" else []
    tried: list[dict] = []

    def judge(added: dict[int, int]) -> tuple[Pass, list[CutoffChoice]]:
        point = _gate_set(nf, added)
        p = base if base is not None and not added else \
            counted_pass(point, frames, sum_at=[c for c in cands if c not in added])
        rows = cutoff_options(point, p, labels, fold, eps_grid, win_grid)
        for r in rows:
            tried.append({"gates": {int(k): int(v) for k, v in added.items()}} | r.to_dict())
        return p, rows

    base_pass, base_rows = judge({})
    acc0 = base_rows[0].accuracy
    floor = acc0 - max_loss / 100
    say(f"calibration split: {len(labels)} samples, accuracy {acc0:.4f} as the file is, "
        f"{base_rows[0].synops:.4g} synops per sample")
    if epsilon is not None:  # the setting asked for stands; gates must keep its accuracy within max_loss
        best = [r for r in base_rows if r.epsilon is not None][0]
        floor = best.accuracy - max_loss / 100
    else:
        best = _pick(base_rows, floor, epsilon)
    added: dict[int, int] = {}
    current = base_pass
    for pos in cands:
        sums = current.sums[pos]
        ks = sorted({int(np.quantile(sums, q, method="lower")) for q in fractions} - {0})
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
        cutoff = cutoff_table(current.out, labels, best.epsilon, best.window)
    calibration = {"samples": int(len(labels)), "accuracy_before": acc0, "synops_before": base_rows[0].synops,
                   "accuracy_after_out_of_fold": best.accuracy, "synops_after_out_of_fold": best.synops,
                   "timesteps_after_out_of_fold": best.timesteps, "max_loss_pts": max_loss, "folds": FOLDS}
    return Plan(point.pruners, added, cutoff, best.epsilon, best.window, calibration, tried, current)


def _pick(rows: list[CutoffChoice], floor: float, epsilon: float | None) -> CutoffChoice | None:
    """With a fixed epsilon: that row (if within the loss, else None); else the best row within the loss."""
    if epsilon is not None:
        fixed = [r for r in rows if r.epsilon is not None]
        return fixed[0] if fixed and fixed[0].accuracy >= floor - _TOL else None
    return best_within(rows, floor)


# ----------------------------------------------------------------------------------------------------------
# Measuring on the test split


def measure(nf: NetworkFile, opt: NetworkFile, frames: np.ndarray, labels) -> dict:
    """Before (``nf`` as it is, no cutoff) and after (``opt``: its gates and cutoff) on ``frames`` / ``labels``
    (the test split), with the SLAYER synop counters (Lava's counts, sample for sample)."""
    from .profile.operating_point import count_split, summarise

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
