"""Deploy a network file on a set of samples and compare every sample with SLAYER."""

from __future__ import annotations

import time

import numpy as np
import torch

from ..fixed_point import as_payloads
from ..metrics import accuracy, exit_summary, predict
from ..model.reference import reference_network
from ..netfile import NetworkFile


@torch.no_grad()
def slayer_reference(nf: NetworkFile, frames: np.ndarray, batch: int = 32, net=None) -> dict:
    """SLAYER fixed-point outputs (as Lava payloads, ``N x n_out x T``; a conv output flattened in C, H, W
    order) and pruner decisions (``N x T`` per gate) for ``frames`` (N x ...), in batches.

    ``net``: the ``reference_network(nf)`` to run (e.g. one with counters attached); built when None.
    """
    net = reference_network(nf) if net is None else net
    n_frames = int(np.shape(frames)[-1])
    outs, keeps = [], {i: [] for i in nf.pruners}
    t0 = time.perf_counter()
    for s in range(0, len(frames), batch):
        y = net(torch.as_tensor(np.array(frames[s: s + batch]), dtype=torch.float32))  # a copy: frames may be read-only
        outs.append(as_payloads(y.reshape(y.shape[0], -1, y.shape[-1]).numpy(), nf.output_graded))
        for i in nf.pruners:
            keeps[i].append(net.pruners[str(i)].last_keep.numpy())
    empty = lambda shape, dtype: np.zeros((0, *shape), dtype=dtype)  # noqa: E731
    return {"output": np.concatenate(outs) if outs else empty((nf.n_outputs, n_frames), np.int64),
            "keep": {i: np.concatenate(k) if k else empty((n_frames,), bool) for i, k in keeps.items()},
            "seconds": time.perf_counter() - t0}


def deploy_samples(nf: NetworkFile, frames: np.ndarray, labels: np.ndarray, tag: str = "fixed_pt",
                   progress: bool = True, backend: str = "sim", cutoff: bool = False, mode: str = "stream",
                   workers: int = 1, taps=(), conv_model: str = "fast", results: list | None = None,
                   reference: dict | None = None) -> dict:
    """Run every sample on Lava and SLAYER; return the deploy report (see deploy/deploy.py).

    ``mode``: ``stream`` (one compiled network, samples back to back) or ``per-sample`` (a network per
    sample); ``workers`` processes share the samples. ``cutoff``: each sample is answered at its Top-K
    exit; outputs are then compared up to the exit frame and the report gains the cutoff fields
    (``_cutoff_report``). ``taps``: measurements in the same run (``assemble.Tap``;
    ``profile.deploy_synops.deploy_counting`` adds the synop counters and their check). ``labels`` None
    (raw inputs without labels): the accuracies are None. ``results``: a list that receives the run's
    ``result.StreamResult`` (outputs, decisions, what the taps read). ``backend="loihi2"``: on Loihi 2 hardware
    (``runner.run_stream``; reach the board first: ``backends.check_backend``), the report then holds the
    placement plan. ``reference``: ``slayer_reference(nf, frames)`` when the caller has it already.
    """
    from ..cutoff.spent import frames_run
    from .runner import run_samples

    has_labels = labels is not None
    n, n_frames = len(frames), int(frames.shape[-1])
    labels = np.asarray(labels) if has_labels else np.full(n, -1, dtype=np.int64)
    ref = slayer_reference(nf, frames) if reference is None else reference
    ref_exit = ref_answer = None
    if cutoff and nf.cutoff is not None:
        from ..cutoff.rule import exit_decisions

        ref_exit, ref_answer = exit_decisions(ref["output"], nf.cutoff["beta"])
    res = run_samples(nf, frames, mode=mode, workers=workers, tag=tag, taps=list(taps), cutoff=cutoff,
                      progress=progress, conv_model=conv_model, backend=backend)
    # The frames each gate decided before the answer (all of them without the cutoff).
    decided = frames_run(nf, res.exit_step, n_frames) if cutoff else {}
    per_sample = []
    for i in range(n):
        upto = int(res.exit_step[i]) + 1 if cutoff else n_frames  # after the answer nothing is compared
        keep_ok = {}
        for g in nf.pruners:
            ran = int(decided[g][i]) if cutoff else n_frames
            lava_keep = res.keep[g][i]
            keep_ok[g] = bool((lava_keep[:ran] >= 0).all() and
                              np.array_equal(lava_keep[:ran] == 1, ref["keep"][g][i][:ran]))
        row = {"sample": i, "label": int(labels[i]),
               "equal": bool(np.array_equal(res.output[i][..., :upto], ref["output"][i][..., :upto])),
               "gate_decisions_equal": all(keep_ok.values()),
               "frames_pruned": {str(g): int((res.keep[g][i] == 0).sum()) for g in nf.pruners},
               "gate_counts": {str(g): dict(zip(_gate_counters(), map(int, res.gate_counts[g][i])))
                               for g in nf.pruners}}
        if cutoff:
            row |= {"exit_step": int(res.exit_step[i]), "answer": int(res.answer[i]),
                    "cutoff_equal": bool(ref_exit is not None and res.exit_step[i] == ref_exit[i]
                                         and res.answer[i] == ref_answer[i])}
        per_sample.append(row)
    if results is not None:
        results.append(res)
    pred = predict(res.output)
    slayer_pred = predict(ref["output"])
    extra = _cutoff_report(per_sample, labels, n_frames) if cutoff else {}
    if cutoff and not has_labels:
        extra["cutoff_accuracy"] = None
    if cutoff:
        extra["steps_variable_schedule"] = int(sum(res.latency // max(res.period, 1) * n_frames + e + 1
                                                   for e in res.exit_step.tolist()))
    if backend == "loihi2":
        from .placement import placement_plan

        extra["plan"] = placement_plan(nf, n_frames, cutoff=cutoff, counters=bool(taps)).to_dict()
    mean = lambda key: float(np.mean([s[key] for s in per_sample])) if per_sample else 0.0  # noqa: E731
    return extra | {
        "backend": backend,
        "mode": mode,
        "workers": int(workers),
        "input": nf.input_note(),
        "tag": tag,
        "conv_model": conv_model,
        "samples": n,
        "accuracy": accuracy(pred, labels) if has_labels else None,
        "slayer_accuracy": accuracy(slayer_pred, labels) if has_labels else None,
        "agreement": mean("equal"),
        "prediction_agreement": float((pred == slayer_pred).mean()) if n else 0.0,
        "gate_decision_agreement": mean("gate_decisions_equal") if nf.pruners else 1.0,
        "gates": {str(i): {"variant": p.variant, "ratio": p.ratio, "theta": p.theta} for i, p in nf.pruners.items()},
        "frames_total": int(n * n_frames * len(nf.pruners)),
        "frames_pruned": int(sum(int((k == 0).sum()) for k in res.keep.values())),
        "n_frames": n_frames,
        "period": int(res.period),
        "latency": int(res.latency),
        "steps": int(res.steps),
        "seconds": round(res.seconds, 3),
        "seconds_per_sample": res.seconds / max(n, 1),
        "samples_per_second": n / res.seconds if res.seconds > 0 else 0.0,
        "slayer_seconds_per_sample": ref["seconds"] / max(n, 1),
        "per_sample": per_sample,
    }


def _gate_counters():
    from razor_lava.procs.gate.process import COUNTERS

    return COUNTERS


def _cutoff_report(per_sample: list, labels: np.ndarray, n_frames: int) -> dict:
    """Cutoff fields: ``mean_exit_step`` (frames, 0-based), ``timestep_reduction``
    (``T / mean(exit_step + 1)``), ``cutoff_accuracy`` (answers vs labels),
    ``cutoff_agreement`` (fraction with exit step and answer equal to
    ``rule.exit_decisions`` on SLAYER's payloads)."""
    exits = np.array([s["exit_step"] for s in per_sample], dtype=np.float64)
    answers = np.array([s["answer"] for s in per_sample], dtype=np.int64)
    return {**exit_summary(exits, n_frames), "cutoff_accuracy": accuracy(answers, labels[: len(answers)]),
            "cutoff_agreement": float(np.mean([s["cutoff_equal"] for s in per_sample])) if per_sample else 1.0}
