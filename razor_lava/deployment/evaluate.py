"""Deploy a network file on a set of samples and compare every sample with SLAYER."""

from __future__ import annotations

import time

import numpy as np
import torch

from ..fixed_point import as_payloads
from ..model.reference import reference_network
from ..netfile import NetworkFile
from .runner import run_sample


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
        y = net(torch.as_tensor(frames[s: s + batch], dtype=torch.float32))
        outs.append(as_payloads(y.reshape(y.shape[0], -1, y.shape[-1]).numpy(), nf.output_graded))
        for i in nf.pruners:
            keeps[i].append(net.pruners[str(i)].last_keep.numpy())
    empty = lambda shape, dtype: np.zeros((0, *shape), dtype=dtype)  # noqa: E731
    return {"output": np.concatenate(outs) if outs else empty((nf.n_outputs, n_frames), np.int64),
            "keep": {i: np.concatenate(k) if k else empty((n_frames,), bool) for i, k in keeps.items()},
            "seconds": time.perf_counter() - t0}


def predict_payloads(output: np.ndarray) -> np.ndarray:
    """Class = largest accumulated output (ties: lower class), as ``training.evaluate.predict``."""
    return output.sum(axis=-1).argmax(axis=-1)


def deploy_samples(nf: NetworkFile, frames: np.ndarray, labels: np.ndarray, tag: str = "fixed_pt",
                   progress: bool = True, backend: str = "sim", cutoff: bool = False) -> dict:
    """Run every sample on Lava and SLAYER; return the deploy report (see deploy/deploy.py).

    ``cutoff``: run with the file's Top-K cutoff (``run_sample(cutoff=True)``);
    outputs are then compared up to each sample's exit frame, and the report
    gains the cutoff fields (``_cutoff_report``).
    """
    n_frames = frames.shape[-1]
    ref = slayer_reference(nf, frames)
    if cutoff:
        from ..cutoff.rule import exit_decisions

        ref_exit, ref_answer = exit_decisions(ref["output"], nf.cutoff["beta"]) if nf.cutoff else (None, None)
    from ..progress import progress as bar

    it = bar(range(len(frames)), progress, desc="lava", unit="sample")
    lava_out, per_sample, keeps_equal = [], [], []
    frames_pruned = 0
    seconds = []
    steps = 0
    for n in it:
        res = run_sample(nf, frames[n], n_frames, tag=tag, cutoff=cutoff)
        lava_out.append(res.output)
        seconds.append(res.seconds)
        steps = max(steps, res.steps)
        same_keep = all(np.array_equal(res.keep[i], ref["keep"][i][n]) for i in nf.pruners)
        keeps_equal.append(same_keep)
        pruned = {str(i): int((~res.keep[i]).sum()) for i in nf.pruners}
        frames_pruned += sum(pruned.values())
        # After a cutoff exit the run has stopped: compare the frames up to the exit.
        upto = res.exit_step + 1 if cutoff else n_frames
        equal = bool(np.array_equal(res.output[..., :upto], ref["output"][n][..., :upto]))
        per_sample.append({"sample": n, "label": int(labels[n]), "equal": equal,
                           "gate_decisions_equal": same_keep, "frames_pruned": pruned,
                           "gate_counts": {str(i): c for i, c in res.gate_counts.items()},
                           "seconds": round(res.seconds, 3)})
        if cutoff:
            per_sample[-1] |= {"exit_step": res.exit_step, "answer": res.answer, "steps": res.steps,
                               "cutoff_equal": bool(res.exit_step == ref_exit[n] and res.answer == ref_answer[n])}
    lava_out = np.stack(lava_out) if lava_out else np.zeros((0,))
    pred = predict_payloads(lava_out) if len(lava_out) else np.zeros(0, dtype=np.int64)
    slayer_pred = predict_payloads(ref["output"]) if len(frames) else pred
    labels = np.asarray(labels)
    n = max(len(frames), 1)
    extra = _cutoff_report(per_sample, labels, n_frames) if cutoff else {}
    return extra | {
        "backend": backend,
        "input": nf.input_note(),
        "tag": tag,
        "samples": len(frames),
        "accuracy": float((pred == labels).mean()) if len(frames) else 0.0,
        "slayer_accuracy": float((slayer_pred == labels).mean()) if len(frames) else 0.0,
        "agreement": float(np.mean([s["equal"] for s in per_sample])) if per_sample else 0.0,
        "prediction_agreement": float((pred == slayer_pred).mean()) if len(frames) else 0.0,
        "gate_decision_agreement": float(np.mean(keeps_equal)) if keeps_equal else 1.0,
        "gates": {str(i): {"variant": p.variant, "ratio": p.ratio, "theta": p.theta} for i, p in nf.pruners.items()},
        "frames_total": int(len(frames) * n_frames * len(nf.pruners)),
        "frames_pruned": int(frames_pruned),
        "n_frames": int(n_frames),
        "steps": int(steps),
        "seconds_per_sample": float(np.mean(seconds)) if seconds else 0.0,
        "slayer_seconds_per_sample": ref["seconds"] / n,
        "per_sample": per_sample,
    }


def _cutoff_report(per_sample: list, labels: np.ndarray, n_frames: int) -> dict:
    """Cutoff fields: ``mean_exit_step`` (frames, 0-based), ``timestep_reduction``
    (``T / mean(exit_step + 1)``), ``cutoff_accuracy`` (answers vs labels),
    ``cutoff_agreement`` (fraction with exit step and answer equal to
    ``rule.exit_decisions`` on SLAYER's payloads), ``mean_steps_run`` (Lava steps)."""
    if not per_sample:
        return {"mean_exit_step": 0.0, "timestep_reduction": 1.0, "cutoff_accuracy": 0.0,
                "cutoff_agreement": 1.0, "mean_steps_run": 0.0}
    exits = np.array([s["exit_step"] for s in per_sample], dtype=np.float64)
    answers = np.array([s["answer"] for s in per_sample])
    return {"mean_exit_step": float(exits.mean()), "timestep_reduction": float(n_frames / (exits + 1).mean()),
            "cutoff_accuracy": float((answers == labels[: len(answers)]).mean()),
            "cutoff_agreement": float(np.mean([s["cutoff_equal"] for s in per_sample])),
            "mean_steps_run": float(np.mean([s["steps"] for s in per_sample]))}
