"""``StreamSource`` and ``OutputRecorder``: the ends of a stream of samples (timing in ``razor_lava.procs.slots``).

``StreamSource`` sends frame ``t`` of sample ``n`` at Lava step ``n * P + 1 + t``
(zeros at the padding positions ``T .. P-1`` and after the last sample), in
the layout of the first process (``(W, H, C)``, or the ``C*H*W`` vector in
SLAYER's order when the network starts with a flatten). Its ``stop_in``
(optional, from a ``Cutoff``: the number of samples decided) makes it send
zeros for the rest of an answered sample. ``OutputRecorder`` writes what the
network's last process sends, frame by frame, into the ``output`` record
(``N x n_out x T``, a conv output flattened in SLAYER's C, H, W order).
``PadSilencer`` passes frames on and sends zeros at the padding positions
(after a netx layer with a bias, which stays active between samples, so that
the next netx layer starts every sample from silence). None adds a delay.
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess

from razor_lava.errors import ConfigError
from razor_lava.procs.slots import check_stream, stream_params


class StreamSource(AbstractProcess):
    """Samples back to back.

    frames: ``N x C x H x W x T`` or ``N x C x T`` integer payloads (SLAYER's
    order; a numpy memmap works and is read frame by frame). out_shape: the
    first process's input shape in Lava's order. period: steps per sample
    (``>= T``). Ports: ``s_out`` (out_shape), ``stop_in`` (1,).
    """

    def __init__(self, *, frames, out_shape, period: int | None = None, name: str | None = None):
        out_shape = tuple(int(v) for v in out_shape)
        frames = frames if isinstance(frames, np.ndarray) else np.asarray(frames)
        n_frames = int(frames.shape[-1]) if frames.ndim >= 3 else 0
        stream = stream_params(max(n_frames, 1), period, max(len(frames), 1), None)
        super().__init__(frames=frames, out_shape=out_shape, n_frames=n_frames, name=name, **stream)
        if frames.ndim not in (3, 5) or len(frames) < 1 or n_frames < 1 or not np.issubdtype(frames.dtype, np.integer):
            raise ConfigError("source.frames", f"expected N x C x H x W x T or N x C x T integers, got "
                              f"{frames.shape} {frames.dtype}")
        if int(np.prod(frames.shape[1:-1])) != int(np.prod(out_shape)) or len(out_shape) > frames.ndim - 2:
            raise ConfigError("source.out_shape", f"frames of {frames.shape[1:-1]} (C x H x W) do not fit "
                              f"the first layer's input {out_shape} (Lava order)")
        check_stream(stream, n_frames)
        self.s_out = OutPort(shape=out_shape)
        self.stop_in = InPort(shape=(1,))


class OutputRecorder(AbstractProcess):
    """Keeps every sample's output frames in the ``output`` record.

    in_shape: what the network's last process sends (Lava order). n_frames,
    t_start (the network's latency), period, n_samples, records: as for every
    stream process (``razor_lava.procs.slots``). Port: ``a_in`` (in_shape).
    """

    def __init__(self, *, in_shape, n_frames: int, t_start: int = 0, period: int | None = None,
                 n_samples: int = 1, records: dict | None = None, name: str | None = None):
        in_shape = tuple(int(v) for v in in_shape)
        n_frames, t_start = int(n_frames), int(t_start)
        stream = stream_params(n_frames, period, n_samples, records)
        super().__init__(in_shape=in_shape, n_frames=n_frames, t_start=t_start, name=name, **stream)
        check_stream(stream, n_frames)
        if "output" not in stream["records"]:
            raise ConfigError("recorder.records", "an OutputRecorder needs an 'output' record")
        self.a_in = InPort(shape=in_shape)


class PadSilencer(AbstractProcess):
    """Identity at slot positions ``0 .. T-1``, zeros at the padding positions ``T .. P-1``.

    in_shape: Lava order. n_frames, t_start, period: as every stream process. Ports: ``inp``, ``out``.
    """

    def __init__(self, *, in_shape, n_frames: int, t_start: int = 0, period: int | None = None,
                 name: str | None = None):
        in_shape = tuple(int(v) for v in in_shape)
        n_frames, t_start = int(n_frames), int(t_start)
        stream = stream_params(n_frames, period, 1, None)
        super().__init__(in_shape=in_shape, n_frames=n_frames, t_start=t_start, name=name, **stream)
        check_stream(stream, n_frames)
        self.inp = InPort(shape=in_shape)
        self.out = OutPort(shape=in_shape)
