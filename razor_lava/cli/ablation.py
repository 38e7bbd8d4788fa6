"""Run the Razor ablation (pruner positions E1-E4, number of embeddings K)
with one config and print / save a table.

Example (embedded data set):
    python train/ablation.py --config synthetic_small --out runs/ablation \
        --positions E1 E2 E3 E4 --K 0 2 4 8
Each variant is an ordinary run directory under --out (so --resume works per
variant); the table goes to OUT/ablation.json and OUT/ablation.md. --config
takes a shipped config's name (razor_lava/configs/) or a YAML file's path.
``python -m razor_lava.cli.ablation`` is the same program.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..config.pruner import POSITIONS
from ..formatting import pct
from .common import existing_dir, non_negative_int, output_dir, positive_int, run_main, seed_int


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="shipped config name (e.g. synthetic_small) or a YAML file")
    ap.add_argument("--out", required=True, type=output_dir,
                    help="folder of the variants' run folders and the table")
    ap.add_argument("--data-root", type=existing_dir)
    ap.add_argument("--positions", nargs="*", default=["E1", "E3"], choices=POSITIONS,
                    help="positions to compare (K from the config)")
    ap.add_argument("--K", nargs="*", type=non_negative_int, default=[], help="embedding counts to compare at E3")
    ap.add_argument("--epochs", type=positive_int)
    ap.add_argument("--seed", type=seed_int, default=0)
    ap.add_argument("--train-samples", type=positive_int)
    ap.add_argument("--test-samples", type=positive_int)
    ap.add_argument("--resume", action="store_true",
                    help="continue the variants that have a checkpoint under OUT (an error if none has)")
    return ap.parse_args(argv)


def run(args) -> int:
    """Train every variant, write OUT/ablation.json after each and OUT/ablation.md at the end; print the table."""
    from ..atomic import write_text_atomic
    from ..bench.jobs import sweep
    from ..bench.report import write_json
    from ..errors import UsageError
    from ..config import load_config
    from ..model.network import RazorNet
    from ..training.checkpoint import CHECKPOINT
    from ..training.options import RunOptions
    from ..training.run import train

    for flag, given in (("--positions", args.positions), ("--K", args.K)):
        twice = sorted({v for v in given if given.count(v) > 1})
        if twice:
            raise UsageError(flag, f"{twice[0]} is listed twice")
    cfg = load_config(args.config)
    variants = [(p, {"positions": p}) for p in args.positions]
    variants += [(f"E3-K{k}", {"positions": "E3", "n_embeddings": k}) for k in args.K
                 if not (k == cfg.pruner["n_embeddings"] and "E3" in args.positions)]
    if not variants:
        raise UsageError("--positions/--K", "nothing to compare: give some positions or embedding counts")
    for _, pruner in variants:  # every variant's network builds, before the first one trains for minutes
        RazorNet(cfg, pruner)
    out = Path(args.out)
    if args.resume and not any((out / name / CHECKPOINT).is_file() for name, _ in variants):
        raise UsageError("--resume", f"no {out}/<variant>/{CHECKPOINT} for any of the variants "
                          f"{[n for n, _ in variants]}: nothing to resume (run without --resume to start)")

    def train_variant(variant) -> dict:
        name, pruner = variant
        print(f"== {name}: {pruner}", flush=True)
        t0 = time.perf_counter()
        last = train(cfg, RunOptions(out=out / name, data_root=args.data_root, epochs=args.epochs, seed=args.seed,
                                     pruner=pruner, train_samples=args.train_samples,
                                     test_samples=args.test_samples, resume=args.resume, progress=False))
        return {"variant": name, **pruner, "test_accuracy": last["test_accuracy"],
                "frames_pruned_mean": last["frames_pruned_mean"],
                "input_events_removed": last["input_events_removed"],
                "pruners": last["pruners"], "seconds_per_epoch": last["seconds_train"],
                "seconds_total": round(time.perf_counter() - t0, 1)}

    # One variant after the other (the bench harness's sweep); the table so far is written after each.
    rows = sweep(train_variant, variants, on_result=lambda _, done: write_json(out / "ablation.json", done))
    lines = [f"# Ablation: {cfg.name} ({args.config}), seed {args.seed}", "",
             "| variant | K | test accuracy | frames pruned (mean over pruners) | input events removed | s/epoch |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        k = r.get("n_embeddings", cfg.pruner["n_embeddings"])
        lines.append(f"| {r['variant']} | {k} | {pct(r['test_accuracy'])} | "
                     f"{pct(r['frames_pruned_mean'])} | {pct(r['input_events_removed'])} | "
                     f"{r['seconds_per_epoch']:.1f} |")
    write_text_atomic(out / "ablation.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_main(run, args, interrupted=f"interrupted: each variant's last finished epoch is in "
                                           f"{args.out}/<variant>/checkpoint.pt; continue with --resume")


if __name__ == "__main__":
    sys.exit(main())
