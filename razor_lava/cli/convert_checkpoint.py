"""Rewrite a run's checkpoint.pt in the safe form that razor_lava reads without unpickling.

    python train/convert_checkpoint.py runs/synthetic-e3 --trust-checkpoint

A checkpoint written by razor_lava before checkpoints became data pickles numpy
objects (the cutoff table), which the weights-only loader every command uses
refuses: only full unpickling reads it, and unpickling can execute code. If you
wrote the checkpoint yourself, this command reads it once that way
(--trust-checkpoint says you trust it), writes it back as tensors and plain
types, checks that the new file reads back weights-only to the same content,
and only then replaces the old file (atomically). A checkpoint already in the
safe form is left as it is. Never convert a checkpoint from someone else.
``python -m razor_lava.cli.convert_checkpoint`` is the same program.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import TRUST_CHECKPOINT_HELP, run_main


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by train/train.py (holds checkpoint.pt)")
    ap.add_argument("--trust-checkpoint", action="store_true",
                    help=TRUST_CHECKPOINT_HELP + ". Needed to convert a checkpoint of an earlier razor_lava")
    return ap.parse_args(argv)


def same(a, b) -> bool:
    """Whether two checkpoint contents are equal: types, tensors (dtype and values), numpy arrays (dtype,
    shape and bits: NaN equals NaN) and everything else by ``==``."""
    import numpy as np
    import torch

    if type(a) is not type(b):
        return False
    if isinstance(a, torch.Tensor):
        return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a.cpu(), b.cpu())
    if isinstance(a, (np.ndarray, np.generic)):
        return a.dtype == b.dtype and np.shape(a) == np.shape(b) and \
            np.asarray(a).tobytes() == np.asarray(b).tobytes()
    if isinstance(a, dict):
        extra = getattr(a, "__dict__", None), getattr(b, "__dict__", None)  # a state dict's _metadata
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a) and \
            (extra[0] == extra[1] if extra[0] is not None or extra[1] is not None else True)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


def run(args) -> int:
    """Convert (or say that there is nothing to convert); print what was done."""
    from ..atomic import atomic_path
    from ..errors import DataFormatError, UsageError
    from ..training.checkpoint import UntrustedCheckpointError, read_checkpoint, write_checkpoint
    from ..training.checkpoint import CHECKPOINT, load_checkpoint

    run_dir = Path(args.run_dir)
    path = run_dir / CHECKPOINT
    if not path.is_file():
        raise UsageError("RUN_DIR", f"no {CHECKPOINT} in {run_dir}: expected a run folder written by train/train.py")
    try:
        load_checkpoint(path, "cpu")  # weights-only: nothing in it runs
        print(f"{path}: already in the safe form (it reads with torch.load(weights_only=True)); left as it is")
        return 0
    except UntrustedCheckpointError:
        if not args.trust_checkpoint:
            raise UsageError("--trust-checkpoint", f"{path} can only be read by unpickling it, which can execute "
                             "code; if you wrote it yourself, run this again with --trust-checkpoint") from None
    ckpt = load_checkpoint(path, "cpu", trust=True)
    with atomic_path(path) as tmp:
        write_checkpoint(ckpt, tmp)
        if not same(read_checkpoint(tmp, "cpu"), ckpt):  # weights-only, as every command reads it
            raise DataFormatError(path, "its safe form does not read back to the same content; left as it was")
    print(f"{path}: converted to the safe form (reads with torch.load(weights_only=True))")
    return 0


def main(argv=None) -> int:
    return run_main(run, parse_args(argv), interrupted="interrupted (the checkpoint is replaced atomically: it is "
                                                       "as it was; run it again)")


if __name__ == "__main__":
    sys.exit(main())
