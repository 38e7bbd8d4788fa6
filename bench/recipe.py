#!/usr/bin/env python
"""What each part of the training recipe contributes: an ablation over seeds, side by side in one run.

Every variant is the shipped config (``--config``, default the data set's) with one part of the recipe
changed; each trains ``--seeds`` times (default 3) and is measured on the test split once, on the epoch
that the validation split selected. The table gives test accuracy mean +- std over the seeds (one test
sample is one point), the validation accuracy of the selected epochs, the selected epoch and the
training minutes, and, for variants with a cutoff table, the Top-K cutoff's test accuracy and timestep
reduction (calibrated on the validation split).

    python bench/recipe.py --dataset nmnist --data-root ../shared/data/nmnist-small \
        --work runs/recipe-nmnist --out bench/RECIPE_nmnist.md
    python bench/recipe.py --dataset synthetic --variants recipe E3 --out bench/RECIPE_synthetic.md
    python bench/recipe.py --quick --work /tmp/rq --out /tmp/rq/RECIPE.md     # a smoke run (minutes)

Runs live in ``--work/<variant>/seed<k>`` and are resumed when a run of the same options is there, so an
interrupted bench continues. ``--jobs 2`` trains two runs at once, one CPU thread each.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from razor_lava.bench import meta
from razor_lava.bench.datasets import BASE_CONFIGS as CONFIGS, required_data_root
from razor_lava.bench.jobs import run_dir, sweep, threads_per_job
from razor_lava.bench.report import md_table, write_report
from razor_lava.cli.common import existing_dir, output_file, positive_int, run_main
from razor_lava.formatting import pct, points, ratio, spread
from razor_lava.metrics import Spread

ROOT = meta.REPO


def _dense_layers(raw):
    return [l for l in raw["layers"] if l["type"] == "dense" and l.get("neuron") != "liaf"]


def _set(path: str, value):
    """A variant that sets ``section.key`` (or ``train.augment.key``) of the raw config."""
    def change(raw):
        parts = path.split(".")
        node = raw
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
        return raw
    return change


def _layers(key: str, value):
    def change(raw):
        for l in _dense_layers(raw):
            l[key] = value
        return raw
    return change


PLAIN_EPOCHS = {"nmnist": 10, "synthetic-small": 8}  # the plain recipe's epochs (by config name)


def _plain(raw):
    """The plain recipe: few epochs, constant lr, no augmentation or dropout, 10 ms frames, the last epoch."""
    raw["train"].update(epochs=PLAIN_EPOCHS.get(raw.get("name"), 10), lr_schedule="constant", augment={},
                        dropout=0.0, select="last")
    raw["data"].pop("window_ms", None)
    raw["data"].pop("n_frames", None)
    return raw


# name -> (what it changes, the change). "recipe" is the shipped config as it is.
VARIANTS = {
    "recipe": ("the shipped config (E1: no pruner)", lambda raw: raw),
    "E3": ("the shipped config with its Razor pruners", None),  # pruner positions from the config itself
    "no-augment": ("no event augmentation", _set("train.augment", {})),
    "no-dropout": ("no dropout", _set("train.dropout", 0.0)),
    "constant-lr": ("constant learning rate instead of cosine", _set("train.lr_schedule", "constant")),
    "spike-rate": ("lava-dl's SpikeRate loss instead of rate cross entropy", _set("train.loss", "spike_rate")),
    "rcs": ("RCS regulariser (authors' form), alpha 0.002", _set("train.rcs_alpha", 0.002)),
    "weight-norm": ("weight norm on the hidden dense layers", _layers("weight_norm", True)),
    "delays": ("learnable axonal delays on the hidden dense layers", _layers("delay", True)),
    "plain": ("the plain recipe (8-10 epochs, constant lr, no augmentation or dropout, 10 ms frames, last epoch)",
              _plain),
}
DEFAULT_VARIANTS = ("recipe", "E3", "no-augment", "no-dropout", "constant-lr", "plain")


def variant_config(config: str, name: str):
    """The config of variant ``name``: E1 unless the variant is E3 (the config's own pruners)."""
    import yaml

    from razor_lava.configs import config_path
    from razor_lava.config import parse_config

    path = config_path(config)
    raw = yaml.safe_load(path.read_text())
    if name != "E3":
        raw.setdefault("pruner", {})["positions"] = "E1"
        raw = VARIANTS[name][1](raw)
    return parse_config(raw, source=f"{path} ({name})")


def train_one(job: dict) -> dict:
    """One run (in a worker process: one CPU thread, so two jobs share two cores fairly)."""
    from razor_lava.training.jobs import train_logged
    from razor_lava.training.options import RunOptions

    cfg = variant_config(job["config"], job["variant"])
    opts = RunOptions(out=Path(job["out"]), data_root=job["data_root"], epochs=job["epochs"], seed=job["seed"],
                      train_samples=job["train_samples"], test_samples=job["test_samples"], progress=False,
                      cache_dir=job["cache_dir"])
    result = train_logged(cfg, opts, job["threads"])
    print(f"  {job['variant']:12s} seed {job['seed']}: test {pct(result['test_accuracy'])} "
          f"(selected epoch {result['selected_epoch']}, val {pct(result.get('val_accuracy'))}), "
          f"{result['train_minutes']:.1f} min", flush=True)
    return {"variant": job["variant"], "seed": job["seed"], **result}


@dataclass
class VariantRow:
    """One variant over its seeds; each number a ``Spread`` (mean, sample std) of the runs' own."""

    variant: str
    change: str
    seeds: list[int]
    test_accuracy: Spread  # each run on the epoch its validation split selected
    val_accuracy: Spread
    selected_epoch: Spread
    train_minutes: Spread
    cutoff_accuracy: Spread  # NaN without a cutoff table
    timestep_reduction: Spread
    frames_pruned: Spread
    per_seed_test_accuracy: list[float]


@dataclass
class RecipeResult:
    dataset: str
    config: str
    train_samples: int  # the validation split included
    val_samples: int
    test_samples: int
    rows: list[VariantRow]
    runs: list[dict]  # each run's result (training.jobs), with its variant and seed
    measured: meta.Measured


def summarise(runs: list[dict], variants) -> list[VariantRow]:
    rows = []
    for name in variants:
        rs = [r for r in runs if r["variant"] == name]
        of = lambda key: Spread.of(r.get(key) for r in rs)  # noqa: E731
        rows.append(VariantRow(
            variant=name, change=VARIANTS[name][0], seeds=[r["seed"] for r in rs], test_accuracy=of("test_accuracy"),
            val_accuracy=of("val_accuracy"), selected_epoch=of("selected_epoch"), train_minutes=of("train_minutes"),
            cutoff_accuracy=of("cutoff_accuracy"), timestep_reduction=of("timestep_reduction"),
            frames_pruned=of("frames_pruned_mean"), per_seed_test_accuracy=[r["test_accuracy"] for r in rs]))
    return rows


def markdown(result: RecipeResult) -> str:
    rows = result.rows
    base = next((r for r in rows if r.variant == "recipe"), None)
    lines = [f"# Training recipe ablation: {result.dataset}", "", result.measured.line(), "",
             "Runs already finished in `--work` are resumed, i.e. re-evaluated, not retrained; 'train min/run' is "
             "the sum of the epochs' own seconds, measured while other runs shared the 2 cores.", "",
             f"Config `{result.config}`; {result.train_samples} training samples ({result.val_samples} of them "
             f"carved off as the validation split), {result.test_samples} test samples; seeds {result.measured.seeds}. "
             "Test accuracy is mean +- std over the seeds, each on the epoch the validation split selected.", ""]
    lines += md_table(
        ["variant", "change", "test accuracy", "vs recipe", "val accuracy", "selected epoch", "frames pruned",
         "cutoff accuracy", "cutoff timestep reduction", "train min/run"],
        [[r.variant, r.change, spread(r.test_accuracy),
          "" if base is None or r is base else points(r.test_accuracy.mean - base.test_accuracy.mean),
          spread(r.val_accuracy), f"{r.selected_epoch.mean:.0f}", pct(r.frames_pruned.mean), spread(r.cutoff_accuracy),
          ratio(r.timestep_reduction.mean), f"{r.train_minutes.mean:.1f}"] for r in rows])
    lines += ["", "Per seed test accuracy: " + "; ".join(
        f"{r.variant} " + ", ".join(pct(a) for a in r.per_seed_test_accuracy) for r in rows), ""]
    return "\n".join(lines)


def plot(rows: list[VariantRow], path: Path, title: str) -> Path:
    """Test accuracy per variant, mean with the std over seeds as error bars, each seed as a dot."""
    from matplotlib.figure import Figure

    from razor_lava.plots import save_png

    fig = Figure(figsize=(1.2 * len(rows) + 2, 3.6))
    ax = fig.subplots()
    xs = range(len(rows))
    ax.bar(xs, [100 * r.test_accuracy.mean for r in rows], yerr=[100 * r.test_accuracy.std for r in rows],
           color="#1f77b4", alpha=0.75, capsize=4)
    for x, r in zip(xs, rows):
        ax.plot([x] * len(r.per_seed_test_accuracy), [100 * a for a in r.per_seed_test_accuracy], "k.")
    low = min(min(r.per_seed_test_accuracy, default=1) for r in rows)
    ax.set(xticks=list(xs), ylabel="test accuracy, %", title=title, ylim=(max(0, 100 * low - 10), 100))
    ax.set_xticklabels([r.variant for r in rows], rotation=20)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return save_png(fig, path)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", choices=sorted(CONFIGS), default="nmnist")
    ap.add_argument("--config", help="config name or YAML (default: the data set's shipped config)")
    ap.add_argument("--data-root", type=existing_dir, help="data set folder (default for nmnist: ../shared/data/nmnist-small)")
    ap.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(DEFAULT_VARIANTS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--epochs", type=positive_int, help="override every variant's epochs")
    ap.add_argument("--train-samples", type=positive_int)
    ap.add_argument("--test-samples", type=positive_int)
    ap.add_argument("--jobs", type=positive_int, default=2, help="runs trained at once (one CPU thread each)")
    ap.add_argument("--work", default="runs/recipe", help="folder of the runs (resumed when present)")
    ap.add_argument("--cache-dir", default=".cache/frames")
    ap.add_argument("--out", type=output_file, help="markdown report (default bench/RECIPE_<dataset>.md); "
                                                   "the same path with .json holds every number")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: 2 epochs, 120 training and 40 test samples, recipe and E3, seeds 0 1")
    args = ap.parse_args(argv)
    if args.quick:
        args.epochs = args.epochs or 2
        args.train_samples = args.train_samples or 120
        args.test_samples = args.test_samples or 40
        if args.variants == list(DEFAULT_VARIANTS):
            args.variants = ["recipe", "E3"]
        if args.seeds == [0, 1, 2]:
            args.seeds = [0, 1]
    args.data_root = required_data_root(args.dataset, args.data_root, ap.error)
    args.config = args.config or CONFIGS[args.dataset]
    args.out = args.out or str(ROOT / "bench" / f"RECIPE_{args.dataset}.md")
    return args


def run(args, argv=None) -> int:
    t0 = time.perf_counter()
    jobs = [{"variant": v, "seed": s, "config": args.config, "data_root": args.data_root, "epochs": args.epochs,
             "train_samples": args.train_samples, "test_samples": args.test_samples,
             "out": run_dir(args.work, v, seed=s), "cache_dir": args.cache_dir, "threads": threads_per_job(args.jobs)}
            for v in args.variants for s in args.seeds]
    print(f"{len(jobs)} runs ({len(args.variants)} variants x {len(args.seeds)} seeds), {args.jobs} at a time",
          flush=True)
    runs = sweep(train_one, jobs, args.jobs)
    first = runs[0]
    result = RecipeResult(dataset=args.dataset, config=args.config,
                          train_samples=first["train_samples"] + first["val_samples"], val_samples=first["val_samples"],
                          test_samples=first["test_samples"], rows=summarise(runs, args.variants), runs=runs,
                          measured=meta.Measured.now("bench/recipe.py", argv, t0, args.seeds))
    title = f"{args.dataset}: test accuracy over seeds {args.seeds}"
    write_report(args.out, result, markdown(result), plot=lambda path: plot(result.rows, path, title),
                 alt="test accuracy per variant", before="\nPer seed test accuracy", echo=True)
    return 0


def main(argv=None) -> int:
    return run_main(run, parse_args(argv), argv)


if __name__ == "__main__":
    sys.exit(main())
