"""Checkpoint files as data: written so that ``torch.load(..., weights_only=True)`` reads them, and read only so.

A run folder travels between people, and ``torch.load`` without ``weights_only`` unpickles arbitrary objects:
a hand-written ``checkpoint.pt`` could run any code when a command reads it. So a checkpoint holds only what
torch's weights-only loader accepts (dict, OrderedDict, list, tuple, str, int, float, bool, None, tensors), and
every read passes ``weights_only=True`` explicitly (torch 2.3 defaults to False, 2.6+ to True).

What a run stores that is none of those (the cutoff table's numpy arrays, numpy scalars among the metrics)
is written as tensors (``torch.from_numpy``: same dtype, same bits; a dtype torch lacks as raw bytes) and listed
in the file's ``FORMAT_KEY`` entry, so ``read_checkpoint`` gives them back as the numpy arrays and scalars they
were: everything downstream sees what it saw before.

Checkpoints written by earlier razor_lava versions pickled those arrays as numpy objects, which the weights-only
loader refuses (as it refuses any object that is not data). ``read_checkpoint(..., trust=True)`` (the
commands' ``--trust-checkpoint``) unpickles such a file fully; only for checkpoints you wrote yourself.
``python -m razor_lava.cli.convert_checkpoint RUN --trust-checkpoint`` rewrites one in the safe form once.
"""

from __future__ import annotations

import os
import pickle
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

from ..atomic import atomic_path
from ..errors import DataFormatError

FORMAT_KEY = "razor_lava_format"
FORMAT = "razor_lava.checkpoint"
VERSION = 2  # 1: the pickled checkpoints of earlier versions (no FORMAT_KEY)
CONVERT_HINT = "python train/convert_checkpoint.py {run} --trust-checkpoint"

_PLAIN = (type(None), bool, int, float, str, bytes)


class UntrustedCheckpointError(DataFormatError):
    """A checkpoint the weights-only loader refuses: it holds objects only full unpickling makes (an earlier
    razor_lava's numpy arrays, or anything else: unpickling can run code). Names ``--trust-checkpoint``."""

    def __reduce__(self):  # picklable (a benchmark's worker process raises it to its parent)
        return type(self), (self.source, self.problem)


# ---------------------------------------------------------------------------------------------- encoding

def to_safe(ckpt: dict) -> dict:
    """``ckpt`` as the weights-only loader reads it: numpy arrays and scalars become tensors listed under
    ``FORMAT_KEY``; containers are copied only where something in them changed (a state dict's OrderedDict and
    its ``_metadata`` stay as they are). ``TypeError`` naming the place of anything else that is not data."""
    if not isinstance(ckpt, dict):
        raise TypeError(f"a checkpoint is a dict, got {type(ckpt).__name__}")
    numpy: list[dict] = []
    body = _encode({k: v for k, v in ckpt.items() if k != FORMAT_KEY}, [], numpy)
    return dict(body) | {FORMAT_KEY: {"format": FORMAT, "version": VERSION, "numpy": numpy}}


def _encode(obj, path: list, numpy: list):
    if type(obj) in _PLAIN or isinstance(obj, (torch.Tensor, torch.Size, torch.dtype)):
        return obj
    if isinstance(obj, (np.ndarray, np.generic)):
        return _encode_numpy(obj, path, numpy)
    if type(obj) in (dict, OrderedDict):
        items = [(k, _encode(v, path + [k], numpy)) for k, v in obj.items()]
        if all(new is obj[k] for k, new in items):
            return obj
        out = type(obj)(items)
        if getattr(obj, "__dict__", None):
            out.__dict__.update(obj.__dict__)  # a state dict's _metadata
        return out
    if type(obj) in (list, tuple):
        items = [_encode(v, path + [i], numpy) for i, v in enumerate(obj)]
        return obj if all(a is b for a, b in zip(items, obj)) else type(obj)(items)
    raise TypeError(f"checkpoint entry {_where(path)} is a {type(obj).__module__}.{type(obj).__qualname__}: "
                    "not data the weights-only loader reads (dict, list, tuple, str, int, float, bool, None, "
                    "tensor, numpy array); convert it before saving")


def _encode_numpy(obj, path: list, numpy: list):
    arr = np.asarray(obj)
    if arr.dtype.hasobject:
        raise TypeError(f"checkpoint entry {_where(path)} is a numpy array of Python objects: not data")
    entry = {"path": list(path), "dtype": arr.dtype.str, "shape": list(arr.shape),
             "scalar": isinstance(obj, np.generic)}
    arr = np.ascontiguousarray(arr)
    try:
        tensor = torch.from_numpy(arr.copy())
        entry["raw"] = False
    except (TypeError, ValueError):  # a dtype torch has no tensor for (e.g. big-endian, strings): its bytes
        tensor = torch.from_numpy(np.frombuffer(arr.tobytes(), dtype=np.uint8).copy())
        entry["raw"] = True
    numpy.append(entry)
    return tensor


def _where(path: list) -> str:
    return "".join(f"[{k!r}]" for k in path) or "(the whole checkpoint)"


# ---------------------------------------------------------------------------------------------- decoding

def from_safe(ckpt, path: str | os.PathLike) -> dict:
    """The checkpoint ``to_safe`` was given, from what the weights-only loader read (``ckpt``); a file
    without ``FORMAT_KEY`` (an earlier version's that holds no numpy objects) is returned as it is."""
    if not isinstance(ckpt, dict) or FORMAT_KEY not in ckpt:
        return ckpt
    fmt = ckpt[FORMAT_KEY]
    if not (isinstance(fmt, dict) and fmt.get("format") == FORMAT and isinstance(fmt.get("numpy"), list)):
        raise DataFormatError(path, f"not a razor_lava checkpoint: its {FORMAT_KEY!r} entry is {fmt!r}")
    if not isinstance(fmt.get("version"), int) or fmt["version"] > VERSION:
        raise DataFormatError(path, f"checkpoint format version {fmt.get('version')!r}: written by a newer "
                              f"razor_lava (this one reads version {VERSION}); update razor_lava")
    out = {k: v for k, v in ckpt.items() if k != FORMAT_KEY}
    for entry in fmt["numpy"]:
        try:
            _replace(out, list(entry["path"]), _decode_numpy(entry))
        except (KeyError, IndexError, TypeError, ValueError) as e:
            raise DataFormatError(path, f"damaged checkpoint: its numpy entry {entry!r} does not fit "
                                  f"({type(e).__name__}: {e})") from None
    return out


def _decode_numpy(entry: dict):
    def make(tensor: torch.Tensor):
        data = tensor.detach().cpu().numpy()
        dtype = np.dtype(entry["dtype"])
        arr = np.frombuffer(data.tobytes(), dtype=dtype).copy() if entry["raw"] else data
        if arr.dtype != dtype:
            raise ValueError(f"stored as {arr.dtype}, listed as {dtype}")
        arr = arr.reshape(entry["shape"])
        return arr[()] if entry["scalar"] else arr
    return make


def _replace(container, path: list, make) -> None:
    """Replace the tensor at ``path`` in ``container`` by ``make(tensor)`` (tuples on the way are rebuilt)."""
    if not path:
        raise ValueError("empty path")
    key, rest = path[0], path[1:]
    child = container[key]
    if rest:
        if isinstance(child, tuple):
            child = list(child)
            _replace(child, rest, make)
            container[key] = tuple(child)
        else:
            _replace(child, rest, make)
        return
    if not isinstance(child, torch.Tensor):
        raise TypeError(f"expected a tensor, found a {type(child).__name__}")
    container[key] = make(child)


# ---------------------------------------------------------------------------------------------- files

def write_checkpoint(ckpt: dict, path: str | os.PathLike) -> None:
    """``torch.save`` the safe form of ``ckpt`` to ``path`` as it is (the caller makes it atomic)."""
    torch.save(to_safe(ckpt), path)


def save_checkpoint(ckpt: dict, path: str | os.PathLike) -> Path:
    """Write ``ckpt`` in the safe form to ``path``, atomically; returns the path."""
    with atomic_path(path) as tmp:
        write_checkpoint(ckpt, tmp)
    return Path(path)


def read_checkpoint(path: str | os.PathLike, device="cpu", trust: bool = False) -> dict:
    """The checkpoint in ``path``, read with ``torch.load(weights_only=True)``: nothing in the file is
    executed. A file that loader refuses (an earlier razor_lava's checkpoint with numpy objects, or a
    crafted one) raises ``UntrustedCheckpointError`` unless ``trust``: then it is unpickled fully
    (``weights_only=False``), which can run code; only for files you wrote yourself.
    Other read failures (a damaged or foreign file) raise ``DataFormatError``."""
    try:
        raw = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as e:
        if not trust:
            raise UntrustedCheckpointError(path, refusal(path, e)) from None
        return _load_trusted(path, device)
    except Exception as e:  # torch raises many types for a damaged file (zip, EOF, runtime)
        raise DataFormatError(path, f"not a readable checkpoint ({type(e).__name__}: {e}); expected a "
                              "checkpoint.pt written by train/train.py") from None
    return from_safe(raw, path)


def _load_trusted(path, device) -> dict:
    try:
        raw = torch.load(path, map_location=device, weights_only=False)  # trusted by the user: full unpickling
    except Exception as e:
        raise DataFormatError(path, f"not a readable checkpoint ({type(e).__name__}: {e}); expected a "
                              "checkpoint.pt written by train/train.py") from None
    return from_safe(raw, path)


def refusal(path, error: Exception) -> str:
    """The message of ``UntrustedCheckpointError``: why, and how to convert a checkpoint of one's own."""
    run = Path(path).parent
    reason = str(error).strip().splitlines()
    why = next((line for line in reason if "Unsupported" in line or "global" in line.lower()),
               reason[0] if reason else type(error).__name__)
    return ("not read: this checkpoint holds objects that only full unpickling makes, and unpickling can "
            f"execute code (the safe weights-only loader says: {why.strip()}). A checkpoint written by an earlier "
            "razor_lava holds numpy objects like that; if you wrote it yourself, convert it once with "
            f"`{CONVERT_HINT.format(run=run)}` (or pass --trust-checkpoint to this command). "
            "Never trust a checkpoint from someone else.")


# ---------------------------------------------------------------------------------------------- a run's checkpoint
# What ``training.run.train`` keeps in ``RUN_DIR/checkpoint.pt``: run_id (what a resumed run must share), epoch,
# model, optimizer, history (the rows of ``history.History``), best (the best epoch so far on the validation split:
# epoch, val_accuracy, model), and at the end of a run the cutoff table and result.

CHECKPOINT = "checkpoint.pt"


def ckpt_exists(out: Path) -> bool:
    return (Path(out) / CHECKPOINT).exists()


def save_run_checkpoint(out: Path, run_id: dict, epoch: int, state, model: dict | None = None, **extra) -> None:
    """``out/checkpoint.pt`` of ``state`` (``loop.TrainState``) after ``epoch``, atomically; ``model``: the weights
    to resume from (default: the network's now); ``extra``: the end of a run's cutoff and result."""
    save_checkpoint({"run_id": run_id, "epoch": epoch,
                     "model": state.net.state_dict() if model is None else model,
                     "optimizer": state.optimizer.state_dict(), "history": state.history.rows, "best": state.best}
                    | extra, Path(out) / CHECKPOINT)


def load_checkpoint(path: Path, device, trust: bool = False) -> dict:
    """A checkpoint written by ``train``, read weights-only (``read_checkpoint``: nothing in it is executed;
    ``trust``: an earlier version's checkpoint is unpickled fully); ``DataFormatError`` naming it if it is not one
    (``UntrustedCheckpointError`` if only full unpickling reads it and ``trust`` is not given)."""
    ckpt = read_checkpoint(path, device, trust=trust)
    missing = {"run_id", "epoch", "model", "optimizer", "history"} - set(ckpt if isinstance(ckpt, dict) else ())
    if missing:
        raise DataFormatError(path, f"not a training checkpoint: missing {sorted(missing)}")
    run_id = ckpt["run_id"]
    if not (isinstance(run_id, dict) and {"config", "pruner", "seed"} <= set(run_id)):
        raise DataFormatError(path, "not a training checkpoint: run_id lacks config, pruner or seed")
    return ckpt


def load_state(net, ckpt: dict, path: Path) -> None:
    """The checkpoint's weights into ``net``; ``DataFormatError`` naming the file if they do not fit."""
    try:
        net.load_state_dict(ckpt["model"])
    except (RuntimeError, KeyError, TypeError) as e:
        raise DataFormatError(path, f"its weights do not fit the network of its own config: {e}") from None


def same_run_id(run_id: dict) -> dict:
    """A checkpoint's ``run_id`` with its config read again by today's ``parse_config``: config keys added
    since it was written take their defaults (which is what that run trained with), so it still resumes."""
    from ..config import parse_config

    return dict(run_id) | {"config": parse_config(run_id["config"], source="checkpoint run_id").to_dict()}


def load_trained(run_dir: str | Path, device: str = "cpu", trust_checkpoint: bool = False):
    """Rebuild the network (a ``RazorNet``) of a run directory from its config and checkpoint (read
    weights-only; ``trust_checkpoint``: see ``load_checkpoint``)."""
    from ..config import parse_config
    from ..errors import UsageError
    from ..model.network import RazorNet

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError("RUN_DIR", f"{run_dir}: " + ("is a file; " if run_dir.exists() else "no such folder; ")
                          + "expected a run folder written by train/train.py")
    if not (run_dir / CHECKPOINT).is_file():
        raise UsageError("RUN_DIR", f"no {CHECKPOINT} in {run_dir}: expected a directory written by train/train.py")
    ckpt = load_checkpoint(run_dir / CHECKPOINT, device, trust=trust_checkpoint)
    cfg = parse_config(ckpt["run_id"]["config"], source=str(run_dir / "config.yaml"))
    net = RazorNet(cfg, ckpt["run_id"]["pruner"]).to(device)
    # The selected epoch's weights (the ones network.h5 holds), where the run selected one.
    load_state(net, ckpt["best"] if ckpt.get("best") else ckpt, run_dir / CHECKPOINT)
    net.eval()
    return net


def load_cutoff(run_dir: str | Path, trust_checkpoint: bool = False) -> dict | None:
    """The calibrated cutoff table of a run directory's checkpoint (None if not calibrated)."""
    return load_checkpoint(Path(run_dir) / CHECKPOINT, "cpu", trust=trust_checkpoint).get("cutoff")
