#!/usr/bin/env python
"""Soak test: many consecutive Lava deploys in one process leak nothing.

Builds, compiles, runs and stops ``--runs`` networks one after the other in
this process (``run_sample``, the per-sample runner every deploy uses), half of
them stopped by a time limit far too short to finish (the runtime's workers are
then killed: the path where leaks hide), and prints, before, during and after: live worker processes, open
file descriptors, shared-memory segments in /dev/shm, threads and resident
memory. It exits 1 when anything is left over at the end (workers, more file
descriptors or shared-memory segments than at the start).

Example:
    python bench/soak.py                 # 200 deploys, about 3-5 minutes on 2 cores
    python bench/soak.py --runs 10       # quick
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def resources() -> dict:
    """What a leak would grow: child workers, fds, /dev/shm entries, threads, RSS (MiB)."""
    import psutil

    from razor_lava.lava_run import leftover_workers

    shm = Path("/dev/shm")
    me = psutil.Process()
    return {"workers": len(leftover_workers()), "fds": len(os.listdir("/proc/self/fd")),
            "shm": len(list(shm.iterdir())) if shm.is_dir() else 0, "threads": me.num_threads(),
            "rss_mib": round(me.memory_info().rss / 2**20, 1)}


def _network(folder: Path):
    """A small gated dense network (a window gate, a LIAF layer, binary layers), exported to ``folder``."""
    import torch

    from razor_lava.data.framing import FrameSpec
    from razor_lava.config import parse_config
    from razor_lava.model.network import RazorNet
    from razor_lava.netfile import export_network, load_network_file

    torch.manual_seed(0)
    raw = {"data": {"dataset": "synthetic"}, "input": [24], "neuron": {"threshold": 0.8},
           "layers": [{"type": "dense", "out": 16, "weight_scale": 5},
                      {"type": "dense", "out": 12, "neuron": "liaf", "weight_scale": 5},
                      {"type": "dense", "out": 4, "weight_scale": 5}],
           "pruner": {"positions": [2], "ratio": 0.25}}
    net = RazorNet(parse_config(raw))
    path = export_network(net, folder / "soak.h5", FrameSpec((24, 1, 1), 1, 8))
    return load_network_file(path)


def soak(runs: int, log=print) -> dict:
    import numpy as np
    import torch

    from razor_lava.deployment.runner import run_sample
    from razor_lava.errors import LavaRunError

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        nf = _network(Path(tmp))
        frames = (np.random.default_rng(0).random((24, 8)) < 0.4).astype(np.int32)
        run_sample(nf, frames, 8, timeout_s=120)  # warm-up: the first run opens what lives as long as the process
        before = resources()
        log(f"before (after one warm-up deploy): {before}")
        t0, failures = time.perf_counter(), 0
        for i in range(runs):
            try:  # every other run: a time limit it cannot meet, so its workers are killed mid-run
                run_sample(nf, frames, 8, timeout_s=1e-3 if i % 2 else 120)
            except LavaRunError:
                failures += 1
            if (i + 1) % max(1, runs // 10) == 0:
                log(f"after {i + 1} deploys ({time.perf_counter() - t0:.0f} s, {failures} failed on purpose): "
                    f"{resources()}")
        after = resources()
    leaks = {k: after[k] - before[k] for k in ("workers", "fds", "shm")}
    # Not a failure: after a kill, the daemon thread that waited on the runtime stays blocked (lava_run._hard_kill).
    leaks_info = {"threads": after["threads"] - before["threads"]}
    return {"runs": runs, "failed_on_purpose": failures, "seconds": round(time.perf_counter() - t0, 1),
            "before": before, "after": after, "leaked": leaks, "threads_left": leaks_info["threads"],
            "ok": all(v <= 0 for v in leaks.values())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=200, help="consecutive deploys (default 200)")
    args = ap.parse_args(argv)
    result = soak(args.runs)
    print(f"{result['runs']} deploys ({result['failed_on_purpose']} killed by their time limit) in "
          f"{result['seconds']} s; leaked workers {result['leaked']['workers']}, file descriptors "
          f"{result['leaked']['fds']}, shared-memory segments {result['leaked']['shm']}; idle daemon threads left by "
          f"the killed runs {result['threads_left']}; "
          f"RSS {result['before']['rss_mib']} -> {result['after']['rss_mib']} MiB")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
