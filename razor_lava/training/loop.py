"""The epochs of a run: the batches' order, the training step, validation and the choice of the epoch to
export, then the end of the run (test split, cutoff calibration, export).

What a run does not change while it trains is a ``RunContext``; what it trains (and a checkpoint holds) is a
``TrainState``.
"""

from __future__ import annotations

import copy
import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import yaml
from torch.utils.data import DataLoader

from ..atomic import write_text_atomic
from ..config import NetConfig
from ..cutoff.rcs import RCS, capture_activity
from ..netfile import export_network
from . import distributed
from .checkpoint import save_run_checkpoint
from .cutoff import as_payload_outputs, calibrate_run
from .data import Splits
from ..metrics import predict
from .evaluate import evaluate
from .history import History
from .losses import make_loss, synops_cost
from .options import RunOptions, RunPlan
from ..formatting import pct


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    """The training samples' order in ``epoch``, from ``(seed, epoch)`` alone.

    It used to be ``DataLoader(shuffle=True, generator=g)``'s own shuffle, but
    that draws from ``g`` whenever an iterator is made, and a tqdm bar around
    the loader changed the order (measured: the same run gave 91.5% without a
    bar and 88.0% with one). This draws exactly what that loader drew without a
    bar (one int64 for its worker seed, then ``randperm``; torch 2.3), so runs
    recorded before keep their numbers; tests/model/test_training.py checks
    both facts.
    """
    g = torch.Generator().manual_seed(seed * 100_003 + epoch)
    torch.empty((), dtype=torch.int64).random_(generator=g)  # the loader's worker-seed draw
    return torch.randperm(n, generator=g).tolist()


def lr_at(schedule: str, lr: float, epoch: int, epochs: int) -> float:
    """The learning rate of ``epoch`` (1-based): constant, or cosine from ``lr`` towards 0 over ``epochs``.
    A function of the epoch alone, so a resumed run continues the same schedule."""
    if schedule == "cosine":
        return lr * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / epochs))
    return lr


def train_epoch(net, loader, optimizer, loss_fn, device, progress: bool, desc: str,
                rcs: RCS | None = None, synops_weight: float = 0.0) -> tuple[float, float]:
    """One epoch; returns mean loss (task + RCS term + synop term) and training accuracy (over every rank's
    samples under torchrun).

    ``net``: the RazorNet, or the DistributedDataParallel around it (``distributed.wrap``). ``rcs``
    (optional): adds ``alpha * reg`` to the loss and accumulates ``reg`` in ``rcs.mean`` (reset here, once
    per epoch). ``synops_weight``: adds that times ``synops_cost(net)``.
    """
    model, net = net, getattr(net, "module", net)  # forward through DDP; pruners and hooks on the RazorNet
    model.train()
    if rcs is not None:
        rcs.reset()
    total_loss, correct, n = 0.0, 0, 0
    from ..progress import progress as bar

    for x, y in bar(loader, progress, desc=desc, unit="batch", leave=False):
        x, y = x.to(device), y.to(device)
        if rcs is None:
            out = model(x)
            loss = loss_fn(out, y)
        else:
            with capture_activity(net) as records:
                out = model(x)
            loss = loss_fn(out, y) + rcs.alpha * rcs.penalty(records, out, y)
        cost = synops_cost(net) if synops_weight else None
        if cost is not None:
            loss = loss + synops_weight * cost
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += float(loss) * len(y)
        correct += int((predict(out) == y).sum())
        n += len(y)
    total_loss, correct, n = distributed.all_sum([total_loss, correct, n], device)
    return total_loss / max(n, 1), correct / max(n, 1)


@dataclass(frozen=True)
class RunContext:
    """What the epochs of one run share and do not change: the config, the options and the numbers they
    resolve to, the checkpoint's run_id, the data splits and where the run logs."""

    cfg: NetConfig
    opts: RunOptions
    plan: RunPlan
    run_id: dict
    splits: Splits
    log: Callable[[str], None]

    @property
    def out(self) -> Path:
        return Path(self.opts.out)


@dataclass
class TrainState:
    """What training changes, and a checkpoint holds: the network, its optimizer, the epochs' history and
    the best epoch so far on the validation split (epoch, val_accuracy, model; None: none selected yet)."""

    net: torch.nn.Module
    optimizer: torch.optim.Optimizer
    history: History
    best: dict | None = None


def run_epochs(ctx: RunContext, state: TrainState, start: int) -> None:
    """Epochs ``start`` .. ``plan.epochs``: train, validate, select, and after each a checkpoint, metrics, the
    learning curve and a log line (rank 0 only; the other ranks only train)."""
    cfg, opts, net, out, plan = ctx.cfg, ctx.opts, state.net, ctx.out, ctx.plan
    dist = distributed.current()
    model = distributed.wrap(net, opts.device, dist)  # what the training steps run
    loss_fn = make_loss(cfg.train).to(opts.device)
    alpha = float(cfg.train["rcs_alpha"])
    rcs = RCS(alpha, float(cfg.train["rcs_ref_fraction"])) if alpha > 0 else None
    val_loader = (DataLoader(ctx.splits.val, batch_size=plan.batch) if ctx.splits.val is not None and dist.main
                  else None)
    for epoch in range(start, plan.epochs + 1):
        t0 = time.perf_counter()
        lr = lr_at(cfg.train["lr_schedule"], plan.lr, epoch, plan.epochs)
        for group in state.optimizer.param_groups:
            group["lr"] = lr
        if hasattr(ctx.splits.train, "set_epoch"):
            ctx.splits.train.set_epoch(epoch)
        # The shuffle order depends only on (seed, epoch): a resumed run sees the same batches, and a
        # progress bar does not change it (see epoch_order). The generator only feeds the loader's
        # worker seed, so the global torch RNG is left alone.
        # Under torchrun each rank takes its share of every global batch (distributed.shard).
        order = distributed.shard(epoch_order(len(ctx.splits.train), opts.seed, epoch), dist)
        loader = DataLoader(ctx.splits.train, batch_size=distributed.per_rank_batch(plan.batch, dist),
                            sampler=order, generator=torch.Generator().manual_seed(0))
        torch.manual_seed(opts.seed * 100_003 + epoch)
        loss, acc = train_epoch(model, loader, state.optimizer, loss_fn, opts.device, opts.progress,
                                f"epoch {epoch}/{plan.epochs}", rcs=rcs,
                                synops_weight=float(cfg.train["synops_weight"]))
        t_train = time.perf_counter() - t0
        row = {"epoch": epoch, "lr": lr, "train_loss": loss, "train_accuracy": acc,
               "seconds_train": round(t_train, 2)}
        if val_loader is not None:
            ev = evaluate(net, val_loader, opts.device)
            row |= {"val_accuracy": ev["accuracy"], "val_frames_pruned_mean": ev["frames_pruned_mean"]}
        if rcs is not None:
            row["rcs_reg"] = rcs.mean
        row["seconds_epoch"] = round(time.perf_counter() - t0, 2)
        state.history.append(row)
        if not dist.main:
            continue  # the other ranks only train
        if cfg.train["select"] == "best" and (state.best is None
                                              or row["val_accuracy"] >= state.best["val_accuracy"]):
            # ties go to the later epoch: as accurate on the validation split, and trained longer
            state.best = {"epoch": epoch, "val_accuracy": row["val_accuracy"],
                          "model": copy.deepcopy(net.state_dict())}
        write_text_atomic(out / "config.yaml", yaml.safe_dump(cfg.to_dict() | {"pruner": net.pruner_cfg},
                                                              sort_keys=False))
        save_run_checkpoint(out, ctx.run_id, epoch, state)
        state.history.save(out, f"{cfg.name}: {out.name}")
        ctx.log(History.line(row, bool(net.pruners)))


def finish(ctx: RunContext, state: TrainState) -> dict:
    """Load the selected epoch, evaluate it on the test split, calibrate the cutoff on the validation
    split, export ``network.h5`` and write ``result.json`` (rank 0; the others return {})."""
    cfg, opts, net, splits, history, out = ctx.cfg, ctx.opts, state.net, ctx.splits, state.history, ctx.out
    if not history or not distributed.current().main:
        return {}
    selected = history.last_epoch
    last = copy.deepcopy(net.state_dict())  # what a resumed run continues from
    if state.best is not None:
        selected = state.best["epoch"]
        net.load_state_dict(state.best["model"])
    # keep_outputs: the cutoff's test figures below reuse this one pass over the test split
    ev = evaluate(net, DataLoader(splits.test, batch_size=ctx.plan.batch), opts.device, keep_outputs=True)
    result = {"epoch": history.last_epoch, "selected_epoch": selected, "select": cfg.train["select"],
              "val_accuracy": history.row(selected).get("val_accuracy"),
              "val_samples": len(splits.val) if splits.val is not None else 0,
              "train_samples": len(splits.train), "test_samples": len(splits.test),
              "test_accuracy": ev["accuracy"], "frames_pruned_mean": ev["frames_pruned_mean"],
              "input_events_removed": ev["input_events_removed"], "pruners": ev["pruners"],
              "train_loss": history.row(selected)["train_loss"], "seed": opts.seed,
              # mean training seconds per epoch (the epochs' own rows hold each one)
              "seconds_train": history.mean_seconds_train()}
    ctx.log(f"selected epoch {selected} ({cfg.train['select']}"
            + (f", validation {pct(result['val_accuracy'])}" if result["val_accuracy"] is not None
               else "") + f"): test {pct(ev['accuracy'])} on {len(splits.test)} samples")
    cutoff = None
    if cfg.train["cutoff_epsilon"] is not None:
        cutoff, extra = calibrate_run(net, splits.val, splits.test, float(cfg.train["cutoff_epsilon"]),
                                      ctx.plan.batch, opts.device, ctx.log, test_outputs=as_payload_outputs(net, ev))
        result |= extra
    save_run_checkpoint(out, ctx.run_id, history.last_epoch, state, model=last, cutoff=cutoff, result=result)
    export_network(net, out / "network.h5", splits.spec, splits.classes, cutoff=cutoff)
    result["network"] = str(out / "network.h5")
    write_text_atomic(out / "result.json", json.dumps(result, indent=2))
    return result
