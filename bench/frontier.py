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
interrupted one resumed; ``--jobs 2`` trains two at once, one CPU thread each. A call on some of the data sets
(``--datasets synthetic``) keeps the others' sections of the report already at ``--out``, each with the date
and command that measured it (``razor_lava/bench/frontier_result.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from razor_lava.bench import meta
from razor_lava.bench.datasets import BASE_CONFIGS as CONFIGS, required_data_root
# The operating points and the report live in the harness; their names are re-exported here (tests).
from razor_lava.bench.frontier_points import (  # noqa: F401
    CUTOFF_EPSILONS, INFERENCE_RATIOS, LABELS, MAX_LOSS, SWAPS, aggregate, best_point, events_k_for, label,
    lava_check, measure_run, variants)
from razor_lava.bench.frontier_report import markdown, pareto, plot  # noqa: F401
from razor_lava.bench.frontier_result import DatasetFrontier, FrontierResult
from razor_lava.bench.jobs import run_dir, sweep, threads_per_job, train_or_reuse
from razor_lava.bench.report import write_report as write_outputs
from razor_lava.cli.common import existing_dir, output_file, positive_int, run_main
from razor_lava.formatting import pct

ROOT = meta.REPO
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
        # A synthetic run takes 15-20 min of a core here: E1 and the best point over every seed, the others
        # on seed 0 (bench/RECIPE_synthetic.md has the shipped config over 3).
        ("E1", {"positions": "E1"}, ALL),
        ("E3-r30-soft", {}, (0,)),  # the shipped config
        ("E2-r50-ste", {"positions": "E2", "ratio": 0.5, "train_mode": "ste"}, (0,)),
        ("E3-r50-ste", {"ratio": 0.5, "train_mode": "ste"}, ALL),
    ],
}
QUICK_POINTS = [("E1", {"positions": "E1"}, (0,)),
                ("E2-r50-ste", {"positions": "E2", "ratio": 0.5, "train_mode": "ste"}, (0,)),
                ("E2-uniform-r50", {"positions": "E2", "ratio": 0.5, "method": "uniform"}, (0,))]
# ---------------------------------------------------------------- training

def train_job(job: dict) -> dict:
    """One run (in a worker: one CPU thread), or the result of the finished run already there."""
    from razor_lava.config import load_config, with_train_overrides
    from razor_lava.training.options import RunOptions

    cfg = with_train_overrides(load_config(job["config"]), job["train"])
    out = Path(job["out"])
    opts = RunOptions(out=out, data_root=job["data_root"], epochs=job["epochs"], seed=job["seed"],
                      train_samples=job["train_samples"], test_samples=job["test_samples"], progress=False,
                      cache_dir=job["cache_dir"], pruner=job["pruner"])
    result, trained = train_or_reuse(cfg, opts, job["threads"], pruner=job["pruner"])
    if trained:
        print(f"  trained {job['dataset']}/{job['point']} seed {job['seed']}: test "
              f"{pct(result['test_accuracy'])} ({result['train_minutes']:.1f} min)", flush=True)
    return {"dataset": job["dataset"], "point": job["point"], "seed": job["seed"], "out": str(out),
            "test_accuracy": result["test_accuracy"]}

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
                         "out": run_dir(args.work, dataset, name, seed=s), "threads": threads_per_job(args.jobs)})
    return jobs


# ---------------------------------------------------------------- measuring

def load_splits(args, dataset: str):
    """The validation and test frames of the data set (the same for every run of its config)."""
    from razor_lava.config import load_config
    from razor_lava.training.data import load_data
    from razor_lava.training.options import RunOptions

    opts = RunOptions(out=Path(args.work), data_root=args.data_root if dataset == "nmnist" else None,
                      train_samples=args.train_samples, test_samples=args.test_samples, progress=False,
                      cache_dir=args.cache_dir)
    splits = load_data(load_config(CONFIGS[dataset]), opts)
    return (splits.val.frames, splits.val.labels), (splits.test.frames, splits.test.labels)

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
    if "nmnist" in args.datasets:
        args.data_root = required_data_root("nmnist", args.data_root, ap.error, flag="--datasets")
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
    say = meta.minutes_log(t0)
    earlier = earlier_report(args)  # read first: a report that cannot be kept stops the call before training
    splits = {d: load_splits(args, d) for d in args.datasets}
    jobs = [j for d in args.datasets for j in jobs_for(args, d, QUICK_POINTS if args.quick else POINTS[d],
                                                         splits[d][0][0])]
    say(f"{len(jobs)} runs ({', '.join(args.datasets)}), {args.jobs} at a time")
    runs = sweep(train_job, jobs, args.jobs)
    result = FrontierResult()
    for d in args.datasets:
        val, test = splits[d]
        rows = [r for run_ in runs if run_["dataset"] == d
                for r in measure_run(run_, val, test, say, args.inference_ratios, args.epsilons)]
        points = aggregate(rows)
        e1 = next(p for p in points if p["method"] == LABELS["E1"] and not p["cutoff"])
        ds = DatasetFrontier(
            points=points, e1={"accuracy": e1["accuracy"], "synops": e1["synops"], "seeds": e1["seeds"]},
            train_samples=_train_samples(runs, d), val_samples=int(len(val[1])), test_samples=int(len(test[1])),
            best=best_point(points, None), best_without_cutoff=best_point(points, False),
            measured=meta.Measured.now("bench/frontier.py", argv, t0, args.seeds))
        if ds.best is not None:
            say(f"{d}: Lava check of the best point on {args.lava_samples} test samples")
            ds.lava = lava_check(ds.best, test, args.lava_samples, Path(args.work), d)
        result.datasets[d] = ds
    write_report(result.keeping(earlier), Path(args.out))
    return 0


def earlier_report(args) -> FrontierResult:
    """The report at ``--out`` whose other data sets' sections this call keeps (none when every data set is
    measured, or no report is there yet)."""
    path = Path(args.out).with_suffix(".json")
    if set(args.datasets) == set(CONFIGS) or not path.exists():
        return FrontierResult()
    return FrontierResult.load(path)


def _train_samples(runs, dataset) -> int:
    out = Path(next(r["out"] for r in runs if r["dataset"] == dataset))
    res = json.loads((out / "result.json").read_text())
    return int(res["train_samples"] + res["val_samples"])


def write_report(result: FrontierResult, out: Path) -> None:
    """The markdown, the JSON (every point, without the rows they aggregate) and the picture."""
    write_outputs(out, result.to_json(), markdown(result), plot=lambda path: plot(result, path),
                  alt="accuracy vs synops", echo=True)


def main(argv=None) -> int:
    return run_main(run, parse_args(argv), argv)


if __name__ == "__main__":
    sys.exit(main())
