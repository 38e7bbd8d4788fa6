"""``Cutoff``: the Top-K early exit as a Lava process (interface only; models in ``models.py``).

It sits after the network's output layer and accumulates the output payloads
(integers: 1 per binary spike, ``v_int`` per graded spike, as
``razor_lava.fixed_point.as_payloads``). Steps are Lava's 1-based time steps; the
frame index is ``t = step - t_start - 1``. For ``0 <= t < T`` and not yet
decided it adds the payload to ``y`` and computes ``gap = top1 - top2``
(int64, 0 on a tie); if ``gap > beta_int[t]`` or ``t == T - 1`` it records
``exit_step = t`` and ``answer = argmax y`` (ties to the lower class) and
requests a pause, so the simulator stops after this step (not at ``t == T - 1``:
run ``t_start + T`` steps, which end there; Lava 0.10 fails on a pause
requested at a run's last step). It runs ``razor_lava.cutoff.rule.step``, so these
are exactly the decisions of ``razor_lava.cutoff.rule.exit_decisions``.

``stop`` sends the number of samples decided so far, from the step after each
decision on (0 before). It is sent at the start of each step, before the
output is received, so it can feed a gate upstream (``FrameGate.stop_in``)
without a same-step cycle.

Streams (``razor_lava.procs.slots``): with ``period`` and ``n_samples`` it
decides every sample in its slot (the accumulator starts from zero at each
sample's frame 0) and requests the pause only for the last one. Records:
``decisions`` (N, 3) int64: exit frame, answer and Lava step of each sample's
decision (-1 until decided).
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var

from razor_lava.errors import ConfigError
from razor_lava.procs.slots import check_stream, stream_params


class Cutoff(AbstractProcess):
    """Top-K cutoff on the output layer.

    n_out: number of classes ``K`` (>= 2). n_frames: ``T``, the window in steps.
    beta_int: ``(T,)`` int64 thresholds from ``rule.integer_thresholds`` (payload
    units of the accumulated output; ``rule.NEVER`` = never exit at ``t``).
    t_start: steps before frame 0 of the output arrives (the network latency).

    Ports: ``a_in`` (n_out,), ``stop`` (1,).
    period, n_samples, records: the stream (module docstring); defaults: one sample.

    Vars (of the latest decided sample): ``exit_step`` (1,) frame index of the exit, -1 until decided;
    ``answer`` (1,) the class, -1 until decided; ``y`` (n_out,) accumulated
    payloads; ``decided_at`` (1,) the Lava time step of the decision (0 before);
    ``steps_run`` (1,) the last Lava time step this process ran (measures the pause).
    """

    def __init__(self, *, n_out: int, n_frames: int, beta_int, t_start: int = 0, period: int | None = None,
                 n_samples: int = 1, records: dict | None = None, name: str | None = None):
        n_out, n_frames, t_start = int(n_out), int(n_frames), int(t_start)
        beta_int = np.asarray(beta_int)
        stream = stream_params(n_frames, period, n_samples, records)
        super().__init__(n_out=n_out, n_frames=n_frames, beta_int=beta_int.astype(np.int64), t_start=t_start,
                         name=name, **stream)
        check_stream(stream, n_frames)
        # Checked after AbstractProcess.__init__: its __del__ fails on a half-built process.
        if n_out < 2:
            raise ConfigError("cutoff.n_out", f"the cutoff needs at least 2 classes, got {n_out}")
        if n_frames < 1 or t_start < 0:
            raise ConfigError("cutoff.n_frames/t_start", f"expected n_frames >= 1 and t_start >= 0, "
                              f"got {n_frames}, {t_start}")
        if beta_int.shape != (n_frames,) or not np.issubdtype(beta_int.dtype, np.integer):
            raise ConfigError("cutoff.beta_int", f"expected ({n_frames},) integers (rule.integer_thresholds), "
                              f"got {beta_int.shape} {beta_int.dtype}")
        self.a_in = InPort(shape=(n_out,))
        self.stop = OutPort(shape=(1,))
        self.exit_step = Var(shape=(1,), init=-1)
        self.answer = Var(shape=(1,), init=-1)
        self.y = Var(shape=(n_out,), init=0)
        self.decided_at = Var(shape=(1,), init=0)
        self.steps_run = Var(shape=(1,), init=0)
