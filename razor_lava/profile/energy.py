"""Energy estimates from synop counts, with every per-operation constant named and cited.

An estimate is counts x per-operation energy, nothing more: it leaves out
memory traffic, spike routing, leakage and the pruners' own arithmetic, so
read the numbers as a comparison between networks (pruned vs unpruned, SNN
vs dense ANN) under one stated convention, not as a chip measurement.

Two conventions are built in (``PROFILES``):

- ``loihi1``: a synop costs Loihi's "energy per synaptic spike op (min)",
  and every neuron is updated every step at Loihi's *inactive* neuron-update
  energy (a lower bound; the *active* figure gives ``total_uj_upper``).
  Davies et al. 2018 has no MAC figure, so this profile prices no dense ANN.
- ``horowitz45nm``: a synop is one 32-bit float accumulate (AC), a dense ANN
  operation one 32-bit float MAC; neuron updates are not priced (the paper
  has no such row).

``horowitz45nm_int8`` (8-bit integer AC and MAC) is available on request.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import ConfigError

HOROWITZ_2014 = (
    'M. Horowitz, "1.1 Computing\'s energy problem (and what we can do about it)", 2014 IEEE International '
    "Solid-State Circuits Conference Digest of Technical Papers (ISSCC), pp. 10-14, 2014, "
    "doi:10.1109/ISSCC.2014.6757323; Fig. 1.1.9, \"Rough energy costs for various operations in 45nm 0.9V\""
)
DAVIES_2018 = (
    'M. Davies, N. Srinivasa, T.-H. Lin, G. Chinya, Y. Cao, et al., "Loihi: A Neuromorphic Manycore Processor '
    'with On-Chip Learning", IEEE Micro 38(1), pp. 82-99, 2018, doi:10.1109/MM.2018.112130359; Table 2, '
    '"Loihi pre-silicon performance and energy measurements" (pre-silicon SDF and SPICE simulations, 0.75 V)'
)


@dataclass(frozen=True)
class EnergyConstant:
    """One per-operation energy: ``value`` in ``unit`` per ``counts`` operation, from ``source``."""

    name: str
    value: float
    unit: str
    counts: str  # "synop" | "AC" | "MAC" | "neuron update"
    source: str
    note: str = ""

    @property
    def pj(self) -> float:
        """The value in picojoules."""
        return self.value * {"pJ": 1.0, "fJ": 1e-3, "nJ": 1e3}[self.unit]


CONSTANTS: dict[str, EnergyConstant] = {c.name: c for c in (
    EnergyConstant("horowitz45nm.fp32_ac", 0.9, "pJ", "AC", HOROWITZ_2014,
                   "32-bit floating-point add at 45 nm, 0.9 V; an SNN synop is one accumulate"),
    EnergyConstant("horowitz45nm.fp32_mac", 4.6, "pJ", "MAC", HOROWITZ_2014,
                   "32-bit floating-point multiply (3.7 pJ) + add (0.9 pJ) at 45 nm, 0.9 V"),
    EnergyConstant("horowitz45nm.int8_ac", 0.03, "pJ", "AC", HOROWITZ_2014, "8-bit integer add at 45 nm, 0.9 V"),
    EnergyConstant("horowitz45nm.int8_mac", 0.23, "pJ", "MAC", HOROWITZ_2014,
                   "8-bit integer multiply (0.2 pJ) + add (0.03 pJ) at 45 nm, 0.9 V"),
    EnergyConstant("loihi1.synop", 23.6, "pJ", "synop", DAVIES_2018,
                   'row "Energy per synaptic spike op (min)": a minimum, simulated before silicon, 14 nm'),
    EnergyConstant("loihi1.neuron_update_inactive", 52.0, "pJ", "neuron update", DAVIES_2018,
                   'row "Energy per neuron update (active / inactive)", inactive figure; simulated, 14 nm'),
    EnergyConstant("loihi1.neuron_update_active", 81.0, "pJ", "neuron update", DAVIES_2018,
                   'row "Energy per neuron update (active / inactive)", active figure; simulated, 14 nm'),
)}

# What each convention charges: synop / neuron update (lower, upper) for the SNN, MAC for the dense ANN.
PROFILES: dict[str, dict[str, str]] = {
    "loihi1": {"synop": "loihi1.synop", "neuron_update": "loihi1.neuron_update_inactive",
               "neuron_update_upper": "loihi1.neuron_update_active"},
    "horowitz45nm": {"synop": "horowitz45nm.fp32_ac", "mac": "horowitz45nm.fp32_mac"},
    "horowitz45nm_int8": {"synop": "horowitz45nm.int8_ac", "mac": "horowitz45nm.int8_mac"},
}
DEFAULT_PROFILES = ("loihi1", "horowitz45nm")

_PJ_TO_UJ = 1e-6


def constants_table(profiles=None) -> list[dict]:
    """The constants (all, or those ``profiles`` use) as plain dicts, for reports."""
    names = list(CONSTANTS) if profiles is None else \
        list(dict.fromkeys(n for p in profiles for n in _profile(p).values()))
    return [asdict(CONSTANTS[n]) for n in names]


def _profile(name: str) -> dict[str, str]:
    if name not in PROFILES:
        raise ConfigError("energy constants", f"unknown profile '{name}'; expected one of {sorted(PROFILES)}")
    return PROFILES[name]


def operation_counts(counts) -> dict:
    """Mean operations per sample: ``synops``, ``neuron_updates`` (frames run), ``dense_macs`` (all T frames)."""
    n = _n_samples(counts)
    synops = sum(int(np.asarray(counts.synops[i]).sum()) for i in counts.layers)
    run = getattr(counts, "frames_run", None)  # set when a cutoff ended samples early
    if run is None:
        updates = float(sum(int(counts.neurons[i]) for i in counts.layers) * counts.n_frames)
    else:
        updates = sum(int(counts.neurons[i]) * float(np.mean(run[i])) for i in counts.layers) if n else 0.0
    return {
        "samples": n,
        "synops": synops / max(n, 1),
        "neuron_updates": updates,
        "dense_macs": float(sum(int(counts.dense_macs[i]) for i in counts.layers) * counts.n_frames),
    }


def _n_samples(counts) -> int:
    first = next((counts.synops[i] for i in counts.layers), None)
    return 0 if first is None else int(np.shape(first)[0])


def estimate(counts, constants=DEFAULT_PROFILES) -> dict:
    """Energy per sample in microjoules (mean over ``counts``' samples) for each profile in ``constants``.

    SNN: synops x synop energy (+ neurons x T x neuron-update energy where the
    profile has one; ``total_uj_upper`` uses the upper neuron-update figure).
    Dense ANN: dense_macs x T x MAC energy, for profiles with a MAC constant.
    Every figure is labelled with the constant names it used.
    """
    ops = operation_counts(counts)
    snn, ann = {}, {}
    for name in constants:
        prof = _profile(name)
        syn = ops["synops"] * CONSTANTS[prof["synop"]].pj * _PJ_TO_UJ
        entry = {"synop_uj": syn, "total_uj": syn, "constants": {"synop": prof["synop"]}}
        if "neuron_update" in prof:
            neu = ops["neuron_updates"] * CONSTANTS[prof["neuron_update"]].pj * _PJ_TO_UJ
            entry |= {"neuron_uj": neu, "total_uj": syn + neu}
            entry["constants"]["neuron_update"] = prof["neuron_update"]
            if "neuron_update_upper" in prof:
                upper = ops["neuron_updates"] * CONSTANTS[prof["neuron_update_upper"]].pj * _PJ_TO_UJ
                entry["total_uj_upper"] = syn + upper
                entry["constants"]["neuron_update_upper"] = prof["neuron_update_upper"]
        snn[name] = entry
        if "mac" in prof:
            mac = ops["dense_macs"] * CONSTANTS[prof["mac"]].pj * _PJ_TO_UJ
            ann[name] = {"mac_uj": mac, "total_uj": mac, "constants": {"mac": prof["mac"]}}
    return {"unit": "uJ per sample", "operations_per_sample": ops, "snn": snn, "dense_ann": ann}
