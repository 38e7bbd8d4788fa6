"""What the ``fixed_pt`` and ``floating_pt`` models of a razor_lava process differ in, besides their ports.

Each process keeps its behaviour in a logic mixin with a ``_setup(proc_params)``
method; its two models list their ports (Lava reads the ``LavaPyType``
declarations class by class) and take one of these mixins first:

- ``FixedPtPayloads``: int32 ports (24-bit payloads, as Loihi 2 graded spikes),
  received values read as int64;
- ``FloatPtPayloads``: float ports carrying integer values, rounded on receipt
  (``rint`` guards against float round-off from upstream float models).

Either way the arithmetic is the same int64 one, so both models decide alike.
"""

from __future__ import annotations

import numpy as np


class _Payloads:
    def __init__(self, proc_params):
        super().__init__(proc_params)
        self._setup(proc_params)


class FixedPtPayloads(_Payloads):
    out_dtype = np.int32

    @staticmethod
    def to_int(x: np.ndarray) -> np.ndarray:
        return x.astype(np.int64)


class FloatPtPayloads(_Payloads):
    out_dtype = float

    @staticmethod
    def to_int(x: np.ndarray) -> np.ndarray:
        return np.rint(x).astype(np.int64)
