"""Razor fine-tuned into the NIR paper's N-MNIST CNN (a network razor_lava did not train): accuracy and synops.

For each run folder (``train/train.py --from CNN.h5 --freeze-weights ...``), on the run's own validation
split and on the test split (the SLAYER fixed-point reference with the synop counters: what Lava's
counters give, sample for sample), side by side:

- the imported network without gates (the run's network.h5 with its gates removed: its layers are the
  imported file's, byte for byte);
- Razor as fine-tuned (the run's gates);
- a training-free event-count gate at the same positions, its k tuned on the validation split to prune
  the same fraction of frames as Razor's gate there (``profile.operating_point.tuned_events_gates``);
- uniform temporal subsampling at Razor's ratio;

each without and with the Top-K cutoff calibrated on the validation split.

    python bench/razor_finetune_nir_cnn.py --runs RUN_DIR [RUN_DIR ...] --data-root ../shared/data/nmnist-small \
        --out bench/RAZOR_FINETUNE_NIR_CNN.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from razor_lava.bench.report import write_json
from razor_lava.formatting import pct, ratio


def splits_of(run: Path, data_root, cache_dir):
    """The run's validation and test splits, rebuilt as the run built them (its config and sample counts)."""
    import torch

    from razor_lava.config import parse_config
    from razor_lava.training.data import load_data
    from razor_lava.training.options import RunOptions

    rid = torch.load(run / "checkpoint.pt", weights_only=True)["run_id"]
    cfg = parse_config(rid["config"])
    o = rid["options"]
    splits = load_data(cfg, RunOptions(out=run, data_root=data_root, train_samples=o["train_samples"],
                                       test_samples=o["test_samples"], progress=False, cache_dir=cache_dir))
    return (splits.val.frames, splits.val.labels), (splits.test.frames, splits.test.labels), rid


def measure(run: Path, data_root, cache_dir, epsilon: float, log=print) -> dict:
    from razor_lava.cutoff.calibrate import calibrate
    from razor_lava.netfile import load_network_file
    from razor_lava.profile.operating_point import count_split, summarise, tuned_events_gates, with_gates
    from razor_lava.pruning.baselines import baseline_like

    (vf, vl), (tf, tl), rid = splits_of(run, data_root, cache_dir)
    nf = load_network_file(run / "network.h5")
    t = vf.shape[-1]
    points = {"imported (no gates)": nf.without_gates(), "razor (fine-tuned)": nf}
    t0 = time.perf_counter()
    vc, vo = count_split(nf, vf)
    razor_val = summarise(nf, vc, vo, vl)
    fraction = {int(k): v for k, v in razor_val["frames_pruned_per_gate"].items()}
    points["events gate (k tuned on validation)"] = with_gates(nf, tuned_events_gates(nf, vf, fraction))
    points["uniform subsampling"] = with_gates(
        nf, {k: baseline_like("uniform", p, t, ratio=p.ratio) for k, p in nf.pruners.items()})
    rows = []
    for name, pnf in points.items():
        (vc, vo), (tc, to) = count_split(pnf, vf), count_split(pnf, tf)
        beta = calibrate(vo, vl, epsilon)["beta"]
        row = {"point": name, "val": summarise(pnf, vc, vo, vl), "test": summarise(pnf, tc, to, tl),
               "test_cutoff": summarise(pnf, tc, to, tl, beta), "val_cutoff": summarise(pnf, vc, vo, vl, beta)}
        if name.startswith("events"):
            row["events_k"] = {str(k): int(g.theta_int) for k, g in pnf.pruners.items()}
        rows.append(row)
        log(f"{run.name}: {name}: test {pct(row['test']['accuracy'], 0)}, {row['test']['synops']:.0f} synops; "
            f"with cutoff {pct(row['test_cutoff']['accuracy'], 0)}, {row['test_cutoff']['synops']:.0f} "
            f"({time.perf_counter() - t0:.0f} s)")
    return {"run": str(run), "pruner": rid["pruner"], "options": rid["options"], "seed": rid["seed"],
            "result": json.loads((run / "result.json").read_text()), "epsilon": epsilon, "rows": rows}


def markdown(results: list[dict]) -> str:
    lines = []
    for r in results:
        base = r["rows"][0]["test"]["synops"]
        base_c = r["rows"][0]["test_cutoff"]["synops"]
        lines += [f"### {Path(r['run']).name}: pruner {r['pruner']}, seed {r['seed']}, "
                  f"{r['result']['train_samples']} training / {r['result']['val_samples']} validation / "
                  f"{r['result']['test_samples']} test samples", "",
                  "| operating point | frames pruned (test, mean per gate) | test accuracy | synops / sample | "
                  "vs imported | val accuracy | + cutoff (eps " + f"{r['epsilon']}): test accuracy | synops | "
                  "vs imported + cutoff | timesteps |", "|---|---|---|---|---|---|---|---|---|---|"]
        for row in r["rows"]:
            te, tc = row["test"], row["test_cutoff"]
            lines.append(f"| {row['point']}" + (f" (k {row['events_k']})" if "events_k" in row else "")
                         + f" | {pct(te['frames_pruned'])} | {pct(te['accuracy'], 0)} | {te['synops']:,.0f} "
                         f"| {ratio(base / te['synops'])} | {pct(row['val']['accuracy'], 0)} "
                         f"| {pct(tc['accuracy'], 0)} | {tc['synops']:,.0f} | {ratio(base_c / tc['synops'])} "
                         f"| {tc['timesteps']:.1f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="+", required=True, type=Path)
    ap.add_argument("--data-root", help="the data set folder (none for the embedded synthetic set)")
    ap.add_argument("--cache-dir")
    ap.add_argument("--epsilon", type=float, default=0.05)
    ap.add_argument("--out", type=Path, required=True, help="JSON results; the markdown table goes to stdout")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    results = [measure(run, args.data_root, args.cache_dir, args.epsilon) for run in args.runs]
    write_json(args.out, results)
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
