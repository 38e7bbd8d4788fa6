"""numpy ProcessModels of ``StreamSource`` and ``OutputRecorder`` (``fixed_pt`` and ``floating_pt``).

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
from razor_lava.procs.slots import open_records, slot
from razor_lava.procs.stream.process import OutputRecorder, PadSilencer, StreamSource


class _SourceLogic:
    def _setup(self, p) -> None:
        self.frames, self.n_frames, self.period = p["frames"], p["n_frames"], p["period"]
        self.out_shape = p["out_shape"]
        self.spatial = len(self.out_shape) == 3
        self.zeros = np.zeros(self.out_shape, dtype=self.out_dtype)

    def run_spk(self) -> None:
        n_decided = int(self.to_int(self.stop_in.recv())[0])  # unconnected: 0
        n, t = slot(self.time_step, 0, self.period)
        if 0 <= n < len(self.frames) and t < self.n_frames and n >= n_decided:
            frame = np.asarray(self.frames[n, ..., t])  # SLAYER order (C, H, W) or (C,)
            frame = frame.transpose(2, 1, 0) if self.spatial else frame.reshape(-1)  # (W, H, C), or flattened
            self.s_out.send(frame.astype(self.out_dtype))
        else:
            self.s_out.send(self.zeros)


class _RecorderLogic:
    def _setup(self, p) -> None:
        self.n_frames, self.t_start = p["n_frames"], p["t_start"]
        self.period, self.n_samples = p["period"], p["n_samples"]
        self.spatial = len(p["in_shape"]) == 3
        self.rec = open_records(p["records"])["output"]

    def run_spk(self) -> None:
        x = self.a_in.recv()
        n, t = slot(self.time_step, self.t_start, self.period)
        if 0 <= n < self.n_samples and t < self.n_frames:
            x = self.to_int(x)
            self.rec[n, :, t] = (x.transpose(2, 1, 0) if self.spatial else x).reshape(-1)


@implements(proc=StreamSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyStreamSourceFixed(FixedPtPayloads, _SourceLogic, PyLoihiProcessModel):
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    stop_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)


@implements(proc=StreamSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyStreamSourceFloat(FloatPtPayloads, _SourceLogic, PyLoihiProcessModel):
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    stop_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)


@implements(proc=OutputRecorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyOutputRecorderFixed(FixedPtPayloads, _RecorderLogic, PyLoihiProcessModel):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)


@implements(proc=OutputRecorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyOutputRecorderFloat(FloatPtPayloads, _RecorderLogic, PyLoihiProcessModel):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)


class _SilencerLogic:
    def _setup(self, p) -> None:
        self.n_frames, self.t_start, self.period = p["n_frames"], p["t_start"], p["period"]
        self.zeros = np.zeros(p["in_shape"], dtype=self.out_dtype)

    def run_spk(self) -> None:
        x = self.inp.recv()
        n, t = slot(self.time_step, self.t_start, self.period)
        self.out.send(x.astype(self.out_dtype) if n >= 0 and t < self.n_frames else self.zeros)


@implements(proc=PadSilencer, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyPadSilencerFixed(FixedPtPayloads, _SilencerLogic, PyLoihiProcessModel):
    inp: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)


@implements(proc=PadSilencer, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyPadSilencerFloat(FloatPtPayloads, _SilencerLogic, PyLoihiProcessModel):
    inp: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
