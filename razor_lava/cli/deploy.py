"""Deploy a network file on Lava and compare it, sample by sample, with SLAYER.

Examples:
    python deploy/deploy.py runs/synthetic-e3/network.h5 --samples 50 --report runs/synthetic-e3/deploy.json
    python deploy/deploy.py runs/nmnist-e3/network.h5 --dataset nmnist \
        --data-root ../shared/data/nmnist-small --samples 100
    python deploy/deploy.py model.net --dataset nmnist --data-root DIR   # a plain lava-dl netx file
    python deploy/deploy.py model.net --input x.npy --labels y.npy --save-output out.npy   # raw inputs
    python deploy/deploy.py model.net --dataset nmnist --data-root DIR --window-ms 1 --n-frames 300 \
        --frame-mode count   # frame the data set this way (a plain netx file has no frame spec of its own)
--window-ms / --n-frames / --frame-mode replace fields of the file's frame spec (or of the data set's default
framing) for this run; frames that do not have the network's input shape are refused (exit 2). To store a
framing in a file, import it with deploy/import_nir.py (NIR graphs) or export it with train/export.py.
Raw --input arrays may drop or add axes of size 1 (a 64 x T array for an input declared 1 x 1 x 64).
Samples stream through one compiled network (--mode stream, the default; --mode per-sample builds one
network per sample, the reference the stream is checked against); --workers N shares them among N processes. The report (--report)
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
    from .common import add_lava_args, add_sample_args, check_sample_args, host_address, output_file

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sample_args(ap, default_samples=50)
    add_lava_args(ap)
    ap.add_argument("--backend", default="sim", choices=["sim", "loihi2"],
                    help="sim: Loihi 2 CPU simulator (Loihi2SimCfg); loihi2: Loihi 2 hardware (needs lava-loihi "
                         "and a board: --host, or SLURM with --partition/--board)")
    ap.add_argument("--plan", action="store_true",
                    help="print where each part would run on Loihi 2 (neurocores or host CPU, the adapters "
                         "between, the on-chip constraints) and exit; works without lava-loihi")
    hw = ap.add_argument_group("Loihi 2 board (with --backend loihi2)")
    hw.add_argument("--host", type=host_address,
                    help="IP address or host name of an Ethernet-attached board's host "
                         "(lava.utils.loihi.use_ethernet_host)")
    hw.add_argument("--host-binary", default="nxcore/bin/nx_driver_server", help="nxcore driver on that host")
    hw.add_argument("--partition", help="SLURM partition to take a board from (lava.utils.loihi.use_slurm_host)")
    hw.add_argument("--board", help="SLURM board (node name) to run on")
    hw.add_argument("--loihi-gen", default="N3B3", choices=["N3B2", "N3B3", "N3C1", "N3D1"],
                    help="chip generation (N3B3: most INRC systems)")
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
    from .framing_args import add_frame_args, framing_given

    add_frame_args(ap, "how the data set is framed in this run")
    args = ap.parse_args(argv)
    check_sample_args(ap, args)
    if args.input is not None and framing_given(args):
        ap.error("--window-ms/--n-frames/--frame-mode: they frame a data set; --input arrays are frames already")
    if args.backend == "sim" and not args.plan and any(
            getattr(args, k) is not None for k in ("host", "partition", "board")):
        ap.error("--host/--partition/--board: only with --backend loihi2")
    return args


def main(argv=None) -> int:
    return run_main(_main, parse_args(argv), interrupted="interrupted (Lava workers stopped)")


def _main(args) -> int:
    """Print the placement plan (--plan), or check the backend, run, and print the report without its
    per-sample details."""
    if args.plan:
        return plan(args)
    report = run(args)
    summary = {k: v for k, v in report.items() if k != "per_sample"}
    print(json.dumps(summary, indent=2))
    return 0


def _board(args):
    from ..deployment.backends import Board

    return Board(host=args.host, host_binary=args.host_binary, partition=args.partition, board=args.board,
                 loihi_gen=args.loihi_gen)


def plan(args) -> int:
    """``--plan``: the Loihi 2 placement of the file (any machine), printed and written to --report."""
    from ..deployment.placement import placement_plan
    from ..netfile import load_network_file

    nf = _framed(load_network_file(args.network, num_layers=args.num_layers), args)
    if args.no_gates:
        nf = nf.without_gates()
    n_frames = None
    if nf.frame_spec is None or args.input is not None:
        from .common import load_cli_samples

        n_frames = int(load_cli_samples(nf, args)[0].shape[-1])
    p = placement_plan(nf, n_frames, cutoff=args.cutoff, counters=args.synops)
    print(p.format())
    if args.report:
        from ..atomic import write_text_atomic

        write_text_atomic(args.report, json.dumps({"network": str(args.network), "plan": p.to_dict()}, indent=2))
    return 0


def _framed(nf, args):
    """``nf`` with the frame spec that --window-ms/--n-frames/--frame-mode ask for (unchanged without them)."""
    from .framing_args import frame_spec_from_args, framing_given

    if not framing_given(args):
        return nf
    dataset = args.dataset or ((nf.config or {}).get("data") or {}).get("dataset")
    nf.frame_spec = frame_spec_from_args(args, nf.input_shape, dataset, nf.frame_spec, str(args.network))
    return nf


def run(args) -> dict:
    import torch

    from ..deployment.backends import check_backend
    from ..deployment.evaluate import deploy_samples
    from ..netfile import load_network_file
    from .common import load_cli_samples

    if args.backend != "sim":  # before anything is loaded: lava-loihi, and a board to reach
        check_backend(args.backend, _board(args))

    # netx Conv layers run torch inside forked Lava workers: one thread avoids a known fork deadlock.
    torch.set_num_threads(1)
    nf = _framed(load_network_file(args.network, num_layers=args.num_layers), args)
    if args.cutoff and nf.cutoff is None:
        from ..errors import ConfigError

        raise ConfigError("cutoff", f"{args.network} has no cutoff table: "
                          "train with --cutoff-epsilon or run train/export.py after calibration")
    if args.no_gates:
        nf = nf.without_gates()
    frames, labels, name = load_cli_samples(nf, args)
    results = []
    deploy = deploy_samples
    if args.synops:
        from ..profile.deploy_synops import deploy_counting as deploy
    report = deploy(nf, frames, labels, tag=args.tag, progress=not args.no_progress, backend=args.backend,
                    cutoff=args.cutoff, mode=args.mode, workers=args.workers, conv_model=args.conv_model,
                    results=results)
    report |= {"network": str(args.network), "dataset": name, "split": None if args.input else args.split,
               "gates_enabled": not args.no_gates, "cutoff_enabled": args.cutoff}
    from ..atomic import atomic_path, write_text_atomic

    if args.save_output:
        with atomic_path(args.save_output) as tmp, open(tmp, "wb") as f:
            np.save(f, results[0].output.astype(np.int32))
    if args.report:
        write_text_atomic(args.report, json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    sys.exit(main())
