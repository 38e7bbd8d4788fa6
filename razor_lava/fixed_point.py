"""The fixed-point units shared by lava-dl SLAYER, the netx file and Lava: their one home.

lava-dl's CUBA neuron and Lava's ``LIF`` (``fixed_pt``) compute in the same
integers; the netx file stores them as they are:

- weights: ``layer/k/weight`` = SLAYER weight * ``WEIGHT_SCALE`` (64), 8-bit
  (even integers in [-256, 254] after lava-dl's quantization);
- decays: 12-bit, ``DECAY_ONE`` (4096) empties a state in one step;
  SLAYER decay = ``iDecay / DECAY_ONE``;
- threshold: mantissa ``vThMant`` = SLAYER threshold * 64; a neuron spikes when
  ``v > vThMant << THRESHOLD_SHIFT`` (state units);
- states ``u``, ``v``: units of 2**-12, ``STATE_SCALE`` (4096) = SLAYER's 1.0;
  an input spike adds ``weight << ACTIVATION_SHIFT`` to ``u``;
- bias: ``layer/k/bias`` is Lava's ``bias_mant`` with ``BIAS_EXP`` 6 (netx), so it
  adds ``bias << 6`` state units to ``v`` every step: SLAYER bias ``bias / 64``;
- graded spikes (LIAF): the payload is the pre-reset ``v`` in state units, so a
  graded value of SLAYER 1.0 travels as ``GRADED_SCALE`` (4096), at most 24 bits
  on Loihi 2;
- delays: integers in [0, ``MAX_DELAY``] steps (netx clamps larger ones).
"""

from __future__ import annotations

import numpy as np

WEIGHT_SCALE = 1 << 6
DECAY_ONE = 1 << 12
STATE_SCALE = 1 << 12
THRESHOLD_SHIFT = 6
ACTIVATION_SHIFT = 6
BIAS_EXP = 6
GRADED_SCALE = STATE_SCALE
PAYLOAD_BITS = 24
MAX_DELAY = 62
# The 8-bit weight range netx and Loihi 2 synapses take (lava-dl's quantize_8bit clamp).
WEIGHT_MIN, WEIGHT_MAX = -256, 255

# netx's neuron where a dense layer has no ``neuron`` group: a non-leaky integrator
# (lava-dl netx/hdf5.py create_dense). Note 1 << 18 - 1 is 1 << 17 in Python.
DEFAULT_DENSE_NEURON = {"type": "CUBA", "iDecay": 0, "vDecay": 4096, "vThMant": 1 << 17, "refDelay": 1,
                        "gradedSpike": False}


def trunc_div(x: np.ndarray, d: int) -> np.ndarray:
    """``x / d`` rounded toward zero (SLAYER's and Loihi's sign-magnitude shift), int64 or integer-valued float64."""
    return np.sign(x) * (np.abs(x) // d)


def slayer_payloads(output) -> np.ndarray:
    """SLAYER graded output (float, units of 1.0) as Lava's integer payloads."""
    return np.rint(np.asarray(output, dtype=np.float64) * GRADED_SCALE).astype(np.int64)


def as_payloads(output, graded: bool) -> np.ndarray:
    """SLAYER output of a layer as Lava payloads: graded values * GRADED_SCALE, binary spikes as 0/1."""
    return slayer_payloads(output) if graded else np.rint(np.asarray(output)).astype(np.int64)


def weight_to_slayer(weight: np.ndarray) -> np.ndarray:
    """File weights (integers) as SLAYER's float weights; exact in float32 for 8-bit integers."""
    return np.asarray(weight, dtype=np.float64) / WEIGHT_SCALE


def bias_to_slayer(bias: np.ndarray) -> np.ndarray:
    """File bias (``bias_mant``) in SLAYER's current units: ``bias << BIAS_EXP`` state units / STATE_SCALE."""
    return np.asarray(bias, dtype=np.float64) * (1 << BIAS_EXP) / STATE_SCALE


def integer_array(value, where: str, source=None, lo=None, hi=None) -> np.ndarray:
    """``value`` (a file's dataset, a record's array) as int64, where it holds integers in [lo, hi].

    The one check of "a fixed-point integer": refuses text, NaN, infinities, fractions and values out of
    range with a ``DataFormatError`` naming ``source`` (a file) and ``where`` (the dataset).
    """
    from .errors import DataFormatError

    a = np.asarray(value)
    if a.dtype.kind not in "iufb":
        raise DataFormatError(source, f"{where} holds {a.dtype} values: expected numbers")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise DataFormatError(source, f"{where} holds NaN or infinite values: expected integers")
    if not np.array_equal(a, np.round(a)):
        raise DataFormatError(source, f"{where} holds non-integer values (e.g. {a[a != np.round(a)].ravel()[0]}): "
                              "expected the integers of a fixed-point export")
    if (lo is not None and a.min(initial=lo) < lo) or (hi is not None and a.max(initial=hi) > hi):
        raise DataFormatError(source, f"{where} has values in [{a.min():.0f}, {a.max():.0f}]: expected [{lo}, {hi}]")
    return a.astype(np.int64)
