"""``FrameGate``: a Razor pruner as a Lava process (interface only; models in ``models.py``).

The gate receives a block's input frames, makes the pruner's integer keep
decision (``razor_lava.pruning.decide.decide``) from the frames it actually
received, and sends kept frames unchanged and pruned frames as zeros.

Timing (steps are Lava's 1-based time steps; ``T = n_frames``; ``s = start``):

- ``window``: steps ``s+1 .. s+T`` receive and buffer frames ``0 .. T-1`` and
  send zeros; after frame ``T-1`` it decides; steps ``s+T+1 .. s+2T`` replay
  frame ``k`` (kept) or zeros (pruned). Everything downstream is delayed by
  exactly ``T`` steps.
- ``causal``: step ``s+1+t`` receives frame ``t``, decides it from frames
  ``0 .. t`` and sends it (or zeros) in the same step: no added delay.

Outside its window the gate ignores its input and sends zeros. ``start`` is
the latency of what feeds the gate: ``T`` for each window gate upstream of it.

Streams (``razor_lava.procs.slots``): with ``period`` ``P`` and ``n_samples``
``N``, sample ``n`` arrives in slot ``n`` (steps ``s + n*P + 1 ..``); a window
gate buffers sample ``n`` while it replays sample ``n-1`` (two buffers), so it
takes one sample per ``P`` steps and delays everything downstream by ``P``.
``stop_in`` (optional; unconnected it reads 0) comes from a ``Cutoff``: the
number of samples it has decided. A gate sends zeros for the rest of every
decided sample, so no further frame of it enters (a causal gate also stops
deciding it). Records (``{name: path}`` of ``.npy`` files the runner made):
``keep`` (N, T) int8 (1 kept, 0 pruned, -1 not decided) and ``counts`` (N, 4)
int64 (``COUNTERS`` per sample).
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var

from razor_lava.errors import ConfigError
from razor_lava.procs.slots import check_stream, stream_params
from razor_lava.pruning.params import PrunerParams, exp_table, resolve_rule

COUNTERS = ("frames_kept", "frames_pruned", "events_in", "events_out")  # columns of the ``counts`` record


class FrameGate(AbstractProcess):
    """Razor frame gate at a block's input.

    in_shape: Lava's order: ``(W, H, C)`` for conv feature maps, ``(N,)`` for
    dense vectors. n_frames: ``T``, the window (one sample) in steps.
    weight, bias, embeddings, theta_int, ratio, pool, input_scale, area, lut,
    frame_bias, variant: the fields of ``PrunerParams`` (``theta_int`` None in ratio mode,
    ``ratio`` None in threshold mode).
    flatten_out: the pruner sits after a flatten layer: a ``(W, H, C)`` input
    is decided and sent as the ``C*H*W`` vector in SLAYER's (C, H, W) order,
    which is what a netx slice starting at the flatten/dense layer expects.
    start: steps before frame 0 arrives (the period per window gate upstream).
    period, n_samples, records: the stream (module docstring); defaults: one sample, ``P = T``, no records.

    Ports: ``inp`` (in_shape), ``out`` (in_shape, or ``(C*H*W,)`` with flatten_out),
    ``stop_in`` (1,), optional: non-zero = the cutoff has decided, send zeros.
    Vars: ``keep`` (T,) of the latest sample: 1 kept / 0 pruned / -1 not decided yet; ``frames_kept``,
    ``frames_pruned``, ``events_in`` (non-zero entries received in the window),
    ``events_out`` (non-zero entries sent), each (1,), summed over the stream.
    """

    def __init__(self, *, in_shape, n_frames: int, variant: str, weight, bias, embeddings,
                 theta_int: int | None, ratio: float | None, pool=(1, 1), input_scale: int = 1, area: int = 1,
                 lut=None, frame_bias=None, flatten_out: bool = False, start: int = 0, period: int | None = None,
                 n_samples: int = 1, records: dict | None = None, name: str | None = None):
        in_shape = tuple(int(v) for v in in_shape)
        n_frames, start = int(n_frames), int(start)
        flatten_out = bool(flatten_out) and len(in_shape) == 3
        params = dict(
            weight=np.asarray(weight, dtype=np.int64), bias=np.asarray(bias, dtype=np.int64),
            embeddings=np.asarray(embeddings, dtype=np.int64),
            theta_int=None if theta_int is None else int(theta_int),
            ratio=None if ratio is None else float(ratio), variant=str(variant),
            pool=tuple(int(v) for v in pool), input_scale=int(input_scale), area=int(area),
            lut=exp_table() if lut is None else np.asarray(lut, dtype=np.int64),
            frame_bias=None if frame_bias is None else np.asarray(frame_bias, dtype=np.int64),
        )
        # Lava hands these keyword arguments to the models as proc_params
        # (any Python object is accepted there; None marks the unused rule).
        stream = stream_params(n_frames, period, n_samples, records)
        super().__init__(in_shape=in_shape, n_frames=n_frames, flatten_out=flatten_out, start=start,
                         name=name, **params, **stream)
        # Checked after AbstractProcess.__init__: its __del__ fails on a half-built process.
        _check(in_shape, n_frames, start, flatten_out, params)
        check_stream(stream, n_frames)
        out_shape = (int(np.prod(in_shape)),) if flatten_out else in_shape
        self.inp = InPort(shape=in_shape)
        self.out = OutPort(shape=out_shape)
        self.stop_in = InPort(shape=(1,))
        self.keep = Var(shape=(n_frames,), init=-1)
        self.frames_kept = Var(shape=(1,), init=0)
        self.frames_pruned = Var(shape=(1,), init=0)
        self.events_in = Var(shape=(1,), init=0)
        self.events_out = Var(shape=(1,), init=0)

    @classmethod
    def from_params(cls, in_shape, n_frames: int, params: PrunerParams, flatten_out: bool = False,
                    start: int = 0, name: str | None = None, **stream) -> "FrameGate":
        """The gate of a quantized pruner (``EventPruner.quantized()``)."""
        return cls(in_shape=in_shape, n_frames=n_frames, variant=params.variant, weight=params.weight,
                   bias=params.bias, embeddings=params.embeddings, theta_int=params.theta_int,
                   ratio=params.ratio, pool=params.pool, input_scale=params.input_scale, area=params.area,
                   lut=params.lut, frame_bias=params.frame_bias, flatten_out=flatten_out, start=start, name=name, **stream)

    @property
    def latency(self) -> int:
        """Steps this gate adds downstream: the period ``P`` (window; ``T`` for one sample) or 0 (causal)."""
        return self.proc_params["period"] if self.proc_params["variant"] == "window" else 0


def _check(in_shape: tuple, n_frames: int, start: int, flatten_out: bool, p: dict) -> None:
    """Raise ``ConfigError`` when the pruner's parameters do not fit the gate's input."""
    resolve_rule(p["theta_int"], p["ratio"], p["variant"], key="gate", threshold="theta_int")
    if n_frames < 1 or start < 0:
        raise ConfigError("gate.n_frames/start", f"expected n_frames >= 1 and start >= 0, got {n_frames}, {start}")
    if len(in_shape) not in (1, 3) or min(in_shape) < 1:
        raise ConfigError("gate.in_shape", f"expected (W, H, C) or (N,) positive sizes, got {in_shape}")
    fb = p["frame_bias"]
    if fb is not None and (fb.ndim != 1 or len(fb) < n_frames):
        raise ConfigError("gate.frame_bias", f"expected one integer per frame ({n_frames}), got shape {fb.shape}")
    k, d, _ = p["weight"].shape
    if p["embeddings"].shape != (k, d) or p["bias"].shape != (k,):
        raise ConfigError("gate", f"inconsistent pruner shapes: weight {p['weight'].shape}, "
                          f"bias {p['bias'].shape}, embeddings {p['embeddings'].shape}")
    if len(in_shape) == 1 or flatten_out:
        want, what = int(np.prod(in_shape)), "the input size"
        if p["pool"] != (1, 1) or p["area"] != 1:
            raise ConfigError("gate.pool", f"a dense input has pool (1, 1) and area 1, got {p['pool']}, {p['area']}")
    else:
        w, h, c = in_shape
        ph, pw = p["pool"]
        if h % ph or w % pw or p["area"] != (h // ph) * (w // pw):
            raise ConfigError("gate.pool", f"pool {p['pool']} / area {p['area']} do not fit an H x W = {h} x {w} input")
        want, what = c * ph * pw, "C * pool_h * pool_w"
    if d != want:
        raise ConfigError("gate.in_shape", f"pruner descriptor size D = {d} must equal {what} = {want} "
                          f"for in_shape {in_shape} (Lava order W, H, C)")
