"""The main job, end to end on the embedded default data set (``make demo``).

Stages: data -> train -> export -> deploy -> profile. Stages that are not
built yet are listed as missing, so the demo always says what it did.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from .atomic import write_text_atomic
from .data.framing import frame_many
from .data.synthetic import SyntheticGestures, default_frame_spec
from .plots import plot_class_frames

MISSING_STAGES: list[tuple[str, str]] = []
CONFIG = Path(__file__).resolve().parents[1] / "train" / "configs" / "synthetic_small.yaml"


def stage_train(out: Path, seed: int, epochs: int | None) -> dict:
    """Train the small Razor SNN (E3) on the embedded data set; export network.h5."""
    from .model.config import load_config
    from .training.run import RunOptions, train

    t0 = time.perf_counter()
    last = train(load_config(CONFIG), RunOptions(out=out / "run", epochs=epochs, seed=seed, resume=True),
                 log=lambda m: print("  " + m, flush=True))
    return {"run_dir": str(out / "run"), "network": str(out / "run" / "network.h5"),
            "test_accuracy": last["test_accuracy"], "frames_pruned_mean": last["frames_pruned_mean"],
            "seconds": round(time.perf_counter() - t0, 1)}


def stage_deploy(out: Path, network: str, samples: int) -> dict:
    """Run the exported network with its gates on the Lava simulator, sample by sample."""
    import torch

    from .deployment.evaluate import deploy_samples
    from .deployment.samples import load_samples
    from .export import load_network_file

    torch.set_num_threads(1)  # netx conv workers use torch after fork
    nf = load_network_file(network)
    frames, labels, _ = load_samples(nf, n=samples)
    report = deploy_samples(nf, frames, labels)
    write_text_atomic(out / "deploy.json", json.dumps(report, indent=2))
    summary = {k: v for k, v in report.items() if k != "per_sample"}
    if nf.cutoff is not None:  # the same samples again, stopping each at its Top-K exit step
        print("  ... and again with the Top-K cutoff", flush=True)
        cut = deploy_samples(nf, frames, labels, cutoff=True)
        write_text_atomic(out / "deploy_cutoff.json", json.dumps(cut, indent=2))
        summary["cutoff"] = {k: v for k, v in cut.items() if k != "per_sample"}
    return summary


def stage_profile(out: Path, network: str, samples: int, lava_samples: int) -> dict:
    """Synops per layer and per frame with and without the gates (SLAYER counter on
    ``samples`` test samples, Lava counter on the first ``lava_samples``), plots."""
    from .deployment.samples import load_samples
    from .export import load_network_file
    from .profile.plots import plot_report
    from .profile.report import profile_network, write_report

    nf = load_network_file(network)
    frames, labels, _ = load_samples(nf, n=samples)
    report = profile_network(nf, frames, labels, lava_samples=lava_samples)
    write_report(report, out / "profile")
    pictures = plot_report(report, out / "profile")
    return report | {"pictures": {k: str(v) for k, v in pictures.items()}}


def stage_data(out: Path, seed: int, n_train: int, n_test: int) -> dict:
    """Generate the synthetic gesture splits, frame them and draw them."""
    spec = default_frame_spec()
    t0 = time.perf_counter()
    train = SyntheticGestures("train", n_samples=n_train, seed=seed)
    test = SyntheticGestures("test", n_samples=n_test, seed=seed)
    train_items = [train[i] for i in range(len(train))]
    test_items = [test[i] for i in range(len(test))]
    t_gen = time.perf_counter() - t0

    t0 = time.perf_counter()
    train_frames = frame_many([e for e, _ in train_items], spec)
    frame_many([e for e, _ in test_items], spec)  # timed with the training split: both are framed
    t_frame = time.perf_counter() - t0

    labels = np.array([y for _, y in train_items])
    active = np.stack([train.active_frames(i, spec.window_ms, spec.n_frames) for i in range(len(train))])
    events = np.array([len(e) for e, _ in train_items])
    picture = plot_class_frames(train_frames, labels, list(train.classes), out / "synthetic_gestures.png",
                                title="Embedded default: synthetic DVS gestures (first training sample per class)",
                                active=active, frame_ms=spec.window_ms)
    return {
        "classes": list(train.classes),
        "sensor_size": list(train.sensor_size),
        "train_samples": len(train),
        "test_samples": len(test),
        "frame_shape": list(spec.frame_shape),
        "window_ms": spec.window_ms,
        "events_per_sample_mean": float(events.mean()),
        "idle_frame_fraction": float(1 - active.mean()),
        "seconds_generate": round(t_gen, 3),
        "seconds_frame": round(t_frame, 3),
        "picture": str(picture),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m razor_lava.demo", description=__doc__)
    ap.add_argument("--out", default="reports/demo", help="report folder (created)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-samples", type=int, default=1000)
    ap.add_argument("--test-samples", type=int, default=200)
    ap.add_argument("--epochs", type=int, help="training epochs (default: the config's)")
    ap.add_argument("--deploy-samples", type=int, default=20, help="test samples run on the Lava simulator")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    print("[data] generating and framing the embedded synthetic gesture data set ...", flush=True)
    data = stage_data(out, args.seed, args.train_samples, args.test_samples)
    print(f"  classes ({len(data['classes'])}): {', '.join(data['classes'])}")
    print(f"  train/test samples:   {data['train_samples']} / {data['test_samples']}")
    print(f"  frames per sample:    {' x '.join(map(str, data['frame_shape']))} (C x H x W x T, {data['window_ms']} ms frames)")
    print(f"  events per sample:    {data['events_per_sample_mean']:.0f} (mean)")
    print(f"  idle frames:          {100 * data['idle_frame_fraction']:.1f}% (what pruning should remove)")
    print(f"  generate / frame:     {data['seconds_generate']:.2f} s / {data['seconds_frame']:.2f} s")
    print(f"  picture:              {data['picture']}")

    print("\n[train] Razor SNN (E3, K=4, razor ratio 0.3) in lava-dl SLAYER ...", flush=True)
    trained = stage_train(out, args.seed, args.epochs)
    print(f"\n[deploy] {args.deploy_samples} test samples on the Lava simulator (Loihi2SimCfg fixed_pt) ...", flush=True)
    deployed = stage_deploy(out, trained["network"], args.deploy_samples)
    print(f"\n[profile] synaptic operations with and without the gates ({args.test_samples} test samples, "
          "2 also counted inside the Lava run) ...", flush=True)
    profiled = stage_profile(out, trained["network"], args.test_samples, lava_samples=2)

    print("\n| metric | value |\n|---|---|")
    rows = [("accuracy, SLAYER (200 test samples)", f"{100 * trained['test_accuracy']:.1f}%"),
            (f"accuracy, SLAYER ({deployed['samples']} deployed samples)", f"{100 * deployed['slayer_accuracy']:.1f}%"),
            ("accuracy, Lava simulator", f"{100 * deployed['accuracy']:.1f}%"),
            ("agreement Lava == SLAYER (exact outputs)", f"{100 * deployed['agreement']:.1f}%"),
            ("gate decisions == torch pruner", f"{100 * deployed['gate_decision_agreement']:.1f}%"),
            ("frames pruned (per gate)", f"{100 * deployed['frames_pruned'] / max(deployed['frames_total'], 1):.1f}%"),
            ("Lava seconds per sample", f"{deployed['seconds_per_sample']:.2f}"),
            ("synops per sample, with / without gates",
             f"{profiled['synops_total'] / profiled['samples']:.3g} / {profiled['synops_unpruned'] / profiled['samples']:.3g}"),
            ("synops reduction (unpruned / pruned)", f"{profiled['synops_reduction']:.2f}x"),
            ("accuracy without gates (same network, SLAYER)", f"{100 * profiled['accuracy']['without_gates']:.1f}%"),
            ("Lava synop counts == SLAYER counts", str(profiled["lava_counts_equal"]))]
    cut = deployed.get("cutoff")
    if cut:
        rows += [("Top-K cutoff: accuracy on Lava", f"{100 * cut['cutoff_accuracy']:.1f}%"),
                 ("Top-K cutoff: mean exit frame (of 30)", f"{cut['mean_exit_step'] + 1:.1f}"),
                 ("Top-K cutoff: timestep reduction", f"{cut['timestep_reduction']:.2f}x"),
                 ("Top-K cutoff: Lava decision == SLAYER rule", f"{100 * cut['cutoff_agreement']:.1f}%")]
    for name, e in profiled["energy_uj"]["snn"].items():
        rows.append((f"energy per sample, {name} (estimate, with / without gates)",
                     f"{e['with_gates']:.3g} / {e['without_gates']:.3g} uJ"))
    for k, v in rows:
        print(f"| {k} | {v} |")
    summary = {"data": data, "train": trained, "deploy": deployed,
               "profile": {k: profiled[k] for k in ("synops_total", "synops_unpruned", "synops_reduction",
                                                     "lava_counts_equal", "pictures")},
               "missing_stages": [name for name, _ in MISSING_STAGES]}
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2))
    if MISSING_STAGES:
        print("\nStages not built yet (later issues):")
        for name, what in MISSING_STAGES:
            print(f"  - {name}: {what}")
    print(f"\nReport folder: {out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
