"""numpy ProcessModels of ``FrameGate``: ``fixed_pt`` (int32 ports) and ``floating_pt`` (float ports).

Both run the pruner's one integer decision (``razor_lava.pruning.decide``,
the code the torch pruner runs too) on the frames received, as a batch of one,
so they make identical decisions. Absolute imports:
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

from razor_lava.procs.payload import FixedPtPayloads, FloatPtPayloads
from razor_lava.procs.gate.process import COUNTERS, FrameGate
from razor_lava.procs.slots import open_records, slot
from razor_lava.pruning.decide import decide
from razor_lava.pruning.params import PrunerParams


class _GateLogic:
    """The gate's behaviour, shared by both models (see ``process.py`` for the timing).

    Frames are buffered in the pruner's layout: ``C x H x W x T`` for conv
    inputs, ``N x T`` for dense or flattened inputs (int64 payloads); a window
    gate holds two buffers (the sample arriving, the sample it replays).
    """

    def _setup(self, p) -> None:
        # Not "self.start": that is the model's own start() method.
        self.n_frames, self.t_start = p["n_frames"], p["start"]
        self.period, self.n_samples = p["period"], p["n_samples"]
        self.causal = p["variant"] == "causal"
        self.spatial = len(p["in_shape"]) == 3 and not p["flatten_out"]
        self.flat = len(p["in_shape"]) == 3 and p["flatten_out"]
        self.params = PrunerParams(
            weight=p["weight"], bias=p["bias"], embeddings=p["embeddings"],
            # The float theta is not part of the integer decision (theta_int is), nor known here.
            theta=None, theta_int=p["theta_int"],
            ratio=p["ratio"], variant=p["variant"], pool=p["pool"], input_scale=p["input_scale"],
            area=p["area"], lut=p["lut"], frame_bias=p["frame_bias"])
        w_h_c = p["in_shape"]
        view = w_h_c[::-1] if self.spatial else (int(np.prod(w_h_c)),)
        self.buf = np.zeros((2, *view, self.n_frames), dtype=np.int64)
        # Decisions of the two samples in the buffers (1 kept, 0 pruned, -1 not decided).
        self.decisions = np.full((2, self.n_frames), -1, dtype=np.int64)
        # Ports are attached after __init__, so the out shape comes from the parameters.
        out_shape = (int(np.prod(w_h_c)),) if self.flat else w_h_c
        self.zeros = np.zeros(out_shape, dtype=self.out_dtype)
        self.rec = open_records(p["records"])

    def _view(self, x: np.ndarray) -> np.ndarray:
        """A received (W, H, C) or (N,) frame in the pruner's layout, int64."""
        x = self.to_int(x)
        # (W, H, C) -> (C, H, W): the SLAYER order, whose flatten is what netx feeds a dense layer.
        return x.transpose(2, 1, 0).reshape(-1) if self.flat else x.transpose(2, 1, 0) if self.spatial else x

    def _count(self, n: int, column: int, value: int) -> None:
        getattr(self, COUNTERS[column])[0] += value
        if "counts" in self.rec:
            self.rec["counts"][n, column] += value

    def _send(self, n: int, frame: np.ndarray | None) -> None:
        """Send a buffered frame of sample ``n`` (pruner layout) in the out port's layout, or zeros."""
        if frame is None:
            self.out.send(self.zeros)
            return
        self._count(n, 3, int(np.count_nonzero(frame)))
        self.out.send((frame.transpose(2, 1, 0) if self.spatial else frame).astype(self.out_dtype))

    def _decided(self, n: int, ks, keep) -> None:
        """Record sample ``n``'s decisions ``keep`` of frames ``ks``."""
        keep = np.asarray(keep, dtype=np.int64)
        self.decisions[n % 2, ks] = keep
        self.keep[ks] = keep
        if "keep" in self.rec:
            self.rec["keep"][n, ks] = keep
        n_kept = int(np.count_nonzero(keep))
        self._count(n, 0, n_kept)
        self._count(n, 1, int(np.size(keep)) - n_kept)

    def run_spk(self) -> None:
        # stop_in first: the Cutoff sends it before it receives, so no same-step
        # cycle. Unconnected, Lava's recv() returns zeros (no channel to wait on).
        n_decided = int(self.to_int(self.stop_in.recv())[0])  # samples 0 .. n_decided-1 are answered
        # Always drain the input, also outside the window, or the sender blocks.
        x = self.inp.recv()
        n, t = slot(self.time_step, self.t_start, self.period)
        if n < 0 or t >= self.n_frames:  # before the first frame, or a stream's padding
            self._send(n, None)
            return
        receiving = n < self.n_samples and not (self.causal and n < n_decided)
        if t == 0 and n < self.n_samples:  # a new sample arrives
            self.decisions[n % 2] = -1
            self.keep[:] = -1
        if receiving:
            frame = self._view(x)
            self._count(n, 2, int(np.count_nonzero(frame)))
            self.buf[n % 2][..., t] = frame
        if self.causal:
            if not receiving:  # past the last sample, or the cutoff has answered this one
                self._send(n, None)
                return
            # Causal: the decision of frame t depends on frames 0..t only (decide.py), so
            # deciding the frames received so far gives frame t's final decision.
            keep_t = bool(decide(self.buf[n % 2][..., : t + 1], self.params)[-1])
            self._decided(n, t, keep_t)
            self._send(n, frame if keep_t else None)
            return
        if receiving and t == self.n_frames - 1:
            self._decided(n, slice(None), decide(self.buf[n % 2], self.params))
        m = n - 1  # the sample this window gate replays
        if 0 <= m < self.n_samples and m >= n_decided and self.decisions[m % 2, t] == 1:
            self._send(m, self.buf[m % 2][..., t])
        else:
            self._send(m, None)


@implements(proc=FrameGate, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyFrameGateFixed(FixedPtPayloads, _GateLogic, PyLoihiProcessModel):
    """Integer payloads on int32 ports (24-bit, as Loihi 2 graded spikes)."""

    inp: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    stop_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    keep: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=2)
    frames_kept: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=32)
    frames_pruned: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=32)
    events_in: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=32)
    events_out: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=32)


@implements(proc=FrameGate, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyFrameGateFloat(FloatPtPayloads, _GateLogic, PyLoihiProcessModel):
    """Integer-valued payloads on float ports; the decision is the same integer one."""

    inp: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    stop_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    keep: np.ndarray = LavaPyType(np.ndarray, int)
    frames_kept: np.ndarray = LavaPyType(np.ndarray, int)
    frames_pruned: np.ndarray = LavaPyType(np.ndarray, int)
    events_in: np.ndarray = LavaPyType(np.ndarray, int)
    events_out: np.ndarray = LavaPyType(np.ndarray, int)
