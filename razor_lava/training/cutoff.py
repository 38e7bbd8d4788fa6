"""End-of-run cutoff calibration: beta from the validation split, metrics on the test set."""

from __future__ import annotations

import numpy as np
from torch.utils.data import DataLoader

from ..cutoff import calibrate, cutoff_metrics
from ..formatting import pct, ratio
from .evaluate import evaluate


def payload_outputs(net, dataset, batch: int, device) -> tuple[np.ndarray, np.ndarray]:
    """Outputs of ``net`` (eval mode, integer pruning) on ``dataset`` as Lava integer
    payloads ``N x classes x T`` (int64), with the labels ``N``."""
    ev = evaluate(net, DataLoader(dataset, batch_size=batch, shuffle=False), device, keep_outputs=True)
    return as_payload_outputs(net, ev)


def as_payload_outputs(net, ev: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(payloads, labels)`` of an ``evaluate(..., keep_outputs=True)`` result of ``net``."""
    from ..fixed_point import as_payloads

    graded = bool(net.cfg.layers[-1].neuron["graded_spike"])
    return as_payloads(ev["outputs"], graded), np.asarray(ev["labels"], dtype=np.int64)


def calibrate_run(net, val_set, test_set, epsilon: float, batch: int, device, log=print,
                  test_outputs: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[dict, dict]:
    """Calibrate ``beta`` on ``val_set`` (the validation split: data the network was not fitted to; the
    training set gives thresholds too permissive once the network has memorised it, docs/design.md 2.4) and
    measure it on the test set.

    Deterministic: eval mode, fixed sample order. Returns the cutoff table
    (``calibrate``'s dict, stored in the checkpoint and ``network.h5``) and
    the metrics row entries ``cutoff_accuracy``, ``cutoff_accuracy_full``,
    ``mean_exit_step``, ``timestep_reduction``, ``exit_histogram``,
    ``cutoff_fallback_steps``.
    """
    out, labels = payload_outputs(net, val_set, batch, device)
    table = calibrate(out, labels, epsilon)
    # table["warning"] (steps that never exit) is already logged by calibrate(); not repeated here.
    # test_outputs: the test split's payloads and labels where the caller has them already (a run's end)
    out, labels = test_outputs if test_outputs is not None else payload_outputs(net, test_set, batch, device)
    m = cutoff_metrics(out, labels, table["beta"])
    row = {"cutoff_epsilon": float(epsilon), "cutoff_accuracy": m["accuracy"],
           "cutoff_accuracy_full": m["accuracy_full"], "mean_exit_step": m["mean_exit_step"],
           "timestep_reduction": m["timestep_reduction"], "exit_histogram": m["exit_histogram"],
           "cutoff_fallback_steps": table["fallback_steps"].tolist()}
    log(f"cutoff (epsilon {epsilon}): test accuracy {pct(m['accuracy'])} "
        f"(no cutoff {pct(m['accuracy_full'])}), mean exit step {m['mean_exit_step']:.2f}, "
        f"{ratio(m['timestep_reduction'])} fewer timesteps")
    return table, row
