"""Calibrate (or re-calibrate) the Top-K cutoff of a trained run, after training.

    python train/calibrate.py runs/synthetic-e3 --epsilon 0.05
    python train/calibrate.py runs/nmnist-e3 --data-root ../shared/data/nmnist-small --epsilon 0.02

beta_t is calibrated on the run's validation split (carved from its training
set as training carved it), measured on its test set,
stored in RUN_DIR/checkpoint.pt (key "cutoff") and RUN_DIR/network.h5 is
re-exported with it. Prints the cutoff metrics as JSON.
``python -m razor_lava.cli.calibrate`` is the same program.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..config.train import TRAIN_SCHEMA
from .common import TRUST_CHECKPOINT_HELP, arg_type, existing_dir, run_main


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", help="a run folder written by train/train.py (holds checkpoint.pt)")
    ap.add_argument("--epsilon", type=arg_type(TRAIN_SCHEMA["cutoff_epsilon"]), default=0.05,
                    help="allowed fraction of wrong early exits, in [0, 1)")
    ap.add_argument("--data-root", type=existing_dir)
    ap.add_argument("--batch-size", type=arg_type(TRAIN_SCHEMA["batch_size"]), default=64)
    ap.add_argument("--trust-checkpoint", action="store_true",
                    help=TRUST_CHECKPOINT_HELP + "; the checkpoint is written back in the safe form")
    return ap.parse_args(argv)


def run(args) -> int:
    """Calibrate, store the table in the checkpoint, re-export network.h5; print the metrics."""
    from ..atomic import atomic_path
    from ..errors import UsageError
    from ..netfile import export_network
    from ..training.checkpoint import write_checkpoint
    from ..training.cutoff import calibrate_run
    from ..training.checkpoint import CHECKPOINT, load_checkpoint, load_trained
    from ..training.data import load_data
    from ..training.options import RunOptions

    if not 0.0 <= args.epsilon < 1.0:
        raise UsageError("--epsilon", f"expected 0 <= epsilon < 1, got {args.epsilon}")
    run_dir = Path(args.run_dir)
    net = load_trained(run_dir, trust_checkpoint=args.trust_checkpoint)
    ckpt = load_checkpoint(run_dir / CHECKPOINT, "cpu", trust=args.trust_checkpoint)
    counts = ckpt["run_id"].get("options", {})  # the run's sample counts: the same splits as training saw
    splits = load_data(net.cfg, RunOptions(out=run_dir, data_root=args.data_root, progress=False,
                                           train_samples=counts.get("train_samples"),
                                           test_samples=counts.get("test_samples")))
    if splits.val is None:
        raise UsageError("RUN_DIR", f"{run_dir} was trained with train.val_fraction 0: there is no validation "
                         "split to calibrate on (train it again with a validation split)")
    table, row = calibrate_run(net, splits.val, splits.test, args.epsilon, args.batch_size, "cpu")
    ckpt["cutoff"] = table
    # Both files or neither: the checkpoint is written beside its place first and moved there only once the
    # network file (itself written atomically) is in place; a failure before that leaves both as they were.
    with atomic_path(run_dir / CHECKPOINT) as tmp:
        write_checkpoint(ckpt, tmp)  # the safe form (training/checkpoint.py)
        path = export_network(net, run_dir / "network.h5", splits.spec, splits.classes, cutoff=table)
    print(json.dumps(row | {"network": str(path)}, indent=2, default=float))
    return 0


def main(argv=None) -> int:
    return run_main(run, parse_args(argv), interrupted="interrupted (network.h5 and then checkpoint.pt are "
                                                       "each written atomically; run it again to finish)")


if __name__ == "__main__":
    sys.exit(main())
