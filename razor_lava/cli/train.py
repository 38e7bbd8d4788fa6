"""Train a Razor SNN in lava-dl SLAYER from a config.

Example (embedded data set, no download):
    python train/train.py --config synthetic_small --out runs/synthetic-e3
N-MNIST subset, E1 (no pruning) for comparison:
    python train/train.py --config nmnist --data-root ../shared/data/nmnist-small \
        --out runs/nmnist-e1 --positions E1
--config takes a shipped config's name (razor_lava/configs/: synthetic_small, nmnist,
dvsgesture, ncaltech101, cifar10dvs, shd) or the path of a YAML file.
Razor fine-tuned into a network that came from elsewhere (a NIR import, a plain lava-dl netx file, another run):
    python train/train.py --from net.h5 --dataset nmnist --data-root ../shared/data/nmnist-small \
        --out runs/finetune --positions E3 --ratio 0.5 --train-mode ste --freeze-weights
--from starts from the file's layers, weights, neurons and frame spec (training/from_file.py); --freeze-weights
trains only the pruners, so the exported layers are byte-identical to the file's.
``python -m razor_lava.cli.train`` is the same program.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..config.pruner import POSITIONS, PRUNER_SCHEMA, RATIO, THETA
from ..config.train import TRAIN_SCHEMA
from ..pruning.params import METHODS, TRAIN_MODES, VARIANTS
from .common import (TRUST_CHECKPOINT_HELP, arg_type, existing_dir, output_dir, positive_float, positive_int, run_main,
                     seed_int)

PRUNER_FLAGS = ("positions", "n_embeddings", "ratio", "theta", "train_mode", "variant", "method", "events_k",
                "freeze", "infer_ratio")


def positions_arg(text: str):
    """--positions: E1..E4 (``config.pruner.POSITIONS``), or comma-separated layer indices (the file's
    ``layer/k``)."""
    if text in POSITIONS:
        return text
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {', '.join(POSITIONS)} or layer indices such as 2,5; got "
                                         f"{text!r}") from None


def existing_file(text: str) -> str:
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"{text}: " + ("is a folder" if Path(text).is_dir() else "no such file")
                                         + "; expected a network .h5 file")
    return text


def parse_args(argv=None):
    from ..model.device import KERNEL_MODES
    from ..training.distributed import DDP_TIMEOUT_MIN

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    start = ap.add_mutually_exclusive_group(required=True)
    start.add_argument("--config",
                       help="shipped config name (e.g. synthetic_small, nmnist) or a YAML file's path")
    start.add_argument("--from", dest="from_file", metavar="NET.h5", type=existing_file,
                       help="start from a network file's layers, weights, neurons and frame spec (a NIR import, "
                            "a plain lava-dl netx file, another run's network.h5) instead of a config")
    ap.add_argument("--dataset", help="with --from: the data set (registry name) the file's frame spec frames "
                                      "(default: the one its config names, where razor_lava or import_nir wrote it)")
    ap.add_argument("--freeze-weights", action="store_true",
                    help="with --from: train only the pruners; the file's weights and neurons stay as they are")
    ap.add_argument("--out", required=True, type=output_dir,
                    help="run directory (checkpoints, metrics, network.h5); a failed run leaves none behind")
    ap.add_argument("--data-root", type=existing_dir,
                    help="data set directory (not needed for the embedded synthetic data)")
    ap.add_argument("--epochs", type=arg_type(TRAIN_SCHEMA["epochs"]), help="override the config's train.epochs")
    ap.add_argument("--batch-size", type=arg_type(TRAIN_SCHEMA["batch_size"]),
                    help="override the config's train.batch_size")
    ap.add_argument("--lr", type=arg_type(TRAIN_SCHEMA["lr"]), help="override the config's train.lr")
    ap.add_argument("--seed", type=seed_int, default=0)
    ap.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    ap.add_argument("--cuda-kernels", choices=KERNEL_MODES, default="auto",
                    help="with --device cuda: lava-dl's compiled CUDA kernels (jit: needs ninja, nvcc and a C++ "
                         "compiler, or the kernels in torch's extension cache), its torch implementation on the GPU "
                         "(torch: no compiler), or jit where it can be built, else torch with a warning (auto)")
    ap.add_argument("--ddp-timeout-min", type=positive_float, default=DDP_TIMEOUT_MIN,
                    help="under torchrun: how long a rank waits at a collective, in minutes; rank 0 validates, "
                         "calibrates and exports alone while the others wait (default %(default)s)")
    ap.add_argument("--resume", action="store_true",
                    help="continue from RUN_DIR/checkpoint.pt (an error if there is none)")
    ap.add_argument("--trust-checkpoint", action="store_true", help="with --resume: " + TRUST_CHECKPOINT_HELP)
    ap.add_argument("--train-samples", type=positive_int, help="use only the first N training samples")
    ap.add_argument("--test-samples", type=positive_int, help="use only the first N test samples")
    ap.add_argument("--cache-dir", type=output_dir, help="cache framed splits here (e.g. .cache/frames)")
    ap.add_argument("--no-progress", action="store_true")
    g = ap.add_argument_group("pruner (override the config's pruner section)")
    g.add_argument("--positions", type=positions_arg, metavar="E1|E2|E3|E4|K[,K...]",
                   help="E1 (none), E2 (encoder input), E3 (backbone blocks), E4 (all), or layer indices (2,5)")
    g.add_argument("--n-embeddings", "-K", type=arg_type(PRUNER_SCHEMA["n_embeddings"]),
                   help="number of global temporal embeddings K")
    rule = g.add_mutually_exclusive_group()
    rule.add_argument("--ratio", type=arg_type(RATIO),
                      help="razor ratio: prune this fraction of frames (window variant)")
    rule.add_argument("--theta", type=arg_type(THETA),
                      help="score threshold in (0, 1) instead of a ratio")
    g.add_argument("--train-mode", choices=TRAIN_MODES)
    g.add_argument("--variant", choices=VARIANTS)
    g.add_argument("--method", choices=METHODS,
                   help="Razor, or a trivial rule in its place (bench/FRONTIER.md): events (keep frames with more "
                        "than --events-k events), uniform (temporal subsampling at --ratio), random (--ratio of "
                        "frame positions drawn from --pruner-seed)")
    g.add_argument("--infer-ratio", type=arg_type(PRUNER_SCHEMA["infer_ratio"]),
                   help="the ratio the trained pruner prunes at inference and in the exported file (default: --ratio)")
    g.add_argument("--events-k", type=arg_type(PRUNER_SCHEMA["events_k"]), help="the events method's threshold")
    g.add_argument("--pruner-seed", type=arg_type(PRUNER_SCHEMA["seed"]),
                   help="seed of the pruner's random initialisation and of the random method's positions")
    g.add_argument("--freeze-pruner", dest="freeze", action="store_const", const=True,
                   help="leave Razor's embeddings and weighting at their random initialisation (a baseline)")
    c = ap.add_argument_group("Top-K cutoff and RCS regulariser (override the config's train section)")
    c.add_argument("--rcs-alpha", type=float, help="weight of the RCS regulariser (0 = off; paper about 0.002)")
    c.add_argument("--synops-weight", type=float,
                   help="synop-aware pruning: weight of the fraction of input events the pruners let through "
                        "(0 = off; bench/FRONTIER.md)")
    c.add_argument("--rcs-ref-fraction", type=float, help="fraction of final timesteps forming the RCS reference")
    cut = c.add_mutually_exclusive_group()
    cut.add_argument("--cutoff-epsilon", type=float,
                     help="calibrate the cutoff for this error rate among early exits (default 0.05)")
    cut.add_argument("--no-cutoff", action="store_true", help="skip the cutoff calibration at the end")
    v = ap.add_argument_group("model selection (override the config's train section)")
    v.add_argument("--val-fraction", type=float,
                   help="validation split carved from the training set (stratified; default 0.1; 0 = none, which "
                        "needs --select last and --no-cutoff)")
    v.add_argument("--select", choices=TRAIN_SCHEMA["select"].values,
                   help="export the epoch with the best validation accuracy (default) or the last one")
    return ap.parse_args(argv)


# The train-section flags: the config checks them (razor_lava.config.train.TRAIN_SCHEMA), so an error names the
# flag and the config key it sets.
TRAIN_FLAGS = {"train.rcs_alpha": "--rcs-alpha", "train.rcs_ref_fraction": "--rcs-ref-fraction",
               "train.synops_weight": "--synops-weight",
               "train.cutoff_epsilon": "--cutoff-epsilon", "train.val_fraction": "--val-fraction",
               "train.select": "--select"}


def train_overrides(args) -> dict:
    """The ``train`` config keys given on the command line."""
    out = {k: getattr(args, k) for k in ("rcs_alpha", "rcs_ref_fraction", "synops_weight", "cutoff_epsilon",
                                         "val_fraction", "select")
           if getattr(args, k) is not None}
    if args.no_cutoff:
        out["cutoff_epsilon"] = None
    return out


def pruner_overrides(args, cfg) -> dict:
    """The ``pruner`` config keys given on the command line, with the threshold rule resolved against the
    config's by ``pruning.params.resolve_method_rule`` (a theta given alone replaces the config's ratio and back)."""
    from ..pruning.params import resolve_method_rule

    pruner = {k: getattr(args, k) for k in PRUNER_FLAGS if getattr(args, k) is not None}
    if args.pruner_seed is not None:
        pruner["seed"] = args.pruner_seed
    if "theta" in pruner or "ratio" in pruner:
        pruner["theta"], pruner["ratio"] = resolve_method_rule(
            pruner.get("method", cfg.pruner["method"]), cfg.pruner["theta"], cfg.pruner["ratio"],
            pruner.get("variant", cfg.pruner["variant"]), pruner)
    return pruner


def run(args) -> int:
    """Train, calibrate the cutoff, export; print the last epoch's metrics as JSON."""
    import torch

    from ..errors import ConfigError, UsageError
    from ..config import load_config, with_train_overrides
    from ..training import distributed
    from ..model.device import preflight
    from ..training.checkpoint import CHECKPOINT
    from ..training.options import RunOptions
    from ..training.run import train

    torch.set_num_threads(max(1, torch.get_num_threads()))
    preflight(args.device, args.cuda_kernels)  # before anything is written
    if args.resume and not (Path(args.out) / CHECKPOINT).is_file():
        raise UsageError("--resume", f"no {CHECKPOINT} in {args.out}: nothing to resume (run without --resume "
                          "to start this run)")
    if not args.resume and (Path(args.out) / CHECKPOINT).exists():  # never overwrite a run without a word
        raise UsageError("--out", f"{args.out} already holds a run ({CHECKPOINT}): continue it with --resume, "
                         "or give another --out (or delete that folder) to start afresh")
    if args.from_file is None:
        for flag, given in (("--dataset", args.dataset is not None), ("--freeze-weights", args.freeze_weights)):
            if given:
                raise UsageError(flag, "only with --from NET.h5 (a config names its own data set and trains "
                                 "every weight)")
        cfg = load_config(args.config)
    else:
        from ..training.from_file import config_from_network_file

        cfg, _ = config_from_network_file(args.from_file, dataset=args.dataset)
    overrides = train_overrides(args)
    try:
        cfg = with_train_overrides(cfg, overrides)
    except ConfigError as e:
        if e.key not in TRAIN_FLAGS or e.key.split(".", 1)[1] not in overrides:
            raise
        raise UsageError(TRAIN_FLAGS[e.key], f"{e.problem} (the flag sets the config's {e.key})") from None
    opts = RunOptions(out=Path(args.out), data_root=args.data_root, epochs=args.epochs, seed=args.seed,
                      device=args.device, pruner=pruner_overrides(args, cfg), train_samples=args.train_samples,
                      test_samples=args.test_samples, batch_size=args.batch_size, lr=args.lr,
                      resume=args.resume, progress=not args.no_progress, cache_dir=args.cache_dir,
                      trust_checkpoint=args.trust_checkpoint, cuda_kernels=args.cuda_kernels,
                      from_file=args.from_file, freeze_weights=args.freeze_weights)
    with distributed.session(args.device, args.ddp_timeout_min) as (dist, device):  # torchrun: one rank of several
        opts.device = device
        last = train(cfg, opts)
        distributed.barrier()  # the other ranks wait for rank 0's test figures and files
    if dist.main:
        summary = {k: v for k, v in last.items() if k != "pruners"}
        print(json.dumps(summary | {"pruners": last.get("pruners", {}), "network": f"{args.out}/network.h5"},
                         indent=2))
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)

    def interrupted() -> str:
        if (Path(args.out) / "checkpoint.pt").is_file():
            return f"interrupted: the last finished epoch is in {args.out}/checkpoint.pt; continue with --resume"
        return (f"interrupted before the first epoch finished: no {args.out}/checkpoint.pt to continue with "
                "--resume (nothing of this run was kept); run it again")

    return run_main(run, args, interrupted=interrupted)


if __name__ == "__main__":
    sys.exit(main())
