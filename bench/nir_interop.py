#!/usr/bin/env python
"""NIR round trip and cross-framework agreement of a trained razor_lava network, in one run.

For each seed a network of config ``synthetic_nir`` (the demo's network with a CUBA output layer, every
layer one NIR describes) is trained on the embedded data set (or reused), then:

1. **round trip**: the run's network file -> NIR (``train/export.py RUN --nir``) -> ``nir.read`` ->
   import (``razor_lava.interop``): every weight, neuron parameter, pruner parameter and the cutoff
   table must be identical, and the imported RazorNet's SLAYER outputs (gates on) identical to the
   trained RazorNet's on every test sample; the network file written from the NIR graph must hold the
   same netx layers, byte for byte;
2. **Norse** (``norse.torch.from_nir`` at dt = 1) runs the same NIR graph on the test samples; its
   predictions (argmax of the output spike counts) are compared with razor_lava's SLAYER path on the same
   network without gates (NIR readers run the layers; the gates travel as metadata), delay-aligned
   (``interop.crosscheck``) and naively.

    python bench/nir_interop.py --work runs/nir --out bench/NIR.md
    python bench/nir_interop.py --quick --work /tmp/nq --out /tmp/nq/NIR.md   # a smoke run (a minute)

Writes ``--out`` (markdown) and the same path with ``.json``, atomically.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from razor_lava.bench import meta
from razor_lava.bench.jobs import train_or_reuse
from razor_lava.bench.report import md_table, write_report
from razor_lava.cli.common import output_dir, output_file, positive_int, run_main
from razor_lava.formatting import pct, spread
from razor_lava.interop.crosscheck import Agreement
from razor_lava.metrics import Spread

CONFIG = "synthetic_nir"
QUICK = {"epochs": 1, "train_samples": 120, "test_samples": 40}


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=output_dir, required=True, help="runs live in WORK/seed<k>")
    ap.add_argument("--out", type=output_file, required=True, help="the markdown report")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--samples", type=positive_int, help="test samples compared (default: the whole test set)")
    ap.add_argument("--quick", action="store_true", help=f"a smoke run: {QUICK}")
    return ap.parse_args(argv)


def train_run(out: Path, seed: int, quick: bool) -> Path:
    """A trained run of ``CONFIG`` in ``out`` (reused when finished, resumed when interrupted)."""
    from razor_lava.config import load_config
    from razor_lava.training.options import RunOptions

    cfg = load_config(CONFIG)
    epochs = QUICK["epochs"] if quick else None
    opts = RunOptions(out=str(out), seed=seed, epochs=epochs, progress=False,
                      **({k: QUICK[k] for k in ("train_samples", "test_samples")} if quick else {}))
    train_or_reuse(cfg, opts, threads=2, pruner=None)
    return out


def same_network(a, b) -> list[str]:
    """What differs between two network-file models (empty: identical layers, neurons, pruners, cutoff)."""
    diffs = []
    if len(a.layers) != len(b.layers):
        return [f"{len(a.layers)} vs {len(b.layers)} layers"]
    for s, t in zip(a.layers, b.layers):
        for f in ("type", "shape", "in_shape", "kernel", "stride", "padding", "dilation", "groups"):
            if getattr(s, f) != getattr(t, f):
                diffs.append(f"layer/{s.index}.{f}: {getattr(s, f)} vs {getattr(t, f)}")
        if s.weighted and not np.array_equal(s.weight, t.weight):
            diffs.append(f"layer/{s.index}.weight")
        if s.weighted and any(int(getattr(s.neuron, f)) != int(getattr(t.neuron, f))
                              for f in ("i_decay", "v_decay", "vth_mant")):
            diffs.append(f"layer/{s.index}.neuron: {s.neuron} vs {t.neuron}")
    if sorted(a.pruners) != sorted(b.pruners):
        diffs.append(f"pruners at {sorted(a.pruners)} vs {sorted(b.pruners)}")
    for k in set(a.pruners) & set(b.pruners):
        p, q = a.pruners[k], b.pruners[k]
        for f in ("weight", "bias", "embeddings", "lut"):
            if not np.array_equal(getattr(p, f), getattr(q, f)):
                diffs.append(f"pruner {k}.{f}")
        for f in ("theta_int", "ratio", "variant", "pool", "input_scale", "area"):
            if getattr(p, f) != getattr(q, f):
                diffs.append(f"pruner {k}.{f}: {getattr(p, f)} vs {getattr(q, f)}")
    if (a.cutoff is None) != (b.cutoff is None) or (a.cutoff is not None and
                                                    not np.array_equal(a.cutoff["beta"], b.cutoff["beta"])):
        diffs.append("cutoff table")
    return diffs


def layers_bytes_equal(path_a: Path, path_b: Path) -> bool:
    """Whether two network files hold the same ``layer/`` datasets (names, dtypes, values)."""
    import h5py

    def datasets(path):
        out = {}
        with h5py.File(path, "r") as f:
            f["layer"].visititems(lambda n, o: out.__setitem__(n, np.asarray(o[()])) if isinstance(o, h5py.Dataset)
                                  else None)
        return out

    a, b = datasets(path_a), datasets(path_b)
    return a.keys() == b.keys() and all(a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]) for k in a)


@dataclass
class RoundTrip:
    """Network file -> NIR -> ``nir.read`` -> import, of one run."""

    differences: list[str]  # what differs in weights, neurons, pruners, cutoff (empty: nothing)
    identical_slayer_outputs: int  # test samples whose SLAYER outputs (gates on) are identical
    netx_layers_bytes_equal: bool  # the re-imported file's netx layers against the run's
    pruners: list[int]
    cutoff: bool


@dataclass
class NirRun:
    """One seed's run: its round trip and Norse's agreement with razor_lava's SLAYER path (gates off)."""

    run: str
    samples: int
    nir_nodes: list[str]
    round_trip: RoundTrip
    norse: Agreement
    seconds_slayer: float
    seconds_norse: float
    accuracy_slayer_gated: float

    @property
    def seed(self) -> str:
        return Path(self.run).name


@dataclass
class NirResult:
    runs: list[NirRun]
    measured: meta.Measured


def measure(run_dir: Path, samples: int | None) -> NirRun:
    """Round trip and Norse agreement of one trained run."""
    import nir
    import torch

    from razor_lava.cli import export as export_cli
    from razor_lava.data.registry import open_split
    from razor_lava.deployment.samples import load_samples
    from razor_lava.interop.crosscheck import compare, norse_module, run_norse
    from razor_lava.interop.nir_import import import_nir, network_file_from_nir, write_network_file
    from razor_lava.model.reference import reference_network
    from razor_lava.netfile import load_network_file
    from razor_lava.training.checkpoint import load_trained

    nir_path, back_path = run_dir / "network.nir", run_dir / "from_nir.h5"
    # train/export.py RUN --nir; its errors (e.g. a checkpoint the safe loader refuses) end the bench with exit 2
    export_cli.run(export_cli.parse_args([str(run_dir), "--nir", str(nir_path)]))
    nf = load_network_file(run_dir / "network.h5")
    n = samples or len(open_split(nf.config["data"]["dataset"], "test"))  # the embedded set makes what it is asked for
    frames, labels, _ = load_samples(nf, n=n)
    x = torch.as_tensor(frames).float()
    graph = nir.read(nir_path)
    back = network_file_from_nir(graph)
    diffs = same_network(nf, back)
    write_network_file(nir_path, back_path)
    with torch.no_grad():
        trained = load_trained(run_dir)(x)
        imported = import_nir(nir_path)(x)
        t0 = time.perf_counter()
        slayer = reference_network(nf.without_gates())(x)
        slayer_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    other = run_norse(norse_module(graph), x)
    norse_s = time.perf_counter() - t0
    same_outputs = [bool(torch.equal(trained[i], imported[i])) for i in range(len(x))]
    return NirRun(run=meta.shown_path(run_dir), samples=int(len(x)), nir_nodes=list(graph.nodes),
                  round_trip=RoundTrip(differences=diffs, identical_slayer_outputs=int(sum(same_outputs)),
                                       netx_layers_bytes_equal=layers_bytes_equal(run_dir / "network.h5", back_path),
                                       pruners=sorted(nf.pruners), cutoff=nf.cutoff is not None),
                  norse=compare(slayer, other, n_layers=len(nf.weighted()), labels=labels),
                  seconds_slayer=slayer_s, seconds_norse=norse_s,
                  accuracy_slayer_gated=float((trained.sum(-1).argmax(1).numpy() == labels).mean()))


def markdown(result: NirResult) -> str:
    runs = result.runs
    agreement = Spread.of(r.norse.prediction_agreement for r in runs)
    lines = ["# NIR: round trip and cross-framework agreement", "", result.measured.line(), "",
             f"Network: config `{CONFIG}` (conv-conv-pool-dense-dense, CUBA neurons, Razor gates at E3), trained on "
             "the embedded synthetic set; seeds " + ", ".join(r.seed for r in runs) + ".", "",
             "## Round trip (network file -> NIR -> nir.read -> import)", ""]
    lines += md_table(["seed", "samples", "differences (weights, neurons, pruners, cutoff)",
                       "identical SLAYER outputs, gates on", "netx layers of the re-imported file byte-equal"],
                      [[r.seed, r.samples, len(r.round_trip.differences) or "none",
                        f"{r.round_trip.identical_slayer_outputs} / {r.samples}",
                        "yes" if r.round_trip.netx_layers_bytes_equal else "no"] for r in runs])
    lines += ["", "## Norse 1.1 running the NIR graph vs razor_lava's SLAYER path (gates off)", ""]
    lines += md_table(["seed", "prediction agreement (delay-aligned)", "naive (all T steps)", "output spikes equal",
                       "identical spike trains", "accuracy SLAYER", "accuracy Norse", "SLAYER s", "Norse s"],
                      [[r.seed, pct(r.norse.prediction_agreement), pct(r.norse.naive_agreement),
                        pct(r.norse.spike_agreement), f"{r.norse.identical_samples} / {r.norse.samples}",
                        pct(r.norse.accuracy_slayer), pct(r.norse.accuracy_other), f"{r.seconds_slayer:.1f}",
                        f"{r.seconds_norse:.1f}"] for r in runs])
    lines += ["", f"Prediction agreement over the seeds: {spread(agreement)} (mean +- std; target >= 95%).", "",
              "Delay-aligned: Norse's output at step t against SLAYER's at t + L (L weighted layers: SLAYER and "
              "Loihi delay each layer by one step, NIR and Norse do not; the graph's metadata says "
              "`delay_per_layer: 1`). Naive: both counted over all T steps. The spikes that differ come from "
              "SLAYER's 12-bit fixed-point decays against Norse's float32 ones (interop/nir_mapping.py)."]
    return "\n".join(lines) + "\n"


def run(args, argv=None) -> int:
    t0 = time.perf_counter()
    runs = []
    for seed in args.seeds:
        run_dir = train_run(Path(args.work) / f"seed{seed}", seed, args.quick)
        runs.append(measure(run_dir, args.samples))
        print(json.dumps({"seed": seed, "round_trip": asdict(runs[-1].round_trip),
                          "prediction_agreement": runs[-1].norse.prediction_agreement}), flush=True)
    result = NirResult(runs, meta.Measured.now("bench/nir_interop.py", argv, t0, args.seeds))
    write_report(args.out, {"measured": result.measured, "results": result.runs}, markdown(result))
    print(args.out)
    return 0


def main(argv=None) -> int:
    return run_main(run, parse_args(argv), argv)


if __name__ == "__main__":
    sys.exit(main())
