#!/usr/bin/env python
"""Pruning that pays: accuracy against synaptic operations, Razor against the rules a user could write.

For each data set (the embedded synthetic set, the N-MNIST subset) this trains the points of ``POINTS``
(E1, Razor at positions E2 / E3, ratios, soft / ste, and the baselines trained in Razor's place), over
``--seeds`` where the point asks for all seeds, and measures every operating point of every run on the
validation and the test split, side by side in one run:

- the run as trained (E1: no gate; Razor; a trained baseline);
- a Razor run at other ratios (the ratio is an inference knob: ``INFERENCE_RATIOS``);
- a Razor run with each baseline in its gates' place, at the same position and the same fraction of
  frames (``pruning/baselines.py``): an event-count gate whose ``k`` is tuned on the validation split to
  Razor's pruned fraction, uniform temporal subsampling, seeded random positions, and Razor's pruner
  with frozen random embeddings;
- each of those without and with the Top-K cutoff, calibrated on the validation split
  (``CUTOFF_EPSILONS``).

Every number is the SLAYER fixed-point reference with the synop counters (``profile/operating_point.py``):
test accuracy, synops per sample (total and per layer, what was spent before the cutoff's answer),
frames pruned, timesteps run. A point is aggregated over the seeds it shares with E1; its
``synops_reduction`` is E1's synops per sample / its own (same seeds), its ``accuracy_e1`` E1's accuracy.
The best point is chosen on the **validation** split (largest synop reduction at no more than 1 pt below
E1's validation accuracy, among the points measured on all of E1's seeds) and reported on the test split;
its synops are checked on Lava (the streamed network with Lava's counters, ``--lava-samples`` test
samples): they must be equal.

    python bench/frontier.py --work runs/frontier --out bench/FRONTIER.md
    python bench/frontier.py --quick --work /tmp/fq --out /tmp/fq/FRONTIER.md   # a smoke run (minutes)

Writes ``--out`` (markdown), ``.json`` (every point: ``{"datasets": {name: {"points": [...],
"best": {...}}}}``) and ``.png`` (accuracy against synop reduction, one curve per method), atomically.
Runs live in ``--work/<dataset>/<point>/seed<k>``; a finished run of the same network is reused, an
interrupted one resumed; ``--jobs 2`` trains two at once, one CPU thread each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from razor_lava.cli.common import existing_dir, output_file, positive_int, run_main

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"synthetic": "synthetic_small", "nmnist": "nmnist"}
ALL = "all"  # a point trained over every --seeds
# Trained points per data set: (name, pruner overrides of the shipped config, seeds[, train overrides]).
# An "events" point's k is tuned on the validation split's input frames to prune ``events_fraction`` of them.
POINTS = {
    "nmnist": [
        ("E1", {"positions": "E1"}, ALL),
        ("E3-r30-soft", {}, ALL),  # the shipped config
        ("E2-r50-soft", {"positions": "E2", "ratio": 0.5, "train_mode": "soft"}, (0,)),
        ("E2-r50-ste", {"positions": "E2", "ratio": 0.5, "train_mode": "ste"}, ALL),
        ("E2-r30-ste", {"positions": "E2", "ratio": 0.3, "train_mode": "ste"}, ALL),
        ("E2-r50-ste-syn1", {"positions": "E2", "ratio": 0.5, "train_mode": "ste"}, (0,), {"synops_weight": 1.0}),
        ("E2-r30-ste-syn03", {"positions": "E2", "ratio": 0.3, "train_mode": "ste"}, (0,), {"synops_weight": 0.3}),
        ("E2-uniform-r50", {"positions": "E2", "ratio": 0.5, "method": "uniform"}, (0,)),
        ("E2-frozen-r50-ste", {"positions": "E2", "ratio": 0.5, "train_mode": "ste", "freeze": True}, (0,)),
    ],
    "synthetic": [
        # One seed: a synthetic run takes 15-20 min of a core here (bench/RECIPE_synthetic.md has E3 over 3).
        ("E1", {"positions": "E1"}, (0,)),
        ("E3-r30-soft", {}, (0,)),  # the shipped config
        ("E2-r50-ste", {"positions": "E2", "ratio": 0.5, "train_mode": "ste"}, (0,)),
        ("E3-r50-ste", {"ratio": 0.5, "train_mode": "ste"}, (0,)),
    ],
}
QUICK_POINTS = [("E1", {"positions": "E1"}, (0,)),
                ("E2-r50-ste", {"positions": "E2", "ratio": 0.5, "train_mode": "ste"}, (0,)),
                ("E2-uniform-r50", {"positions": "E2", "ratio": 0.5, "method": "uniform"}, (0,))]
INFERENCE_RATIOS = (0.3, 0.5, 0.7)
CUTOFF_EPSILONS = (0.01, 0.02, 0.03, 0.05)
SWAPS = ("events", "uniform", "random", "frozen")
LABELS = {"razor": "Razor", "events": "event-count gate", "uniform": "uniform subsampling",
          "random": "random positions", "frozen": "frozen random embeddings", "E1": "E1 (no pruning)"}
MAX_LOSS = 0.01  # the accuracy a point may lose against E1 (1 pt) and still count


# ---------------------------------------------------------------- training

def train_job(job: dict) -> dict:
    """One run (in a worker: one CPU thread), or the result of the finished run already there."""
    from razor_lava.model.config import load_config, with_train_overrides
    from razor_lava.training.jobs import finished_run, train_logged
    from razor_lava.training.run import RunOptions

    cfg = with_train_overrides(load_config(job["config"]), job["train"])
    out = Path(job["out"])
    result = finished_run(out, cfg, job["pruner"], job["seed"], job["epochs"])
    if result is None:
        opts = RunOptions(out=out, data_root=job["data_root"], epochs=job["epochs"], seed=job["seed"],
                          train_samples=job["train_samples"], test_samples=job["test_samples"], progress=False,
                          cache_dir=job["cache_dir"], pruner=job["pruner"])
        result = train_logged(cfg, opts, job["threads"])
        print(f"  trained {job['dataset']}/{job['point']} seed {job['seed']}: test "
              f"{100 * result['test_accuracy']:.1f}% ({result['train_minutes']:.1f} min)", flush=True)
    return {"dataset": job["dataset"], "point": job["point"], "seed": job["seed"], "out": str(out),
            "test_accuracy": result["test_accuracy"]}


def events_k_for(val_frames: np.ndarray, fraction: float) -> int:
    """The k of an events gate at the input frames that prunes ``fraction`` of the validation frames."""
    from razor_lava.pruning.baselines import tune_events_k

    f = np.asarray(val_frames, dtype=np.int64)
    return tune_events_k(f.reshape(f.shape[0], -1, f.shape[-1]).sum(axis=1), fraction)


def jobs_for(args, dataset: str, points, val_frames) -> list[dict]:
    jobs = []
    for name, pruner, seeds, *train in points:
        pruner = dict(pruner)
        if "events_fraction" in pruner:
            pruner["events_k"] = events_k_for(val_frames, pruner.pop("events_fraction"))
        for s in (args.seeds if seeds == ALL else [s for s in seeds if s in args.seeds] or [args.seeds[0]]):
            jobs.append({"dataset": dataset, "point": name, "seed": s, "pruner": pruner, "train": dict(*train),
                         "config": CONFIGS[dataset], "data_root": args.data_root if dataset == "nmnist" else None,
                         "epochs": args.epochs, "train_samples": args.train_samples,
                         "test_samples": args.test_samples, "cache_dir": args.cache_dir,
                         "out": str(Path(args.work) / dataset / name / f"seed{s}"),
                         "threads": 1 if args.jobs > 1 else max(1, os.cpu_count() or 1)})
    return jobs


# ---------------------------------------------------------------- measuring

def load_splits(args, dataset: str):
    """The validation and test frames of the data set (the same for every run of its config)."""
    from razor_lava.model.config import load_config
    from razor_lava.training.data import load_data
    from razor_lava.training.run import RunOptions

    opts = RunOptions(out=Path(args.work), data_root=args.data_root if dataset == "nmnist" else None,
                      train_samples=args.train_samples, test_samples=args.test_samples, progress=False,
                      cache_dir=args.cache_dir)
    splits = load_data(load_config(CONFIGS[dataset]), opts)
    return (splits.val.frames, splits.val.labels), (splits.test.frames, splits.test.labels)


def variants(nf, seed: int, val_frames, ratios=INFERENCE_RATIOS) -> list[tuple[str, dict, dict]]:
    """``(method, settings, gates)`` of every operating point of one trained network (gates: layer -> rule)."""
    from razor_lava.pruning.baselines import baseline_like
    from razor_lava.pruning.module import frozen_pruner
    from razor_lava.pruning.params import n_pruned
    from razor_lava.profile.operating_point import tuned_events_gates

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
    from razor_lava.netfile import load_network_file
    from razor_lava.cutoff.calibrate import calibrate
    from razor_lava.profile.operating_point import count_split, summarise, with_gates

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
        progress(f"{run['point']} seed {run['seed']}: {method} {_fmt_settings(settings)}")
    return rows


def _fmt_settings(s: dict) -> str:
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
        std = lambda split, k: statistics.stdev(r[split][k] for r in rs) if len(rs) > 1 else 0.0  # noqa: E731
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
    from razor_lava.netfile import load_network_file, write_operating_point
    from razor_lava.profile.deploy_synops import deploy_counting

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


# ---------------------------------------------------------------- reporting

def public(p: dict) -> dict:
    return {k: v for k, v in p.items() if not k.startswith("_")}


def markdown(results: dict, meta: dict) -> str:
    from razor_lava.formatting import pct, ratio, si

    lines = ["# The accuracy-vs-synops frontier: Razor against trivial baselines", "",
             f"Measured {meta['date']} on {meta['machine']}, side by side in one run ({meta['minutes']:.0f} min; "
             "finished runs in `--work` are reused, not retrained).", f"Command: `{meta['command']}`", "",
             "Every number is the SLAYER fixed-point reference with the synop counters, which Lava's counters equal "
             "sample for sample (checked below on the best point). Synops are per test sample and include what a "
             "Top-K cutoff spends before its answer. 'reduction' is E1's synops / the point's on the same seeds; "
             "accuracy is the mean over those seeds (test split); the best point is chosen on the validation split "
             f"(largest synop reduction at <= {100 * MAX_LOSS:.0f} pt below E1 on validation, among the points measured "
             "on all of E1's seeds). Baselines 'in Razor's "
             "place' replace the trained gates of a Razor run at the same position and fraction of frames; "
             "'(trained)' ones were in the network's place during training too.", ""]
    for name, ds in results.items():
        lines += [f"## {name}", "", f"{ds['train_samples']} training samples ({ds['val_samples']} of them the "
                  f"validation split), {ds['test_samples']} test samples; E1 {pct(ds['e1']['accuracy'])} at "
                  f"{si(ds['e1']['synops'])} synops per sample (seeds {ds['e1']['seeds']}).", ""]
        for title, key in (("Best point (Razor or a baseline, cutoff allowed)", "best"),
                           ("Best point without the cutoff", "best_without_cutoff")):
            b = ds.get(key)
            if b is None:
                lines += [f"**{title}**: none within {100 * MAX_LOSS:.0f} pt of E1 on validation.", ""]
                continue
            lines += [f"**{title}**: {b['method']} ({b['run']}, {_fmt_settings(b['settings'])}): "
                      f"**{ratio(b['synops_reduction'])} fewer synops** than E1 at {pct(b['accuracy'])} test accuracy "
                      f"({100 * (b['accuracy'] - b['accuracy_e1']):+.1f} pt vs E1), {pct(b['frames_pruned'])} of "
                      f"frames pruned, {b['timesteps']:.1f} timesteps; seeds {b['seeds']}.", ""]
        lava = ds.get("lava")
        if lava:
            lines += [f"Lava check of the best point (seed {lava['seed']}, {lava['samples']} test samples streamed): "
                      f"synops per sample {si(lava['lava_synops_per_sample'])} on Lava, "
                      f"{si(lava['frontier_synops_per_sample'])} in the frontier: "
                      f"{'equal' if lava['equal'] else 'NOT equal'} (per sample agreement "
                      f"{pct(lava['synops_agreement'])}, outputs {pct(lava['output_agreement'])}).", ""]
        lines += ["| method | run | settings | cutoff eps | test accuracy | vs E1 | synops/sample | reduction | "
                  "frames pruned | timesteps | seeds |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for p in sorted(ds["points"], key=lambda p: (p["method"], p["run"], -p["synops_reduction"])):
            s = {k: v for k, v in p["settings"].items() if k != "cutoff_epsilon"}
            lines.append(f"| {p['method']} | {p['run']} | {_fmt_settings(s)} | {p['settings']['cutoff_epsilon'] or ''} "
                         f"| {pct(p['accuracy'])} +- {pct(p['accuracy_std'])} | "
                         f"{100 * (p['accuracy'] - p['accuracy_e1']):+.1f} pt | {si(p['synops'])} | "
                         f"{ratio(p['synops_reduction'])} | {pct(p['frames_pruned'])} | {p['timesteps']:.1f} | "
                         f"{p['seeds']} |")
        lines.append("")
    return "\n".join(lines)


def pareto(points: list[dict]) -> list[dict]:
    """The points no other point beats on both test accuracy and synop reduction, by reduction."""
    front, best = [], -1.0
    for p in sorted(points, key=lambda p: (-p["synops_reduction"], -p["accuracy"])):
        if p["accuracy"] > best:
            front.append(p)
            best = p["accuracy"]
    return front[::-1]


def plot(results: dict, path: Path) -> Path:
    """Test accuracy against synop reduction per data set: each method's points (faint) and its Pareto
    front (line); filled markers and solid lines with the cutoff, hollow and dashed without."""
    from matplotlib.figure import Figure

    from razor_lava.plots import save_png

    fig = Figure(figsize=(6.5 * len(results), 5.0))
    axes = fig.subplots(1, len(results), squeeze=False)[0]
    colors = {}
    for ax, (name, ds) in zip(axes, results.items()):
        acc_e1 = 100 * ds["e1"]["accuracy"]
        ax.axhline(acc_e1, color="k", lw=0.8, ls=":")
        ax.axhline(acc_e1 - 100 * MAX_LOSS, color="k", lw=0.8, ls="--", label="E1 - 1 pt")
        groups: dict[tuple, list] = {}
        for p in ds["points"]:
            groups.setdefault((p["method"], p["cutoff"]), []).append(p)
        for (method, cut), ps in sorted(groups.items()):
            color = colors.setdefault(method, f"C{len(colors) % 10}")
            ax.scatter([p["synops_reduction"] for p in ps], [100 * p["accuracy"] for p in ps], s=9, color=color,
                       alpha=0.25)
            front = pareto(ps)
            ax.plot([p["synops_reduction"] for p in front], [100 * p["accuracy"] for p in front],
                    "-o" if cut else "--o", color=color, mfc=color if cut else "white", ms=5, lw=1.2,
                    label=f"{method}{' + cutoff' if cut else ''}")
        best = ds.get("best")
        if best:
            ax.plot(best["synops_reduction"], 100 * best["accuracy"], "*", color="k", ms=14, label="best (validation)")
        ax.set(xscale="log", xlabel="synops reduction vs E1 (x, log)", ylabel="test accuracy, %", title=name,
               ylim=(max(0.0, acc_e1 - 25), min(100.0, acc_e1 + 15)))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="lower left")
    fig.tight_layout()
    return save_png(fig, path)


# ---------------------------------------------------------------- main

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="+", choices=sorted(CONFIGS), default=["synthetic", "nmnist"])
    ap.add_argument("--data-root", type=existing_dir, help="the N-MNIST folder (default ../shared/data/nmnist-small)")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--epochs", type=positive_int, help="override every run's epochs")
    ap.add_argument("--train-samples", type=positive_int)
    ap.add_argument("--test-samples", type=positive_int)
    ap.add_argument("--jobs", type=positive_int, default=2, help="runs trained at once (one CPU thread each)")
    ap.add_argument("--lava-samples", type=positive_int, default=10, help="test samples of the Lava check")
    ap.add_argument("--work", default="runs/frontier", help="folder of the runs (reused / resumed when present)")
    ap.add_argument("--cache-dir", default=".cache/frames")
    ap.add_argument("--out", type=output_file, default=str(ROOT / "bench" / "FRONTIER.md"))
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: the synthetic set, 1 epoch, 100 training and 30 test samples, E1, Razor E2 "
                         "and uniform E2 trained, seed 0, one other ratio and one cutoff epsilon, 4 Lava samples")
    args = ap.parse_args(argv)
    args.inference_ratios, args.epsilons = INFERENCE_RATIOS, CUTOFF_EPSILONS
    if args.quick:
        args.inference_ratios, args.epsilons = (0.7,), (0.05,)
        args.datasets = ["synthetic"]
        args.epochs = args.epochs or 1
        args.train_samples = args.train_samples or 100
        args.test_samples = args.test_samples or 30
        args.seeds = [0]
        args.lava_samples = min(args.lava_samples, 4)
    if "nmnist" in args.datasets and args.data_root is None:
        default = ROOT.parent / "shared" / "data" / "nmnist-small"
        if not default.is_dir():
            ap.error("--datasets nmnist needs --data-root DIR (the N-MNIST folder)")
        args.data_root = str(default)
    return args


def run(args, argv=None) -> int:
    import logging

    # Lava sets the "fork" start method when its runtime is imported, which fails once a process pool
    # has fixed another: import it before the training pool.
    import lava.magma.runtime.runtime  # noqa: F401

    # Cutoff steps that fall back to "never exit" are part of each point's table; one warning per
    # calibration (hundreds here) would drown the progress lines. Restored on the way out.
    calib_log = logging.getLogger("razor_lava.cutoff.calibrate")
    level = calib_log.level
    calib_log.setLevel(logging.ERROR)
    try:
        return _run(args, argv)
    finally:
        calib_log.setLevel(level)


def _run(args, argv) -> int:
    t0 = time.perf_counter()
    say = lambda m: print(f"[{(time.perf_counter() - t0) / 60:5.1f} min] {m}", flush=True)  # noqa: E731
    splits = {d: load_splits(args, d) for d in args.datasets}
    jobs = [j for d in args.datasets for j in jobs_for(args, d, QUICK_POINTS if args.quick else POINTS[d],
                                                         splits[d][0][0])]
    say(f"{len(jobs)} runs ({', '.join(args.datasets)}), {args.jobs} at a time")
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            runs = list(pool.map(train_job, jobs))
    else:
        runs = [train_job(j) for j in jobs]
    results = {}
    for d in args.datasets:
        val, test = splits[d]
        rows = [r for run_ in runs if run_["dataset"] == d
                for r in measure_run(run_, val, test, say, args.inference_ratios, args.epsilons)]
        points = aggregate(rows)
        e1 = next(p for p in points if p["method"] == LABELS["E1"] and not p["cutoff"])
        ds = {"points": points, "e1": {"accuracy": e1["accuracy"], "synops": e1["synops"], "seeds": e1["seeds"]},
              "train_samples": _train_samples(runs, d), "val_samples": int(len(val[1])),
              "test_samples": int(len(test[1]))}
        ds["best"], ds["best_without_cutoff"] = best_point(points, None), best_point(points, False)
        if ds["best"] is not None:
            say(f"{d}: Lava check of the best point on {args.lava_samples} test samples")
            ds["lava"] = lava_check(ds["best"], test, args.lava_samples, Path(args.work), d)
        results[d] = ds
    meta = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}",
            "command": "python bench/frontier.py " + " ".join(map(shlex.quote, sys.argv[1:] if argv is None else argv)),
            "minutes": (time.perf_counter() - t0) / 60, "seeds": args.seeds}
    write_report(results, meta, Path(args.out))
    return 0


def _train_samples(runs, dataset) -> int:
    out = Path(next(r["out"] for r in runs if r["dataset"] == dataset))
    res = json.loads((out / "result.json").read_text())
    return int(res["train_samples"] + res["val_samples"])


def write_report(results: dict, meta: dict, out: Path) -> None:
    from razor_lava.atomic import write_text_atomic

    clean = {d: {k: ([public(p) for p in v] if k == "points" else public(v) if isinstance(v, dict) and k.startswith("best")
                     else v) for k, v in ds.items()} for d, ds in results.items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    picture = plot(results, out.with_suffix(".png"))
    text = markdown(results, meta).replace("\n## ", f"\n![accuracy vs synops]({picture.name})\n\n## ", 1)
    write_text_atomic(out.with_suffix(".json"), json.dumps({"meta": meta, "datasets": clean}, indent=2,
                                                           default=_jsonable))
    write_text_atomic(out, text)
    print("\n" + text)


def _jsonable(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def main(argv=None) -> int:
    return run_main(run, parse_args(argv), argv)


if __name__ == "__main__":
    sys.exit(main())
