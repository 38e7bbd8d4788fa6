"""``SynopCounter``: an identity process that counts what passes into a layer's synapses.

It sits in front of a weighted layer (after its gate, if any) and passes
every message on in the same step it arrives (``recv`` then ``send``), so it
adds no delay and changes nothing downstream. Per frame index
``t = step - t_start - 1`` (steps are Lava's 1-based time steps) with
``0 <= t < n_frames`` it adds:

- ``events[t]``: non-zero entries received (a graded payload is one event);
- ``synops[t]``: the sum of ``fanout`` over those entries.

Steps outside that window are passed on but not counted: the window is where
the frames of one sample reach this layer (``t_start`` = ``T`` per window
gate upstream), and frame ``t`` there is SLAYER's time index ``t``.

Streams (``razor_lava.procs.slots``): with ``period`` and ``n_samples`` it
counts every sample in its slot; ``stop_in`` (optional, from a ``Cutoff``:
the number of samples decided) ends the count of a sample once it is
answered, as the gates stop forwarding it. Records: ``events`` and
``synops`` (N, T) int64.
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var

from razor_lava.errors import ConfigError
from razor_lava.procs.slots import check_stream, stream_params


class SynopCounter(AbstractProcess):
    """Counting identity at the input of a weighted layer.

    in_shape: Lava's order, ``(W, H, C)`` for conv inputs or ``(N,)``.
    fanout: integer fan-out of every input element, same shape and order
    (``razor_lava.profile.counts.fanout_map`` transposed to W, H, C).
    n_frames: ``T``, frames per sample. t_start: steps before frame 0 arrives.

    period, n_samples, records: the stream (module docstring); defaults: one sample.

    Ports: ``inp``, ``out`` (in_shape), ``stop_in`` (1,). Vars: ``events``, ``synops`` (n_frames,) of the
    latest sample.
    """

    def __init__(self, *, in_shape, fanout, n_frames: int, t_start: int = 0, period: int | None = None,
                 n_samples: int = 1, records: dict | None = None, name: str | None = None):
        in_shape = tuple(int(v) for v in in_shape)
        fanout = np.asarray(fanout)
        n_frames, t_start = int(n_frames), int(t_start)
        # Not "start": a model attribute of that name would shadow the model's start() method.
        stream = stream_params(n_frames, period, n_samples, records)
        super().__init__(in_shape=in_shape, fanout=fanout.astype(np.int64), n_frames=n_frames, t_start=t_start,
                         name=name, **stream)
        # Checked after AbstractProcess.__init__: its __del__ fails on a half-built process.
        if len(in_shape) not in (1, 3) or min(in_shape) < 1:
            raise ConfigError("counter.in_shape", f"expected (W, H, C) or (N,) positive sizes, got {in_shape}")
        if fanout.shape != in_shape or not np.array_equal(fanout, np.round(fanout)) or np.any(fanout < 0):
            raise ConfigError("counter.fanout", f"expected non-negative integers of shape {in_shape}, got an array "
                              f"of shape {fanout.shape}")
        if n_frames < 1 or t_start < 0:
            raise ConfigError("counter.n_frames/t_start",
                              f"expected n_frames >= 1 and t_start >= 0, got {n_frames}, {t_start}")
        check_stream(stream, n_frames)
        self.inp = InPort(shape=in_shape)
        self.out = OutPort(shape=in_shape)
        self.stop_in = InPort(shape=(1,))
        self.events = Var(shape=(n_frames,), init=0)
        self.synops = Var(shape=(n_frames,), init=0)
