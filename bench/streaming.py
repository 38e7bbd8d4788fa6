#!/usr/bin/env python
"""Streaming vs one network per sample on the Lava simulator, side by side in one run, at identical outputs.

For each network file given (the demo's conv network on the embedded set, the N-MNIST network):

1. **stream**: every test sample through one compiled network (``deploy_samples(mode="stream")``) with
   Lava's synop counters in the same run: agreement with SLAYER (outputs, gate decisions, synops per
   sample), seconds per sample and samples per second, build to stop;
2. the same with the Top-K cutoff, when the file has a cutoff table (answers, synops spent);
3. **per sample**: the first ``--per-sample`` samples on a network each (the reference runner), synop counters
   included as in the stream; their outputs must equal the stream's; the throughput ratio stream / per
   sample is the headline;
4. both modes again with Lava's own scipy Conv model (``--conv-model lava``) on the same first samples
   (only for files with conv layers), to show what the bit-identical fast model adds;
5. the stream over ``--workers`` processes (default 2), each with its own Lava runtime.

    python bench/streaming.py --synthetic runs/recipe-synthetic/E3/seed0/network.h5 \
        --nmnist runs/recipe-nmnist/E3/seed0/network.h5 --out bench/STREAMING.md
    python bench/streaming.py --quick --synthetic NET.h5 --out /tmp/STREAMING.md   # a smoke run

The report goes to ``--out`` (markdown), the same path with ``.json`` (every number) and ``.png``
(samples per second per mode), all written atomically.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from razor_lava.bench import meta
from razor_lava.bench.datasets import DEFAULT_NMNIST_ROOT, data_root
from razor_lava.bench.meta import shown_path
from razor_lava.bench.report import write_report
from razor_lava.cli.common import existing_dir, existing_file, output_file, positive_int, run_main
from razor_lava.formatting import pct, ratio, seconds

ROOT = meta.REPO
QUICK = {"samples": 6, "per_sample": 2, "workers": 2}


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--synthetic", type=existing_file, help="a network file trained on the embedded set")
    ap.add_argument("--nmnist", type=existing_file, help="a network file trained on the N-MNIST subset")
    ap.add_argument("--nmnist-root", type=existing_dir, default=None,
                    help=f"the N-MNIST subset (default {DEFAULT_NMNIST_ROOT.relative_to(ROOT.parent)} beside the repo)")
    ap.add_argument("--samples", type=positive_int, help="test samples streamed (default: the whole test set)")
    ap.add_argument("--per-sample", type=positive_int, default=10,
                    help="samples also run one network each, for the throughput ratio (default 10)")
    ap.add_argument("--workers", type=positive_int, default=2, help="processes of the multi-process stream")
    ap.add_argument("--quick", action="store_true", help=f"a smoke run: {QUICK}")
    ap.add_argument("--out", type=output_file, default=str(ROOT / "bench" / "STREAMING.md"))
    args = ap.parse_args(argv)
    if args.synthetic is None and args.nmnist is None:
        ap.error("give --synthetic and/or --nmnist network files")
    if args.quick:
        args.samples = args.samples or QUICK["samples"]
        args.per_sample = min(args.per_sample, QUICK["per_sample"])
    return args


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def summary(report: dict) -> dict:
    """A deploy report without its per-sample rows."""
    return {k: v for k, v in report.items() if k != "per_sample"}


@dataclass
class NetworkStreaming:
    """Parts 1-5 for one network file. Each run is a deploy report without its per-sample rows
    (``deployment.evaluate``: agreement, synops_agreement, seconds_per_sample, samples_per_second, steps, ...)."""

    network: str
    samples: int
    per_sample_samples: int
    n_frames: int
    gates: dict[str, str]  # layer -> gate variant
    stream: dict
    per_sample: dict  # with outputs_equal_stream
    stream_cutoff: dict | None = None  # files with a cutoff table
    stream_lava_conv: dict | None = None  # files with conv layers
    per_sample_lava_conv: dict | None = None
    stream_workers: dict | None = None  # --workers > 1
    leftover_workers: int = 0  # Lava worker processes alive afterwards
    # Samples per second, stream / per sample: computed from the runs, never given.
    throughput_ratio: float = field(init=False)
    throughput_ratio_lava_conv: float | None = field(init=False, default=None)

    def __post_init__(self):
        self.throughput_ratio = self.stream["samples_per_second"] / self.per_sample["samples_per_second"]
        if self.stream_lava_conv:
            self.throughput_ratio_lava_conv = (self.stream_lava_conv["samples_per_second"]
                                               / self.per_sample_lava_conv["samples_per_second"])


@dataclass
class StreamingResult:
    machine: dict  # meta.machine_info()
    command: str
    wall_seconds: float
    datasets: dict[str, NetworkStreaming]
    commit: str | None = None


def measure(path: str, dataset: str, data_root, args) -> NetworkStreaming:
    """Parts 1-5 for one network file."""
    from razor_lava.deployment.evaluate import deploy_samples
    from razor_lava.profile.deploy_synops import deploy_counting
    from razor_lava.deployment.samples import load_samples
    from razor_lava.lava_run import leftover_workers
    from razor_lava.netfile import load_network_file

    nf = load_network_file(path)
    frames, labels, _ = load_samples(nf, dataset, "test", args.samples, data_root)  # None: the whole test set
    m = min(args.per_sample, len(frames))
    has_conv = any(s.type == "conv" for s in nf.layers)
    res = {}
    runs = []
    log(f"{dataset}: 1. streaming {len(frames)} samples (synops counted)")
    res["stream"] = summary(deploy_counting(nf, frames, labels, progress=False, results=runs))
    stream_out = runs[-1].output
    if nf.cutoff is not None:
        log(f"{dataset}: 2. streaming with the Top-K cutoff")
        res["stream_cutoff"] = summary(deploy_counting(nf, frames, labels, cutoff=True, progress=False))
    log(f"{dataset}: 3. one network per sample, {m} samples")
    res["per_sample"] = summary(deploy_counting(nf, frames[:m], labels[:m], mode="per-sample", progress=False,
                                                results=runs))
    res["per_sample"]["outputs_equal_stream"] = bool(np.array_equal(runs[-1].output, stream_out[:m]))
    if has_conv:
        log(f"{dataset}: 4. both modes with Lava's own Conv model, {m} samples")
        res["stream_lava_conv"] = summary(deploy_samples(nf, frames[:m], labels[:m], progress=False,
                                                         conv_model="lava", results=runs))
        res["per_sample_lava_conv"] = summary(deploy_samples(nf, frames[:m], labels[:m], mode="per-sample",
                                                             progress=False, conv_model="lava"))
        res["stream_lava_conv"]["outputs_equal_stream"] = bool(np.array_equal(runs[-1].output, stream_out[:m]))
    if args.workers > 1:
        log(f"{dataset}: 5. streaming over {args.workers} worker processes")
        res["stream_workers"] = summary(deploy_counting(nf, frames, labels, workers=args.workers, progress=False,
                                                        results=runs))
        res["stream_workers"]["outputs_equal_stream"] = bool(np.array_equal(runs[-1].output, stream_out))
    return NetworkStreaming(network=shown_path(path), samples=int(len(frames)), per_sample_samples=m,
                            n_frames=int(frames.shape[-1]), gates={str(g): p.variant for g, p in nf.pruners.items()},
                            leftover_workers=len(leftover_workers()), **res)


ROWS = [("stream", "stream, all samples (synops counted)"),
        ("stream_cutoff", "stream + Top-K cutoff (synops counted)"),
        ("per_sample", "one network per sample (synops counted)"),
        ("stream_lava_conv", "stream, Lava's scipy Conv model"),
        ("per_sample_lava_conv", "one network per sample, Lava's scipy Conv model"),
        ("stream_workers", "stream over worker processes (synops counted)")]


def format_report(result: StreamingResult) -> str:
    m = result.machine
    lines = ["# Streaming on the Lava simulator: one compiled network vs one network per sample", "",
             f"Date: {m['date']}  ", f"Command: `{result.command}`  ",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']}, {m['os']}; Python {m['python']}, "
             f"lava-nc {m['lava-nc']}, lava-dl {m['lava-dl']}, torch {m['torch']}  ",
             f"Wall time: {result.wall_seconds:.0f} s", "",
             "Every row is measured in this one run, build and compile to stop included. Agreement: the "
             "fraction of samples whose Lava output equals SLAYER's fixed-point output exactly; synops: "
             "Lava's counters equal SLAYER's, per sample (with the cutoff: SLAYER's account of what was spent "
             "before each answer).", ""]
    for name, ds in result.datasets.items():
        lines += [f"## {name}: `{ds.network}`, {ds.samples} test samples, T = {ds.n_frames}, "
                  f"gates {ds.gates or 'none'}", "",
                  "| run | samples | s / sample | samples / s | steps / sample | agreement | synops equal |",
                  "|---|---|---|---|---|---|---|"]
        for key, label in ROWS:
            r = getattr(ds, key)
            if not r:
                continue
            shown = f"{label} ({r['workers']})" if key == "stream_workers" else label
            lines.append(f"| {shown} | "
                         f"{r['samples']} | {seconds(r['seconds_per_sample'])} | {r['samples_per_second']:.2f} | "
                         f"{r['steps'] / max(r['samples'], 1):.1f} | {pct(r['agreement'])} | "
                         f"{pct(r['synops_agreement']) if 'synops_agreement' in r else 'not counted'} |")
        lines += ["", f"**Throughput, stream / one network per sample: {ratio(ds.throughput_ratio, 1)}**"
                  + (f" (with Lava's own Conv model: {ratio(ds.throughput_ratio_lava_conv, 1)})"
                     if ds.throughput_ratio_lava_conv is not None else "") + "; outputs of the samples run both ways "
                  f"identical: {'yes' if ds.per_sample['outputs_equal_stream'] else 'NO'}."]
        cut = ds.stream_cutoff
        if cut:
            lines.append(f"With the cutoff: accuracy {pct(cut['cutoff_accuracy'])}, exit and answer equal to the "
                         f"rule on SLAYER's outputs {pct(cut['cutoff_agreement'])}, timestep reduction "
                         f"{ratio(cut['timestep_reduction'])}; the stream ran {cut['steps']} steps, samples run "
                         f"alone and stopped at their exits would need {cut['steps_variable_schedule']}.")
        lines += [f"Period {ds.stream['period']} steps per sample (T = {ds.n_frames} + padding), latency "
                  f"{ds.stream['latency']} steps; Lava worker processes left afterwards: "
                  f"{ds.leftover_workers}.", ""]
    return "\n".join(lines) + "\n"


def plot(result: StreamingResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from razor_lava.plots import save_png

    names = list(result.datasets)
    fig, axes = plt.subplots(1, len(names), figsize=(5.5 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        ds = result.datasets[name]
        keys = [k for k, _ in ROWS if getattr(ds, k)]
        ax.barh(range(len(keys)), [getattr(ds, k)["samples_per_second"] for k in keys], color="tab:blue")
        ax.set_yticks(range(len(keys)), [dict(ROWS)[k] for k in keys], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("samples per second (Lava simulator)")
        ax.set_title(f"{name}: stream / per sample = {ratio(ds.throughput_ratio, 1)}", fontsize=10)
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)


def run(args, argv=None) -> StreamingResult:
    import torch

    torch.set_num_threads(1)  # a parent with several torch threads can deadlock forked Lava workers
    t0 = time.perf_counter()
    datasets = {}
    if args.synthetic:
        datasets["synthetic"] = measure(args.synthetic, "synthetic", None, args)
    if args.nmnist:
        datasets["nmnist"] = measure(args.nmnist, "nmnist", data_root("nmnist", args.nmnist_root), args)
    result = StreamingResult(machine=meta.machine_info(), command=meta.short_command("bench/streaming.py", argv),
                             commit=meta.git_commit(), wall_seconds=time.perf_counter() - t0, datasets=datasets)
    text = format_report(result)
    write_report(args.out, result, text)
    plot(result, Path(args.out).with_suffix(".png"))
    print(text)
    return result


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_main(lambda: run(args, argv) and 0, interrupted="interrupted (Lava workers stopped)")


if __name__ == "__main__":
    sys.exit(main())
