"""Quantized parameters of one trained pruner: what the Lava gate needs.

Training runs in float; inference decides in integers so that the torch
pruner (SLAYER side) and the numpy gate (Lava side) make bit-identical
decisions. See ``decide.py`` for the integer maths and ``functional.py`` for
the float maths they approximate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError

VARIANTS = ("window", "causal")
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
    theta: the float threshold it came from (a score in (0, 1)).
    ratio: razor ratio rho in [0, 1), or None in threshold mode.
    variant: "window" (decide after T frames) or "causal" (decide each frame as it arrives).
    pool: (h, w) adaptive-pool grid of the frame descriptor (conv inputs), (1, 1) for the plain average.
    input_scale: integer payload of a unit input (1 for binary spikes/counts, 64 for graded spikes).
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

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ConfigError("pruner.variant", f"expected one of {VARIANTS}, got {self.variant!r}")
        if (self.ratio is None) == (self.theta is None):
            raise ConfigError("pruner.theta/ratio", "give exactly one of a threshold theta or a razor ratio")
        if self.ratio is not None and self.variant == "causal":
            raise ConfigError("pruner.ratio", "a razor ratio needs the whole window: use variant 'window' or a theta")
        if self.ratio is not None and not 0.0 <= self.ratio < 1.0:
            raise ConfigError("pruner.ratio", f"expected 0 <= ratio < 1, got {self.ratio}")
        k, d, _ = self.weight.shape
        if self.embeddings.shape != (k, d) or self.bias.shape != (k,):
            raise ConfigError(
                "pruner", f"inconsistent shapes: weight {self.weight.shape}, bias {self.bias.shape}, "
                f"embeddings {self.embeddings.shape}"
            )

    @property
    def n_embeddings(self) -> int:
        return self.weight.shape[0]

    @property
    def dim(self) -> int:
        return self.weight.shape[1]

    @property
    def kernel(self) -> int:
        return self.weight.shape[2]
