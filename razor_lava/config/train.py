"""The ``train`` section: optimisation, the loss, the RCS regulariser, the Top-K cutoff's calibration, model
selection on the validation split and the training split's augmentation."""

from __future__ import annotations

from ..errors import ConfigError
from .schema import Num, OneOf, check_section, merge

LOSSES = ("rate_ce", "spike_rate")
DEFAULT_TRAIN = {
    "epochs": 10,
    "batch_size": 32,
    "lr": 0.001,
    "weight_decay": 0.0,
    # "rate_ce": cross entropy of the accumulated output (the rate code; lava-dl's
    # SpikeMax in softmax mode, on counts instead of rates); "spike_rate":
    # lava-dl's SpikeRate (MSE to true_rate / false_rate).
    "loss": "rate_ce",
    "true_rate": 0.2,
    "false_rate": 0.03,
    # RCS regulariser (docs/design.md 2.4): loss = task + rcs_alpha * reg; 0 = off (paper: about 0.002).
    "rcs_alpha": 0.0,
    # Fraction of the final timesteps whose mean activity is the RCS reference (the authors' int(0.3 T)).
    "rcs_ref_fraction": 0.3,
    # Synop-aware pruning: loss += synops_weight * (the fraction of its input events each Razor pruner's
    # soft mask lets through, mean over pruners). It teaches the pruner to drop busy frames where it can
    # spare them (bench/FRONTIER.md); 0 = off, the paper's objective.
    "synops_weight": 0.0,
    # Top-K cutoff calibrated on the validation split at the end of a run; null = no calibration.
    "cutoff_epsilon": 0.05,
    # Validation split carved from the training set (stratified, the same for every seed): it picks
    # the epoch that is exported and calibrates the cutoff; the test set gives the final numbers only.
    "val_fraction": 0.1,
    # "best": export the epoch with the best validation accuracy (ties: the later); "last": the last epoch.
    "select": "best",
    # "cosine": lr * (1 + cos(pi * (epoch - 1) / epochs)) / 2 per epoch; "constant": lr throughout.
    "lr_schedule": "constant",
    # lava-dl's neuron dropout (a dropped neuron stays dropped for the whole sample) on every block
    # but the output block, as in lava-dl's N-MNIST recipe; training only.
    "dropout": 0.0,
    # Event augmentation of the training split (razor_lava/data/transforms.py); {} = none.
    "augment": {},
}
TRAIN_SCHEMA = {
    "epochs": Num(integer=True, lo=1),
    "batch_size": Num(integer=True, lo=1),
    "lr": Num(lo=0, lo_open=True),
    "weight_decay": Num(lo=0),
    "loss": OneOf(LOSSES),
    "true_rate": Num(lo=0, hi=1),
    "false_rate": Num(lo=0, hi=1),
    "rcs_alpha": Num(lo=0, note="0 = no RCS regulariser"),
    "rcs_ref_fraction": Num(lo=0, hi=1, lo_open=True),
    "synops_weight": Num(lo=0, note="0 = the paper's objective"),
    "cutoff_epsilon": Num(lo=0, hi=1, hi_open=True, null=True, note="null = no cutoff"),
    "val_fraction": Num(lo=0, hi=0.5, hi_open=True, note="0 = no validation split"),
    "select": OneOf(("best", "last")),
    "lr_schedule": OneOf(("constant", "cosine")),
    "dropout": Num(lo=0, hi=1, hi_open=True, note="0 = none"),
}
# The keys of train.augment (razor_lava.data.transforms.from_config builds the transforms).
AUGMENT_SCHEMA = {
    "translate": Num(integer=True, lo=0, note="pixels; a random shift in [-n, n] per axis and sample"),
    "rotate_deg": Num(lo=0, hi=180, note="a random rotation in [-a, a] degrees about the sensor centre"),
    "drop_event": Num(lo=0, hi=1, hi_open=True, note="the probability of dropping each event"),
    "time_jitter_us": Num(lo=0, note="the standard deviation of Gaussian timestamp noise"),
}


def train_section(given, source) -> dict:
    """``train`` over ``DEFAULT_TRAIN``, checked key by key and as a whole: selecting the best epoch and
    calibrating the cutoff need a validation split; SpikeRate's false rate is below its true rate."""
    train = merge(DEFAULT_TRAIN, given, "train", source)
    check_section(train, TRAIN_SCHEMA, "train", source)
    train["augment"] = merge({k: 0 for k in AUGMENT_SCHEMA}, train["augment"], "train.augment", source)
    check_section(train["augment"], AUGMENT_SCHEMA, "train.augment", source)
    if train["val_fraction"] == 0:
        if train["select"] == "best":
            raise ConfigError("train.select", "'best' picks the epoch on the validation split, but "
                              "train.val_fraction is 0; set val_fraction > 0 or select: last", source)
        if train["cutoff_epsilon"] is not None:
            raise ConfigError("train.cutoff_epsilon", "the cutoff is calibrated on the validation split, but "
                              "train.val_fraction is 0; set val_fraction > 0 or cutoff_epsilon: null", source)
    if train["loss"] == "spike_rate" and not train["false_rate"] < train["true_rate"]:
        raise ConfigError("train.false_rate", f"expected a rate below train.true_rate = {train['true_rate']!r} "
                          f"(the target rate of the right class), got {train['false_rate']!r}", source)
    return train
