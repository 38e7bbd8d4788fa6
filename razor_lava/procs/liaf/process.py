"""``CubaDense``: a dense synapse and SLAYER's fixed-point CUBA neuron in one process.

netx 0.6 builds every CUBA layer as a binary LIF (it ignores ``gradedSpike``),
and Lava's Dense cannot scale a graded input the way SLAYER does. So a LIAF
layer (``graded_spike=True``), and the dense layer right after it, run as this
process instead of a netx Dense + LIF block. The models are in ``models.py``.
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var

from razor_lava.errors import DataFormatError
from razor_lava.fixed_point import BIAS_EXP, DECAY_ONE


class CubaDense(AbstractProcess):
    """Dense synapse + CUBA neuron with SLAYER's integer arithmetic, optionally graded.

    Units are those of the netx file (``razor_lava.fixed_point``): ``weight``
    (out, in) holds the integer weights of ``layer/k/weight``; ``i_decay``,
    ``v_decay`` are 12-bit decays, scalars or (out,) arrays; ``vth_mant`` is the
    threshold mantissa; ``bias`` is Lava's ``bias_mant`` (exp 6). States ``u``,
    ``v`` are in state units (``STATE_SCALE`` = SLAYER's 1.0).

    ``graded_in``: the input is a graded payload (pre-reset ``v`` of an
    upstream LIAF neuron) rather than 0/1 spikes. ``graded_out``: a spike
    carries the pre-reset ``v`` (at most 24 bits on Loihi) instead of 1; that
    is SLAYER's graded value times ``GRADED_SCALE``.

    Timing equals a netx Dense + LIF block: input received at step t reaches
    the neuron at step t+1. A chain of such layers therefore reproduces
    SLAYER's ``delay_shift=True`` blocks index for index: what a sink records
    at Lava step t (its buffer index t-1) is SLAYER's output at time index t-1.

    In a stream (``razor_lava.procs.slots``; give ``n_frames``, ``period`` and
    ``start``, the latency of its input) it starts every sample afresh: at
    slot position 0 it zeroes ``u``, ``v`` and ``a_buf`` (what is left of the
    previous sample), and at positions ``T .. P-1`` (padding) it sends zeros,
    so the layers after it settle before their own reset. Without ``n_frames``
    it runs on as one long sample.

    Ports: ``a_in`` (in,), ``s_out`` (out,). Vars: ``weight`` (out, in),
    ``u``, ``v`` (out,), ``a_buf`` (out,) the synaptic input waiting for the
    next step, ``spikes_out`` (1,) the number of output events sent so far.
    """

    def __init__(self, *, weight, i_decay, v_decay, vth_mant, bias=None, graded_in: bool = False,
                 graded_out: bool = False, n_frames: int | None = None, period: int | None = None,
                 start: int = 0, name: str | None = None):
        # Base init first: Lava's __del__ fails on a half-built process if validation raises.
        super().__init__(name=name)
        weight = np.asarray(weight)
        if weight.ndim != 2 or weight.size == 0:
            raise ValueError(f"CubaDense weight must be a non-empty (out, in) array, got shape {weight.shape}")
        if not np.array_equal(weight, np.round(weight)):
            raise ValueError("CubaDense weight must hold integers (the netx export's layer/k/weight)")
        n_out, n_in = weight.shape
        # Model parameters (not Vars: they are constants of the trained layer).
        self.proc_params["i_decay"] = _per_neuron("i_decay", i_decay, n_out)
        self.proc_params["v_decay"] = _per_neuron("v_decay", v_decay, n_out)
        self.proc_params["vth_mant"] = _per_neuron("vth_mant", vth_mant, n_out)
        # Lava LIF's bias_mant with bias_exp 6 (netx): bias << 6 state units added to v every step.
        self.proc_params["bias"] = _per_neuron("bias", 0 if bias is None else bias, n_out) << BIAS_EXP
        self.proc_params["graded_in"] = bool(graded_in)
        self.proc_params["graded_out"] = bool(graded_out)
        if n_frames is not None and (int(n_frames) < 1 or (period is not None and int(period) < int(n_frames))
                                     or int(start) < 0):
            raise ValueError(f"CubaDense stream: expected n_frames >= 1, period >= n_frames and start >= 0, "
                             f"got {n_frames}, {period}, {start}")
        self.proc_params["slots"] = None if n_frames is None else (
            int(n_frames), int(n_frames if period is None else period), int(start))
        self.a_in = InPort(shape=(n_in,))
        self.s_out = OutPort(shape=(n_out,))
        self.weight = Var(shape=(n_out, n_in), init=weight.astype(np.int64))
        self.u = Var(shape=(n_out,), init=0)
        self.v = Var(shape=(n_out,), init=0)
        self.a_buf = Var(shape=(n_out,), init=0)
        self.spikes_out = Var(shape=(1,), init=0)

    @classmethod
    def from_spec(cls, spec, source=None, name: str | None = None, **stream) -> "CubaDense":
        """Build from a dense layer of the network-file model (``razor_lava.netfile.LayerSpec``).

        ``graded_in`` / ``graded_out`` come from the spec. Raises ``DataFormatError``
        naming the file and layer when it is not a CUBA dense layer CubaDense mirrors.
        """
        where = f"{source}: layer/{spec.index}" if source else f"layer/{spec.index}"
        if spec.type != "dense":
            raise DataFormatError(where, f"layer type is '{spec.type}', expected 'dense'")
        if spec.delay is not None:
            raise DataFormatError(where, "a graded (LIAF) layer or the layer after one cannot have delays: "
                                  "CubaDense has none")
        n = spec.neuron
        return cls(weight=spec.weight, i_decay=n.i_decay, v_decay=n.v_decay, vth_mant=n.vth_mant,
                   bias=spec.bias, graded_in=spec.graded_in, graded_out=spec.graded, name=name, **stream)


def _per_neuron(key: str, value, n_out: int) -> np.ndarray:
    """An integer parameter as a () or (n_out,) int64 array."""
    arr = np.asarray(value)
    if arr.shape not in ((), (1,), (n_out,)) or not np.array_equal(arr, np.round(arr)):
        raise ValueError(f"CubaDense {key} must be an integer or {n_out} integers, got {value!r}")
    arr = arr.astype(np.int64)
    if arr.size == 1:
        arr = arr.reshape(())
    if key.endswith("decay") and (np.any(arr < 0) or np.any(arr > DECAY_ONE)):
        raise ValueError(f"CubaDense {key} must lie in [0, {DECAY_ONE}], got {value!r}")
    return arr
