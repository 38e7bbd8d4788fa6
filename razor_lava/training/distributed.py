"""Training on several processes with torch.distributed (``torchrun``): which rank does what.

    torchrun --standalone --nproc_per_node 2 train/train.py --config nmnist --out runs/ddp ...
    torchrun --nnodes 2 --node_rank R --nproc_per_node 4 --rdzv_backend c10d \
        --rdzv_endpoint HOST:29500 train/train.py --config nmnist --out /shared/runs/ddp ...

``torchrun`` sets ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``; ``session`` joins
the process group (gloo on the CPU, nccl on CUDA, each rank on ``cuda:LOCAL_RANK``).
What each rank does (``training/run.py`` and ``training/loop.py``):

- **training**: every rank sees the epoch's sample order (``epoch_order``: from the
  seed and the epoch alone) and takes every ``world``-th sample of it, in batches
  of ``batch_size / world``: together the ranks' k-th batches are the single
  process's k-th batch, and DistributedDataParallel averages their gradients, so
  the step is the single process's step at the same global batch (up to float
  summation order; ``--batch-size`` must be a multiple of the number of ranks). An epoch whose
  sample count is no multiple of the number of ranks leaves its last few samples (fewer than
  ``world``; other ones each epoch, the order shuffles) out, so that every rank takes as many steps;
- **validation, epoch selection, cutoff calibration, the test figures and every
  file** (checkpoint, metrics, config, network.h5, result.json): rank 0, over the
  whole split, exactly as a single process computes them; the others wait;
- **--resume**: every rank reads rank 0's checkpoint.

On several nodes ``--out`` must be a folder that every node sees (rank 0 writes
it, every rank reads the checkpoint to resume).

While rank 0 alone validates, calibrates and exports, the other ranks wait at a
collective; torch's default limit there (10 minutes) would end the job on a large
validation split, so ``session`` takes its own (``DDP_TIMEOUT_MIN``, train.py's
``--ddp-timeout-min``).
"""

from __future__ import annotations

import contextlib
import datetime
import os
from dataclasses import dataclass

import torch

from ..errors import UsageError

# Minutes a rank waits at a collective (torch's default is 10): rank 0's validation, calibration and export of
# a paper-scale run (a DVS Gesture test split on one GPU) take tens of minutes while the others wait.
DDP_TIMEOUT_MIN = 120.0


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        """The rank that evaluates and writes."""
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1


_current = Dist()


def current() -> Dist:
    """This process's place (``Dist()``, a single process, outside a ``session``)."""
    return _current


def from_env() -> Dist:
    """The place ``torchrun`` gives this process (a single process without its variables)."""
    try:
        return Dist(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                    int(os.environ.get("LOCAL_RANK", 0)))
    except ValueError:
        raise UsageError("RANK/WORLD_SIZE", "torchrun's RANK, WORLD_SIZE and LOCAL_RANK must be integers") from None


def rank_device(device: str, dist: Dist) -> str:
    """The device of this rank: ``cuda`` becomes ``cuda:LOCAL_RANK``; a rank never shares a GPU by accident."""
    if dist.active and torch.device(device).type == "cuda":
        if torch.device(device).index not in (None, dist.local_rank):
            raise UsageError("--device", f"{device!r} with torchrun: give --device cuda (each rank takes "
                             f"cuda:LOCAL_RANK, here cuda:{dist.local_rank})")
        return f"cuda:{dist.local_rank}"
    return device


@contextlib.contextmanager
def session(device: str, timeout_min: float = DDP_TIMEOUT_MIN):
    """Join torchrun's process group for the block (nothing in a single process); yields ``(Dist, device)``.
    ``timeout_min``: how long a rank waits at a collective for the others."""
    global _current
    dist = from_env()
    if not dist.active:
        yield dist, device
        return
    device = rank_device(device, dist)
    backend = "nccl" if torch.device(device).type == "cuda" else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(torch.device(device))
    torch.distributed.init_process_group(backend, timeout=datetime.timedelta(minutes=timeout_min))
    _current = dist
    try:
        yield dist, device
    finally:
        _current = Dist()
        torch.distributed.destroy_process_group()


def per_rank_batch(batch: int, dist: Dist) -> int:
    """Each rank's share of the global batch."""
    if batch % dist.world:
        raise UsageError("--batch-size", f"the global batch {batch} must be a multiple of the {dist.world} ranks "
                         "(each rank takes an equal share, so the step is the single process's)")
    return batch // dist.world


def shard(order: list[int], dist: Dist) -> list[int]:
    """This rank's samples of an epoch's order: every ``world``-th, from its rank on, of the order cut to a
    multiple of ``world`` (so every rank takes as many steps); the whole order in a single process."""
    return order[: len(order) - len(order) % dist.world][dist.rank::dist.world]


def wrap(net: torch.nn.Module, device: str, dist: Dist) -> torch.nn.Module:
    """``net`` in DistributedDataParallel when there are several ranks (``net`` itself otherwise).

    ``find_unused_parameters``: a pruner's embeddings get no gradient in a step where it keeps every
    frame (and frozen pruners never do), which plain DDP would wait for forever. No buffer broadcast: the
    network has no running statistics to share, and its state buffers take the shape of the last batch
    (rank 0's validation batches differ from the others' training batches).
    """
    if not dist.active:
        return net
    ids = [torch.device(device)] if torch.device(device).type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(net, device_ids=ids, find_unused_parameters=True,
                                                     broadcast_buffers=False)


def all_sum(values: list[float], device: str) -> list[float]:
    """Element-wise sum over the ranks (the values themselves in a single process)."""
    if not current().active:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    torch.distributed.all_reduce(t)
    return t.tolist()


def barrier() -> None:
    if current().active:
        torch.distributed.barrier()
