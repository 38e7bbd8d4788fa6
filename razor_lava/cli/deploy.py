"""Deploy a network file on Lava and compare it, sample by sample, with SLAYER.

Examples:
    python deploy/deploy.py runs/synthetic-e3/network.h5 --samples 50 --report runs/synthetic-e3/deploy.json
    python deploy/deploy.py runs/nmnist-e3/network.h5 --dataset nmnist \
        --data-root ../shared/data/nmnist-small --samples 100
    python deploy/deploy.py model.net --dataset nmnist --data-root DIR   # a plain lava-dl netx file
The report (--report) holds backend, samples, accuracy, slayer_accuracy,
agreement (fraction of samples whose Lava output equals SLAYER's exactly,
graded payloads included), frames_total, frames_pruned, steps and
seconds_per_sample, plus per-sample details. With --cutoff (the file's
razor/cutoff table) every sample stops at its Top-K exit; the report adds
mean_exit_step, timestep_reduction, cutoff_accuracy, cutoff_agreement (exit
step and answer equal to the integer rule on SLAYER's outputs), mean_steps_run
and per-sample exit_step / answer / steps.
``python -m razor_lava.cli.deploy`` is the same program.
"""

from __future__ import annotations

import argparse
import json
import sys

from .common import run_main


def parse_args(argv=None):
    from .common import add_sample_args, output_file

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sample_args(ap, default_samples=50)
    ap.add_argument("--backend", default="sim", choices=["sim", "loihi2"],
                    help="sim: Loihi 2 CPU simulator (Loihi2SimCfg); loihi2: Loihi 2 hardware (needs lava-loihi)")
    ap.add_argument("--tag", default="fixed_pt", choices=["fixed_pt"],
                    help="simulator model tag (netx networks run fixed_pt only)")
    ap.add_argument("--no-gates", action="store_true", help="run without the pruning gates (for comparison)")
    ap.add_argument("--cutoff", action="store_true",
                    help="stop each sample at its Top-K cutoff exit (needs the file's razor/cutoff table)")
    ap.add_argument("--report", type=output_file, help="write the JSON report here (a file; written atomically)")
    ap.add_argument("--no-progress", action="store_true")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    return run_main(_main, parse_args(argv), interrupted="interrupted (Lava workers stopped)")


def _main(args) -> int:
    """Check the backend, run, print the report without its per-sample details."""
    from ..deployment.backends import check_backend

    check_backend(args.backend)
    report = run(args)
    summary = {k: v for k, v in report.items() if k != "per_sample"}
    print(json.dumps(summary, indent=2))
    return 0


def run(args) -> dict:
    import torch

    from ..deployment.evaluate import deploy_samples
    from ..deployment.samples import load_samples
    from ..netfile import load_network_file

    # netx Conv layers run torch inside forked Lava workers: one thread avoids a known fork deadlock.
    torch.set_num_threads(1)
    nf = load_network_file(args.network, num_layers=args.num_layers)
    if args.cutoff and nf.cutoff is None:
        from ..errors import ConfigError

        raise ConfigError("cutoff", f"{args.network} has no cutoff table: "
                          "train with --cutoff-epsilon or run train/export.py after calibration")
    if args.no_gates:
        nf = nf.without_gates()
    frames, labels, name = load_samples(nf, args.dataset, args.split, args.samples, args.data_root)
    report = deploy_samples(nf, frames, labels, tag=args.tag, progress=not args.no_progress, backend=args.backend,
                            cutoff=args.cutoff)
    report |= {"network": str(args.network), "dataset": name, "split": args.split, "gates_enabled": not args.no_gates,
               "cutoff_enabled": args.cutoff}
    if args.report:
        from ..atomic import write_text_atomic

        write_text_atomic(args.report, json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    sys.exit(main())
