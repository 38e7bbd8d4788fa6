"""The operating points of ``bench/frontier.py``: every point of one trained run (Razor at other ratios, the
baselines in its gates' place, each without and with the cutoff), measured on the validation and test
splits, aggregated over seeds against E1, the best chosen on validation and checked on Lava."""

from __future__ import annotations

import json
import statistics
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..metrics import Spread

INFERENCE_RATIOS = (0.3, 0.5, 0.7)
CUTOFF_EPSILONS = (0.01, 0.02, 0.03, 0.05)
SWAPS = ("events", "uniform", "random", "frozen")
LABELS = {"razor": "Razor", "events": "event-count gate", "uniform": "uniform subsampling",
          "random": "random positions", "frozen": "frozen random embeddings", "E1": "E1 (no pruning)"}
MAX_LOSS = 0.01  # the accuracy a point may lose against E1 (1 pt) and still count


def events_k_for(val_frames: np.ndarray, fraction: float) -> int:
    """The k of an events gate at the input frames that prunes ``fraction`` of the validation frames."""
    from ..pruning.baselines import tune_events_k

    f = np.asarray(val_frames, dtype=np.int64)
    return tune_events_k(f.reshape(f.shape[0], -1, f.shape[-1]).sum(axis=1), fraction)


def variants(nf, seed: int, val_frames, ratios=INFERENCE_RATIOS) -> list[tuple[str, dict, dict]]:
    """``(method, settings, gates)`` of every operating point of one trained network (gates: layer -> rule)."""
    from ..pruning.baselines import baseline_like
    from ..pruning.module import frozen_pruner
    from ..pruning.params import n_pruned
    from ..profile.operating_point import tuned_events_gates

    pruner_cfg = (nf.config or {}).get("pruner", {})
    method = pruner_cfg.get("method", "razor")
    syn_w = ((nf.config or {}).get("train") or {}).get("synops_weight") or 0.0
    base = {"position": pruner_cfg.get("positions"), "train_mode": pruner_cfg.get("train_mode"),
            "variant": pruner_cfg.get("variant"), "K": pruner_cfg.get("n_embeddings"),
            "synops_weight": syn_w or None,
            "trained_with": "E1" if not nf.pruners else ("frozen" if pruner_cfg.get("freeze") else method)}
    if not nf.pruners:
        return [("E1", base, {})]
    trained = dict(nf.pruners)
    first = trained[min(trained)]
    if method != "razor" or pruner_cfg.get("freeze"):
        label = "frozen" if pruner_cfg.get("freeze") else method
        settings = base | {"ratio": pruner_cfg.get("ratio"), "events_k": pruner_cfg.get("events_k")}
        return [(f"{label} (trained)", settings, trained)]
    out = [("razor", base | {"ratio": first.ratio, "inference_ratio": False}, trained)]
    if first.ratio is None:  # a threshold pruner: its own point only
        return out
    n_frames = val_frames.shape[-1]
    for r in ratios:
        if abs(r - first.ratio) > 1e-9:
            gates = {k: replace(p, ratio=r) for k, p in trained.items()}
            out.append(("razor", base | {"ratio": r, "inference_ratio": True}, gates))
    fraction = {k: n_pruned(p.ratio, n_frames) / n_frames for k, p in trained.items()}
    events = tuned_events_gates(nf, val_frames, fraction)
    same = base | {"ratio": first.ratio, "swapped_into": "razor"}
    # Settings name a point across seeds; what differs per seed (the tuned k) is reported per seed.
    out.append(("events (in Razor's place)", same | {"events_k": "tuned per seed on validation"}, events))
    for m in ("uniform", "random"):
        seeded = {"positions_seed": "the run's seed"} if m == "random" else {}
        out.append((f"{m} (in Razor's place)", same | seeded,
                    {k: baseline_like(m, p, n_frames, ratio=p.ratio, seed=seed) for k, p in trained.items()}))
    shapes = nf.pruner_in_shapes
    out.append(("frozen (in Razor's place)", same | {"init_seed": "1000 + the run's seed"},
                {k: frozen_pruner(p, shapes[k][0], tuple(shapes[k][1:]) or None, int(base["K"] or 4),
                                  int(pruner_cfg.get("kernel", 3)), 1000 + seed) for k, p in trained.items()}))
    return out


def measure_run(run: dict, val, test, progress, ratios=INFERENCE_RATIOS, epsilons=CUTOFF_EPSILONS) -> list[dict]:
    """Every operating point of one trained run on both splits: one row per (variant, cutoff)."""
    from ..netfile import load_network_file
    from ..cutoff.calibrate import calibrate
    from ..profile.operating_point import count_split, summarise, with_gates

    nf = load_network_file(Path(run["out"]) / "network.h5")
    rows = []
    for method, settings, gates in variants(nf, run["seed"], val[0], ratios):
        point_nf = with_gates(nf, gates)
        (vc, vo), (tc, to) = count_split(point_nf, val[0]), count_split(point_nf, test[0])
        for eps in (None, *epsilons):
            beta = None if eps is None else calibrate(vo, val[1], eps)["beta"]
            rows.append({"run": run["point"], "seed": run["seed"], "out": run["out"], "method": method,
                         "events_k": {str(k): g.theta_int for k, g in gates.items()} if method.startswith("events")
                         else None,
                         "settings": settings | {"cutoff_epsilon": eps}, "gates": gates, "beta": beta,
                         "val": summarise(point_nf, vc, vo, val[1], beta),
                         "test": summarise(point_nf, tc, to, test[1], beta)})
        progress(f"{run['point']} seed {run['seed']}: {method} {fmt_settings(settings)}")
    return rows


def fmt_settings(s: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in s.items() if v is not None and k not in ("trained_with",))


def _key(row) -> str:
    return json.dumps([row["run"], row["method"], row["settings"]], sort_keys=True, default=str)


def aggregate(rows: list[dict]) -> list[dict]:
    """One point per (run, method, settings), over the seeds it shares with E1; reductions against E1."""
    e1 = {r["seed"]: r for r in rows if r["method"] == "E1" and r["settings"]["cutoff_epsilon"] is None}
    groups: dict[str, list] = {}
    for r in rows:
        if r["seed"] in e1:
            groups.setdefault(_key(r), []).append(r)
    points = []
    for rs in groups.values():
        rs = sorted(rs, key=lambda r: r["seed"])
        seeds = [r["seed"] for r in rs]
        mean = lambda split, k, rows=rs: statistics.fmean(r[split][k] for r in rows)  # noqa: E731
        std = lambda split, k: Spread.of(r[split][k] for r in rs).std  # noqa: E731
        base = [e1[s] for s in seeds]
        p = {"method": label(rs[0]["method"]), "run": rs[0]["run"], "settings": rs[0]["settings"],
             "cutoff": rs[0]["settings"]["cutoff_epsilon"] is not None, "seeds": seeds,
             "accuracy": mean("test", "accuracy"), "accuracy_std": std("test", "accuracy"),
             "accuracy_e1": mean("test", "accuracy", base), "val_accuracy": mean("val", "accuracy"),
             "val_accuracy_e1": mean("val", "accuracy", base), "synops": mean("test", "synops"),
             "synops_e1": mean("test", "synops", base)}
        p["synops_reduction"] = p["synops_e1"] / p["synops"] if p["synops"] else float("inf")
        p["val_synops_reduction"] = mean("val", "synops", base) / max(mean("val", "synops"), 1e-12)
        p["frames_pruned"] = mean("test", "frames_pruned")
        p["timesteps"] = mean("test", "timesteps")
        p["synops_per_layer"] = {nm: statistics.fmean(r["test"]["synops_per_layer"][nm] for r in rs)
                                 for nm in rs[0]["test"]["synops_per_layer"]}
        p["per_seed"] = [{"seed": r["seed"], "accuracy": r["test"]["accuracy"], "synops": r["test"]["synops"],
                          "val_accuracy": r["val"]["accuracy"],
                          **({"events_k": r["events_k"]} if r.get("events_k") else {})} for r in rs]
        p["_rows"] = rs
        points.append(p)
    return points


def label(method: str) -> str:
    """``"uniform (trained)"`` -> ``"uniform subsampling (trained)"``: the readable name of a method."""
    head, _, tail = method.partition(" (")
    return LABELS.get(head, head) + (f" ({tail}" if tail else "")


def best_point(points: list[dict], cutoff: bool | None) -> dict | None:
    """The largest validation synop reduction within ``MAX_LOSS`` of E1's validation accuracy, among the
    points measured on every seed E1 was (a point of one lucky seed does not count where E1 has three).
    ``cutoff``: True / False restricts to points with / without the cutoff; None: any."""
    n_seeds = max((len(p["seeds"]) for p in points if p["method"] == LABELS["E1"]), default=1)
    ok = [p for p in points if (cutoff is None or p["cutoff"] == cutoff) and len(p["seeds"]) == n_seeds
          and p["val_accuracy"] >= p["val_accuracy_e1"] - MAX_LOSS - 1e-9]
    return max(ok, key=lambda p: (p["val_synops_reduction"], p["val_accuracy"]), default=None)


def lava_check(point: dict, test, n: int, work: Path, dataset: str) -> dict:
    """The point's network (first seed) on Lava with its synop counters, streamed over ``n`` test samples:
    Lava's synops per sample against the frontier's SLAYER count of the same samples."""
    from ..netfile import load_network_file, write_operating_point
    from ..profile.deploy_synops import deploy_counting

    row = point["_rows"][0]
    beta = row["beta"]
    path = write_operating_point(Path(row["out"]) / "network.h5", work / f"best-{dataset}.h5", row["gates"],
                                 None if beta is None else {"beta": beta, "epsilon": row["settings"]["cutoff_epsilon"]})
    nf = load_network_file(path)
    frames, labels = test[0][:n], test[1][:n]
    # deploy_counting's own SLAYER pass of these samples is the frontier's count (count_reference, spent
    # before the rule's exits): no second pass.
    rep = deploy_counting(nf, frames, labels, cutoff=beta is not None, mode="stream")
    expected = rep["slayer_synops_per_sample"]
    return {"network": str(path), "seed": row["seed"], "samples": int(len(labels)),
            "output_agreement": rep["agreement"], "synops_agreement": rep["synops_agreement"],
            "lava_synops_per_sample": rep["lava_synops_per_sample"], "frontier_synops_per_sample": expected,
            "equal": bool(rep["synops_agreement"] == 1.0 and rep["lava_synops_per_sample"] == expected)}
