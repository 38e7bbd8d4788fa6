"""The main job, end to end (``make demo``): data -> train -> export -> deploy on Lava -> profile -> report.

On the embedded synthetic data set by default; ``--dataset nmnist --data-root
DIR`` (or any data set in ``razor_lava.data.registry``) runs the same flow on
data you have. The report folder gets ``summary.md`` (table and pictures),
``summary.json``, the deploy and profile reports and the plots; the terminal
gets the same table.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from .atomic import write_json_atomic, write_text_atomic
from .bench.datasets import SHIPPED_CONFIGS as CONFIGS, config_for  # noqa: F401  (the data set -> config table)
from .cli.common import run_main
from .configs import CONFIG_DIR
from .data.framing import frame_many
from .data.registry import DATASETS, frame_spec_for, open_split
from .formatting import pct
from .demo_report import markdown_report, summary_rows, table
from .plots import plot_class_frames

def stage_train(out: Path, args) -> dict:
    """Train the Razor SNN of the data set's config (with the RCS regulariser), calibrate the cutoff, export."""
    from .config import load_config, with_train_overrides
    from .training.options import RunOptions
    from .training.run import train

    config = config_for(args.dataset)
    # The recipe (RCS weight and cutoff epsilon included) is the config's; the flags override it when given.
    overrides = ({} if args.cutoff_epsilon is None else {"cutoff_epsilon": args.cutoff_epsilon}) | \
        ({} if args.rcs_alpha is None else {"rcs_alpha": args.rcs_alpha})
    cfg = with_train_overrides(load_config(config), overrides)
    t0 = time.perf_counter()
    opts = RunOptions(out=out / "run", data_root=args.data_root, epochs=args.epochs, seed=args.seed, resume=True,
                      train_samples=args.train_samples, test_samples=args.test_samples)
    last = train(cfg, opts, log=lambda m: print("  " + m, flush=True))
    p = cfg.pruner
    rule = f"razor ratio {p['ratio']}" if p.get("ratio") is not None else f"score threshold {p.get('theta')}"
    return {"config": str(config.relative_to(CONFIG_DIR.parents[1])), "run_dir": str(out / "run"),
            "network": str(out / "run" / "network.h5"), "test_accuracy": last["test_accuracy"],
            "frames_pruned_mean": last["frames_pruned_mean"], "selected_epoch": last.get("selected_epoch"),
            "val_accuracy": last.get("val_accuracy"), "val_samples": last.get("val_samples"),
            "epochs": last["epoch"], "positions": p["positions"], "n_embeddings": p["n_embeddings"],
            "pruner_rule": f"{p.get('variant', 'window')} variant, {rule}", "rcs_alpha": cfg.train["rcs_alpha"],
            "cutoff_epsilon": cfg.train["cutoff_epsilon"], "learning_curve": str(out / "run" / "learning_curve.png"),
            "seconds": round(time.perf_counter() - t0, 1)}


def stage_deploy(out: Path, network: str, args) -> dict:
    """Stream the test samples through the exported network on the Lava simulator, with Lava's synop
    counters in the same run, then again with the Top-K cutoff."""
    import torch

    from .profile.deploy_synops import deploy_counting
    from .deployment.samples import load_samples
    from .netfile import load_network_file

    torch.set_num_threads(1)  # netx conv workers use torch after fork
    nf = load_network_file(network)
    frames, labels, _ = load_samples(nf, args.dataset, n=args.deploy_samples, data_root=args.data_root)
    report = deploy_counting(nf, frames, labels)
    write_json_atomic(out / "deploy.json", report)
    summary = {k: v for k, v in report.items() if k != "per_sample"}
    if nf.cutoff is not None:  # the same samples again, stopping each at its Top-K exit step
        print("  ... and again with the Top-K cutoff", flush=True)
        cut = deploy_counting(nf, frames, labels, cutoff=True)
        write_json_atomic(out / "deploy_cutoff.json", cut)
        summary["cutoff"] = {k: v for k, v in cut.items() if k != "per_sample"}
    return summary


def stage_profile(out: Path, network: str, args) -> dict:
    """Synops per layer and frame with and without the gates and with the cutoff (SLAYER counter on the
    test samples, Lava counters on the first ``--lava-check`` of them), and the plots."""
    from .deployment.samples import load_samples
    from .netfile import load_network_file
    from .profile.plots import plot_report
    from .profile.report import profile_network, write_report

    nf = load_network_file(network)
    frames, labels, _ = load_samples(nf, args.dataset, n=args.profile_samples, data_root=args.data_root)
    report = profile_network(nf, frames, labels, lava_samples=args.lava_check, progress=True)
    write_report(report, out / "profile")
    pictures = plot_report(report, out / "profile")
    return report | {"pictures": {k: str(v) for k, v in pictures.items()}}


def stage_data(out: Path, args) -> dict:
    """Open (the synthetic set: generate) both splits, frame a sample of them, draw one sample per class."""
    name = args.dataset
    t0 = time.perf_counter()
    # Opened exactly as training opens them (training.data.load_data), so the numbers describe the same samples.
    train = open_split(name, "train", args.data_root, limit=args.train_samples)
    test = open_split(name, "test", args.data_root, limit=args.test_samples)
    spec = frame_spec_for(name, train.sensor_size)
    # Stats and the picture from (at most) the first 300 training samples: enough, and quick on any data set.
    items = [train[i] for i in range(min(len(train), 300))]
    frames = frame_many([e for e, _ in items], spec)
    labels = np.array([y for _, y in items])
    active = None
    if hasattr(train, "active_frames"):  # the synthetic set knows its idle stretches
        active = np.stack([train.active_frames(i, spec.window_ms, spec.n_frames) for i in range(len(items))])
    picture = plot_class_frames(frames, labels, list(train.classes), out / "data_samples.png",
                                title=f"{name}: first training sample per class", active=active,
                                frame_ms=spec.window_ms)
    n_train, n_test = len(train), len(test)  # open_split(limit=) already holds at most the samples asked for
    info = {"dataset": name, "description": DATASETS[name].description, "classes": list(train.classes),
            "train_samples": n_train, "test_samples": n_test, "frame_shape": list(spec.frame_shape),
            "window_ms": spec.window_ms, "events_per_sample_mean": float(np.mean([len(e) for e, _ in items])),
            "picture": str(picture), "seconds": round(time.perf_counter() - t0, 2)}
    if active is not None:
        info["idle_frame_fraction"] = float(1 - active.mean())
    return info


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="synthetic", choices=sorted(DATASETS),
                    help="data set (default: the embedded synthetic gestures; others need --data-root)")
    ap.add_argument("--data-root", help="data set directory, e.g. ../shared/data/nmnist-small")
    ap.add_argument("--out", default="reports/demo", help="report folder (created)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-samples", type=int, help="use the first N training samples (synthetic: 1000)")
    ap.add_argument("--test-samples", type=int, help="use the first N test samples (synthetic: 200)")
    ap.add_argument("--epochs", type=int, help="training epochs (default: the config's)")
    ap.add_argument("--rcs-alpha", type=float,
                    help="weight of the RCS regulariser (0 = off; default: the config's train.rcs_alpha)")
    ap.add_argument("--cutoff-epsilon", type=float,
                    help="error rate the cutoff calibration allows (default: the config's train.cutoff_epsilon)")
    ap.add_argument("--deploy-samples", type=int,
                    help="test samples streamed through the Lava simulator, synops counted (default: all)")
    ap.add_argument("--profile-samples", type=int, help="test samples profiled (SLAYER counter; default: all)")
    ap.add_argument("--lava-check", type=int, default=0,
                    help="of those, samples counted once more by the profiler's own Lava run (the deploy stage "
                         "already compares Lava's counts with SLAYER's on every deployed sample)")
    args = ap.parse_args(argv)
    if args.dataset == "synthetic":
        args.train_samples = 1000 if args.train_samples is None else args.train_samples
        args.test_samples = 200 if args.test_samples is None else args.test_samples
    elif args.data_root is None:
        ap.error(f"--dataset {args.dataset} reads files you have: give --data-root DIR")
    for k in ("deploy_samples", "profile_samples"):
        if getattr(args, k) is None:
            setattr(args, k, args.test_samples if args.test_samples is not None else 100)
        if getattr(args, k) < 1:
            ap.error(f"--{k.replace('_', '-')} must be >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_main(run, args, argv, interrupted=f"interrupted: Lava workers stopped; training resumes from "
                                                 f"{args.out}/run/checkpoint.pt when you run the same command again")


def run(args, argv=None) -> int:
    t_start = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = "python -m razor_lava.demo " + " ".join(map(shlex.quote, sys.argv[1:] if argv is None else argv))

    print(f"[data] {args.dataset}: {DATASETS[args.dataset].description} ...", flush=True)
    data = stage_data(out, args)
    print(f"  train/test samples:   {data['train_samples']} / {data['test_samples']} ({len(data['classes'])} classes)")
    print(f"  frames per sample:    {' x '.join(map(str, data['frame_shape']))} "
          f"(C x H x W x T, {data['window_ms']} ms frames)")
    print(f"  events per sample:    {data['events_per_sample_mean']:.0f} (mean)")
    if "idle_frame_fraction" in data:
        print(f"  idle frames:          {pct(data['idle_frame_fraction'])} (what pruning should remove)")

    rcs = "the config's RCS weight" if args.rcs_alpha is None else f"RCS alpha {args.rcs_alpha}"
    print(f"\n[train] Razor SNN ({config_for(args.dataset).name}) in lava-dl SLAYER, {rcs}, "
          f"cutoff epsilon {'of the config' if args.cutoff_epsilon is None else args.cutoff_epsilon} ...", flush=True)
    trained = stage_train(out, args) | {"test_samples": data["test_samples"]}
    print(f"\n[deploy] {args.deploy_samples} test samples streamed through one network on the Lava simulator "
          "(Loihi2SimCfg fixed_pt), synops counted ...", flush=True)
    deployed = stage_deploy(out, trained["network"], args)
    print(f"\n[profile] synops with and without the gates and with the cutoff (up to {args.profile_samples} test samples, "
          f"{args.lava_check} also counted inside the Lava run) ...", flush=True)
    profiled = stage_profile(out, trained["network"], args)

    rows = summary_rows(trained, deployed, profiled)
    pictures = {"Synops per frame and the gates' decisions": profiled["pictures"]["synops_per_frame"],
                "Synops and energy per sample": profiled["pictures"]["totals"],
                "Synops per layer": profiled["pictures"]["synops_per_layer"],
                "Learning curve": trained["learning_curve"], "Data: one sample per class": data["picture"]}
    seconds = time.perf_counter() - t_start
    summary = {"command": command, "seconds": round(seconds, 1), "data": data, "train": trained, "deploy": deployed,
               "profile": {k: v for k, v in profiled.items() if k not in ("per_frame", "example")},
               "table": dict(rows)}
    write_json_atomic(out / "summary.json", summary)
    write_text_atomic(out / "summary.md", markdown_report(out, data, trained, rows, pictures, command, seconds))
    print("\n" + table(rows))
    print(f"\nwall time {seconds / 60:.1f} min. Report folder: {out.resolve()} (open summary.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
