"""A faster model of Lava's own ``Conv`` process (netx's conv synapses) with bit-identical results.

Lava 0.10's ``PyConvModelFixed`` convolves with scipy, one ``convolve2d`` call
per (output channel, input channel) pair and time step: 512 calls for a
16 -> 32 channel layer, about 12 ms of every simulator step of the demo's
conv network, even when nothing arrives. ``PyConvModelFixedFast`` computes
the same sum as one matrix product over the kernel's sliding windows, in
float64 as Lava does (every term and partial sum is an integer far below
2**53, so the order of summation cannot change the result), then casts and
clamps exactly as Lava; a step with no input event costs nothing. It is
selected through ``Loihi2SimCfg(exception_proc_model_map=...)``
(``deployment.runner.run_config``); ``conv_lava_order`` is the arithmetic,
tested against Lava's ``conv_scipy`` (tests/lava/test_conv_model.py).
This module sits outside the process packages on purpose: Lava's compiler
executes the modules next to a process to discover its models.
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.conv import utils
from lava.proc.conv.models import PyConvModelFixed
from lava.proc.conv.process import Conv


def conv_lava_order(input_: np.ndarray, weight: np.ndarray, stride, padding, dilation, groups: int) -> np.ndarray:
    """Lava's ``utils.conv_scipy`` (true convolution, XY/WH order): input (W, H, C), weight (K, kx, ky, C/groups)
    -> float64 (W', H', K)."""
    k_out, kx, ky, c_group = weight.shape
    d0, d1 = int(dilation[0]), int(dilation[1])
    # Dilated kernel, flipped: convolve2d(..., "valid") is a correlation with the flipped kernel.
    dil = np.zeros((k_out, d0 * (kx - 1) + 1, d1 * (ky - 1) + 1, c_group))
    dil[:, ::d0, ::d1, :] = weight
    flipped = dil[:, ::-1, ::-1, :]
    x = np.pad(np.asarray(input_, dtype=np.float64),
               ((int(padding[0]),) * 2, (int(padding[1]),) * 2, (0, 0)), mode="constant")
    win = np.lib.stride_tricks.sliding_window_view(x, flipped.shape[1:3], axis=(0, 1))
    win = win[:: int(stride[0]), :: int(stride[1])]  # (W', H', C, KX, KY)
    w_out, h_out = win.shape[:2]
    k_group = k_out // groups
    out = np.empty((w_out, h_out, k_out))
    for g in range(groups):
        cols = win[:, :, g * c_group:(g + 1) * c_group].reshape(w_out * h_out, -1)  # (C, KX, KY) flattened
        kern = flipped[g * k_group:(g + 1) * k_group].transpose(0, 3, 1, 2).reshape(k_group, -1)
        out[:, :, g * k_group:(g + 1) * k_group] = (cols @ kern.T).reshape(w_out, h_out, k_group)
    return out


@implements(proc=Conv, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyConvModelFixedFast(PyConvModelFixed):
    """Lava's fixed-point Conv model with ``conv_lava_order`` in place of scipy; same ports, Vars and results."""

    def run_spk(self) -> None:
        self.a_out.send(self.a_buf)
        s_in = self.s_in.recv() if self.num_message_bits.item() > 0 else self.s_in.recv().astype(bool)
        if not s_in.any():  # no event: Lava's sum is zero everywhere
            self.a_buf = np.zeros(self.a_out.shape, dtype=self.weight.dtype)
            return
        a_out = conv_lava_order(s_in, self.weight, self.stride, self.padding, self.dilation, int(self.groups[0]))
        self.a_buf = self.clamp_precision(a_out.astype(self.weight.dtype))


def fast_models() -> dict:
    """``exception_proc_model_map`` entries of the simulator's faster, bit-identical models."""
    return {Conv: PyConvModelFixedFast}


__all__ = ["PyConvModelFixedFast", "conv_lava_order", "fast_models", "utils"]
