"""LIAF (graded CUBA) neurons follow lava-dl's fixed-point CUBA arithmetic.

The trace below is computed by hand from the integer equations (state units
of 2**-12, decays of 12 bits, arithmetic right shift toward zero):
    u[t] = (u[t-1] * (4096 - iDecay)) >> 12 + 64 * w_int * s[t]
    v[t] = (v[t-1] * (4096 - vDecay)) >> 12 + u[t]
    spike iff v[t] > vThMant * 64; graded payload v[t]; then v[t] = 0
and SLAYER delays the block output by one step.
"""

import numpy as np
import torch

from razor_lava.model._slayer import slayer
from razor_lava.config import parse_config
from razor_lava.fixed_point import GRADED_SCALE
from razor_lava.model.network import RazorNet


PARAMS = {"threshold": 1.25, "current_decay": 0.25, "voltage_decay": 0.03, "requires_grad": False}


def one_synapse(graded: bool, weight: float = 1.0):
    b = slayer.block.cuba.Dense({**PARAMS, "graded_spike": graded}, 1, 1, weight_norm=False)
    b.synapse.weight.data.fill_(weight)
    return b


def test_quantized_parameters_are_what_the_trace_assumes():
    b = one_synapse(True)
    p = b.neuron.device_params
    assert (p["iDecay"], p["vDecay"], p["vThMant"], p["gradedSpike"]) == (1024, 123, 80, True)
    assert b.synapse.pre_hook_fx(b.synapse.weight, descale=True).item() == 64


def test_liaf_output_equals_the_hand_computed_fixed_point_trace():
    b = one_synapse(True)
    x = torch.tensor([[[1.0, 0, 0, 1, 1, 0, 0, 0]]])
    with torch.no_grad():
        y = b(x)[0, 0]
    # t=0: u=4096 v=4096 (no spike)   t=1: u=3072 v=3973+3072=7045 > 5120: payload 7045
    # t=2: u=2304 v=2304             t=3: u=1728+4096=5824 v=2234+5824=8058: payload 8058
    # t=4: u=4368+4096=8464 v=8464   t=5: u=6348 v=6348   t=6: u=4761 v=4761
    hand = [0, 0, 7045, 0, 8058, 8464, 6348, 0]  # shifted by one step (delay_shift)
    assert (y * GRADED_SCALE).round().long().tolist() == hand
    assert torch.equal(y * GRADED_SCALE, (y * GRADED_SCALE).round())  # exact multiples of 2**-12


def test_binary_cuba_fires_where_liaf_sends_a_payload():
    x = torch.tensor([[[1.0, 0, 0, 1, 1, 0, 0, 0]]])
    with torch.no_grad():
        graded = one_synapse(True)(x)[0, 0]
        binary = one_synapse(False)(x)[0, 0]
    assert binary.tolist() == (graded > 0).float().tolist()
    assert set(binary.unique().tolist()) <= {0.0, 1.0}


def test_liaf_is_selectable_per_layer():
    raw = {"data": {"dataset": "synthetic"}, "input": [6],
           "layers": [{"type": "dense", "out": 5, "neuron": "liaf"}, {"type": "dense", "out": 3}]}
    net = RazorNet(parse_config(raw))
    assert net.blocks[0].neuron.graded_spike and not net.blocks[1].neuron.graded_spike
    with torch.no_grad():
        net.blocks[0].synapse.weight.fill_(2.0)
        y0 = net.blocks[0](torch.ones(1, 6, 12))
    payloads = (y0[y0 > 0] * GRADED_SCALE).numpy()
    assert len(payloads) and np.all(payloads > 80 * 64)  # graded payloads exceed the threshold
