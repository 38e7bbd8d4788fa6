"""The profile report: synops, pruned frames, energy and accuracy with and without the gates.

``profile_network`` is the one call a notebook needs: it counts synops on
SLAYER's fixed-point forward with the gates and without them, optionally
checks the counts of the first samples on Lava, and returns the report
(a JSON-ready dict). ``write_report`` stores it as report.json plus
per_layer.csv and per_frame.csv.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ..atomic import write_json_atomic, write_text_atomic
from .energy import DEFAULT_PROFILES, constants_table, estimate


def _samples(counts) -> int:
    return int(np.shape(counts.synops[counts.layers[0]])[0]) if counts.layers else 0


def _layer_sum(d: dict, i: int) -> int:
    return int(np.asarray(d[i], dtype=np.int64).sum())


def _frame_sum(counts) -> np.ndarray:
    """Synops summed over layers: ``N x T`` int64."""
    n = _samples(counts)
    out = np.zeros((n, counts.n_frames), dtype=np.int64)
    for i in counts.layers:
        out += np.asarray(counts.synops[i], dtype=np.int64)
    return out


def _ratio(num: float, den: float):
    return num / den if den else (None if num else 1.0)


def profile_report(with_gates, without_gates, accuracy_with: float, accuracy_without: float, labels=None,
                   energy_constants=DEFAULT_PROFILES, example_sample: int = 0) -> dict:
    """Compare two SynopCounts of the same samples (gates on / gates off); a JSON-ready dict.

    Synop totals are over all N samples and T frames; ``*_per_sample`` and
    energies (uJ) are means per sample. ``per_frame`` holds means over samples
    per frame index and, per gate, the fraction of samples whose gate pruned
    that frame; ``example`` holds one sample's synops and gate decisions
    (True = pruned) for the plots. ``labels`` (N class indices) adds mean
    synops per class.
    """
    w, wo = with_gates, without_gates
    n, n_frames = _samples(w), int(w.n_frames)
    if list(w.layers) != list(wo.layers) or _samples(wo) != n or int(wo.n_frames) != n_frames:
        raise ValueError("with_gates and without_gates must count the same layers, samples and frames")
    total, unpruned = sum(_layer_sum(w.synops, i) for i in w.layers), sum(_layer_sum(wo.synops, i) for i in wo.layers)
    e_with, e_without = estimate(w, energy_constants), estimate(wo, energy_constants)
    snn_energy = {}
    for name, a in e_with["snn"].items():
        b = e_without["snn"][name]
        snn_energy[name] = {"with_gates": a["total_uj"], "without_gates": b["total_uj"]}
        if "total_uj_upper" in a:  # the upper neuron-update figure
            snn_energy[name] |= {"with_gates_upper": a["total_uj_upper"], "without_gates_upper": b["total_uj_upper"]}
    dense_macs_frame = sum(int(w.dense_macs[i]) for i in w.layers)
    frame_with, frame_without = _frame_sum(w), _frame_sum(wo)
    gates = sorted(int(g) for g in w.keep)
    pruned = {g: ~np.asarray(w.keep[g], dtype=bool) for g in gates}
    per_gate = {str(g): int(p.sum()) for g, p in pruned.items()}
    k = min(max(int(example_sample), 0), n - 1) if n else 0
    report = {
        "samples": n,
        "n_frames": n_frames,
        "gates": gates,
        "synops_total": total,
        "synops_unpruned": unpruned,
        "synops_reduction": _ratio(unpruned, total),
        "synops_per_sample": {"with_gates": total / max(n, 1), "without_gates": unpruned / max(n, 1)},
        "accuracy": {"with_gates": None if accuracy_with is None else float(accuracy_with),
                     "without_gates": None if accuracy_without is None else float(accuracy_without)},
        "frames_pruned": {"total": sum(per_gate.values()), "possible": n * n_frames * len(gates),
                          "fraction": _ratio(sum(per_gate.values()), n * n_frames * len(gates)) if gates else 0.0,
                          "per_gate": per_gate},
        "dense_ann_macs": {"per_frame": dense_macs_frame, "per_sample": dense_macs_frame * n_frames},
        "energy_uj": {"unit": "uJ per sample", "snn": snn_energy,
                      "dense_ann": {name: v["total_uj"] for name, v in e_with["dense_ann"].items()},
                      "constants": constants_table(energy_constants),
                      "excludes": "memory traffic, spike routing, leakage and the pruners' own arithmetic"},
        "per_layer": [{"layer": int(i), "name": name,
                       "events_with_gates": _layer_sum(w.events, i), "events_without_gates": _layer_sum(wo.events, i),
                       "synops_with_gates": _layer_sum(w.synops, i), "synops_without_gates": _layer_sum(wo.synops, i),
                       "neurons": int(w.neurons[i]), "dense_macs_per_frame": int(w.dense_macs[i])}
                      for i, name in zip(w.layers, w.names)],
        "per_frame": {"synops_mean_with_gates": frame_with.mean(axis=0).tolist() if n else [0.0] * n_frames,
                      "synops_mean_without_gates": frame_without.mean(axis=0).tolist() if n else [0.0] * n_frames,
                      "pruned_fraction": {str(g): p.mean(axis=0).tolist() for g, p in pruned.items()}},
        "example": {"sample": k,
                    "synops_with_gates": frame_with[k].tolist() if n else [],
                    "synops_without_gates": frame_without[k].tolist() if n else [],
                    "pruned": {str(g): p[k].tolist() for g, p in pruned.items()} if n else {}},
    }
    if labels is not None and n:
        labels = np.asarray(labels).reshape(-1)[:n]
        report["per_class"] = {str(int(c)): {"samples": int((labels == c).sum()),
                                             "synops_with_gates": float(frame_with[labels == c].sum(1).mean()),
                                             "synops_without_gates": float(frame_without[labels == c].sum(1).mean())}
                               for c in np.unique(labels)}
    return report


def counts_equal(a, b, n: int) -> bool:
    """True when the first ``n`` samples of two SynopCounts agree exactly (events, synops, gate decisions).

    When ``b`` has ``frames_run`` (a cutoff stopped the run), gate decisions are
    compared only on the frames the gate's layer ran: a causal gate never
    decides the frames after the stop.
    """
    if list(a.layers) != list(b.layers) or sorted(a.keep) != sorted(b.keep):
        return False
    same = all(np.array_equal(np.asarray(a.events[i])[:n], np.asarray(b.events[i])[:n]) and
               np.array_equal(np.asarray(a.synops[i])[:n], np.asarray(b.synops[i])[:n]) and
               int(a.neurons[i]) == int(b.neurons[i]) for i in a.layers)
    for g in a.keep:
        ka, kb = np.asarray(a.keep[g])[:n], np.asarray(b.keep[g])[:n]
        if b.frames_run is not None:  # the gate of layer g sits in front of it
            ran = np.arange(ka.shape[-1])[None, :] < np.asarray(b.frames_run[g])[:n, None]
            ka, kb = ka[ran], kb[ran]
        same = same and np.array_equal(ka, kb)
    return bool(same)


def cutoff_section(nf, with_gates, without_gates, out_with, labels, energy_constants=DEFAULT_PROFILES):
    """The ``cutoff`` part of the report, and the spent counts it was computed from.

    The file's cutoff table decides every sample's exit frame on the gated
    outputs (``out_with``, integer payloads); ``spent_counts`` keeps what each
    layer ran before the run stopped. ``combined_reduction`` is the headline:
    synops of the network with neither gates nor cutoff over synops with both.
    """
    from ..cutoff.evaluate import cutoff_metrics
    from ..cutoff.rule import exit_decisions
    from .cutoff_spent import spent_counts

    exit_step, _ = exit_decisions(out_with, nf.cutoff["beta"])
    spent = spent_counts(nf, with_gates, exit_step)
    n = max(_samples(spent), 1)
    total, gated, unpruned = spent.total(), with_gates.total(), without_gates.total()
    metrics = cutoff_metrics(out_with, labels, nf.cutoff["beta"])
    energy = estimate(spent, energy_constants)["snn"]
    section = {
        "epsilon": float(nf.cutoff["epsilon"]) if "epsilon" in nf.cutoff else None,
        "accuracy": metrics["accuracy"], "mean_exit_step": metrics["mean_exit_step"],
        "timestep_reduction": metrics["timestep_reduction"], "exit_histogram": metrics["exit_histogram"],
        "synops_total": total, "synops_per_sample": total / n,
        "reduction_vs_gates_only": _ratio(gated, total),
        "combined_reduction": _ratio(unpruned, total),
        "frames_run_mean": {str(i): float(np.mean(spent.frames_run[i])) for i in spent.layers},
        "energy_uj": {name: e["total_uj"] for name, e in energy.items()},
        "synops_mean_per_frame": _frame_sum(spent).mean(axis=0).tolist() if _samples(spent) else [],
        "note": "a layer in front of a window gate runs every frame before the answer can come; "
                "see razor_lava/profile/cutoff_spent.py",
    }
    return section, spent


def profile_network(nf, frames: np.ndarray, labels, lava_samples: int = 0, batch: int = 32,
                    energy_constants=DEFAULT_PROFILES, progress: bool = False, example_sample: int = 0,
                    cutoff: bool | None = None, mode: str = "stream", workers: int = 1) -> dict:
    """Profile ``nf`` (a NetworkFile) on ``frames`` (``N x C x H x W x T`` or ``N x C x T``) with ``labels`` (N).

    Counts synops on SLAYER with the gates and without them (accuracy from
    their outputs), and, when ``lava_samples`` > 0, counts the first
    ``lava_samples`` samples on Lava too: ``lava_counts_equal`` says whether
    they equal SLAYER's exactly, ``lava_samples_checked`` how many were checked.

    ``cutoff`` (default: when the file has a cutoff table) adds the
    ``cutoff`` section: the synops spent when every sample stops at its exit
    frame, and Razor + cutoff vs neither. With ``lava_samples`` the Lava run
    is repeated with the cutoff and ``lava_cutoff_counts_equal`` says whether
    what Lava spent equals the SLAYER-side account. ``mode``/``workers``: how the
    Lava samples run (``deployment.runner.run_samples``).
    """
    from ..metrics import predict
    from .slayer_counter import count_slayer

    has_labels = labels is not None  # raw inputs without labels: no accuracy
    labels = np.asarray(labels).reshape(-1) if has_labels else np.full(len(frames), -1, dtype=np.int64)
    if len(labels) != len(frames):
        raise ValueError(f"labels: expected {len(frames)} labels (one per sample), got {len(labels)}")
    with_counts, out_with = count_slayer(nf, frames, gates=True, batch=batch)
    without_counts, out_without = count_slayer(nf.without_gates(), frames, gates=False, batch=batch)

    def accuracy(out):
        return float((predict(out) == labels).mean()) if has_labels and len(labels) else None

    report = profile_report(with_counts, without_counts, accuracy(out_with), accuracy(out_without),
                            labels if has_labels else None,
                            energy_constants, example_sample)
    use_cutoff = nf.cutoff is not None if cutoff is None else bool(cutoff)
    if use_cutoff:
        if nf.cutoff is None:
            from ..errors import ConfigError

            raise ConfigError("cutoff", f"{nf.path} has no cutoff table (razor/cutoff) to profile")
        report["cutoff"], spent = cutoff_section(nf, with_counts, without_counts, out_with, labels, energy_constants)
        if not has_labels:
            report["cutoff"]["accuracy"] = None
    report["lava_samples_checked"] = 0
    report["lava_counts_equal"] = None
    k = min(int(lava_samples), len(frames))
    if k > 0:
        from .lava_counter import count_lava

        lava_counts, lava_out = count_lava(nf, frames[:k], progress=progress, mode=mode, workers=workers)
        report["lava_samples_checked"] = k
        report["lava_counts_equal"] = bool(counts_equal(lava_counts, with_counts, k))
        report["lava_outputs_equal"] = bool(np.array_equal(np.asarray(lava_out), np.asarray(out_with)[:k]))
        if use_cutoff:
            lava_spent, _ = count_lava(nf, frames[:k], progress=progress, cutoff=True, mode=mode, workers=workers)
            report["lava_cutoff_counts_equal"] = bool(counts_equal(lava_spent, spent, k))
    return report


def _atomic_write(path: Path, text: str) -> None:
    write_text_atomic(path, text)


def _csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def per_frame_rows(report: dict) -> list[dict]:
    """One row per frame index: mean synops with/without gates and each gate's pruned fraction."""
    pf = report["per_frame"]
    rows = []
    for t in range(report["n_frames"]):
        row = {"frame": t, "synops_mean_with_gates": pf["synops_mean_with_gates"][t],
               "synops_mean_without_gates": pf["synops_mean_without_gates"][t]}
        row |= {f"pruned_fraction_gate{g}": v[t] for g, v in pf["pruned_fraction"].items()}
        rows.append(row)
    return rows


def write_report(report: dict, out_dir) -> dict[str, Path]:
    """Write report.json, per_layer.csv and per_frame.csv into ``out_dir`` (created), each atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"report": out / "report.json", "per_layer": out / "per_layer.csv", "per_frame": out / "per_frame.csv"}
    write_json_atomic(paths["report"], report)  # NaN / inf as null, numpy as numbers
    _atomic_write(paths["per_layer"], _csv(report["per_layer"]))
    _atomic_write(paths["per_frame"], _csv(per_frame_rows(report)))
    return paths
