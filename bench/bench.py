#!/usr/bin/env python
"""Benchmark razor_lava end to end, every number measured side by side in one run.

For each data set (the embedded ``synthetic`` default and the N-MNIST subset):

1. accuracy, frames pruned, synops per sample and timesteps (mean frames run
   per sample) of E1 (no pruner), E3 and E3 + Top-K cutoff, from
   ``profile_network`` on SLAYER's fixed-point forward, with reductions vs E1;
2. Lava simulator seconds per sample, one network per sample (``run_sample``), of (a) E3 with its
   gates, (b) the same file with the gates removed (razor_lava's assembly),
   (c) the whole file as ONE plain ``netx.hdf5.Network`` with a RingBuffer
   source and sink (a timing baseline only: netx ignores graded LIAF spikes),
   and (d) E3 with gates + Top-K cutoff (when the file has a cutoff table);
   the variants run interleaved sample by sample, so load from other jobs
   hits them alike;
3. SLAYER's fixed-point batch evaluation of the same samples vs Lava per
   sample, with the prediction agreement of the two;
4. the whole test set streamed through one compiled network (``--mode stream``, the deploy default),
   with and without the cutoff, Lava's synop counters compared with SLAYER's on every sample, and its
   seconds per sample against (a).

Examples:
    python bench/bench.py                                   # train E1/E3 into --work, then measure
    python bench/bench.py --synthetic-e1 runs/abl-syn/E1 --synthetic-e3 runs/abl-syn/E3 \
        --nmnist-e1 runs/abl-nmnist/E1 --nmnist-e3 runs/abl-nmnist/E3
    python bench/bench.py --quick --work /tmp/bench-quick --out /tmp/bench-quick/RESULTS.md   # smoke run

Networks not given as run directories (each holding network.h5) are trained
into ``--work/<dataset>-<E1|E3>`` (resumable: an interrupted bench continues
from the last finished epoch). The report goes to stdout and, atomically, to
``--out`` (markdown) and the same path with ``.json`` (every number).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# The measurements and the report are in the harness (razor_lava/bench/), so they are tested and imported
# like the rest; the names are re-exported here for tests/test_bench.py.
from razor_lava.bench import meta
from razor_lava.bench.datasets import DEFAULT_NMNIST_ROOT, config_for
from razor_lava.bench.lava_timing import (  # noqa: F401
    lava_variants, measure_lava, measure_stream, measure_synops, ring_data, run_plain_netx, slayer_vs_lava,
    synops_rows, time_variants, timing_summary)
from razor_lava.bench.meta import machine_info, shown_path  # noqa: F401
from razor_lava.bench.report import write_json
from razor_lava.bench.results import LAVA_VARIANTS, format_report, ratios, write_outputs  # noqa: F401
from razor_lava.cli.common import run_main
from razor_lava.errors import RazorLavaError

ROOT = meta.REPO
DATASETS = ("synthetic", "nmnist")
DEFAULT_SAMPLES = {"synthetic": 200, "nmnist": 100}
POSITIONS = ("E1", "E3")
# --quick: tiny settings for a smoke run (explicit flags still win)
QUICK = {"samples": 20, "lava_samples": 2, "epochs": 1, "train_samples": 64, "train_test_samples": 20, "warmup": 0}
MARKER = "bench_train.json"  # written into a run directory the bench trained, with the options it used



class BenchError(RazorLavaError):
    """A bad argument or input the user can fix; the message names it."""


log = meta.log("bench")


# --------------------------------------------------------------------------- arguments


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS),
                    help="data sets to benchmark (default: both)")
    for ds in DATASETS:
        for pos in POSITIONS:
            ap.add_argument(f"--{ds}-{pos.lower()}", metavar="RUN_DIR",
                            help=f"{ds} {pos} run directory holding network.h5 (default: train it into --work)")
    ap.add_argument("--data-root", default=None,
                    help=f"N-MNIST subset directory (default: {DEFAULT_NMNIST_ROOT}); skipped if missing")
    ap.add_argument("--work", default=str(ROOT / "runs" / "bench"),
                    help="where networks not given are trained (resumable; default runs/bench)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"),
                    help="markdown report (the JSON goes next to it with .json); default bench/RESULTS.md")
    ap.add_argument("--samples", type=int, default=None,
                    help="test samples for accuracy and synops (default 200 synthetic, 100 nmnist)")
    ap.add_argument("--lava-samples", type=int, default=None, help="samples timed on Lava (default 10)")
    ap.add_argument("--warmup", type=int, default=None,
                    help="untimed Lava runs per variant before timing (default 1)")
    ap.add_argument("--cutoff-epsilon", type=float, default=0.01,
                    help="cutoff calibration target of the networks the bench trains (default 0.01)")
    ap.add_argument("--epochs", type=int, default=None, help="training epochs (default: the config's)")
    ap.add_argument("--train-samples", type=int, default=None, help="training samples (default: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-lava-cutoff", action="store_true", help="leave out timing (d), E3 + cutoff on Lava")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: " + ", ".join(f"{k.replace('_', '-')} {v}" for k, v in QUICK.items()))
    args = ap.parse_args(argv)
    apply_defaults(args)
    try:
        check_args(args)
    except BenchError as e:
        ap.error(str(e))
    return args


def apply_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """Fill the unset sizes: --quick's tiny ones, else the full bench's."""
    q = args.quick
    args.train_test_samples = QUICK["train_test_samples"] if q else None
    if args.lava_samples is None:
        args.lava_samples = QUICK["lava_samples"] if q else 10
    if args.warmup is None:
        args.warmup = QUICK["warmup"] if q else 1
    if q:
        args.epochs = QUICK["epochs"] if args.epochs is None else args.epochs
        args.train_samples = QUICK["train_samples"] if args.train_samples is None else args.train_samples
    return args


def samples_for(args, dataset: str) -> int:
    if args.samples is not None:
        return args.samples
    return QUICK["samples"] if args.quick else DEFAULT_SAMPLES[dataset]


def check_args(args) -> None:
    if args.samples is not None and args.samples < 1:
        raise BenchError(f"--samples must be >= 1, got {args.samples}")
    if args.lava_samples < 0 or args.warmup < 0:
        raise BenchError("--lava-samples and --warmup must be >= 0")
    if args.epochs is not None and args.epochs < 1:
        raise BenchError(f"--epochs must be >= 1, got {args.epochs}")
    if not 0 <= args.cutoff_epsilon < 1:
        raise BenchError(f"--cutoff-epsilon must be in [0, 1), got {args.cutoff_epsilon}")


def run_dir_network(run_dir: str | os.PathLike, flag: str) -> Path:
    """``run_dir/network.h5`` (or ``run_dir`` itself if it is an .h5 file); BenchError naming the path if missing."""
    p = Path(run_dir)
    if p.is_file() and p.suffix == ".h5":
        return p
    if not p.exists():
        raise BenchError(f"{flag}: run directory {p} does not exist")
    if not p.is_dir():
        raise BenchError(f"{flag}: {p} is neither a run directory nor a network .h5 file")
    h5 = p / "network.h5"
    if not h5.is_file():
        raise BenchError(f"{flag}: {h5} not found: expected a run directory written by train/train.py "
                         "(training writes network.h5 at the end)")
    return h5


def given_networks(args) -> dict:
    """``{(dataset, position): Path}`` of the networks given on the command line, all checked to exist."""
    out = {}
    for ds in args.datasets:
        for pos in POSITIONS:
            v = getattr(args, f"{ds}_{pos.lower()}")
            if v is not None:
                out[(ds, pos)] = run_dir_network(v, f"--{ds}-{pos.lower()}")
    return out


def nmnist_root(args) -> Path:
    return Path(args.data_root) if args.data_root else DEFAULT_NMNIST_ROOT


def data_root_for(args, dataset: str) -> str | None:
    return str(nmnist_root(args)) if dataset == "nmnist" else None


def skip_reason(args, dataset: str) -> str | None:
    """Why ``dataset`` cannot be benchmarked here (None: it can)."""
    if dataset == "nmnist" and not nmnist_root(args).is_dir():
        return (f"N-MNIST skipped: data folder {nmnist_root(args)} is missing "
                "(give the subset's directory with --data-root)")
    return None


def command_line(argv=None) -> str:
    """The command that produced this run, as typed (interpreter included when known)."""
    return meta.command_line("bench/bench.py", argv)


# --------------------------------------------------------------------------- networks


def train_options(args, dataset: str, position: str) -> dict:
    """The JSON-able options a bench-trained network depends on (compared with the run's marker)."""
    return {"config": shown_path(config_for(dataset)), "position": position, "seed": args.seed,
            "epochs": args.epochs, "train_samples": args.train_samples, "test_samples": args.train_test_samples,
            "cutoff_epsilon": args.cutoff_epsilon,
            "data_root": str(nmnist_root(args).resolve()) if dataset == "nmnist" else None}


def train_network(args, dataset: str, position: str) -> Path:
    """Train (or resume, or reuse a finished) ``--work/<dataset>-<position>``; returns its network.h5."""
    from razor_lava.config import load_config, with_train_overrides
    from razor_lava.training.options import RunOptions
    from razor_lava.training.run import train

    out = Path(args.work) / f"{dataset}-{position}"
    opts = train_options(args, dataset, position)
    marker = out / MARKER
    if (out / "network.h5").is_file() and marker.is_file() and json.loads(marker.read_text()) == opts:
        log(f"{dataset} {position}: reusing {out} (finished by an earlier bench run)")
        return out / "network.h5"
    log(f"{dataset} {position}: training into {out}")
    cfg = with_train_overrides(load_config(config_for(dataset)), {"cutoff_epsilon": args.cutoff_epsilon})
    t0 = time.perf_counter()
    train(cfg, RunOptions(out=out, data_root=data_root_for(args, dataset), epochs=args.epochs, seed=args.seed,
                          pruner={"positions": position}, train_samples=args.train_samples,
                          test_samples=args.train_test_samples, resume=True, progress=False),
          log=lambda m: log(f"  {dataset} {position}: {m}"))
    write_json(marker, opts)
    log(f"{dataset} {position}: trained in {time.perf_counter() - t0:.0f} s")
    return out / "network.h5"


def check_dataset(nf, dataset: str, flag_path: Path) -> None:
    name = ((nf.config or {}).get("data") or {}).get("dataset")
    if name is not None and name != dataset:
        raise BenchError(f"{flag_path} was trained on {name!r}, not {dataset!r}")


# --------------------------------------------------------------------------- per data set


@dataclass
class Nets:
    e1: Path
    e3: Path


def bench_dataset(args, dataset: str, nets: Nets) -> dict:
    """All measurements of one data set (a JSON-ready dict)."""
    import torch

    from razor_lava.deployment.samples import load_samples
    from razor_lava.netfile import load_network_file

    # netx Conv layers run torch inside forked Lava workers: one thread avoids a known fork deadlock.
    torch.set_num_threads(1)
    nf1, nf3 = load_network_file(nets.e1), load_network_file(nets.e3)
    check_dataset(nf1, dataset, nets.e1)
    check_dataset(nf3, dataset, nets.e3)
    n = samples_for(args, dataset)
    k = min(args.lava_samples, n)
    root = data_root_for(args, dataset)
    log(f"{dataset}: loading {n} test samples")
    frames3, labels, _ = load_samples(nf3, dataset, "test", n, root)
    same_spec = nf1.frame_spec == nf3.frame_spec and nf1.input_shape == nf3.input_shape
    frames1 = frames3 if same_spec else load_samples(nf1, dataset, "test", n, root)[0]
    res = {"status": "ok", "config": shown_path(config_for(dataset)),
           "networks": {"E1": shown_path(nets.e1), "E3": shown_path(nets.e3)}, "samples": int(len(labels)),
           "n_frames": int(frames3.shape[-1]), "gates": sorted(int(g) for g in nf3.pruners),
           "gate_variants": sorted({p.variant for p in nf3.pruners.values()}),
           "cutoff_epsilon": None if nf3.cutoff is None else nf3.cutoff.get("epsilon")}
    if nf3.cutoff is None:
        log(f"  note: {nets.e3} has no cutoff table: no E3 + cutoff row")
    if not nf3.pruners:
        log(f"  note: {nets.e3} has no pruners: (a) and (b) are the same network")
    log(f"{dataset}: 1. accuracy / synops (SLAYER fixed point, profile_network)")
    res["rows"] = measure_synops(nf1, nf3, frames1, frames3, labels)
    if k > 0:
        log(f"{dataset}: 2./3. Lava vs netx vs SLAYER on {k} samples")
        res["lava_samples"] = k
        res |= measure_lava(nf3, frames3[:k], args.warmup, cutoff=not args.no_lava_cutoff)
        log(f"{dataset}: 4. all {len(frames3)} test samples streamed through one Lava network, synops counted")
        res["stream"] = measure_stream(nf3, frames3, labels, cutoff=not args.no_lava_cutoff)
    res["ratios"] = ratios(res)
    return res


# --------------------------------------------------------------------------- main


def settings(args) -> dict:
    return {"quick": args.quick, "samples": args.samples or (QUICK["samples"] if args.quick else "200 synthetic / 100 nmnist"),
            "lava_samples": args.lava_samples, "warmup": args.warmup, "torch_threads (measurement)": 1,
            "cutoff_epsilon (training)": args.cutoff_epsilon, "epochs": args.epochs or "config",
            "train_samples": args.train_samples or "all", "seed": args.seed}


def run(args, argv=None) -> dict:
    t0 = time.perf_counter()
    results = {"command": command_line(argv), "commit": meta.git_commit(), "machine": machine_info(),
               "settings": settings(args), "datasets": {}}
    given = given_networks(args)  # checked before any work
    from razor_lava.netfile import load_network_file

    for (ds, _), path in given.items():  # a readable network file of the right data set, before any training
        check_dataset(load_network_file(path), ds, path)
    log(f"machine: {results['machine']['cpu']}, {results['machine']['cores']}, load {results['machine']['load_average']}")
    todo = {}
    for ds in args.datasets:
        reason = skip_reason(args, ds)
        if reason:
            log(reason)
            results["datasets"][ds] = {"status": "skipped", "reason": reason}
            continue
        todo[ds] = None
    # Train everything first, with torch's default threads; measurements then run with one thread.
    for ds in todo:
        nets = {pos: given.get((ds, pos)) or train_network(args, ds, pos) for pos in POSITIONS}
        todo[ds] = Nets(nets["E1"], nets["E3"])
    for ds, nets in todo.items():
        t1 = time.perf_counter()
        results["datasets"][ds] = bench_dataset(args, ds, nets)
        results["wall_seconds"] = time.perf_counter() - t0
        md, js = write_outputs(results, args.out)
        log(f"{ds}: done in {time.perf_counter() - t1:.0f} s; wrote {md} and {js}")
    results["wall_seconds"] = time.perf_counter() - t0
    write_outputs(results, args.out)
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_main(_main, args, argv,
                    interrupted="interrupted (Lava workers stopped; training resumes from the last epoch "
                                "with the same --work)")


def _main(args, argv) -> int:
    given_networks(args)  # fail fast on a bad run directory
    results = run(args, argv)
    print()
    print(format_report(results), flush=True)
    print(f"wrote {args.out} and {Path(args.out).with_suffix('.json')}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
