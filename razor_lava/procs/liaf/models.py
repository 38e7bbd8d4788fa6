"""Process models of ``CubaDense``: SLAYER's fixed-point CUBA arithmetic on the CPU.

Both models compute the same integer maths as lava-dl SLAYER's CUBA neuron
(``slayer/neuron/dynamics/leaky_integrator.py`` with ``int_utils``), which is
exact for SLAYER's forward pass:

    binary input    I = 64 * (W @ s)
    graded input    I = trunc0((W @ payload) / 64)
    u = trunc0(u * (4096 - iDecay) / 4096) + I
    v = trunc0(v * (4096 - vDecay) / 4096) + u + (bias << 6)
    spike iff v > vThMant * 64; graded payload = v, binary payload = 1; v[spike] = 0

``trunc0`` rounds toward zero (SLAYER's sign-magnitude right shift). The
simulator, like SLAYER, neither wraps nor saturates ``u``/``v`` at 24 bits;
Loihi and Lava's own LIF do, so keep ``|u|, |v| < 2**23``.

``fixed_pt`` works in int64. ``floating_pt`` is the *same arithmetic* held in
float64 (integer-valued; exact while products stay below 2**53), so it gives
the same outputs; it exists so that ``CubaDense`` also runs in a network
compiled with ``select_tag='floating_pt'``. Payloads are integers in both.

Imports are absolute: Lava's model discovery executes this file outside its
package.
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from razor_lava.procs.liaf.process import CubaDense
from razor_lava.procs.slots import slot

from razor_lava.fixed_point import ACTIVATION_SHIFT, DECAY_ONE, THRESHOLD_SHIFT, trunc_div

WEIGHT_ONE = 1 << ACTIVATION_SHIFT  # a binary spike adds weight << 6 to u; a graded payload is divided by it


def cuba_dense_step(weight, a_buf, u, v, x, i_decay, v_decay, vth, graded_in: bool, graded_out: bool, bias=0):
    """One time step of ``CubaDense``; pure function over arrays of one dtype (int64 or float64).

    ``weight`` (out, in); ``a_buf``, ``u``, ``v`` (out,) state; ``x`` (in,)
    input received this step, which reaches ``u`` at the next step through
    the returned buffer (Lava Dense's one-step synaptic delay). ``vth`` is in
    state units (``vThMant << 6``); ``bias`` (state units) enters ``v`` every step, as in Lava's LIF. Returns ``(out, a_buf, u, v)``: the (out,)
    payloads to send (0 where no spike) and the new state.
    """
    acc = weight @ x
    next_buf = trunc_div(acc, WEIGHT_ONE) if graded_in else acc * WEIGHT_ONE
    u = trunc_div(u * (DECAY_ONE - i_decay), DECAY_ONE) + a_buf
    v = trunc_div(v * (DECAY_ONE - v_decay), DECAY_ONE) + u + bias
    spike = v > vth
    out = np.where(spike, v, 0) if graded_out else spike.astype(v.dtype)
    return out, next_buf, u, np.where(spike, 0, v)


class _CubaDenseModel(PyLoihiProcessModel):
    """Shared plumbing; subclasses fix the dtype of the state."""

    state_dtype: type = np.int64

    def __init__(self, proc_params):
        super().__init__(proc_params)
        dt = self.state_dtype
        self._i_decay = np.asarray(proc_params["i_decay"], dt)
        self._v_decay = np.asarray(proc_params["v_decay"], dt)
        self._vth = np.asarray(proc_params["vth_mant"], dt) * (1 << THRESHOLD_SHIFT)
        self._bias = np.asarray(proc_params["bias"], dt)
        self._graded_in = proc_params["graded_in"]
        self._graded_out = proc_params["graded_out"]
        self._slots = proc_params["slots"]  # (T, P, start) in a stream, else None

    def run_spk(self):
        x = self.a_in.recv().astype(self.state_dtype)
        if self._slots is not None:
            n_frames, period, start = self._slots
            n, t = slot(self.time_step, start, period)
            if n < 0 or t >= n_frames:  # before the first frame, or padding: stay silent
                self.s_out.send(np.zeros(self.a_buf.shape, dtype=self.state_dtype))
                return
            if t == 0:  # a new sample: nothing of the previous one may remain, the synaptic buffer included
                self.a_buf[:] = 0
                self.u[:] = 0
                self.v[:] = 0
        out, self.a_buf[:], self.u[:], self.v[:] = cuba_dense_step(
            self.weight, self.a_buf, self.u, self.v, x, self._i_decay, self._v_decay, self._vth,
            self._graded_in, self._graded_out, self._bias)
        self.spikes_out[0] += np.count_nonzero(out)
        self.s_out.send(out)


@implements(proc=CubaDense, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyCubaDenseFixed(_CubaDenseModel):
    """int64 state, 24-bit int32 messages (graded payloads fit 24 bits on Loihi)."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    weight: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=9)
    u: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)
    v: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)
    a_buf: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)
    spikes_out: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=64)
    state_dtype = np.int64


@implements(proc=CubaDense, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyCubaDenseFloat(_CubaDenseModel):
    """The fixed-point arithmetic in float64 (same outputs), for floating_pt networks."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    weight: np.ndarray = LavaPyType(np.ndarray, float)
    u: np.ndarray = LavaPyType(np.ndarray, float)
    v: np.ndarray = LavaPyType(np.ndarray, float)
    a_buf: np.ndarray = LavaPyType(np.ndarray, float)
    spikes_out: np.ndarray = LavaPyType(np.ndarray, np.int64)
    state_dtype = np.float64
