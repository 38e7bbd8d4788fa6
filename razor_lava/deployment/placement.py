"""Where each part of a network file runs on Loihi 2: on neurocores or on the host CPU, and the adapters between.

The plan is made from the segments the simulator streams (``assemble.plan_segments(streaming=True)``),
so it describes the graph the hardware run builds (``loihi2.run_stream_loihi2``):

- netx slices of binary CUBA layers (conv, dense, the pool layers razor_lava writes as convs) go on
  neurocores: netx builds them with neurocore process models under ``Loihi2HwCfg``, with
  ``LIFReset`` neurons whose reset interval is the stream's period;
- razor_lava's own processes stay on the host CPU (they have Python models only): the frame gates
  (their decision ranks a whole window, or runs the integer pruner per frame), the LIAF layers and the
  layer after one (``CubaDense``: netx would build a graded CUBA layer as a binary LIF, so the chip
  path could not mirror SLAYER's graded payloads bit-exactly), pad silencers, the Top-K cutoff, the
  synop counters, the stream's source and output recorder;
- at every CPU <-> chip boundary sits one of lava-loihi's ``embedded_io`` spike adapters, as lava-dl's
  netx tutorials place them: ``PyToNxAdapter`` (``PyToN3ConvAdapter`` for a conv-shaped input) into
  the chip, ``NxToPyAdapter`` out of it.

Constraints that apply on chip are checked and listed: the reset interval must be a power of two
(the stream's period is rounded up: more padding keeps every sample exact), message bits of the
spikes that cross a boundary (binary, or graded payloads of at most 24 bits), axonal delays of at
most 62 steps, weights of at most 8 bits (the file reader already refuses wider ones). A network
without gates and LIAF layers goes entirely on chip. Pure Python: it needs neither lava-loihi nor a
board, so ``deploy.py --backend loihi2 --plan`` prints it anywhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..netfile import NetworkFile
from .assemble import adapter_name, input_shape_of
from .stream import power_of_two_at_least, schedule  # noqa: F401  (power_of_two_at_least: re-exported)

MAX_DELAY = 62  # Loihi 2 axonal delay limit (netx clamps larger delays, with a warning)
GRADED_BITS = 24  # payload bits of a Loihi 2 graded spike

WHY = {
    "netx": "binary CUBA layers: netx builds them for neurocores (LIFReset, reset interval = period)",
    "gate": "razor_lava FrameGate (Python model): ranks the frames of a window with the integer pruner",
    "cuba": "razor_lava CubaDense (Python model): graded (LIAF) spikes, which netx would build as binary LIF",
    "silence": "razor_lava PadSilencer (Python model): zeroes a biased layer's padding output",
    "tap": "razor_lava SynopCounter (Python model): counts synops at the layer's input",
}


@dataclass
class Part:
    """One process (or netx slice) of the plan: what it is, which layers, where it runs and why."""

    part: str  # source | netx | gate | cuba | silence | tap | cutoff | recorder | adapter
    layers: str
    where: str  # "loihi2" | "cpu"
    why: str
    shape: tuple = ()


@dataclass
class Plan:
    """The placement of one network file (``placement_plan``); ``format()`` is what ``--plan`` prints."""

    network: str
    n_frames: int
    period: int  # the simulator's period: T + padding
    reset_interval: int  # on chip: the period rounded up to a power of two
    parts: list = field(default_factory=list)
    constraints: list = field(default_factory=list)  # {"constraint", "value", "ok", "note"}

    @property
    def adapters(self) -> list:
        return [p for p in self.parts if p.part == "adapter"]

    @property
    def on_chip(self) -> list:
        return [p for p in self.parts if p.where == "loihi2"]

    @property
    def all_on_chip(self) -> bool:
        """True when every layer runs on neurocores (only the source, recorder and adapters on the CPU)."""
        return all(p.where == "loihi2" for p in self.parts if p.part not in ("source", "recorder", "adapter"))

    def to_dict(self) -> dict:
        return {"network": self.network, "n_frames": self.n_frames, "period": self.period,
                "reset_interval": self.reset_interval, "all_on_chip": self.all_on_chip,
                "adapters": len(self.adapters), "parts": [asdict(p) | {"shape": list(p.shape)} for p in self.parts],
                "constraints": list(self.constraints),
                "ok": all(c["ok"] for c in self.constraints)}

    def format(self) -> str:
        lines = [f"Loihi 2 placement of {self.network} (T = {self.n_frames}; simulator period {self.period}, "
                 f"on-chip reset interval {self.reset_interval}):", ""]
        width = max(len(p.layers) for p in self.parts) if self.parts else 6
        for p in self.parts:
            where = "Loihi 2" if p.where == "loihi2" else "CPU"
            shape = f" {'x'.join(map(str, p.shape))}" if p.shape else ""
            lines.append(f"  {where:8} {p.part:9} {p.layers:{width}}{shape:>12}  {p.why}")
        lines += ["", f"{len(self.on_chip)} part(s) on neurocores, {len(self.adapters)} adapter(s) at CPU <-> chip "
                      f"boundaries{'; the whole network runs on chip' if self.all_on_chip else ''}.", "",
                  "Constraints on chip:"]
        for c in self.constraints:
            lines.append(f"  [{'ok' if c['ok'] else 'NO'}] {c['constraint']}: {c['value']}"
                         + (f" ({c['note']})" if c.get("note") else ""))
        return "\n".join(lines)


def _layers(nf: NetworkFile, start: int, end: int | None = None) -> str:
    ks = [k for k in range(start, (end or start + 1)) if nf.layer(k).weighted]
    if not ks:
        return f"layer/{start}"
    return f"layer/{ks[0]}" if len(ks) == 1 else f"layer/{ks[0]}-{ks[-1]}"


def _adapter(into_chip: bool, shape: tuple, graded: bool, where: str) -> Part:
    bits = f"graded, {GRADED_BITS} message bits" if graded else "binary spikes"
    return Part("adapter", where, "cpu", f"lava-loihi embedded_io.spike.{adapter_name(into_chip, shape)} ({bits})",
                tuple(shape))


def placement_plan(nf: NetworkFile, n_frames: int | None = None, cutoff: bool = False,
                   counters: bool = False) -> Plan:
    """The Loihi 2 placement of ``nf`` (module docstring). ``n_frames``: T (default: the file's frame spec);
    ``cutoff`` / ``counters``: include the Top-K cutoff / the synop counters."""
    from ..errors import UsageError

    if n_frames is None:
        if nf.frame_spec is None:
            raise UsageError("--samples", f"{nf.path} has no frame spec: the plan needs T (give a data set or --input)")
        n_frames = int(nf.frame_spec.n_frames)
    taps = [nf.weighted_indices()] if counters else []
    segs, period, _ = schedule(nf, n_frames, taps)
    plan = Plan(str(nf.path), int(n_frames), period, power_of_two_at_least(period))
    plan.parts.append(Part("source", "input", "cpu", "the stream's source: samples back to back",
                           tuple(input_shape_of(nf, nf.first_index))))
    prev_where, prev_graded, prev_shape = "cpu", False, tuple(input_shape_of(nf, nf.first_index))
    for seg in segs:
        if seg.kind == "netx":
            if not any(nf.layer(i).weighted for i in range(seg.start, seg.end)):
                continue  # a lone flatten: the next connection flattens
            part = Part("netx", _layers(nf, seg.start, seg.end), "loihi2", WHY["netx"],
                        tuple(nf.layer(max(i for i in range(seg.start, seg.end) if nf.layer(i).weighted)).shape))
            in_shape = tuple(input_shape_of(nf, seg.start))
            first = next(nf.layer(i) for i in range(seg.start, seg.end) if nf.layer(i).weighted)
            if first.type == "dense":
                in_shape = (int(np.prod(in_shape)),)  # a dense slice takes the flattened vector
        else:
            k = seg.start
            shape = tuple(nf.layer(k).shape) if seg.kind == "cuba" else tuple(input_shape_of(nf, k))
            part = Part(seg.kind, _layers(nf, k), "cpu", WHY[seg.kind], shape)
            in_shape = tuple(input_shape_of(nf, k))
        if part.where != prev_where:
            plan.parts.append(_adapter(part.where == "loihi2", in_shape, prev_graded,
                                       f"before {part.layers}"))
        plan.parts.append(part)
        prev_where, prev_shape = part.where, part.shape
        prev_graded = seg.kind == "cuba" and nf.layer(seg.start).graded
    if prev_where == "loihi2":
        plan.parts.append(_adapter(False, prev_shape, False, "output"))
    if cutoff:
        plan.parts.append(Part("cutoff", "output", "cpu", "razor_lava Cutoff (Python model): the Top-K exit; its "
                               "count of answered samples feeds the source and the gates on the CPU", (nf.n_outputs,)))
    plan.parts.append(Part("recorder", "output", "cpu", "the stream's output recorder", (nf.n_outputs,)))
    plan.constraints = _constraints(nf, plan, segs)
    return plan


def _constraints(nf: NetworkFile, plan: Plan, segs) -> list:
    out = [{"constraint": "reset interval a power of two", "value": plan.reset_interval, "ok": True,
            "note": f"the period {plan.period} (T {plan.n_frames} + {plan.period - plan.n_frames} padding) rounded up; "
                    "extra padding keeps every sample exact"}]
    chip = [i for s in segs if s.kind == "netx" for i in range(s.start, s.end) if nf.layer(i).weighted]
    graded_into_chip = [i for i in chip if nf.layer(i).graded_in]
    out.append({"constraint": f"graded spikes into neurocores (at most {GRADED_BITS} bits)",
                "value": "none" if not graded_into_chip else ", ".join(f"layer/{i}" for i in graded_into_chip),
                "ok": not graded_into_chip,
                "note": "graded (LIAF) layers and the layer after one run on the CPU as CubaDense"})
    delays = {i: int(np.max(nf.layer(i).delay)) for i in chip if nf.layer(i).delay is not None}
    out.append({"constraint": f"axonal delays at most {MAX_DELAY} steps",
                "value": ", ".join(f"layer/{i}: {d}" for i, d in delays.items()) or "no delays",
                "ok": all(d <= MAX_DELAY for d in delays.values())})
    wmax = {i: int(np.abs(nf.layer(i).weight).max()) for i in chip if nf.layer(i).weight is not None}
    out.append({"constraint": "weights of at most 8 bits plus sign (netx's weight exponent covers the scale)",
                "value": f"largest |weight| {max(wmax.values()) if wmax else 0}",
                "ok": all(v <= 255 for v in wmax.values())})
    biased = [i for i in chip if nf.layer(i).bias is not None and np.any(np.asarray(nf.layer(i).bias) != 0)]
    if biased:
        out.append({"constraint": "biased layers reset on each sample's frame 0",
                    "value": ", ".join(f"layer/{i}" for i in biased), "ok": True,
                    "note": "a PadSilencer on the CPU follows each one that feeds a neurocore layer"})
    return out
