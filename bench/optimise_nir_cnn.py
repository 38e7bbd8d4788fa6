#!/usr/bin/env python
"""Post-training optimisation of the NIR paper's N-MNIST CNN: the cutoff alone, and the
cutoff with events gates, fitted by ``razor_lava.optimise`` on calibration splits of the training recordings,
against a fixed shorter window chosen on the same split for the same loss.

``cnn_sinabs.nir`` is imported as ``bench/nir_paper_cnn.py`` does (1 ms windows, event counts, 300 frames).
For each seed (the calibration split's draw: ``--calibration-samples`` of the 1000 training recordings,
stratified), on the 100 test recordings of ``nmnist-small``:

- **cutoff, kept answers**: ``optimise(max_loss=--cutoff-loss, target="answers")``, the cutoff only, calibrated
  to keep the imported network's own answers over its full window (``train/optimise.py``'s default);
- **cutoff, labels (paper)**: the same against the labels (the paper's calibration);
- **cutoff + gates, kept answers**: ``optimise(max_loss=--gates-loss, gates="events", positions=--positions,
  target="answers")``;
- **fixed window** for each: run only the first ``T'`` frames, ``T'`` the shortest whose calibration answers
  match the same target within the same loss as the full window's (a table that exits every sample at
  ``T' - 1``): the trivial rule a user could write instead.

The draws overlap (800 of 1000 recordings each): the spread over seeds is that of the calibration, not of
independent data. The training recordings are held out for this network (it was trained elsewhere).

Every number is the SLAYER fixed-point reference with the synop counters (Lava's counts, sample for sample).
``--lava`` deploys the seed-0 cutoff + gates file on Lava with ``--cutoff --synops`` over the test recordings.

    python bench/optimise_nir_cnn.py --lava            # the report below (bench/OPTIMISE_NIR_CNN.md)
    python bench/optimise_nir_cnn.py --seeds 0 --calibration-samples 60 --out /tmp/o.md   # a smoke run

Writes ``--out`` (markdown), the same path with ``.json`` and ``.png`` (synops against accuracy).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from razor_lava.bench import meta
from razor_lava.bench.datasets import DEFAULT_NMNIST_ROOT, NIR_PAPER_CNN
from razor_lava.bench.report import write_report
from razor_lava.cli.common import number, output_file, positive_int, run_main
from razor_lava.formatting import pct, ratio, spread
from razor_lava.metrics import Spread

REPO = meta.REPO


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nir", default=str(NIR_PAPER_CNN))
    ap.add_argument("--data-root", default=str(DEFAULT_NMNIST_ROOT))
    ap.add_argument("--work", default="runs/optimise-nir-cnn", help="folder for the imported and optimised files")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--calibration-samples", type=positive_int, default=800)
    ap.add_argument("--cutoff-loss", type=number(0, 100), default=0.5,
                    help="allowed calibration loss of the cutoff (pt)")
    ap.add_argument("--gates-loss", type=number(0, 100), default=1.0,
                    help="allowed calibration loss, cutoff + gates (pt)")
    ap.add_argument("--positions", type=int, nargs="+", default=[2, 3, 5],
                    help="layers whose input may get a gate (default: the hidden layers 2, 3, 5; not the input "
                         "layer 1 nor the output layer 6)")
    ap.add_argument("--lava", action="store_true", help="confirm the seed-0 cutoff + gates file on Lava")
    ap.add_argument("--out", type=output_file, default=str(REPO / "bench" / "OPTIMISE_NIR_CNN.md"))
    return ap.parse_args(argv)


def fixed_window(out, goal, max_loss) -> int:
    """The shortest prefix ``T'`` whose answers (argmax of the output accumulated to ``T' - 1``) match ``goal``
    (labels, or the full window's answers) within ``max_loss`` points of the full window's match."""
    from razor_lava.cutoff.rule import accumulate

    Y = accumulate(out)
    match = (Y.argmax(axis=1) == np.asarray(goal)[:, None]).mean(axis=0)  # T
    ok = np.flatnonzero(match >= match[-1] - max_loss / 100 - 1e-9)
    return int(ok[0]) + 1


def window_point(nf, counts, out, labels, t_prime):
    """Accuracy and synops per sample of running only the first ``t_prime`` frames (every layer stops there)."""
    from razor_lava.cutoff.rule import accumulate
    from razor_lava.profile.cutoff_spent import spent_counts

    n = len(labels)
    spent = spent_counts(nf, counts, np.full(n, t_prime - 1))
    answer = accumulate(out)[:, :, t_prime - 1].argmax(axis=1)
    return {"T_prime": int(t_prime), "accuracy": float((answer == labels).mean()), "synops": spent.total() / n}


def run(args) -> int:
    import torch

    from razor_lava import optimise as opt
    from razor_lava.data.framing import FrameSpec, frame_many
    from razor_lava.data.registry import open_split
    from razor_lava.interop.nir_import import write_network_file
    from razor_lava.metrics import predict
    from razor_lava.netfile import load_network_file, write_operating_point
    from razor_lava.profile.operating_point import count_split, summarise

    torch.set_num_threads(2)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    spec = FrameSpec((34, 34, 2), window_ms=1.0, n_frames=300, mode="count")
    net = write_network_file(args.nir, work / "cnn.h5", frame_spec=spec, dataset="nmnist")
    nf = load_network_file(net)
    train, test = open_split("nmnist", "train", args.data_root), open_split("nmnist", "test", args.data_root)
    labels = np.asarray(train.targets, dtype=np.int64)

    def frames_of(src, idx):
        items = [src[int(i)] for i in idx]
        return frame_many([e for e, _ in items], spec), np.array([y for _, y in items], dtype=np.int64)

    t0 = time.time()
    test_frames, test_labels = frames_of(test, range(len(test)))
    c_test, o_test = count_split(nf, test_frames)
    before = summarise(nf, c_test, o_test, test_labels)
    print(f"test split as imported: {before['accuracy']:.3f}, {before['synops']:.4g} synops ({time.time() - t0:.0f} s)",
          flush=True)
    # Every draw's recordings counted once: a sample's counts do not depend on the others in its batch.
    draws = {seed: opt.calibration_indices(labels, args.calibration_samples, seed) for seed in args.seeds}
    union = np.unique(np.concatenate(list(draws.values())))
    t0 = time.time()
    union_frames, union_labels = frames_of(train, union)
    whole = opt.counted_pass(nf, union_frames, sum_at=args.positions)
    print(f"calibration recordings counted: {len(union)} of the training split ({time.time() - t0:.0f} s)",
          flush=True)
    seeds, tried0 = [], []
    for seed in args.seeds:
        at = np.searchsorted(union, draws[seed])
        cal_frames, cal_labels = union_frames[at], union_labels[at]
        base = whole.take(at)
        say = lambda line, s=seed: print(f"[seed {s}] {line}", flush=True)  # noqa: E731
        row = {"seed": seed, "calibration_samples": int(len(at))}
        answers = predict(base.out)  # the file's own answers on the calibration split, over its full window
        for key, target in (("cutoff", "answers"), ("cutoff_labels", "labels")):
            plan = opt.optimise(nf, cal_frames, cal_labels, max_loss=args.cutoff_loss, base=base, log=say,
                                target=target)
            beta = None if plan.cutoff is None else plan.cutoff["beta"]
            s = summarise(nf, c_test, o_test, test_labels, beta)
            goal = answers if target == "answers" else cal_labels
            tw = fixed_window(base.out, goal, args.cutoff_loss)
            row[key] = {"target": target, "epsilon": plan.epsilon, "window": plan.window,
                        "calibration": plan.calibration,
                        "test": {"accuracy": s["accuracy"], "synops": s["synops"], "timesteps": s["timesteps"]},
                        "fixed_window": window_point(nf, c_test, o_test, test_labels, tw)}
            say(f"cutoff against the {target}: test {s['accuracy']:.3f}, {ratio(before['synops'] / s['synops'])}; "
                f"fixed window T' {tw}")
        plan_g = opt.optimise(nf, cal_frames, cal_labels, max_loss=args.gates_loss, gates="events",
                              positions=args.positions, base=base, log=say, target="answers")
        path = write_operating_point(net, work / f"opt-seed{seed}.h5", plan_g.gates, plan_g.cutoff, add=True)
        g_nf = load_network_file(path)
        if plan_g.added:
            c_g, o_g = count_split(g_nf, test_frames)
        else:
            c_g, o_g = c_test, o_test
        sg = summarise(g_nf, c_g, o_g, test_labels, None if g_nf.cutoff is None else g_nf.cutoff["beta"])
        tw_g = fixed_window(base.out, answers, args.gates_loss)
        row["cutoff_gates"] = {"target": "answers", "epsilon": plan_g.epsilon, "window": plan_g.window,
                               "gates": plan_g.added, "calibration": plan_g.calibration, "file": str(path),
                               "test": {"accuracy": sg["accuracy"], "synops": sg["synops"],
                                        "timesteps": sg["timesteps"],
                                        "frames_pruned_per_gate": sg["frames_pruned_per_gate"]},
                               "fixed_window": window_point(nf, c_test, o_test, test_labels, tw_g)}
        say(f"cutoff + gates: test {sg['accuracy']:.3f}, {ratio(before['synops'] / sg['synops'])}, "
            f"gates {plan_g.added}")
        if seed == args.seeds[0]:
            tried0 = plan_g.tried
        seeds.append(row)
        _write(args, before, seeds, tried0, None)
    lava = None
    if args.lava:
        lava = _lava(args, seeds[0]["cutoff_gates"]["file"])
    _write(args, before, seeds, tried0, lava)
    return 0


def _lava(args, path) -> dict:
    import subprocess

    report = Path(args.work) / "lava-confirm.json"
    cmd = [sys.executable, str(REPO / "deploy" / "deploy.py"), path, "--data-root", args.data_root, "--samples", "100",
           "--cutoff", "--synops", "--no-progress", "--report", str(report)]
    t0 = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    d = json.loads(report.read_text())
    keys = ("samples", "agreement", "gate_decision_agreement", "cutoff_agreement", "synops_agreement",
            "cutoff_accuracy", "slayer_accuracy", "lava_synops_per_sample", "mean_exit_step", "seconds_per_sample")
    return {k: d.get(k) for k in keys} | {"command": shlex.join(["python", "deploy/deploy.py", meta.shown_path(path),
                                                                  "--data-root", meta.shown_path(args.data_root),
                                                                  "--samples", "100", "--cutoff",
                                                                  "--synops"]), "wall_s": time.time() - t0}


def POINTS(args):  # noqa: N802  (report key, name, allowed calibration loss)
    return (("cutoff", "cutoff, kept answers", args.cutoff_loss),
            ("cutoff_labels", "cutoff, labels (paper)", args.cutoff_loss),
            ("cutoff_gates", "cutoff + gates, kept answers", args.gates_loss))


def _ms(values) -> str:
    return spread(Spread.of(values), lambda v: f"{v:.2f}")


def _write(args, before, seeds, tried, lava) -> None:
    out = Path(args.out)
    b_acc, b_syn = before["accuracy"] * 100, before["synops"]
    lines = ["# Post-training optimisation of the NIR paper's N-MNIST CNN", "",
             "`cnn_sinabs.nir` imported as published (1 ms windows, event counts, 300 frames); cutoff and events "
             "gates fitted by `train/optimise.py`'s library (razor_lava/optimise/) on calibration splits of the "
             f"nmnist-small training recordings ({args.calibration_samples} per seed, stratified, seed = the draw), "
             "measured on the 100 test recordings with the SLAYER synop counters (Lava's counts, sample for sample). "
             "*Kept answers*: the cutoff calibrated to keep the imported network's own answers over its full window "
             "(`train/optimise.py`'s default; the loss it bounds is the share of answers changed); *labels*: "
             "calibrated against the labels, as the paper does. The fixed window is the trivial rule: stop every "
             "sample at the shortest T' whose calibration answers meet the same target within the same loss.",
             "", "```", meta.short_command("bench/optimise_nir_cnn.py"), "```", "",
             f"As imported: test accuracy {pct(before['accuracy'])}, {b_syn:.4g} synops per sample.", "",
             "| seed | point | setting (chosen on the calibration split) | test acc % | loss pt | synops / sample | "
             "reduction | timesteps |", "|---|---|---|---|---|---|---|---|"]
    summary = {}
    points = POINTS(args)
    for key, name, loss in points:
        for r in seeds:
            p = r[key]
            t = p["test"]
            setting = f"epsilon {p['epsilon']}, window {p['window']}" + (f", events gates {p['gates']}"
                                                                        if key == "cutoff_gates" else "")
            lines.append(f"| {r['seed']} | {name} (<= {loss:g} pt) | {setting} | {t['accuracy'] * 100:.1f} | "
                         f"{b_acc - t['accuracy'] * 100:.1f} | {t['synops']:.4g} | {ratio(b_syn / t['synops'])} | "
                         f"{t['timesteps']:.1f} |")
            w = p["fixed_window"]
            lines.append(f"| {r['seed']} | fixed window, same loss | T' = {w['T_prime']} frames | "
                         f"{w['accuracy'] * 100:.1f} | {b_acc - w['accuracy'] * 100:.1f} | {w['synops']:.4g} | "
                         f"{ratio(b_syn / w['synops'])} | {w['T_prime']} |")
        summary[key] = {"accuracy": _ms([r[key]["test"]["accuracy"] * 100 for r in seeds]),
                        "loss_pt": _ms([b_acc - r[key]["test"]["accuracy"] * 100 for r in seeds]),
                        "reduction": _ms([b_syn / r[key]["test"]["synops"] for r in seeds]),
                        "fixed_window_accuracy": _ms([r[key]["fixed_window"]["accuracy"] * 100 for r in seeds]),
                        "fixed_window_reduction": _ms([b_syn / r[key]["fixed_window"]["synops"] for r in seeds])}
    lines += ["", f"Mean +- std over {len(seeds)} seed(s):", "",
              "| point | test acc % | loss pt | synops reduction | fixed window: acc % | fixed window: reduction |",
              "|---|---|---|---|---|---|"]
    for key, name, _ in points:
        s = summary[key]
        lines.append(f"| {name} | {s['accuracy']} | {s['loss_pt']} | {s['reduction']}x | {s['fixed_window_accuracy']} "
                     f"| {s['fixed_window_reduction']}x |")
    if lava:
        lines += ["", "## On Lava (seed 0, cutoff + gates, 100 test recordings, streamed)", "", "```",
                  lava["command"], "```", "", "| measure | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in lava.items() if k != "command"]
    lines += ["", "Plot: `OPTIMISE_NIR_CNN.png` (every setting tried on seed 0's calibration split, out of fold; "
              "the chosen points and the fixed windows on the test split)."]
    write_report(out, {"before": {"accuracy": before["accuracy"], "synops": before["synops"]}, "seeds": seeds,
                       "summary": summary, "lava": lava, "tried_seed0": tried}, "\n".join(lines) + "\n")
    _plot(out.with_suffix(".png"), before, seeds, tried)


def _plot(path, before, seeds, tried) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from razor_lava.atomic import atomic_path

    fig, ax = plt.subplots(figsize=(7, 4.5))
    if tried:
        ax.scatter([r["synops"] for r in tried], [r["accuracy"] * 100 for r in tried], s=8, c="0.7",
                   label="settings tried (seed 0, calibration split, out of fold)")
    ax.scatter([before["synops"]], [before["accuracy"] * 100], marker="s", c="k", label="as imported (test)")
    for key, c, name in (("cutoff", "tab:blue", "cutoff"), ("cutoff_labels", "tab:green", "cutoff, labels"),
                         ("cutoff_gates", "tab:red", "cutoff + gates")):
        ax.scatter([r[key]["test"]["synops"] for r in seeds], [r[key]["test"]["accuracy"] * 100 for r in seeds],
                   c=c, marker="o", label=f"{name} (test)")
        ax.scatter([r[key]["fixed_window"]["synops"] for r in seeds],
                   [r[key]["fixed_window"]["accuracy"] * 100 for r in seeds], c=c, marker="x",
                   label=f"fixed window, same loss as {name} (test)")
    ax.set_xscale("log")
    ax.set_xlabel("synops per sample")
    ax.set_ylabel("accuracy %")
    ax.set_ylim(80, 100.5)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    return run_main(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
