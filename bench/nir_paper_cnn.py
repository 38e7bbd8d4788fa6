#!/usr/bin/env python
"""The NIR paper's N-MNIST CNN, imported as published, on Lava's Loihi 2 simulator.

``cnn_sinabs.nir`` (neuromorphs/NIR ``paper/02_cnn``, see its PROVENANCE.md) is imported with
``razor_lava.interop.read_nir`` (its two SumPool2d nodes folded into the conv / dense after them, the weights
scaled onto lava-dl's 8-bit grid per layer) and written as a network file with the paper's framing (1 ms
windows, event counts, 300 frames). Then, on the test recordings of the N-MNIST subset (its ``test100.txt``):

1. an **independent float simulation** (torch, written here, not razor_lava code) of the graph as published:
   IF neurons, reset to zero (as Loihi, lava-dl and the paper's lava-dl import) and, beside it, sinabs'
   subtractive reset with ``min_v_mem = -1``; prediction = most output spikes;
2. razor_lava's **SLAYER fixed-point reference** of the written file and **Lava** (``Loihi2SimCfg`` fixed_pt),
   streamed through one compiled network (``--mode stream``) with the synop counters: accuracy, the fraction
   of samples whose Lava output equals SLAYER's exactly, whether Lava's synop counts equal SLAYER's;
3. seconds per sample on Lava for the stream runner and for the per-sample runner (on ``--per-sample``
   samples only: it compiles a network per sample).

    python bench/nir_paper_cnn.py                                 # the 100 test recordings, the report below
    python bench/nir_paper_cnn.py --samples 5 --per-sample 1 --out /tmp/p.md   # a smoke run

Writes ``--out`` (markdown) and the same path with ``.json``, atomically.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from razor_lava.bench import meta
from razor_lava.bench.datasets import DEFAULT_NMNIST_ROOT, NIR_PAPER_CNN
from razor_lava.bench.report import write_report
from razor_lava.cli.common import output_file, positive_int, run_main
from razor_lava.formatting import pct, seconds

REPO = meta.REPO


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nir", default=str(NIR_PAPER_CNN), help="the paper's graph")
    ap.add_argument("--data-root", default=str(DEFAULT_NMNIST_ROOT),
                    help="N-MNIST directory (default: ../shared/data/nmnist-small beside the repository)")
    ap.add_argument("--samples", type=positive_int, default=100, help="test recordings (from the start)")
    ap.add_argument("--per-sample", type=int, default=3, help="recordings also run with the per-sample runner")
    ap.add_argument("--n-frames", type=positive_int, default=300)
    ap.add_argument("--window-ms", type=float, default=1.0)
    ap.add_argument("--out", type=output_file, default=str(REPO / "bench" / "NIR_PAPER_CNN.md"))
    ap.add_argument("--no-progress", action="store_true")
    return ap.parse_args(argv)


def float_simulation(graph, frames: np.ndarray, reset: str, batch: int = 50) -> np.ndarray:
    """Output spike counts ``N x classes`` of the NIR graph simulated in float32 with torch, node by node as the
    graph says (no folding, no fixed point): IF ``v += r * input``, spike where ``v >= v_threshold`` (sinabs'
    rule), then ``v = 0`` (``reset="zero"``) or ``v -= v_threshold`` and ``v = max(v, -1)`` (``"subtract"``:
    sinabs' ``IAFSqueeze`` with ``min_v_mem=-1``)."""
    import torch
    import torch.nn.functional as F

    order, succ = ["input"], dict(graph.edges)
    while order[-1] != "output":
        order.append(succ[order[-1]])
    counts = []
    for s in range(0, len(frames), batch):
        x = torch.as_tensor(np.asarray(frames[s: s + batch]), dtype=torch.float32)
        state, total = {}, 0
        for t in range(x.shape[-1]):
            h = x[..., t]
            for name in order[1:-1]:
                node = graph.nodes[name]
                kind = type(node).__name__
                if kind == "Conv2d":
                    h = F.conv2d(h, torch.as_tensor(node.weight), torch.as_tensor(node.bias),
                                 stride=tuple(int(v) for v in node.stride), padding=tuple(int(v) for v in node.padding))
                elif kind == "SumPool2d":
                    h = F.avg_pool2d(h, tuple(int(v) for v in node.kernel_size)) * float(np.prod(node.kernel_size))
                elif kind == "Flatten":
                    h = h.reshape(h.shape[0], -1)
                elif kind == "Affine":
                    h = h @ torch.as_tensor(node.weight).T + torch.as_tensor(node.bias)
                elif kind == "IF":
                    th = float(np.ravel(node.v_threshold)[0])
                    v = state.get(name, torch.zeros_like(h)) + float(np.ravel(node.r)[0]) * h
                    spk = (v >= th).to(h.dtype)
                    v = v * (1 - spk) if reset == "zero" else torch.clamp(v - th * spk, min=-1.0)
                    state[name], h = v, spk
                else:
                    raise ValueError(f"node {name}: {kind} is not simulated here")
            total = total + h
        counts.append(total.numpy())
    return np.concatenate(counts)


@dataclass
class PaperCnnResult:
    """The imported CNN measured: float references, SLAYER and Lava accuracies, their agreement, synops, time."""

    command: str
    commit: str | None
    graph: str
    data_root: str
    samples: int
    framing: dict  # window_ms, n_frames, mode
    import_report: list[str]  # what the import folded, rounded and named
    float_accuracy_reset_zero: float  # torch float simulation, the graph's reset
    float_accuracy_reset_subtract: float  # sinabs' own reset
    float_seconds: float
    slayer_accuracy: float
    lava_accuracy: float
    lava_equals_slayer: float  # samples whose Lava output equals SLAYER's exactly
    prediction_agreement: float
    synops_agreement: float
    lava_synops_per_sample: float
    slayer_synops_per_sample: float
    stream_seconds_per_sample: float
    stream_steps: int
    stream_period: int
    slayer_seconds_per_sample: float
    per_sample_samples: int | None
    per_sample_seconds_per_sample: float | None
    per_sample_agreement: float | None
    disagreeing_samples: list[int]


def run(args, argv=None) -> PaperCnnResult:
    import torch

    from razor_lava.data.framing import FrameSpec
    from razor_lava.interop.nir_import import read_nir, write_network_file
    from razor_lava.netfile import load_network_file

    if not Path(args.data_root).is_dir():
        raise FileNotFoundError(f"--data-root {args.data_root}: no such directory (N-MNIST, e.g. nmnist-small)")
    torch.set_num_threads(1)  # Lava's forked workers run torch convs: one thread (deploy.py does the same)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        imp = read_nir(args.nir)
    spec = FrameSpec((34, 34, 2), window_ms=args.window_ms, n_frames=args.n_frames, mode="count")
    with tempfile.TemporaryDirectory(prefix="nir_paper_cnn_") as work:  # Lava's netx reads the file itself
        nf = load_network_file(write_network_file(imp, Path(work) / "cnn_sinabs.h5", frame_spec=spec,
                                                  dataset="nmnist"))
        return _measure(args, imp, spec, nf, argv)


def _measure(args, imp, spec, nf, argv=None) -> PaperCnnResult:
    import nir

    from razor_lava.deployment.evaluate import deploy_samples
    from razor_lava.deployment.samples import load_samples
    from razor_lava.profile.deploy_synops import deploy_counting

    frames, labels, _ = load_samples(nf, "nmnist", "test", args.samples, args.data_root)

    graph = nir.read(args.nir, type_check=False)
    t0 = time.perf_counter()
    float_acc = {r: float((float_simulation(graph, frames, r).argmax(1) == labels).mean()) for r in ("zero", "subtract")}
    float_s = time.perf_counter() - t0

    rep = deploy_counting(nf, frames, labels, mode="stream", progress=not args.no_progress)
    per = None
    if args.per_sample > 0:
        k = min(args.per_sample, len(frames))
        per = deploy_samples(nf, frames[:k], labels[:k], mode="per-sample", progress=False)
    first_disagree = [r.get("index", i) for i, r in enumerate(rep["per_sample"]) if not r.get("equal", True)]
    return PaperCnnResult(
        command=meta.short_command("bench/nir_paper_cnn.py", argv), commit=meta.git_commit(),
        graph=meta.shown_path(args.nir), data_root=meta.shown_path(args.data_root), samples=len(frames),
        framing={"window_ms": spec.window_ms, "n_frames": spec.n_frames, "mode": spec.mode},
        import_report=list(imp.report),
        float_accuracy_reset_zero=float_acc["zero"], float_accuracy_reset_subtract=float_acc["subtract"],
        float_seconds=float_s,
        slayer_accuracy=rep["slayer_accuracy"], lava_accuracy=rep["accuracy"],
        lava_equals_slayer=rep["agreement"], prediction_agreement=rep["prediction_agreement"],
        synops_agreement=rep["synops_agreement"], lava_synops_per_sample=rep["lava_synops_per_sample"],
        slayer_synops_per_sample=rep["slayer_synops_per_sample"],
        stream_seconds_per_sample=rep["seconds_per_sample"], stream_steps=rep["steps"],
        stream_period=rep["period"], slayer_seconds_per_sample=rep["slayer_seconds_per_sample"],
        per_sample_samples=None if per is None else per["samples"],
        per_sample_seconds_per_sample=None if per is None else per["seconds_per_sample"],
        per_sample_agreement=None if per is None else per["agreement"],
        disagreeing_samples=first_disagree)


def markdown(r: PaperCnnResult) -> str:
    def sec(v):
        return seconds(v, 2)

    lines = [
        "# The NIR paper's N-MNIST CNN on Lava (Loihi 2 simulator)", "",
        f"Graph `{Path(r.graph).name}` imported as published (razor_lava.interop.read_nir), "
        f"{r.samples} N-MNIST test recordings of `{Path(r.data_root).name}`, framed as the paper did: "
        f"{r.framing['window_ms']:g} ms windows, event {r.framing['mode']}s, {r.framing['n_frames']} frames.",
        "", "```", r.command, "```", "",
        "| measure | value |", "|---|---|",
        f"| float simulation (torch, not razor_lava), IF reset to zero | {pct(r.float_accuracy_reset_zero)} |",
        f"| float simulation, sinabs' subtractive reset (min_v_mem = -1) | {pct(r.float_accuracy_reset_subtract)} |",
        f"| SLAYER fixed-point reference of the imported file | {pct(r.slayer_accuracy)} |",
        f"| Lava (Loihi2SimCfg fixed_pt) | {pct(r.lava_accuracy)} |",
        f"| samples whose Lava output equals SLAYER's exactly | {pct(r.lava_equals_slayer)} |",
        f"| samples whose Lava synop counts equal SLAYER's | {pct(r.synops_agreement)} |",
        f"| synops per sample (Lava / SLAYER) | {r.lava_synops_per_sample:.0f} / {r.slayer_synops_per_sample:.0f} |",
        f"| Lava seconds per sample, stream runner ({r.samples} samples, {r.stream_period} steps each) | "
        f"{sec(r.stream_seconds_per_sample)} |",
        f"| Lava seconds per sample, per-sample runner ({r.per_sample_samples} samples) | "
        f"{sec(r.per_sample_seconds_per_sample)} (agreement {pct(r.per_sample_agreement)}) |",
        f"| SLAYER seconds per sample (with the synop counting) | {sec(r.slayer_seconds_per_sample)} |",
        "", "## What the import did", "", "```", *r.import_report, "```", "",
        "Notes: the float simulation spikes at `v >= threshold` (sinabs); Lava and SLAYER spike at "
        "`v > threshold` on the scaled integer grid, after the per-layer rounding shown above. The paper's "
        "graph says `v_reset = 0` for every IF; sinabs itself subtracts, which NIR cannot say.", "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)

    def go(a):
        r = run(a, argv)
        write_report(a.out, r, markdown(r))
        print(markdown(r))
        return 0

    return run_main(go, args)


if __name__ == "__main__":
    sys.exit(main())
