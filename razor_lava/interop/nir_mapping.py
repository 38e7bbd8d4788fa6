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

import warnings

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


# ---- the mapping run backwards: another framework's neuron node as a CUBA layer (nir_import) -----------------

def cuba_from_nir(name: str, n, size: int, dt: float, fail):
    """(per-neuron gain from synapse output to voltage ``(size,)``, iDecay, vDecay, the threshold in SLAYER
    units, per-neuron voltage bias from ``v_leak`` or None) of the CubaLIF / LIF / IF node ``name`` (``n``) of a
    graph whose time step is ``dt``: this mapping run backwards. ``fail(problem)``: the error to raise."""
    kind, where = type(n).__name__, f"node '{name}' ({type(n).__name__})"
    params = {a: np.asarray(getattr(n, a), dtype=np.float64)
              for a in ("r", "v_threshold", "v_reset", "v_leak", "tau", "tau_syn", "tau_mem", "w_in")
              if getattr(n, a, None) is not None}
    for a, v in params.items():
        if np.any(np.isnan(v)) or (a not in ("tau", "tau_syn", "tau_mem") and not np.all(np.isfinite(v))):
            raise fail(f"{where}: {a} holds NaN or infinite values")
        if v.size not in (1, size):
            raise fail(f"{where}: {a} has {v.size} values, but the synapse before it has {size} outputs")
    v_th = params["v_threshold"]
    if np.any(params.get("v_reset", 0.0) != 0):
        raise fail(f"{where}: v_reset must be 0 (netx and Loihi reset the membrane to 0)")
    if np.ptp(v_th) > 0:
        raise fail(f"{where}: thresholds in [{v_th.min():g}, {v_th.max():g}] differ between neurons: "
                        "razor_lava's layers share one threshold (lava-dl's shared_param)")
    r = params["r"]
    leak = None
    try:
        if kind == "CubaLIF":
            tau_syn, tau_mem = params["tau_syn"] / dt, params["tau_mem"] / dt
            i_decay, v_decay = decay_from_tau(tau_syn, f"{where} tau_syn"), decay_from_tau(tau_mem, f"{where} tau_mem")
            gain = params.get("w_in", np.float64(1.0)) / tau_syn * r / tau_mem
            leak_tau = tau_mem
        elif kind == "LIF":  # no synaptic state: the current empties every step
            tau = params["tau"] / dt
            i_decay, v_decay, gain, leak_tau = DECAY_ONE, decay_from_tau(tau, f"{where} tau"), r / tau, tau
        else:  # IF: no leak
            i_decay, v_decay, gain, leak_tau = DECAY_ONE, 0, r * dt, None
    except ValueError as e:
        raise fail(f"{e} (pass the graph's own time step as dt)") from None
    if leak_tau is not None and np.any(params.get("v_leak", 0.0) != 0):
        # tau dv/dt = (v_leak - v) + ...: v_leak / tau (in steps) joins the voltage every step, a netx bias
        leak = np.asarray(params["v_leak"] / leak_tau, dtype=np.float64).ravel()
        leak = leak if leak.size == size else np.full(size, leak[0])
    gain = np.asarray(gain, dtype=np.float64)
    gain = gain.ravel() if gain.size == size else np.full(size, float(gain.ravel()[0]))
    return gain, i_decay, v_decay, float(v_th.ravel()[0]), leak


def onto_grid(where: str, w_eff: np.ndarray, v_th: float, bias: np.ndarray | None, fail, path):
    """File integers of ``w_eff``, the threshold mantissa and the bias mantissas, and how they were made:
    exact where all are on lava-dl's grid, else scaled together and rounded (with a warning)."""
    if v_th <= 0:
        raise fail(f"{where}: threshold {v_th:g}: expected > 0")
    b64 = None if bias is None else bias * WEIGHT_SCALE
    if weight_grid(w_eff) and float(v_th * WEIGHT_SCALE).is_integer() and \
            (b64 is None or np.array_equal(b64, np.rint(b64))):
        w_int, vth_mant = np.rint(w_eff * WEIGHT_SCALE).astype(np.int64), int(v_th * WEIGHT_SCALE)
        b_int = None if b64 is None else np.rint(b64).astype(np.int64)
        how = "weights, threshold and bias exactly on lava-dl's grid"
    else:
        peak = float(np.abs(w_eff).max(initial=0))
        if peak == 0:
            raise fail(f"{where}: every weight is 0")
        scale = (WEIGHT_MAX - 1) / (peak * WEIGHT_SCALE)  # the largest weight becomes 254 / 64
        w_int = (2 * np.rint(w_eff * scale * WEIGHT_SCALE / 2)).astype(np.int64)  # lava-dl's step 2 / 64
        vth_mant = int(max(1, round(v_th * scale * WEIGHT_SCALE)))
        b_int = None if b64 is None else np.rint(b64 * scale).astype(np.int64)
        moved = float(np.abs(w_int / (scale * WEIGHT_SCALE) - w_eff).max() / peak)
        b_moved = "" if b_int is None else \
            f"; bias moved by up to {float(np.abs(b_int / (scale * WEIGHT_SCALE) - bias).max()):.3g}"
        how = (f"weights not on lava-dl's 8-bit grid; scaled by {scale:.4g} with the threshold and bias and "
               f"rounded (largest change {100 * moved:.2f}% of the largest weight; threshold {v_th:g} -> "
               f"{vth_mant / (scale * WEIGHT_SCALE):g}{b_moved})")
        warnings.warn(f"{path}: {where}: {how}", stacklevel=4)
    return w_int, vth_mant, b_int, how
