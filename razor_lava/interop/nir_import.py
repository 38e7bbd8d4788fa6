"""NIR import: a NIR graph as a network file model, a RazorNet, or a deployable network file.

``network_file_from_nir`` reads a chain of the supported nodes (``SUPPORTED``) as
razor_lava layers, with ``nir_mapping``'s mapping run backwards: a synapse node
(Conv2d, Linear, Affine without bias, SumPool2d) followed by its neuron (CubaLIF,
LIF or IF) is one CUBA layer; a Flatten is a flatten layer. Graphs that
razor_lava wrote bring back their pruners, cutoff table, frame spec and classes
from the metadata (``nir_export``). From there the rest of razor_lava takes
over: ``import_nir`` gives the SLAYER network, ``write_network_file`` the file
that ``deploy/deploy.py`` runs on Lava.

Graphs of other frameworks: ``dt`` is the graph's time step in its own units
(snnTorch writes time constants for dt = 1e-4, Norse's default is 1e-3): each
razor_lava step is one ``dt``. Weights that are not on lava-dl's 8-bit grid are
scaled per layer (weights and threshold together, which leaves the spikes of
the float network unchanged) and rounded onto it, with a warning that says how
far the rounding moved them.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import yaml

from ..errors import DataFormatError
from ..fixed_point import DECAY_ONE, WEIGHT_MAX, WEIGHT_SCALE
from ..netfile import LayerSpec, NetworkFile, NeuronSpec
from ..netfile.read import decode_frame_spec
from ..pruning.params import pruner_from_record
from . import require
from .nir_mapping import decay_from_tau, weight_grid

SYNAPSES = ("Conv2d", "Linear", "Affine", "SumPool2d")
NEURONS = ("CubaLIF", "LIF", "IF")
SUPPORTED = ("Input", "Output", "Flatten") + SYNAPSES + NEURONS


def network_file_from_nir(source, dt: float = 1.0) -> NetworkFile:
    """The network file model of a NIR graph (a ``nir.NIRGraph`` or a path to a ``.nir`` file)."""
    nir = require("nir", "NIR import")

    path = Path(source) if isinstance(source, (str, os.PathLike)) else Path("<NIR graph>")
    if isinstance(source, (str, os.PathLike)):
        if not path.is_file():
            raise DataFormatError(path, "no such file: expected a NIR graph (.nir, written by nir.write)")
        try:
            graph = nir.read(path, type_check=False)  # razor_lava checks the shapes itself (nir_export.NON_SQUARE_NOTE)
        except Exception as e:  # nir raises KeyError / ValueError / OSError for files it cannot read
            raise DataFormatError(path, f"not a NIR graph nir {nir.version} reads ({type(e).__name__}: {e})") from None
    else:
        graph = source
    if not isinstance(dt, (int, float)) or not dt > 0:
        raise DataFormatError(path, f"dt={dt!r}: expected the graph's time step, a number > 0")
    return _Importer(path, graph, float(dt)).run()


def import_nir(source, dt: float = 1.0):
    """A RazorNet (eval mode) that computes what the NIR graph says, with the graph's pruners if razor_lava wrote it.

    Its weights are the graph's on lava-dl's 8-bit grid, quantization-aware as in training (so it can be trained
    on); its pruners decide with the graph's integer parameters.
    """
    return _razor_net(network_file_from_nir(source, dt))


def write_network_file(source, out: str | os.PathLike, dt: float = 1.0) -> Path:
    """The deployable network file (netx layers + razor group) of a NIR graph, written atomically at ``out``."""
    from ..netfile import export_network

    nf = network_file_from_nir(source, dt)
    return export_network(_razor_net(nf), out, nf.frame_spec, nf.classes, cutoff=nf.cutoff)


def _razor_net(nf: NetworkFile):
    from ..model.reference import reference_network

    net = reference_network(nf).net
    for block in net.blocks:  # the reference reads the file's integers as they are; a RazorNet quantizes
        if getattr(block, "synapse", None) is not None:  # (a no-op on the grid, which _on_grid guarantees)
            block.synapse.pre_hook_fx = block.neuron.quantize_8bit
    return net


class _Importer:
    def __init__(self, path: Path, graph, dt: float):
        self.path, self.graph, self.dt = path, graph, dt

    def fail(self, problem: str) -> DataFormatError:
        return DataFormatError(self.path, problem)

    def run(self) -> NetworkFile:
        chain = self._chain()
        input_shape = tuple(int(v) for v in np.ravel(_only(self.graph.nodes[chain[0]].input_type)))
        layers = [LayerSpec(0, "input", input_shape, input_shape, name="input")]
        node_layer: dict[str, int] = {}
        i = 1
        while i < len(chain) - 1:
            name, node = chain[i], self.graph.nodes[chain[i]]
            prev = layers[-1]
            if type(node).__name__ == "Flatten":
                layers.append(LayerSpec(len(layers), "flatten", (int(np.prod(prev.shape)),), prev.shape,
                                        name=f"flatten{len(layers)}"))
                node_layer[name] = layers[-1].index
                i += 1
                continue
            if i + 1 >= len(chain) - 1 or type(self.graph.nodes[chain[i + 1]]).__name__ not in NEURONS:
                follower = chain[i + 1] if i + 1 < len(chain) else "nothing"
                raise self.fail(f"node '{name}' ({type(node).__name__}) is followed by '{follower}': razor_lava "
                                f"layers are a synapse node followed by a neuron ({', '.join(NEURONS)})")
            layers.append(self._layer(len(layers), name, node, chain[i + 1], self.graph.nodes[chain[i + 1]], prev))
            node_layer[name] = layers[-1].index
            i += 2
        if not any(s.weighted for s in layers):
            raise self.fail("the graph has no synapse node followed by a neuron")
        nf = NetworkFile(path=self.path, layers=layers, input_shape=input_shape)
        self._metadata(nf, node_layer)
        return nf

    def _chain(self) -> list[str]:
        nodes, edges = self.graph.nodes, self.graph.edges
        unsupported = [f"'{k}' ({type(v).__name__})" for k, v in nodes.items() if type(v).__name__ not in SUPPORTED]
        if unsupported:
            raise self.fail(f"unsupported NIR nodes: {', '.join(unsupported)}; razor_lava imports "
                            f"{', '.join(SUPPORTED)}")
        inputs = [k for k, v in nodes.items() if type(v).__name__ == "Input"]
        if len(inputs) != 1:
            raise self.fail(f"the graph has {len(inputs)} Input nodes: expected one")
        succ: dict[str, list[str]] = {}
        for a, b in edges:
            succ.setdefault(a, []).append(b)
        chain = [inputs[0]]
        while type(nodes[chain[-1]]).__name__ != "Output":
            nxt = succ.get(chain[-1], [])
            if len(nxt) != 1:
                raise self.fail(f"node '{chain[-1]}' feeds {len(nxt)} nodes {nxt}: razor_lava imports feed-forward "
                                "chains (one successor per node, no recurrence or branches)")
            if nxt[0] in chain:
                raise self.fail(f"the edge '{chain[-1]}' -> '{nxt[0]}' closes a loop: recurrent graphs are not "
                                "imported")
            chain.append(nxt[0])
        if len(chain) != len(nodes):
            left = sorted(set(nodes) - set(chain))
            raise self.fail(f"nodes {left} are not on the path from '{inputs[0]}' to the output")
        return chain

    def _layer(self, index: int, syn_name: str, syn, lif_name: str, lif, prev: LayerSpec) -> LayerSpec:
        kind = type(syn).__name__
        where = f"node '{syn_name}' ({kind})"
        gain, i_decay, v_decay, v_th = self._neuron(lif_name, lif)
        if kind in ("Linear", "Affine"):
            if kind == "Affine" and np.any(np.asarray(syn.bias) != 0):
                raise self.fail(f"{where}: a non-zero bias is not imported (netx adds biases to the voltage)")
            w = np.asarray(syn.weight, dtype=np.float64)
            n_in = int(np.prod(prev.shape))
            if w.ndim != 2 or w.shape[1] != n_in:
                raise self.fail(f"{where}: weight shape {w.shape}, but the layer before sends {n_in} values")
            shape, extra = (w.shape[0],), {}
            w_eff = w * gain.reshape(-1, 1)
            spec_type = "dense"
        else:
            if len(prev.shape) != 3:
                raise self.fail(f"{where}: needs a (C, H, W) input, but the layer before sends {prev.shape}")
            c, h, wd = prev.shape
            if kind == "SumPool2d":
                kernel, stride = _pair(syn.kernel_size), _pair(syn.stride)
                if np.any(np.asarray(syn.padding) != 0):
                    raise self.fail(f"{where}: padded sum pooling is not imported")
                w = np.zeros((c, 1, *kernel))
                w[...] = 1.0
                extra = {"kernel": kernel, "stride": stride, "groups": c}
            else:
                w = np.asarray(syn.weight, dtype=np.float64)
                if isinstance(syn.padding, str):
                    raise self.fail(f"{where}: padding '{syn.padding}': give the padding in pixels")
                if np.any(np.asarray(syn.bias) != 0):
                    raise self.fail(f"{where}: a non-zero bias is not imported (netx adds biases to the voltage)")
                extra = {"kernel": (int(w.shape[2]), int(w.shape[3])), "stride": _pair(syn.stride),
                         "padding": _pair(syn.padding), "dilation": _pair(syn.dilation), "groups": int(syn.groups)}
                if w.ndim != 4 or w.shape[1] * extra["groups"] != c:
                    raise self.fail(f"{where}: weight shape {w.shape} with groups={extra['groups']} does not fit "
                                    f"the {prev.shape} input")
            k, s = extra["kernel"], extra["stride"]
            p, d = extra.get("padding", (0, 0)), extra.get("dilation", (1, 1))
            out = tuple((n + 2 * p[a] - d[a] * (k[a] - 1) - 1) // s[a] + 1 for a, n in enumerate((h, wd)))
            shape = (int(w.shape[0]), *out)
            g = gain.reshape(shape)
            if np.ptp(g, axis=(1, 2)).max(initial=0) > 0:
                raise self.fail(f"node '{lif_name}': its input weights (w_in, r) differ within a channel: a conv "
                                "layer shares its kernel across positions")
            w_eff = w * g[:, 0, 0].reshape(-1, 1, 1, 1)
            spec_type = "conv"
        if int(np.prod(shape)) != int(np.prod(np.shape(lif.v_threshold))) and np.size(lif.v_threshold) != 1:
            raise self.fail(f"node '{lif_name}' has {np.size(lif.v_threshold)} neurons, '{syn_name}' sends "
                            f"{int(np.prod(shape))}")
        w_int, vth_mant = self._on_grid(f"node '{syn_name}' -> '{lif_name}'", w_eff, v_th)
        neuron = NeuronSpec(np.int64(i_decay), np.int64(v_decay), np.int64(vth_mant))
        return LayerSpec(index, spec_type, shape, prev.shape if spec_type == "conv" else (int(np.prod(prev.shape)),),
                         weight=w_int, neuron=neuron, name=f"{spec_type}{index}", **extra)

    def _neuron(self, name: str, n) -> tuple[np.ndarray, int, int, float]:
        """(the per-neuron gain from synapse output to voltage, iDecay, vDecay, the threshold in SLAYER units)
        of a CubaLIF / LIF / IF node."""
        kind, where = type(n).__name__, f"node '{name}' ({type(n).__name__})"
        v_th = np.asarray(n.v_threshold, dtype=np.float64)
        for attr in ("v_leak", "v_reset"):
            if np.any(np.asarray(getattr(n, attr, 0.0)) != 0):
                raise self.fail(f"{where}: {attr} must be 0 (lava-dl's CUBA neurons reset to and leak towards 0)")
        if np.ptp(v_th) > 0:
            raise self.fail(f"{where}: thresholds in [{v_th.min():g}, {v_th.max():g}] differ between neurons: "
                            "razor_lava's layers share one threshold (lava-dl's shared_param)")
        r = np.asarray(n.r, dtype=np.float64)
        try:
            if kind == "CubaLIF":
                tau_syn, tau_mem = (np.asarray(v, dtype=np.float64) / self.dt for v in (n.tau_syn, n.tau_mem))
                i_decay, v_decay = decay_from_tau(tau_syn, f"{where} tau_syn"), decay_from_tau(tau_mem, f"{where} tau_mem")
                gain = np.asarray(n.w_in, dtype=np.float64) / tau_syn * r / tau_mem
            elif kind == "LIF":  # no synaptic state: the current empties every step
                tau = np.asarray(n.tau, dtype=np.float64) / self.dt
                i_decay, v_decay, gain = DECAY_ONE, decay_from_tau(tau, f"{where} tau"), r / tau
            else:  # IF: no leak
                i_decay, v_decay, gain = DECAY_ONE, 0, r * self.dt
        except ValueError as e:
            raise self.fail(f"{e} (pass the graph's own time step as dt)") from None
        gain = np.broadcast_to(gain, np.shape(v_th)).ravel() if np.ndim(gain) else np.full(v_th.size, gain)
        return gain, i_decay, v_decay, float(v_th.ravel()[0])

    def _on_grid(self, where: str, w_eff: np.ndarray, v_th: float) -> tuple[np.ndarray, int]:
        """File integers of ``w_eff`` and the threshold mantissa: exact where on lava-dl's grid, else scaled and rounded."""
        if weight_grid(w_eff) and float(v_th * WEIGHT_SCALE).is_integer():
            w_int, vth_mant = np.rint(w_eff * WEIGHT_SCALE).astype(np.int64), int(v_th * WEIGHT_SCALE)
        else:
            peak = float(np.abs(w_eff).max(initial=0))
            if peak == 0:
                raise self.fail(f"{where}: every weight is 0")
            scale = (WEIGHT_MAX - 1) / (peak * WEIGHT_SCALE)  # the largest weight becomes 254 / 64
            w_int = (2 * np.rint(w_eff * scale * WEIGHT_SCALE / 2)).astype(np.int64)  # lava-dl's step 2 / 64
            vth_mant = int(max(1, round(v_th * scale * WEIGHT_SCALE)))
            moved = float(np.abs(w_int / (scale * WEIGHT_SCALE) - w_eff).max() / peak)
            warnings.warn(f"{self.path}: {where}: weights are not on lava-dl's 8-bit grid; scaled by {scale:.4g} "
                          f"with the threshold and rounded (largest change {100 * moved:.2f}% of the largest weight; "
                          f"threshold {v_th:g} -> {vth_mant / (scale * WEIGHT_SCALE):g})", stacklevel=2)
        if vth_mant < 1:
            raise self.fail(f"{where}: threshold {v_th:g}: expected > 0")
        return w_int, vth_mant

    def _metadata(self, nf: NetworkFile, node_layer: dict[str, int]) -> None:
        meta = self.graph.metadata.get("razor_lava") if isinstance(self.graph.metadata, dict) else None
        if not meta:
            return
        try:
            if "config" in meta:
                nf.config = yaml.safe_load(_text(meta["config"]))
            nf.classes = json.loads(_text(meta.get("classes", "[]")))
            if "frame_spec" in meta:
                nf.frame_spec = decode_frame_spec(json.loads(_text(meta["frame_spec"])))
            layer_nodes = {int(k): _text(v) for k, v in meta.get("layer_nodes", {}).items()}
            for key, rec in meta.get("pruners", {}).items():
                node = layer_nodes.get(int(key))
                if node not in node_layer:
                    raise self.fail(f"metadata razor_lava/pruners/{key}: its layer's node {node!r} is not in the graph")
                k = node_layer[node]
                nf.pruners[k], nf.pruner_in_shapes[k] = pruner_from_record(rec)
            if "cutoff" in meta:
                c = dict(meta["cutoff"])
                nf.cutoff = {"beta": np.asarray(c.pop("beta"), dtype=np.float64), **c}
        except DataFormatError:
            raise
        except (KeyError, ValueError, TypeError, yaml.YAMLError) as e:
            raise self.fail(f"metadata razor_lava is malformed ({type(e).__name__}: {e})") from None


def _only(types: dict):
    return next(iter(types.values()))


def _pair(v) -> tuple[int, int]:
    a = np.ravel(np.asarray(v, dtype=np.int64))
    return (int(a[0]), int(a[-1]))


def _text(v) -> str:
    v = v.item() if isinstance(v, np.ndarray) else v
    return v.decode() if isinstance(v, bytes) else str(v)
