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
from razor_lava.procs.slots import open_records, slot


class _CounterLogic:
    """Count, then pass the message on in the same step (no delay)."""

    def _setup(self, p) -> None:
        self.fan = np.asarray(p["fanout"], dtype=np.int64)
        self.n_frames, self.t_start = p["n_frames"], p["t_start"]
        self.period, self.n_samples = p["period"], p["n_samples"]
        self.rec = open_records(p["records"])

    def run_spk(self) -> None:
        n_decided = int(self.to_int(self.stop_in.recv())[0])  # unconnected: 0
        x = self.inp.recv()
        n, t = slot(self.time_step, self.t_start, self.period)
        if 0 <= n < self.n_samples and t < self.n_frames:
            if t == 0:
                self.events[:] = 0
                self.synops[:] = 0
            if n >= n_decided:  # not answered yet: what reaches the synapses is spent
                nz = x != 0
                events, synops = int(np.count_nonzero(nz)), int(self.fan[nz].sum())
                self.events[t] = events
                self.synops[t] = synops
                if self.rec:
                    self.rec["events"][n, t] = events
                    self.rec["synops"][n, t] = synops
        self.out.send(x.astype(self.out_dtype))


@implements(proc=SynopCounter, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PySynopCounterFixed(FixedPtPayloads, _CounterLogic, PyLoihiProcessModel):
    """Integer payloads on int32 ports (24-bit, as Loihi 2 graded spikes); int64 counts."""

    inp: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    stop_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    events: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=64)
    synops: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=64)


@implements(proc=SynopCounter, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PySynopCounterFloat(FloatPtPayloads, _CounterLogic, PyLoihiProcessModel):
    """Payloads on float ports; counting is the same (non-zero entries)."""

    inp: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    stop_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    events: np.ndarray = LavaPyType(np.ndarray, np.int64)
    synops: np.ndarray = LavaPyType(np.ndarray, np.int64)
