"""Profile a network file: synops with and without the pruning gates, energy estimates, plots.

Examples:
    python deploy/synops.py runs/synthetic-e3/network.h5 --samples 100 --out runs/synthetic-e3/profile
    python deploy/synops.py runs/nmnist-e3/network.h5 --dataset nmnist \
        --data-root ../shared/data/nmnist-small --samples 200 --lava-samples 3
Synops are counted on SLAYER's fixed-point forward (fast, batched); the
first --lava-samples samples are also counted on the Lava simulator, and the
report says whether the two counts are identical. REPORT_DIR receives
report.json, per_layer.csv, per_frame.csv, synops_per_frame.png,
synops_per_layer.png and totals.png. When the file has a Top-K cutoff table
the report adds the synops spent when every sample stops at its exit frame
(the "cutoff" section: Razor + cutoff vs neither). Energies are estimates from the cited
per-operation constants listed in report.json (energy_uj.constants).
``python -m razor_lava.cli.synops`` is the same program.
"""

from __future__ import annotations

import argparse
import sys

from ..formatting import pct, ratio
from .common import non_negative_int, positive_int, run_main


def parse_args(argv=None):
    from .common import add_lava_args, add_sample_args, check_sample_args, output_dir

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sample_args(ap, default_samples=100)
    add_lava_args(ap)
    ap.add_argument("--lava-samples", type=non_negative_int,
                    help="samples also counted on the Lava simulator to check SLAYER's counts (0: none; "
                         "default: all of them, streamed through one network)")
    ap.add_argument("--batch", type=positive_int, default=32, help="SLAYER batch size")
    ap.add_argument("--example", type=int, default=0, help="sample whose gate decisions the frame plot shows")
    ap.add_argument("--out", type=output_dir, default="profile", help="report directory (created)")
    ap.add_argument("--no-cutoff", action="store_true",
                    help="leave out the Top-K cutoff section even when the file has a cutoff table")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    check_sample_args(ap, args)
    if args.samples is not None and args.lava_samples is not None and args.lava_samples > args.samples:
        ap.error(f"--lava-samples {args.lava_samples}: expected at most --samples ({args.samples})")
    if args.example < 0 or (args.samples is not None and args.example >= args.samples):
        ap.error(f"--example {args.example}: expected a sample index in 0 .. {(args.samples or 1) - 1} (--samples)")
    return args


def main(argv=None) -> int:
    return run_main(_main, parse_args(argv), interrupted="interrupted (Lava workers stopped)")


def _main(args) -> int:
    """Profile, write the report and plots, print the summary table and the files written."""
    report, paths = run(args)
    print(summary(report))
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def run(args):
    import torch

    from ..netfile import load_network_file
    from ..profile.report import profile_network, write_report

    # netx Conv layers run torch inside forked Lava workers: one thread avoids a known fork deadlock.
    torch.set_num_threads(1)
    nf = load_network_file(args.network, num_layers=args.num_layers)
    from ..errors import UsageError
    from .common import load_cli_samples

    frames, labels, name = load_cli_samples(nf, args)
    if args.example >= len(frames):
        raise UsageError("--example", f"{args.example}: expected a sample index in 0 .. {len(frames) - 1}")
    lava_samples = len(frames) if args.lava_samples is None else min(args.lava_samples, len(frames))
    report = profile_network(nf, frames, labels, lava_samples=lava_samples, batch=args.batch,
                             progress=not args.no_progress, example_sample=args.example,
                             cutoff=False if args.no_cutoff else None, mode=args.mode, workers=args.workers)
    report = {"network": str(args.network), "dataset": name, "split": None if args.input else args.split,
              "lava_mode": args.mode} | report
    from ..atomic import removed_on_failure

    with removed_on_failure(args.out):  # a report folder this run created goes again if writing fails
        paths = write_report(report, args.out)
        if not args.no_plots:
            from ..profile.plots import plot_report

            paths |= plot_report(report, args.out)
    return report, paths


def summary(report: dict) -> str:
    """A short fixed-width table: synops, reduction, accuracy, energy per profile, the Lava check."""
    sps, acc, en = report["synops_per_sample"], report["accuracy"], report["energy_uj"]
    red = report["synops_reduction"]
    fp = report["frames_pruned"]
    lines = [f"{report.get('network', 'network')} on {report.get('dataset', '?')}/{report.get('split', '?')}: "
             f"{report['samples']} samples x {report['n_frames']} frames, {len(report['gates'])} gate(s), "
             f"{fp['total']} of {fp['possible']} gate frames pruned",
             f"{'':44}{'with gates':>14}{'without gates':>16}",
             f"{'synops per sample':44}{sps['with_gates']:>14.4g}{sps['without_gates']:>16.4g}",
             f"{'synops reduction (without / with)':44}{ratio(red, 3):>14}",
             f"{'accuracy':44}{pct(acc['with_gates'], 2):>14}{pct(acc['without_gates'], 2):>16}"]
    for name, e in en["snn"].items():
        lines.append(f"{'energy SNN ' + name + ' (uJ/sample)':44}{e['with_gates']:>14.4g}{e['without_gates']:>16.4g}")
    for name, v in en["dense_ann"].items():
        lines.append(f"{'energy dense ANN ' + name + ' (uJ/sample)':44}{v:>14.4g}")
    cut = report.get("cutoff")
    if cut:
        lines += [f"{'with gates + Top-K cutoff (epsilon ' + str(cut['epsilon']) + ')':44}",
                  f"{'  synops per sample':44}{cut['synops_per_sample']:>14.4g}",
                  f"{'  mean exit frame / timestep reduction':44}"
                  f"{cut['mean_exit_step']:>14.2f}{ratio(cut['timestep_reduction']):>16}",
                  f"{'  accuracy':44}{pct(cut['accuracy'], 2):>14}",
                  f"{'  synops reduction vs gates only':44}{ratio(cut['reduction_vs_gates_only'], 3):>14}",
                  f"{'  Razor + cutoff vs neither':44}{ratio(cut['combined_reduction'], 3):>14}"]
        lines += [f"{'  energy SNN ' + n + ' (uJ/sample)':44}{v:>14.4g}" for n, v in cut["energy_uj"].items()]
    checked = report.get("lava_samples_checked", 0)
    verdict = ("not checked" if not checked else
               f"{'yes' if report['lava_counts_equal'] else 'NO'} ({checked} sample{'s' * (checked != 1)})")
    lines.append(f"{'Lava counts equal SLAYER':44}{verdict:>14}")
    if checked and "lava_cutoff_counts_equal" in report:
        lines.append(f"{'Lava counts with cutoff equal the account':44}"
                     f"{'yes' if report['lava_cutoff_counts_equal'] else 'NO':>14}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
