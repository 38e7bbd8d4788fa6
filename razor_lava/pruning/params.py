"""Quantized parameters of one trained pruner: what the Lava gate needs.

Training runs in float; inference decides in integers, with the one
implementation in ``decide.py`` that both the torch pruner (SLAYER side) and
the Lava gate run, so their decisions are bit-identical. ``functional.py``
holds the float maths they approximate. ``resolve_rule`` is the one check of
"a threshold theta or a razor ratio, not both" (configs, overrides, the torch
pruner, these parameters and the gate all call it).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError

VARIANTS = ("window", "causal")
# How a pruner trains: the paper's soft mask, or a hard forward with a straight-through gradient.
TRAIN_MODES = ("soft", "ste")
# What decides: Razor, or one of the trivial rules of ``baselines.py`` in its place.
METHODS = ("razor", "events", "uniform", "random")
# Fraction bits of the weighting-module logits (units of 2**-LOGIT_BITS).
LOGIT_BITS = 8
# Fraction bits of the quantized temporal embeddings.
EMBED_BITS = 12
# Softmax weights are integers in [0, 2**SOFTMAX_BITS].
SOFTMAX_BITS = 16


def exp_table(logit_bits: int = LOGIT_BITS, softmax_bits: int = SOFTMAX_BITS) -> np.ndarray:
    """``round(2**softmax_bits * exp(-i / 2**logit_bits))`` for i = 0.. until it reaches 0.

    Computed once in numpy float64 and shipped with the pruner (and in the
    HDF5 file), so both sides index the very same integers.
    """
    n = int(np.ceil((softmax_bits + 1) * np.log(2) * 2**logit_bits)) + 1
    lut = np.round(2.0**softmax_bits * np.exp(-np.arange(n) / 2.0**logit_bits)).astype(np.int64)
    return lut


def _real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def resolve_rule(theta, ratio, variant: str = "window", overrides: dict | None = None, *, key: str = "pruner",
                 threshold: str = "theta", source: str | None = None) -> tuple:
    """A pruner's rule: a threshold ``theta`` or a razor ratio, not both. The one home of that check.

    theta, ratio: the configured values (None = not set); variant: the variant
    the pruner will run ("window" / "causal"). overrides: values given later
    (a config file over the defaults, command-line flags over a config): a key
    present replaces the configured value, and a threshold given alone (not
    None) clears the configured ratio, a ratio given alone its threshold, so
    ``{"theta": 0.5}`` over a config's ratio 0.3 means "threshold 0.5". Only
    the keys "theta" and "ratio" are read (``threshold``'s name for the first).
    threshold: "theta" (a score in (0, 1)) or "theta_int" (``PrunerParams``'s
    integer threshold, any integer). key, source: how errors name the key.

    Returns ``(theta, ratio)``, exactly one of them None. Raises ``ConfigError``
    naming ``{key}.{threshold}/ratio`` (neither or both), ``{key}.{threshold}``
    (out of range), ``{key}.ratio`` (out of range, or with the causal variant:
    a ratio needs the whole window) or ``{key}.variant``.
    """
    o = overrides or {}
    t_given, r_given = "theta" in o, "ratio" in o
    if t_given and not r_given and o["theta"] is not None:
        theta, ratio = o["theta"], None
    elif r_given and not t_given and o["ratio"] is not None:
        theta, ratio = None, o["ratio"]
    else:
        theta, ratio = o.get("theta", theta), o.get("ratio", ratio)
    if variant not in VARIANTS:
        raise ConfigError(f"{key}.variant", f"expected one of {VARIANTS}, got {variant!r}", source)
    if (theta is None) == (ratio is None):
        raise ConfigError(f"{key}.{threshold}/ratio", f"give exactly one of a threshold {threshold} or a razor ratio"
                          + ("" if theta is None else f", not both (got {threshold}={theta}, ratio={ratio})"), source)
    if theta is not None:
        if threshold == "theta_int":
            if not isinstance(theta, numbers.Integral) or isinstance(theta, bool):
                raise ConfigError(f"{key}.theta_int", f"expected an integer threshold, got {theta!r}", source)
        elif not _real(theta) or not 0.0 < theta < 1.0:
            raise ConfigError(f"{key}.{threshold}", f"expected a score threshold 0 < theta < 1, got {theta!r}", source)
    if ratio is not None:
        if not _real(ratio) or not 0.0 <= ratio < 1.0:
            raise ConfigError(f"{key}.ratio", f"expected 0 <= ratio < 1, got {ratio!r}", source)
        if variant == "causal":
            raise ConfigError(f"{key}.ratio", f"a razor ratio needs the whole window: use variant 'window', or a "
                              f"{threshold} with the causal variant", source)
    return theta, ratio


def resolve_method_rule(method: str, theta, ratio, variant: str = "window", overrides: dict | None = None, *,
                        source: str | None = None) -> tuple:
    """``resolve_rule`` for a pruner of ``method`` (``METHODS``).

    razor: ``resolve_rule`` itself. events: its rule is ``events_k``, so theta and ratio are not used:
    ``(None, None)``. uniform / random: a ratio of frame positions, in either variant (a schedule needs
    no window to decide).
    """
    if method not in METHODS:
        raise ConfigError("pruner.method", f"expected one of {METHODS}, got {method!r}", source)
    if method == "events":
        return None, None
    if method == "razor":
        return resolve_rule(theta, ratio, variant, overrides, source=source)
    theta, ratio = resolve_rule(theta, ratio, "window", overrides, source=source)
    if ratio is None:
        raise ConfigError("pruner.ratio", f"the {method} method prunes a ratio of frame positions: give a ratio, "
                          f"not a threshold theta", source)
    return theta, ratio


def check_method_options(method: str, ratio, events_k=None, infer_ratio=None, variant: str = "window", *,
                         source: str | None = None) -> None:
    """The options only some methods take, checked in one place (the config and ``EventPruner``):
    ``events_k`` (an integer >= 0) with the events method and only with it; ``infer_ratio`` with a Razor
    pruner that trains with a ratio."""
    if (method == "events") != (events_k is not None):
        raise ConfigError("pruner.events_k", "the events method needs events_k (keep frames with more than k "
                          f"events), and only it takes one; got method {method!r}, events_k {events_k!r}", source)
    if events_k is not None and (not isinstance(events_k, numbers.Integral) or isinstance(events_k, bool)
                                 or events_k < 0):
        raise ConfigError("pruner.events_k", f"expected an integer k >= 0, got {events_k!r}", source)
    if infer_ratio is not None:
        if method != "razor" or ratio is None:
            raise ConfigError("pruner.infer_ratio", "an inference ratio belongs to a Razor pruner that trains with "
                              f"a ratio; got method {method!r}, ratio {ratio!r}", source)
        resolve_rule(None, infer_ratio, variant, key="pruner.infer_ratio", source=source)


def n_pruned(ratio: float, n_frames: int) -> int:
    """Frames a razor ratio prunes from a window of ``n_frames``: round half up."""
    return int(np.floor(ratio * n_frames + 0.5))


@dataclass
class PrunerParams:
    """Integer form of a trained pruner.

    weight: K x D x kernel int64, the weighting module's conv (units 2**-LOGIT_BITS per descriptor count / area).
    bias: K int64 (units 2**-LOGIT_BITS).
    embeddings: K x D int64 (units 2**-EMBED_BITS per descriptor count).
    theta_int: integer threshold on ``sum_k e_k g_k / sum_k e_k`` (see decide.py), or None in ratio mode.
    theta: the float threshold it came from (a score in (0, 1)), for reports; None in ratio mode, or where
    only the integer one is known (a ``FrameGate``). The decision uses ``theta_int`` or ``ratio`` only.
    ratio: razor ratio rho in [0, 1), or None in threshold mode.
    variant: "window" (decide after T frames) or "causal" (decide each frame as it arrives).
    pool: (h, w) adaptive-pool grid of the frame descriptor (conv inputs), (1, 1) for the plain average.
    input_scale: integer payload of a unit input (1 for binary spikes/counts, ``GRADED_SCALE`` = 4096 for
    graded spikes: ``razor_lava.fixed_point``).
    frame_bias: None, or an int64 term per frame index (length >= T, in ``theta_int``'s units) added to
    each frame's score: a prior on *when* a frame is kept. Trained pruners have none; the schedule
    baselines (``baselines.py``: uniform subsampling, random positions) are nothing but one.
    """

    weight: np.ndarray
    bias: np.ndarray
    embeddings: np.ndarray
    theta: float | None
    theta_int: int | None
    ratio: float | None
    variant: str
    pool: tuple[int, int] = (1, 1)
    input_scale: int = 1
    area: int = 1
    lut: np.ndarray = field(default_factory=exp_table)
    frame_bias: np.ndarray | None = None

    def __post_init__(self):
        if self.theta is not None:  # the float threshold, where known: a score, never with a ratio
            resolve_rule(self.theta, self.ratio, self.variant)
            if self.theta_int is None:
                raise ConfigError("pruner.theta_int", "a threshold pruner needs its integer threshold theta_int")
        # The rule the decision runs: theta_int or ratio.
        resolve_rule(self.theta_int, self.ratio, self.variant, threshold="theta_int")
        k, d, _ = self.weight.shape
        if self.embeddings.shape != (k, d) or self.bias.shape != (k,):
            raise ConfigError(
                "pruner", f"inconsistent shapes: weight {self.weight.shape}, bias {self.bias.shape}, "
                f"embeddings {self.embeddings.shape}"
            )
        if self.frame_bias is not None:
            self.frame_bias = np.asarray(self.frame_bias, dtype=np.int64)
            if self.frame_bias.ndim != 1 or len(self.frame_bias) == 0:
                raise ConfigError("pruner.frame_bias", f"expected one integer per frame, got shape "
                                  f"{self.frame_bias.shape}")

    @property
    def n_embeddings(self) -> int:
        return self.weight.shape[0]

    @property
    def dim(self) -> int:
        return self.weight.shape[1]

    @property
    def kernel(self) -> int:
        return self.weight.shape[2]


# A pruner record's integer arrays (datasets in a network file; frame_bias only where the pruner has one);
# its other fields are numbers and strings (attributes).
RECORD_ARRAYS = ("weight", "bias", "embeddings", "lut", "frame_bias")


def pruner_record(p: PrunerParams, in_shape) -> dict:
    """``p`` as a flat mapping of numbers, strings and int64 arrays (NaN for an absent ratio / theta), with the
    shape it sees: what a network file (``razor/pruners/<k>``) and a NIR graph's metadata carry;
    ``pruner_from_record`` inverts it."""
    rec = {name: np.asarray(getattr(p, name), dtype=np.int64) for name in RECORD_ARRAYS
           if getattr(p, name) is not None}
    rec.update(variant=p.variant, ratio=np.nan if p.ratio is None else float(p.ratio),
               theta=np.nan if p.theta is None else float(p.theta), pool=np.array(p.pool, dtype=np.int64),
               input_scale=int(p.input_scale), area=int(p.area), in_shape=np.array(in_shape, dtype=np.int64))
    if p.theta_int is not None:
        rec["theta_int"] = int(p.theta_int)
    return rec


def pruner_from_record(rec: dict, where: str = "pruner", source=None) -> tuple[PrunerParams, tuple[int, ...]]:
    """``(params, in_shape)`` from a ``pruner_record`` mapping, every array checked to hold integers.

    Raises ``DataFormatError`` naming ``source`` (the file) and ``where`` (e.g. ``razor/pruners/3``) with
    the missing key or the dataset at fault.
    """
    from ..errors import DataFormatError
    from ..fixed_point import integer_array

    for key in RECORD_ARRAYS[:-1] + ("variant", "ratio", "theta", "pool", "input_scale", "area", "in_shape"):
        if key not in rec:
            raise DataFormatError(source, f"{where}: missing key '{key}'")
    arrays = {name: integer_array(rec[name], f"{where}/{name}", source) for name in RECORD_ARRAYS if name in rec}
    if arrays["weight"].ndim != 3:
        raise DataFormatError(source, f"{where}/weight has shape {arrays['weight'].shape}: expected K x D x kernel")

    def number(key):
        v = float(np.asarray(rec[key]))
        return None if np.isnan(v) else v

    def text(v):
        v = np.asarray(v).item() if not isinstance(v, str) else v
        return v.decode() if isinstance(v, bytes) else str(v)

    try:
        params = PrunerParams(
            **arrays, theta=number("theta"), ratio=number("ratio"),
            theta_int=int(np.asarray(rec["theta_int"])) if "theta_int" in rec else None,
            variant=text(rec["variant"]), pool=tuple(int(v) for v in np.ravel(rec["pool"])),
            input_scale=int(np.asarray(rec["input_scale"])), area=int(np.asarray(rec["area"])))
    except ConfigError as e:  # PrunerParams checks the rule (theta_int or ratio) and the shapes
        raise DataFormatError(source, f"{where}: {e}") from None
    return params, tuple(int(v) for v in np.ravel(rec["in_shape"]))
