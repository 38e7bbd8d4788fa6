"""The ``pruner`` section: where pruners sit (``positions``) and the pruner's options
(``razor_lava.pruning``; its methods, variants and training modes are ``pruning.params``')."""

from __future__ import annotations

from ..errors import ConfigError
from ..pruning.params import METHODS, TRAIN_MODES, VARIANTS, check_method_options, resolve_method_rule
from .schema import Flag, Num, OneOf, check_section, checked_pair, got, merge

# E1: no pruner; E2: at the encoder's input; E3: every backbone block's (the paper's); E4: every block's.
POSITIONS = ("E1", "E2", "E3", "E4")
DEFAULT_PRUNER = {
    "positions": "E3",
    "n_embeddings": 4,
    "kernel": 3,
    "pool": [1, 1],
    "theta": None,
    "ratio": 0.3,
    "train_mode": "soft",
    "variant": "window",
    # Razor, or a trivial rule in its place (pruning/baselines.py; bench/FRONTIER.md compares them).
    "method": "razor",
    "events_k": None,      # the events method's threshold: keep frames with more than k events
    "seed": 0,             # the pruner's random initialisation; the random method's positions
    "freeze": False,       # embeddings and weighting stay at that initialisation (the "frozen" baseline)
    # The ratio the trained pruner prunes at inference (validation, cutoff calibration, test, the exported
    # gates), when it differs from the one it trains with; null: the same. The ratio is a knob of the
    # decision, not of the weights: bench/FRONTIER.md measures what each pays.
    "infer_ratio": None,
}
# positions, pool, theta and ratio have their own checks (check_positions, checked_pair, resolve_method_rule).
PRUNER_SCHEMA = {
    "n_embeddings": Num(integer=True, lo=0, note="K global temporal embeddings; 0 = none"),
    "kernel": Num(integer=True, lo=1, note="odd"),
    "train_mode": OneOf(TRAIN_MODES),
    "variant": OneOf(VARIANTS),
    "method": OneOf(METHODS),
    "events_k": Num(integer=True, lo=0, null=True, note="the events method's threshold"),
    "seed": Num(integer=True, lo=0),
    "freeze": Flag(),
    "infer_ratio": Num(lo=0, hi=1, hi_open=True, null=True, note="null = the training ratio"),
}
# The ranges pruning.params.resolve_rule checks: the fraction of frames pruned and the score threshold.
RATIO = Num(lo=0, hi=1, hi_open=True)
THETA = Num(lo=0, hi=1, lo_open=True, hi_open=True)


def pruner_section(given, source) -> dict:
    """``pruner`` over ``DEFAULT_PRUNER``, with the threshold rule resolved (a theta given alone replaces the
    default ratio) and the method's options checked; ``positions`` is checked by ``check_positions``."""
    pruner = merge(DEFAULT_PRUNER, given, "pruner", source)
    check_section(pruner, PRUNER_SCHEMA, "pruner", source)
    if pruner["kernel"] % 2 == 0:
        raise ConfigError("pruner.kernel", f"expected an odd integer >= 1 (a centred temporal kernel), got "
                          f"{pruner['kernel']!r}", source)
    pruner["pool"] = checked_pair(pruner, "pool", "pruner", source)
    pruner["theta"], pruner["ratio"] = resolve_method_rule(pruner["method"], DEFAULT_PRUNER["theta"],
                                                           DEFAULT_PRUNER["ratio"], pruner["variant"],
                                                           given, source=source)
    check_method_options(pruner["method"], pruner["ratio"], pruner["events_k"], pruner["infer_ratio"],
                         pruner["variant"], source=source)
    return pruner


def check_positions(pos, weighted: list[int], source) -> None:
    """``pruner.positions``: one of ``POSITIONS``, or distinct indices of the ``weighted`` layers."""
    if isinstance(pos, list):
        if len(set(map(repr, pos))) != len(pos):
            raise ConfigError("pruner.positions", f"a layer index is listed twice in {pos!r}", source)
        for p in pos:
            if not isinstance(p, int) or isinstance(p, bool) or p not in weighted:
                raise ConfigError("pruner.positions", f"expected indices of conv/pool/dense layers (a pruner sits "
                                  f"at the input of one of the layers {weighted}), got {got(p)}", source)
    elif pos not in POSITIONS:
        raise ConfigError("pruner.positions", f"expected one of {POSITIONS} or a list of layer indices, got "
                          f"{got(pos)}", source)


def pruner_layers(pos, blocks: list[int]) -> list[int]:
    """Layer indices of the blocks (``blocks``: conv and dense layers' indices) that get a pruner at their input.

    E1: none. E2: the encoder (first weighted block). E3: every backbone block, i.e. the weighted blocks after
    the encoder except the output block (the paper's choice). E4: every block. A list of layer indices places
    pruners explicitly.
    """
    if isinstance(pos, list):
        return sorted(int(p) for p in pos)
    return {"E1": [], "E2": blocks[:1], "E3": blocks[1:-1], "E4": blocks}[pos]
