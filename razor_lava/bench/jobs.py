"""The job pool of the benches and ``sweep``, the one loop behind the ablations.

``razor_lava.cli.ablation`` (positions and K, one after the other), ``bench/recipe.py`` (recipe variants x
seeds) and ``bench/frontier.py`` (operating points x seeds) all train a list of runs: ``sweep`` runs a
function over the list, in this process or ``jobs`` at a time in worker processes (one CPU thread each, so
two jobs share two cores fairly), and hands each result back in order as it arrives.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable


def threads_per_job(jobs: int) -> int:
    """CPU threads of one job when ``jobs`` run at once: one each, or every core for a job alone."""
    return 1 if jobs > 1 else max(1, os.cpu_count() or 1)


def sweep(run_one: Callable, items: Iterable, jobs: int = 1, on_result: Callable | None = None) -> list:
    """``[run_one(item) for item in items]``, ``jobs`` at a time in worker processes when ``jobs > 1``
    (``run_one`` and the items must pickle); ``on_result(result, done)`` after each, in order (``done``: the
    results so far, this one last), e.g. to write the table as it grows."""
    items, done = list(items), []
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs) as pool:
            for r in pool.map(run_one, items):
                done.append(r)
                if on_result:
                    on_result(r, done)
        return done
    for item in items:
        done.append(run_one(item))
        if on_result:
            on_result(done[-1], done)
    return done


def run_dir(work, *names, seed: int | None = None) -> str:
    """A run's folder in a sweep: ``work/<names...>[/seed<k>]``."""
    p = Path(work).joinpath(*map(str, names))
    return str(p if seed is None else p / f"seed{seed}")


def train_or_reuse(cfg, opts, threads: int, pruner: dict | None = None) -> tuple[dict, bool]:
    """``(result, trained)``: the result of the finished run of the same network in ``opts.out``
    (``training.jobs.finished_run``), else of training it there (resumed from its checkpoint when one is there;
    log in ``<out>.log``)."""
    from ..training.jobs import finished_run, train_logged

    result = finished_run(Path(opts.out), cfg, pruner, opts.seed, opts.epochs)
    if result is not None:
        return result, False
    return train_logged(cfg, opts, threads), True
