"""How a network file streams samples through one Lava network: the period, the resets, the records.

Samples follow each other every ``P`` steps (``razor_lava.procs.slots``). razor_lava's own processes
start each sample afresh at its slot; netx's CUBA layers do not know about samples, so they are built
as ``LIFReset`` neurons (netx's ``reset_interval`` / ``reset_offset``) that zero ``u`` and ``v`` once
per period. A reset clears the neuron but not what its synapses deliver in the same step, nor what a
layer upstream still sends from the previous sample. So:

- every razor_lava process that feeds netx layers (the source, the gates, ``CubaDense``) sends zeros
  at the padding positions ``T .. P-1``;
- each netx layer resets at the first padding position where its input is certain to be silent from
  then on: one step after the layer before it (its synapse's delay), plus the largest axonal delay of
  its own dense synapses. netx staggers the resets of a slice by one step per layer, as this rule does
  for layers without delays; a layer with delays starts a slice of its own (``assemble.plan_segments``);
- the padding is the longest such chain of netx layers, so the last reset lands on the next sample's
  frame 0 at the latest.

With no bias, a reset neuron with silent input stays at zero, so every sample starts from the state
SLAYER starts from. A netx layer with a bias integrates it during the padding, so it resets on the
next sample's frame 0 itself (its input is silent by then), and a ``PadSilencer`` after it zeroes
its padding output for the next netx layer.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field

import numpy as np

from ..netfile import NetworkFile


class Records:
    """The ``.npy`` files a stream's processes write their per-sample results to, in a private temporary folder.

    Use as a context manager: the folder goes when the block ends, also on errors.
    """

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="razor-lava-stream-")
        self._count = 0

    def __enter__(self) -> "Records":
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def new(self, name: str, shape: tuple, dtype, fill: int = 0) -> str:
        """Create a record filled with ``fill``; return its path (what a process's ``records`` holds)."""
        self._count += 1
        path = f"{self.folder}/{self._count:03d}-{name}.npy"
        arr = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=tuple(int(v) for v in shape))
        arr[...] = fill
        arr.flush()
        del arr
        return path

    @staticmethod
    def read(path: str) -> np.ndarray:
        """A record's current content, as an array in memory."""
        return np.array(np.load(path, mmap_mode="r"))


@dataclass
class Stream:
    """The schedule of one Lava run: ``n_samples`` samples of ``n_frames`` frames, one every ``period`` steps.

    ``resets``: netx layers are built with ``LIFReset`` (``reset_at`` holds, per netx segment, the slot
    position of its first layer's reset); without, the run holds one sample (``P = T``).
    """

    n_frames: int
    period: int
    n_samples: int
    resets: bool
    records: Records
    reset_at: dict = field(default_factory=dict)
    segments: list = field(default_factory=list)  # assemble.plan_segments, as ``schedule`` made them
    hardware: bool = False  # netx slices on Loihi 2 neurocores, adapters at every CPU <-> chip boundary
    input_bits: int = 0  # message bits of the source's spikes (0: binary frames)

    def kwargs(self, **records) -> dict:
        """The stream keyword arguments of a razor_lava process (``procs.slots``)."""
        return {"period": self.period, "n_samples": self.n_samples, "records": records}

    def reset_offset(self, segment_start: int, latency: int) -> int:
        """netx's ``reset_offset`` for the netx segment starting at layer ``segment_start`` (netx adds 1)."""
        return (latency + self.reset_at[segment_start]) % self.period


def power_of_two_at_least(n: int) -> int:
    return 1 << max(0, int(n - 1).bit_length())


def schedule(nf: NetworkFile, n_frames: int, tap_layers=(), resets: bool = True,
             hardware: bool = False) -> tuple[list, int, dict]:
    """``(segments, period, reset_at)`` of a run of ``nf``: the cut (``assemble.plan_segments``; taps at
    ``tap_layers``), the steps per sample and each netx segment's reset position. ``resets=False``: one
    sample, ``P = T``, no resets. ``hardware``: the period rounded up to a power of two (Loihi 2's reset
    interval), biased layers still reset on the next sample's frame 0."""
    from .assemble import plan_segments

    segs = plan_segments(nf, [list(ks) for ks in tap_layers], streaming=resets)
    if not resets:
        return segs, n_frames, {}
    padding, reset_at = settling(nf, segs, n_frames)
    period = n_frames + padding
    if hardware:
        period = power_of_two_at_least(period)
        reset_at = settling(nf, segs, n_frames, period)[1]
    return segs, period, reset_at


def settling(nf: NetworkFile, segments, n_frames: int, period: int | None = None) -> tuple[int, dict]:
    """``(padding, {netx segment start: slot position of its first reset})`` (module docstring); a biased
    layer resets at position ``period`` (the next sample's frame 0; default ``n_frames + padding``)."""
    quiet = n_frames  # slot position from which the signal entering the next segment is silent
    padding, first, at_period = 0, {}, []
    for seg in segments:
        if seg.kind in ("gate", "cuba", "silence"):
            quiet = n_frames  # they send zeros at the padding positions
        elif seg.kind == "netx":
            for spec in (nf.layer(i) for i in range(seg.start, seg.end)):
                if not spec.weighted:
                    continue
                if quiet is None:
                    raise AssertionError(f"layer/{spec.index} follows a biased layer without a PadSilencer")
                delay = int(np.max(spec.delay)) if spec.delay is not None else 0
                need = quiet + 1 + delay  # the first position with silent input until the next sample
                padding = max(padding, need - n_frames)
                if spec.bias is not None and np.any(np.asarray(spec.bias) != 0):
                    # A bias keeps the neuron busy: reset it on the next sample's frame 0 itself
                    # (plan_segments gives it a slice of its own); its output is never silent.
                    at_period.append(seg.start)
                    quiet = None
                else:
                    first.setdefault(seg.start, need)
                    quiet = need
    first |= {k: period or n_frames + padding for k in at_period}
    return padding, first
