"""Deploy a network file on Lava and compare it, sample by sample, with SLAYER.

Examples:
    python deploy/deploy.py runs/synthetic-e3/network.h5 --samples 50 --report runs/synthetic-e3/deploy.json
    python deploy/deploy.py runs/nmnist-e3/network.h5 --dataset nmnist \
        --data-root ../shared/data/nmnist-small --samples 100
    python deploy/deploy.py model.net --dataset nmnist --data-root DIR   # a plain lava-dl netx file
    python deploy/deploy.py model.net --input x.npy --labels y.npy --save-output out.npy   # raw inputs
Samples stream through one compiled network (--mode stream, the default; --mode per-sample builds one
network per sample, as round 1 did); --workers N shares them among N processes. The report (--report)
holds mode, period (steps per sample), latency, backend, samples, accuracy, slayer_accuracy,
agreement (fraction of samples whose Lava output equals SLAYER's exactly,
graded payloads included), frames_total, frames_pruned, steps, seconds,
seconds_per_sample and samples_per_second, plus per-sample details; with
--synops, synops_agreement (Lava's synop counters equal SLAYER's, per
sample). With --cutoff (the file's razor/cutoff table) every sample is
answered at its Top-K exit and the rest of it never enters the network; the
report adds mean_exit_step, timestep_reduction, cutoff_accuracy,
cutoff_agreement (exit step and answer equal to the integer rule on SLAYER's
outputs), steps_variable_schedule (the steps of each sample run alone and
stopped at its exit) and per-sample exit_step / answer. Without labels
(--input without --labels) the accuracies are null.
``python -m razor_lava.cli.deploy`` is the same program.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from .common import run_main


def parse_args(argv=None):
    from .common import add_lava_args, add_sample_args, check_sample_args, output_file

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sample_args(ap, default_samples=50)
    add_lava_args(ap)
    ap.add_argument("--backend", default="sim", choices=["sim", "loihi2"],
                    help="sim: Loihi 2 CPU simulator (Loihi2SimCfg); loihi2: Loihi 2 hardware (needs lava-loihi)")
    ap.add_argument("--tag", default="fixed_pt", choices=["fixed_pt"],
                    help="simulator model tag (netx networks run fixed_pt only)")
    ap.add_argument("--no-gates", action="store_true", help="run without the pruning gates (for comparison)")
    ap.add_argument("--cutoff", action="store_true",
                    help="stop each sample at its Top-K cutoff exit (needs the file's razor/cutoff table)")
    ap.add_argument("--synops", action="store_true",
                    help="count synops on Lava in the same run and compare them with SLAYER's, sample by sample")
    ap.add_argument("--report", type=output_file, help="write the JSON report here (a file; written atomically)")
    ap.add_argument("--save-output", type=output_file, metavar="OUT.npy",
                    help="write Lava's output payloads (N x n_out x T int32) here (written atomically)")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    check_sample_args(ap, args)
    return args


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
    from ..netfile import load_network_file
    from .common import load_cli_samples

    # netx Conv layers run torch inside forked Lava workers: one thread avoids a known fork deadlock.
    torch.set_num_threads(1)
    nf = load_network_file(args.network, num_layers=args.num_layers)
    if args.cutoff and nf.cutoff is None:
        from ..errors import ConfigError

        raise ConfigError("cutoff", f"{args.network} has no cutoff table: "
                          "train with --cutoff-epsilon or run train/export.py after calibration")
    if args.no_gates:
        nf = nf.without_gates()
    frames, labels, name = load_cli_samples(nf, args)
    outputs = [] if args.save_output else None
    report = deploy_samples(nf, frames, labels, tag=args.tag, progress=not args.no_progress, backend=args.backend,
                            cutoff=args.cutoff, mode=args.mode, workers=args.workers, count_synops=args.synops,
                            conv_model=args.conv_model, outputs=outputs)
    report |= {"network": str(args.network), "dataset": name, "split": None if args.input else args.split,
               "gates_enabled": not args.no_gates, "cutoff_enabled": args.cutoff}
    from ..atomic import atomic_path, write_text_atomic

    if args.save_output:
        with atomic_path(args.save_output) as tmp, open(tmp, "wb") as f:
            np.save(f, outputs[0].astype(np.int32))
    if args.report:
        write_text_atomic(args.report, json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    sys.exit(main())
