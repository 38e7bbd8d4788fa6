"""numpy ProcessModels of ``Cutoff``: ``fixed_pt`` (int32 ports) and ``floating_pt`` (float ports).

Both run the rule's one implementation (``razor_lava.cutoff.rule.step``, int64),
so they decide identically, and as ``rule.exit_decisions``. Absolute imports:
Lava's compiler executes this file on its own to discover the models.
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from razor_lava.cutoff.rule import step
from razor_lava.procs.payload import FixedPtPayloads, FloatPtPayloads
from razor_lava.procs.cutoff.process import Cutoff
from razor_lava.procs.slots import open_records, slot


class _CutoffLogic:
    """The rule of ``rule.exit_decisions``, one frame per step (``rule.step``; timing in ``process.py``)."""

    def _setup(self, p) -> None:
        # Not "self.start": that is the model's own start() method.
        self.n_frames, self.t_start = p["n_frames"], p["t_start"]
        self.period, self.n_samples = p["period"], p["n_samples"]
        self.beta = np.asarray(p["beta_int"], dtype=np.int64)
        self.acc = np.zeros(p["n_out"], dtype=np.int64)  # int64 sum; the Var y is a copy for reading
        self.n_decided = 0  # samples 0 .. n_decided-1 are answered
        self.rec = open_records(p["records"])

    def run_spk(self) -> None:
        # Send first (the count of earlier steps): a gate upstream waits for it
        # before it sends the frame that this step's recv depends on.
        self.stop.send(np.full((1,), self.n_decided, dtype=self.out_dtype))
        x = self.a_in.recv()  # always drain, or the sender blocks
        self.steps_run[0] = self.time_step
        n, t = slot(self.time_step, self.t_start, self.period)
        if not (0 <= n < self.n_samples and t < self.n_frames) or n < self.n_decided:
            return
        if t == 0:
            self.acc[:] = 0
        self.acc += self.to_int(x)
        self.y[:] = self.acc
        exit_now, answer = step(self.acc, self.beta, t)  # gap > beta_int[t], or the last frame
        if exit_now:
            self.n_decided = n + 1
            self.exit_step[0] = t
            self.answer[0] = answer  # ties to the lower class
            self.decided_at[0] = self.time_step
            if "decisions" in self.rec:
                self.rec["decisions"][n] = (t, answer, self.time_step)
            if n == self.n_samples - 1 and t < self.n_frames - 1:
                # The runtime pauses after this step: the run really ends here. Not at
                # the last frame: the run ends there anyway, and a pause requested on a
                # run's last step breaks Lava 0.10's runtime ("Got Wrong Response for Pause").
                self._req_pause = True


@implements(proc=Cutoff, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyCutoffFixed(FixedPtPayloads, _CutoffLogic, PyLoihiProcessModel):
    """Integer payloads on int32 ports (24-bit, as Loihi 2 graded spikes); int64 sums."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    stop: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    exit_step: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=32)
    answer: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=32)
    y: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=64)
    decided_at: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=32)
    steps_run: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=32)


@implements(proc=Cutoff, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyCutoffFloat(FloatPtPayloads, _CutoffLogic, PyLoihiProcessModel):
    """Integer-valued payloads on float ports; the rule is the same int64 one."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    stop: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    exit_step: np.ndarray = LavaPyType(np.ndarray, int)
    answer: np.ndarray = LavaPyType(np.ndarray, int)
    y: np.ndarray = LavaPyType(np.ndarray, np.int64)
    decided_at: np.ndarray = LavaPyType(np.ndarray, int)
    steps_run: np.ndarray = LavaPyType(np.ndarray, int)
