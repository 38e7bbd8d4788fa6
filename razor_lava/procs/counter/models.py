"""numpy ProcessModels of ``SynopCounter``: ``fixed_pt`` (int32 ports) and ``floating_pt`` (float ports).

Absolute imports: Lava's compiler executes this file on its own to discover the models.
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from razor_lava.procs.payload import FixedPtPayloads, FloatPtPayloads
from razor_lava.procs.counter.process import SynopCounter


class _CounterLogic:
    """Count, then pass the message on in the same step (no delay)."""

    def _setup(self, p) -> None:
        self.fan = np.asarray(p["fanout"], dtype=np.int64)
        self.n_frames, self.t_start = p["n_frames"], p["t_start"]

    def run_spk(self) -> None:
        x = self.inp.recv()
        t = self.time_step - self.t_start - 1
        if 0 <= t < self.n_frames:
            nz = x != 0
            self.events[t] += int(np.count_nonzero(nz))
            self.synops[t] += int(self.fan[nz].sum())
        self.out.send(x.astype(self.out_dtype))


@implements(proc=SynopCounter, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PySynopCounterFixed(FixedPtPayloads, _CounterLogic, PyLoihiProcessModel):
    """Integer payloads on int32 ports (24-bit, as Loihi 2 graded spikes); int64 counts."""

    inp: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    events: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=64)
    synops: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=64)


@implements(proc=SynopCounter, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PySynopCounterFloat(FloatPtPayloads, _CounterLogic, PyLoihiProcessModel):
    """Payloads on float ports; counting is the same (non-zero entries)."""

    inp: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    events: np.ndarray = LavaPyType(np.ndarray, np.int64)
    synops: np.ndarray = LavaPyType(np.ndarray, np.int64)
