"""How to run a config: ``RunOptions`` (the command line's choices beside the config) and their checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config.schema import SEED, Num
from ..config.train import TRAIN_SCHEMA
from ..errors import UsageError
from ..model.device import preflight


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


# The options' ranges: the config's where an option overrides a config key (razor_lava.config.schema).
OPTION_SCHEMA = {
    "epochs": TRAIN_SCHEMA["epochs"], "batch_size": TRAIN_SCHEMA["batch_size"], "lr": TRAIN_SCHEMA["lr"],
    "train_samples": Num(integer=True, lo=1, note="None = all"), "test_samples": Num(integer=True, lo=1,
                                                                                     note="None = all"),
    "seed": SEED,
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


@dataclass(frozen=True)
class RunPlan:
    """The numbers a run trains with: the options' where given, else the config's."""

    epochs: int
    batch: int
    lr: float

    @classmethod
    def of(cls, cfg, opts: RunOptions) -> RunPlan:
        return cls(epochs=opts.epochs if opts.epochs is not None else int(cfg.train["epochs"]),
                   batch=opts.batch_size if opts.batch_size is not None else int(cfg.train["batch_size"]),
                   lr=opts.lr if opts.lr is not None else float(cfg.train["lr"]))

    def run_id(self, cfg, opts: RunOptions) -> dict:
        """What a resumed run must share with its checkpoint: everything that changes the batches or the steps
        (``run.train`` adds the --from file's digest and --freeze-weights)."""
        return {"config": cfg.to_dict(), "pruner": opts.pruner, "seed": opts.seed,
                "options": {"batch_size": self.batch, "lr": self.lr, "train_samples": opts.train_samples,
                            "test_samples": opts.test_samples}}
