"""How a lava-dl CUBA layer reads as NIR nodes, and back: the mapping's one home (export and import use it).

NIR (``nir`` 1.0) describes neurons as continuous-time ODEs; razor_lava's layers
are lava-dl CUBA neurons in discrete steps. NIR's ``CubaLIF``

    tau_syn * dI/dt = -I + w_in * S
    tau_mem * dv/dt = (v_leak - v) + r * I,     spike when v > v_threshold, then v = v_reset

integrated with forward Euler at **dt = 1** (one step = one frame) is

    I[t] = (1 - 1/tau_syn) * I[t-1] + (w_in / tau_syn) * S[t]
    v[t] = (1 - 1/tau_mem) * v[t-1] + (r / tau_mem) * I[t]

and SLAYER's CUBA neuron is

    I[t] = (1 - current_decay) * I[t-1] + (W @ s)[t]
    v[t] = (1 - voltage_decay) * v[t-1] + I[t],  spike when v > threshold (``fixed_point``), then v = 0

so, layer by layer:

==================  =============================================================
NIR                 razor_lava (SLAYER units; the file's integers in brackets)
==================  =============================================================
``tau_syn``         ``1 / current_decay`` = 4096 / iDecay  (decay 0 is refused: see below)
``tau_mem``         ``1 / voltage_decay`` = 4096 / vDecay
``w_in``            ``tau_syn`` (so ``w_in / tau_syn`` = 1): the weights stay in the synapse node
``r``               ``tau_mem`` (so ``r / tau_mem`` = 1)
``v_threshold``     ``threshold`` = vThMant / 64
``v_leak``          0 (a netx bias is not exported: netx adds it to the voltage)
``v_reset``         0
Conv2d / Linear     the layer's weights in SLAYER units: file weight / 64; Conv2d weight
                    ``(C_out, C_in / groups, kh, kw)``, torch's order (rows first), bias 0
SumPool2d           a pool layer (razor_lava builds it as a depthwise conv with one shared
                    weight w and kernel = stride): SumPool2d, and w in the CubaLIF's ``w_in``
                    (``w_in / tau_syn`` = w)
Flatten             C, H, W flattened in that order (``start_dim`` 0: NIR has no batch axis)
==================  =============================================================

A decay of 0 (a state that never decays) would be an infinite time constant,
and the gains ``w_in / tau_syn`` and ``r / tau_mem`` then 0 or undefined:
such layers are not exported. An importer reads the general form: the weight that reaches the voltage is
``W * (w_in / tau_syn) * (r / tau_mem)`` per output neuron (the ODE is linear up
to the threshold), and it must land on lava-dl's 8-bit grid (``weight_grid``).

Two things NIR does not say and a reader must know (the graph's metadata says them too):
each layer delays its output by one step (SLAYER's ``delay_shift``, Loihi's
synapse), so a reader without that delay sees the output ``L`` steps earlier for
``L`` layers; and SLAYER computes the decays in 12-bit fixed point, a float
reader in floats, so cross-framework outputs agree closely, not bit for bit
(docs/results.md measures how closely).
"""

from __future__ import annotations

import numpy as np

from ..fixed_point import DECAY_ONE, WEIGHT_MAX, WEIGHT_MIN, WEIGHT_SCALE

DT = 1.0  # one NIR time unit = one razor_lava step (frame)


def tau_from_decay(decay_int) -> np.ndarray:
    """A 12-bit decay (iDecay / vDecay) as a NIR time constant: 4096 / decay; inf for decay 0."""
    d = np.asarray(decay_int, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(d == 0, np.inf, DECAY_ONE / np.where(d == 0, 1, d))


def decay_from_tau(tau, where: str) -> int:
    """A NIR time constant as a 12-bit decay; the inverse of ``tau_from_decay`` for every 12-bit decay."""
    tau = np.asarray(tau, dtype=np.float64)
    if np.any(np.isnan(tau)) or np.any(tau < 1):
        raise ValueError(f"{where}: time constants {_span(tau)}: expected >= 1 step (dt = 1; a decay of at most "
                         "one state per step)")
    decay = np.where(np.isinf(tau), 0.0, DECAY_ONE / np.where(np.isinf(tau), 1.0, tau))
    if np.ptp(decay) > 0.5:
        raise ValueError(f"{where}: time constants {_span(tau)} differ between neurons: razor_lava's layers "
                         "share one decay per layer (lava-dl's shared_param)")
    return int(np.rint(decay.ravel()[0]))


def weight_grid(w_eff: np.ndarray) -> bool:
    """Whether SLAYER-unit weights are on lava-dl's 8-bit grid: w * 64 even integers in [-256, 254], the values
    its ``quantize_8bit`` leaves as they are (so a RazorNet trained on from them computes what the file says)."""
    ints = np.asarray(w_eff, dtype=np.float64) * WEIGHT_SCALE
    return bool(np.all(ints == 2 * np.rint(ints / 2)) and ints.min(initial=0) >= WEIGHT_MIN
                and ints.max(initial=0) <= WEIGHT_MAX - 1)


def _span(a: np.ndarray) -> str:
    a = np.asarray(a, dtype=np.float64).ravel()
    return f"{a.min():g}" if np.ptp(a) == 0 else f"in [{a.min():g}, {a.max():g}]"
