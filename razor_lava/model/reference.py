"""The SLAYER fixed-point reference of a network file: what the Lava run must equal, sample by sample.

The layers are lava-dl SLAYER blocks built from the file model
(``razor_lava.netfile``), weights exactly the file's integers / 64 (no
re-quantization: netx uses the file's integers as they are), pruners with the
file's integer parameters. Where the file asks for what SLAYER's own block
forward does not model, ``NetxLayer`` adds it the way netx builds it on Lava:

- **bias** (Lava's ``bias_mant``, exp 6) enters the voltage every step, and a Lava
  layer's neurons run one step before the first input reaches them (the
  synapse sends its previous step's buffer): so the layer integrates one extra
  leading step of bias alone. With that step in front, SLAYER's one-step
  ``delay_shift`` is the same as dropping the last step; without bias the
  leading step is silent and the result is SLAYER's block forward.
- **delays** of a dense layer (``DelayDense``: delay 0 = the usual one step):
  input ``i`` reaches neuron ``j`` ``delay[j, i]`` steps later.

Bias is refused behind a window gate: those layers would integrate it during
the ``T`` steps the gate buffers, which no offline reference models.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import DataFormatError
from ..fixed_point import bias_to_slayer, weight_to_slayer
from ..netfile import LayerSpec, NetworkFile
from . import _slayer  # noqa: F401  (imports lava-dl quietly; the two modules below come with it)
from lava.lib.dl.slayer.neuron.dynamics import leaky_integrator  # noqa: E402
from lava.lib.dl.slayer.utils import quantize  # noqa: E402
from ..config import NetConfig, config_from_layers
from .network import RazorNet


def config_from_file(nf: NetworkFile) -> NetConfig:
    """The config of the file's network: its typed layers (``LayerSpec.layer``) with the file's neurons, its
    pruner positions, every other section at its defaults."""
    layers = [replace(s.layer, neuron=s.neuron.slayer_params()) if s.weighted else s.layer
              for s in nf.layers if s.type != "input"]
    data = dict((nf.config or {}).get("data", {"dataset": "synthetic"}))
    return config_from_layers(nf.input_shape, layers, data, sorted(nf.pruners), source=str(nf.path))


def _cuba_with_leading_step(neuron, z: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """lava-dl's CUBA dynamics on ``z`` (``N x ... x T``) with bias and the Lava leading step (module doc)."""
    z = F.pad(z, (1, 0))
    state = torch.zeros(z.shape[:-1], dtype=z.dtype)
    current = leaky_integrator.dynamics(z, quantize(neuron.current_decay), state, neuron.s_scale)
    if bias is not None:
        current = current + bias.reshape(1, *bias.shape, 1)  # "bias can be enabled by adding it here" (cuba.py)
    voltage = leaky_integrator.dynamics(current, quantize(neuron.voltage_decay), state.clone(), neuron.s_scale,
                                        neuron.threshold + neuron.threshold_eps)
    return neuron.spike(voltage)[..., :-1]


class NetxLayer(nn.Module):
    """One weighted layer of the file with netx's semantics; a flatten or plain layer is the SLAYER block itself."""

    def __init__(self, block: nn.Module, spec: LayerSpec):
        super().__init__()
        self.block, self.spec = block, spec
        bias = None if spec.bias is None else torch.as_tensor(bias_to_slayer(spec.bias), dtype=torch.float32)
        self.register_buffer("bias", bias)
        self.delays: list[tuple[int, torch.Tensor]] = []
        if spec.delay is not None:
            w = torch.as_tensor(weight_to_slayer(spec.weight), dtype=torch.float64)
            for d in np.unique(spec.delay):
                self.delays.append((int(d), w * torch.as_tensor(spec.delay == d)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.spec.weighted or not self.spec.needs_netx_semantics:
            return self.block(x)
        if self.delays:
            flat = x.reshape(x.shape[0], -1, x.shape[-1]).to(torch.float64)
            t = flat.shape[-1]
            z = torch.zeros(x.shape[0], self.spec.n_neurons, t, dtype=torch.float64)
            for d, w in self.delays:  # integer multiples of 1/64 summed in float64: exact
                shifted = F.pad(flat, (d, 0))[..., :t]
                z += torch.einsum("oi,nit->not", w, shifted)
            z = z.to(torch.float32)
        else:
            z = self.block.synapse(x)
        return _cuba_with_leading_step(self.block.neuron, z, self.bias)


class ReferenceNet(nn.Module):
    """The reference of a network file. ``layers[str(k)]`` is layer ``k``; ``pruners`` keyed alike."""

    def __init__(self, nf: NetworkFile):
        super().__init__()
        self.net = RazorNet(config_from_file(nf))
        specs = [s for s in nf.layers if s.type != "input"]
        self.layers = nn.ModuleDict({str(s.index): NetxLayer(b, s) for s, b in zip(specs, self.net.blocks)})
        self.pruners = self.net.pruners

    def layer(self, k: int) -> NetxLayer:
        return self.layers[str(k)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for key, layer in self.layers.items():
            if key in self.pruners:
                x = self.pruners[key](x)
            x = layer(x)
        return x


def _check_supported(nf: NetworkFile) -> None:
    window_seen = False
    for s in nf.layers:
        if s.index in nf.pruners and nf.pruners[s.index].variant == "window":
            window_seen = True
        if window_seen and s.bias is not None:
            raise DataFormatError(nf.path, f"layer/{s.index}/bias: a biased layer behind a window gate would "
                                  "integrate its bias while the gate buffers; razor_lava cannot mirror that")


@torch.no_grad()
def reference_network(nf: NetworkFile) -> ReferenceNet:
    """The SLAYER reference of ``nf`` in eval mode: weights and pruner decisions as in the file."""
    _check_supported(nf)
    ref = ReferenceNet(nf)
    for key, layer in ref.layers.items():
        spec = layer.spec
        if not spec.weighted:
            continue
        syn = layer.block.synapse
        syn.pre_hook_fx = None  # the file's integers as they are (netx does not re-quantize them)
        w = torch.as_tensor(weight_to_slayer(spec.weight), dtype=torch.float32)
        syn.weight.copy_(w.reshape(syn.weight.shape))
    for k, params in nf.pruners.items():
        ref.pruners[str(k)].use_quantized(params)
    ref.net._infer_shapes()
    return ref.eval()
