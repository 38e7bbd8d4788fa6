"""A training run: data, model, epochs, checkpoints, metrics, curves, export (``train``).

Everything a run writes goes to ``RUN_DIR``:

- ``checkpoint.pt``: model + optimizer + history after the last finished epoch,
  and the weights of the best epoch so far on the validation split
  (written atomically; ``resume=True`` continues from it, so an interrupted
  run loses at most the epoch in progress);
- ``metrics.json`` / ``metrics.csv``: one row per epoch (training loss and
  accuracy, validation accuracy, learning rate);
- ``result.json``: the exported network's numbers: the selected epoch, its
  validation accuracy, and the test split's accuracy, frames pruned and
  cutoff figures (the test split is evaluated once, here);
- ``learning_curve.png``; ``config.yaml``: the config as run;
- ``network.h5``: the netx HDF5 export at the end.

This module orchestrates; each job has its module: ``options`` (RunOptions and their checks), ``data`` (the
splits), ``losses``, ``loop`` (the epochs and the end of the run), ``history`` (per-epoch metrics, curve),
``checkpoint`` (the checkpoint file and reading a run folder back: ``load_trained``, ``load_cutoff``).
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import numpy as np
import torch

from ..atomic import removed_on_failure
from ..config import NetConfig
from ..errors import UsageError
from ..model.network import RazorNet
from . import distributed
from .checkpoint import CHECKPOINT, ckpt_exists, load_checkpoint, load_state, same_run_id
from .data import load_data
from .history import History
from .loop import RunContext, TrainState, finish, run_epochs, seed_everything
from .options import RunOptions, RunPlan, check_options


def train(cfg: NetConfig, opts: RunOptions, log=print) -> dict:
    """Train (or resume), evaluate on the validation split every epoch, export the selected epoch as
    ``network.h5``, evaluate it once on the test split. Returns ``result.json``'s content.

    Everything that can be refused (options, pruner overrides, the checkpoint to resume, the data) is
    checked before ``opts.out`` is written; a run that fails before its first checkpoint removes the run
    folder if it created it (``removed_on_failure``), so a failed run leaves nothing behind.
    """
    check_options(opts)
    dist = distributed.current()
    if not dist.main:  # rank 0 reports and writes (training/distributed.py)
        log, opts = (lambda _m: None), dataclasses.replace(opts, progress=False)
    out = Path(opts.out)
    plan = RunPlan.of(cfg, opts)
    run_id = plan.run_id(cfg, opts)

    seed_everything(opts.seed)
    net = RazorNet(cfg, opts.pruner)
    if opts.from_file is not None:  # before anything is written: a file that does not fit is refused here
        from ..netfile import load_network_file
        from .from_file import check_trainable, file_digest, load_into

        nf = load_network_file(opts.from_file)
        check_trainable(nf)
        load_into(net, nf, log if not (opts.resume and ckpt_exists(out)) else (lambda _m: None))
        run_id["from"] = {"digest": file_digest(opts.from_file)}
    if opts.freeze_weights:
        from .from_file import freeze_weights

        freeze_weights(net)
        run_id["freeze_weights"] = True
        if not any(p.requires_grad for p in net.parameters()):
            raise UsageError("--freeze-weights", "with the weights frozen nothing trains: the network has no "
                             "pruner that learns (give --positions and a Razor pruner)")
    net = net.to(opts.device)
    optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=plan.lr,
                                 weight_decay=float(cfg.train["weight_decay"]))
    state, start = TrainState(net, optimizer, History()), 1
    ckpt_path = out / CHECKPOINT
    if opts.resume and ckpt_path.exists():
        start = _resume(state, ckpt_path, run_id, plan, opts, log)

    distributed.per_rank_batch(plan.batch, dist)  # refused before anything is written
    splits = load_data(cfg, opts)
    n_out = int(np.prod(net.output_shape))
    if splits.classes and len(splits.classes) > n_out:
        what = f"{opts.from_file}: its output layer" if opts.from_file is not None else "the last layer"
        raise UsageError("--from" if opts.from_file is not None else "layers",
                         f"{what} has {n_out} outputs, but {cfg.data['dataset']!r} has {len(splits.classes)} classes")
    with removed_on_failure(out, keep=ckpt_path.exists) if dist.main else contextlib.nullcontext():
        out.mkdir(parents=True, exist_ok=True)
        ctx = RunContext(cfg, opts, plan, run_id, splits, log)
        run_epochs(ctx, state, start)
        return finish(ctx, state)


def _resume(state: TrainState, ckpt_path: Path, run_id: dict, plan: RunPlan, opts: RunOptions, log) -> int:
    """``state`` from the checkpoint of the same run (refused if another run, or more epochs than asked for,
    wrote it); the first epoch still to train."""
    ckpt = load_checkpoint(ckpt_path, opts.device, trust=opts.trust_checkpoint)
    if same_run_id(ckpt["run_id"]) != run_id:
        raise UsageError("--resume", f"{ckpt_path} was written by a different config, --from file, "
                         "--freeze-weights, pruner options, seed, batch size, learning rate or sample counts; "
                         "use a new --out or the same options")
    if ckpt["epoch"] > plan.epochs:
        raise UsageError("epochs", f"{ckpt_path} already holds {ckpt['epoch']} epochs, more than the "
                         f"{plan.epochs} asked for; ask for at least {ckpt['epoch']} or use a new --out")
    load_state(state.net, ckpt, ckpt_path)
    state.optimizer.load_state_dict(ckpt["optimizer"])
    state.history, state.best = History(ckpt["history"]), ckpt.get("best")
    log(f"resuming {Path(opts.out)} after epoch {ckpt['epoch']}")
    return ckpt["epoch"] + 1
