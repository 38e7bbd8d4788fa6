"""Split a run's samples across worker processes, each with its own Lava runtime, and merge what they report.

Each worker is forked (Lava's own start method), runs its contiguous share of
the samples with ``run_stream`` or ``run_per_sample`` and sends the result
back through a pipe. If anything fails or Ctrl-C arrives, every worker and
every Lava process under it is killed before the error propagates, so no
process outlives the call.
"""

from __future__ import annotations

import multiprocessing as mp
import time
import traceback

import numpy as np
import psutil

from ..errors import LavaRunError
from .result import merge


def shares(n: int, workers: int) -> list[range]:
    """``n`` sample indices in ``workers`` contiguous, near-equal ranges (none empty)."""
    workers = max(1, min(int(workers), n))
    bounds = np.linspace(0, n, workers + 1).round().astype(int)
    return [range(a, b) for a, b in zip(bounds[:-1], bounds[1:])]


def _work(conn, run, nf, frames, kw) -> None:
    try:
        conn.send(("ok", run(nf, frames, **kw)))
    except BaseException as e:  # noqa: BLE001  (reported to the parent, which raises)
        conn.send(("error", f"{e!r}\n{traceback.format_exc()}"))
    finally:
        conn.close()


def run_in_workers(run, nf, frames: np.ndarray, workers: int, **kw):
    """``run(nf, share, **kw)`` in ``workers`` forked processes; results merged in sample order."""
    # Lava sets the "fork" start method when its runtime is first imported; a worker importing it for
    # the first time would find the context already set and fail, so it is imported here, before forking.
    import lava.magma.runtime.message_infrastructure.multiprocessing  # noqa: F401

    kw = dict(kw, progress=False)
    ctx = mp.get_context("fork")
    t0 = time.perf_counter()
    jobs = []
    try:
        for share in shares(len(frames), workers):
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_work, args=(child, run, nf, frames[share.start: share.stop], kw),
                               name=f"razor-lava-worker-{share.start}", daemon=False)
            proc.start()
            child.close()
            jobs.append((proc, parent))
        parts = []
        for proc, conn in jobs:
            try:
                status, value = conn.recv()
            except EOFError:
                raise LavaRunError(f"worker {proc.name} died (exit code {proc.exitcode}) before it reported") from None
            if status != "ok":
                raise LavaRunError(f"worker {proc.name} failed: {value}")
            parts.append(value)
            proc.join()
    except BaseException:
        _kill_all(jobs)
        raise
    res = merge(parts)
    res.seconds = time.perf_counter() - t0
    return res


def _kill_all(jobs) -> None:
    """Kill every worker and whatever it started (its Lava processes), then reap them."""
    procs = []
    for proc, _ in jobs:
        try:
            procs += psutil.Process(proc.pid).children(recursive=True) + [psutil.Process(proc.pid)]
        except psutil.NoSuchProcess:
            pass
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=5)
    for proc, conn in jobs:
        proc.join(1)
        conn.close()
