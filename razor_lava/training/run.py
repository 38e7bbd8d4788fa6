"""A training run: data, model, epochs, checkpoints, metrics, curves, export.

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
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import csv
import json
import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import yaml
from torch.utils.data import DataLoader

from ..cutoff.rcs import RCS, capture_activity
from ..atomic import atomic_path, removed_on_failure, write_text_atomic
from ..plots import save_png
from ..errors import DataFormatError, UsageError
from ..netfile import export_network
from ..model._slayer import slayer
from ..model.device import preflight
from ..config import NetConfig, parse_config
from ..config.schema import Num
from ..config.train import TRAIN_SCHEMA
from ..model.network import RazorNet
from . import distributed
from .checkpoint import read_checkpoint, save_checkpoint
from .cutoff import as_payload_outputs, calibrate_run
from .data import Splits, load_data
from .evaluate import evaluate, predict

CHECKPOINT = "checkpoint.pt"


@dataclass
class RunOptions:
    """How to run a config. None = the config's value (epochs, batch_size, lr) or everything (train_samples,
    test_samples); 0 never means either: counts are >= 1 (``check_options``). ``resume``: continue from
    ``out/checkpoint.pt`` where there is one (the command line's ``--resume`` also demands that there is)."""

    out: Path
    data_root: str | None = None
    epochs: int | None = None
    seed: int = 0
    device: str = "cpu"
    pruner: dict = field(default_factory=dict)  # overrides of the config's pruner section
    train_samples: int | None = None
    test_samples: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    resume: bool = False
    progress: bool = True
    cache_dir: str | None = None
    # Data set objects to train and test on instead of the config's data set read from disk:
    # {"train": source, "test": source}, each yielding (events, label) with a sensor_size (e.g.
    # interop.TonicSource(a tonic data set)). The config's data section still frames them.
    sources: dict | None = None
    # Read a checkpoint to resume that the weights-only loader refuses (an earlier version's) by full
    # unpickling, which can execute code: only for checkpoints you wrote yourself (--trust-checkpoint).
    trust_checkpoint: bool = False
    # Start from a network file (train.py --from): the config must be ``from_file.config_from_network_file``'s
    # for it; the net gets the file's weights and, where they fit, its pruners (training/from_file.py).
    from_file: str | Path | None = None
    # Train only the pruners: every block parameter stays as it is (the file's, with from_file).
    freeze_weights: bool = False
    # lava-dl's CUDA kernels with a cuda device: "auto", "jit" or "torch" (razor_lava.model.device).
    cuda_kernels: str = "auto"


OPTION_SCHEMA = {
    "epochs": TRAIN_SCHEMA["epochs"], "batch_size": TRAIN_SCHEMA["batch_size"], "lr": TRAIN_SCHEMA["lr"],
    "train_samples": Num(integer=True, lo=1, note="None = all"), "test_samples": Num(integer=True, lo=1,
                                                                                     note="None = all"),
    "seed": Num(integer=True, lo=0, hi=2**32 - 1),
}


def check_options(opts: RunOptions) -> None:
    """``UsageError`` naming the option if a count, the learning rate, the seed, the run folder or the device
    is not what it must be."""
    for name, spec in OPTION_SCHEMA.items():
        v = getattr(opts, name)
        if (v is not None or name == "seed") and not spec.ok(v):
            raise UsageError(name, f"expected {spec.expected()}, got {v!r}")
    out = Path(opts.out)
    if out.exists() and not out.is_dir():
        raise UsageError("out", f"{out} exists and is not a folder; expected a run folder (it may not exist yet)")
    preflight(opts.device, opts.cuda_kernels, "device")


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


def _atomic_torch_save(obj, path: Path) -> None:
    """A checkpoint, atomically, in the form ``torch.load(weights_only=True)`` reads (training/checkpoint.py)."""
    save_checkpoint(obj, path)


_atomic_text = write_text_atomic


def write_metrics(out: Path, history: list[dict]) -> None:
    _atomic_text(out / "metrics.json", json.dumps(history, indent=2))
    flat = [{k: v for k, v in row.items() if not isinstance(v, dict)} |
            {f"pruner{i}_{k}": v for i, p in row.get("pruners", {}).items() for k, v in p.items()}
            for row in history]
    keys = sorted({k for row in flat for k in row}, key=lambda k: (k != "epoch", k))
    with atomic_path(out / "metrics.csv") as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(flat)


def plot_learning_curve(out: Path, history: list[dict], title: str) -> Path:
    from matplotlib.figure import Figure

    ep = [h["epoch"] for h in history]
    fig = Figure(figsize=(9, 3.4))
    a1, a2 = fig.subplots(1, 2)
    a1.plot(ep, [h["train_loss"] for h in history], marker="o")
    a1.set(xlabel="epoch", ylabel="training loss", title="loss")
    a2.plot(ep, [100 * h["train_accuracy"] for h in history], marker="o", label="train")
    if any("val_accuracy" in h for h in history):
        a2.plot(ep, [100 * h.get("val_accuracy", float("nan")) for h in history], marker="s",
                label="validation (inference, pruned)")
    if any(h.get("val_frames_pruned_mean") for h in history):  # a run with pruners
        a2.plot(ep, [100 * h.get("val_frames_pruned_mean", float("nan")) for h in history], ls="--",
                label="frames pruned (mean, validation)")
    a2.set(xlabel="epoch", ylabel="%", title="accuracy", ylim=(0, 100))
    a2.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return save_png(fig, out / "learning_curve.png")


class RateCrossEntropy(torch.nn.Module):
    """Cross entropy of the accumulated output ``sum_t y(t)`` (N x classes x T)."""

    def forward(self, output: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(output.sum(dim=-1), label)


def make_loss(train_cfg: dict) -> torch.nn.Module:
    if train_cfg["loss"] == "spike_rate":
        return slayer.loss.SpikeRate(true_rate=train_cfg["true_rate"], false_rate=train_cfg["false_rate"],
                                     reduction="sum")
    return RateCrossEntropy()


def synops_cost(net) -> torch.Tensor | None:
    """Mean over the Razor pruners of the soft fraction of input events each let through in the last
    training forward (``EventPruner.last_cost``); None without such pruners."""
    costs = [p.last_cost.mean() for _, p in net.pruner_items() if p.method == "razor" and p.last_cost is not None]
    return torch.stack(costs).mean() if costs else None


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
    epochs = opts.epochs if opts.epochs is not None else int(cfg.train["epochs"])
    batch = opts.batch_size if opts.batch_size is not None else int(cfg.train["batch_size"])
    lr = opts.lr if opts.lr is not None else float(cfg.train["lr"])
    # What a resumed run must share with the checkpoint: everything that changes the batches or the steps.
    run_id = {"config": cfg.to_dict(), "pruner": opts.pruner, "seed": opts.seed,
              "options": {"batch_size": batch, "lr": lr, "train_samples": opts.train_samples,
                          "test_samples": opts.test_samples}}

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
    optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=lr,
                                 weight_decay=float(cfg.train["weight_decay"]))
    history, start = [], 1
    ckpt_path = out / CHECKPOINT
    if opts.resume and ckpt_path.exists():
        ckpt = _load_checkpoint(ckpt_path, opts.device, trust=opts.trust_checkpoint)
        if same_run_id(ckpt["run_id"]) != run_id:
            raise UsageError("--resume", f"{ckpt_path} was written by a different config, --from file, "
                              "--freeze-weights, pruner options, seed, batch size, learning rate or sample counts; use a new --out or the same options")
        if ckpt["epoch"] > epochs:
            raise UsageError("epochs", f"{ckpt_path} already holds {ckpt['epoch']} epochs, more than the {epochs} "
                              f"asked for; ask for at least {ckpt['epoch']} or use a new --out")
        _load_state(net, ckpt, ckpt_path)
        optimizer.load_state_dict(ckpt["optimizer"])
        history, start, best = ckpt["history"], ckpt["epoch"] + 1, ckpt.get("best")
        log(f"resuming {out} after epoch {ckpt['epoch']}")
    else:
        best = None

    distributed.per_rank_batch(batch, dist)  # refused before anything is written
    splits = load_data(cfg, opts)
    n_out = int(np.prod(net.output_shape))
    if splits.classes and len(splits.classes) > n_out:
        what = f"{opts.from_file}: its output layer" if opts.from_file is not None else "the last layer"
        raise UsageError("--from" if opts.from_file is not None else "layers",
                         f"{what} has {n_out} outputs, but {cfg.data['dataset']!r} has {len(splits.classes)} classes")
    with removed_on_failure(out, keep=ckpt_path.exists) if dist.main else contextlib.nullcontext():
        out.mkdir(parents=True, exist_ok=True)
        loop = _Loop(cfg, opts, net, optimizer, history, best, epochs, batch, lr, run_id, splits, log)
        loop.run(start)
        return loop.finish()


def ckpt_exists(out: Path) -> bool:
    return (Path(out) / CHECKPOINT).exists()


def same_run_id(run_id: dict) -> dict:
    """A checkpoint's ``run_id`` with its config read again by today's ``parse_config``: config keys added
    since it was written take their defaults (which is what that run trained with), so it still resumes."""
    return dict(run_id) | {"config": parse_config(run_id["config"], source="checkpoint run_id").to_dict()}


def _load_checkpoint(path: Path, device, trust: bool = False) -> dict:
    """A checkpoint written by ``train``, read weights-only (``checkpoint.read_checkpoint``: nothing in it is
    executed; ``trust``: an earlier version's checkpoint is unpickled fully); ``DataFormatError`` naming it if
    it is not one (``UntrustedCheckpointError`` if only full unpickling reads it and ``trust`` is not given)."""
    ckpt = read_checkpoint(path, device, trust=trust)
    missing = {"run_id", "epoch", "model", "optimizer", "history"} - set(ckpt if isinstance(ckpt, dict) else ())
    if missing:
        raise DataFormatError(path, f"not a training checkpoint: missing {sorted(missing)}")
    run_id = ckpt["run_id"]
    if not (isinstance(run_id, dict) and {"config", "pruner", "seed"} <= set(run_id)):
        raise DataFormatError(path, "not a training checkpoint: run_id lacks config, pruner or seed")
    return ckpt


def _load_state(net, ckpt: dict, path: Path) -> None:
    try:
        net.load_state_dict(ckpt["model"])
    except (RuntimeError, KeyError, TypeError) as e:
        raise DataFormatError(path, f"its weights do not fit the network of its own config: {e}") from None


def lr_at(schedule: str, lr: float, epoch: int, epochs: int) -> float:
    """The learning rate of ``epoch`` (1-based): constant, or cosine from ``lr`` towards 0 over ``epochs``.
    A function of the epoch alone, so a resumed run continues the same schedule."""
    if schedule == "cosine":
        return lr * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / epochs))
    return lr


class _Loop:
    """The epochs of one run, the choice of the epoch to export, and the end of the run."""

    def __init__(self, cfg, opts, net, optimizer, history, best, epochs, batch, lr, run_id, splits: Splits, log):
        self.cfg, self.opts, self.net, self.optimizer = cfg, opts, net, optimizer
        self.history, self.best, self.epochs, self.batch, self.lr = history, best, epochs, batch, lr
        self.run_id, self.splits, self.log = run_id, splits, log
        self.out = Path(opts.out)
        self.dist = distributed.current()
        self.model = distributed.wrap(net, opts.device, self.dist)  # what the training steps run
        self.loss_fn = make_loss(cfg.train).to(opts.device)
        alpha = float(cfg.train["rcs_alpha"])
        self.rcs = RCS(alpha, float(cfg.train["rcs_ref_fraction"])) if alpha > 0 else None

    def _checkpoint(self, epoch: int, model: dict | None = None, **extra) -> None:
        """``model``: the weights to resume from (default: the network's now)."""
        _atomic_torch_save({"run_id": self.run_id, "epoch": epoch,
                            "model": self.net.state_dict() if model is None else model,
                            "optimizer": self.optimizer.state_dict(), "history": self.history, "best": self.best}
                           | extra, self.out / CHECKPOINT)

    def run(self, start: int) -> None:
        cfg, opts, net = self.cfg, self.opts, self.net
        main = self.dist.main
        val_loader = (DataLoader(self.splits.val, batch_size=self.batch) if self.splits.val is not None and main
                      else None)
        for epoch in range(start, self.epochs + 1):
            t0 = time.perf_counter()
            lr = lr_at(cfg.train["lr_schedule"], self.lr, epoch, self.epochs)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            if hasattr(self.splits.train, "set_epoch"):
                self.splits.train.set_epoch(epoch)
            # The shuffle order depends only on (seed, epoch): a resumed run sees the same batches, and a
            # progress bar does not change it (see epoch_order). The generator only feeds the loader's
            # worker seed, so the global torch RNG is left alone.
            # Under torchrun each rank takes its share of every global batch (distributed.shard).
            order = distributed.shard(epoch_order(len(self.splits.train), opts.seed, epoch), self.dist)
            loader = DataLoader(self.splits.train, batch_size=distributed.per_rank_batch(self.batch, self.dist),
                                sampler=order, generator=torch.Generator().manual_seed(0))
            torch.manual_seed(opts.seed * 100_003 + epoch)
            loss, acc = train_epoch(self.model, loader, self.optimizer, self.loss_fn, opts.device, opts.progress,
                                    f"epoch {epoch}/{self.epochs}", rcs=self.rcs,
                                    synops_weight=float(self.cfg.train["synops_weight"]))
            t_train = time.perf_counter() - t0
            row = {"epoch": epoch, "lr": lr, "train_loss": loss, "train_accuracy": acc,
                   "seconds_train": round(t_train, 2)}
            if val_loader is not None:
                ev = evaluate(net, val_loader, opts.device)
                row |= {"val_accuracy": ev["accuracy"], "val_frames_pruned_mean": ev["frames_pruned_mean"]}
            if self.rcs is not None:
                row["rcs_reg"] = self.rcs.mean
            row["seconds_epoch"] = round(time.perf_counter() - t0, 2)
            self.history.append(row)
            if not main:
                continue  # the other ranks only train
            if cfg.train["select"] == "best" and (self.best is None
                                                  or row["val_accuracy"] >= self.best["val_accuracy"]):
                # ties go to the later epoch: as accurate on the validation split, and trained longer
                self.best = {"epoch": epoch, "val_accuracy": row["val_accuracy"],
                             "model": copy.deepcopy(net.state_dict())}
            _atomic_text(self.out / "config.yaml", yaml.safe_dump(cfg.to_dict() | {"pruner": net.pruner_cfg},
                                                                  sort_keys=False))
            self._checkpoint(epoch)
            write_metrics(self.out, self.history)
            plot_learning_curve(self.out, self.history, f"{cfg.name}: {self.out.name}")
            self.log(f"epoch {epoch:3d}  loss {loss:8.4f}  train {100 * acc:5.1f}%  "
                     + (f"val {100 * row['val_accuracy']:5.1f}%  " if "val_accuracy" in row else "")
                     + (f"frames pruned {100 * row['val_frames_pruned_mean']:5.1f}%  "
                        if net.pruners and "val_frames_pruned_mean" in row else "")
                     + (f"rcs {row['rcs_reg']:.4g}  " if "rcs_reg" in row else "")
                     + f"lr {lr:.2g}  ({row['seconds_epoch']:.1f} s)")

    def finish(self) -> dict:
        """Load the selected epoch, evaluate it on the test split, calibrate the cutoff on the validation
        split, export ``network.h5`` and write ``result.json``."""
        cfg, opts, net, splits = self.cfg, self.opts, self.net, self.splits
        if not self.history or not self.dist.main:
            return {}
        selected = self.history[-1]["epoch"]
        last = copy.deepcopy(net.state_dict())  # what a resumed run continues from
        if self.best is not None:
            selected = self.best["epoch"]
            net.load_state_dict(self.best["model"])
        # keep_outputs: the cutoff's test figures below reuse this one pass over the test split
        ev = evaluate(net, DataLoader(splits.test, batch_size=self.batch), opts.device, keep_outputs=True)
        result = {"epoch": self.history[-1]["epoch"], "selected_epoch": selected, "select": cfg.train["select"],
                  "val_accuracy": self.history[selected - 1].get("val_accuracy"),
                  "val_samples": len(splits.val) if splits.val is not None else 0,
                  "train_samples": len(splits.train), "test_samples": len(splits.test),
                  "test_accuracy": ev["accuracy"], "frames_pruned_mean": ev["frames_pruned_mean"],
                  "input_events_removed": ev["input_events_removed"], "pruners": ev["pruners"],
                  "train_loss": self.history[selected - 1]["train_loss"], "seed": opts.seed,
                  # mean training seconds per epoch (the epochs' own rows hold each one)
                  "seconds_train": sum(h["seconds_train"] for h in self.history) / len(self.history)}
        self.log(f"selected epoch {selected} ({cfg.train['select']}"
                 + (f", validation {100 * result['val_accuracy']:.1f}%" if result["val_accuracy"] is not None
                    else "") + f"): test {100 * ev['accuracy']:.1f}% on {len(splits.test)} samples")
        cutoff = None
        if cfg.train["cutoff_epsilon"] is not None:
            cutoff, extra = calibrate_run(net, splits.val, splits.test, float(cfg.train["cutoff_epsilon"]),
                                          self.batch, opts.device, self.log, test_outputs=as_payload_outputs(net, ev))
            result |= extra
        self._checkpoint(self.history[-1]["epoch"], model=last, cutoff=cutoff, result=result)
        export_network(net, self.out / "network.h5", splits.spec, splits.classes, cutoff=cutoff)
        result["network"] = str(self.out / "network.h5")
        _atomic_text(self.out / "result.json", json.dumps(result, indent=2))
        return result


def load_trained(run_dir: str | Path, device: str = "cpu", trust_checkpoint: bool = False) -> RazorNet:
    """Rebuild the network of a run directory from its config and checkpoint (read weights-only;
    ``trust_checkpoint``: see ``_load_checkpoint``)."""
    from ..config import parse_config

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError("RUN_DIR", f"{run_dir}: " + ("is a file; " if run_dir.exists() else "no such folder; ")
                          + "expected a run folder written by train/train.py")
    if not (run_dir / CHECKPOINT).is_file():
        raise UsageError("RUN_DIR", f"no {CHECKPOINT} in {run_dir}: expected a directory written by train/train.py")
    ckpt = _load_checkpoint(run_dir / CHECKPOINT, device, trust=trust_checkpoint)
    cfg = parse_config(ckpt["run_id"]["config"], source=str(run_dir / "config.yaml"))
    net = RazorNet(cfg, ckpt["run_id"]["pruner"]).to(device)
    # The selected epoch's weights (the ones network.h5 holds), where the run selected one.
    _load_state(net, ckpt["best"] if ckpt.get("best") else ckpt, run_dir / CHECKPOINT)
    net.eval()
    return net


def load_cutoff(run_dir: str | Path, trust_checkpoint: bool = False) -> dict | None:
    """The calibrated cutoff table of a run directory's checkpoint (None if not calibrated)."""
    return _load_checkpoint(Path(run_dir) / CHECKPOINT, "cpu", trust=trust_checkpoint).get("cutoff")
