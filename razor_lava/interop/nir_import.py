"""NIR import: a NIR graph as a network file model, a RazorNet, or a deployable network file.

``read_nir`` reads a feed-forward chain of the supported nodes (``SUPPORTED``)
as razor_lava layers, with ``nir_mapping``'s mapping run backwards: the linear
nodes (Conv2d, Linear, Affine, SumPool2d, AvgPool2d) up to the next neuron
(CubaLIF, LIF or IF) are one synapse (``nir_fold`` folds runs of them, exactly,
and says why each fold is exact), and the synapse with its neuron is one CUBA
layer; a Flatten is a flatten layer. Graphs that razor_lava wrote bring back
their pruners, cutoff table, frame spec and classes from the metadata
(``nir_export``). From there the rest of razor_lava takes over:
``write_network_file`` writes the file that ``deploy/deploy.py`` runs on Lava.

Graphs of other frameworks: ``dt`` is the graph's time step in its own units
(snnTorch writes time constants for dt = 1e-4, Norse's default is 1e-3): each
razor_lava step is one ``dt``. Weights that are not on lava-dl's 8-bit grid are
scaled per layer (weights, bias and threshold together, which leaves the spikes
of the float network unchanged) and rounded onto it, with a warning that says
how far the rounding moved them.

Biases (Affine / Conv2d ``bias``, and a LIF's or CubaLIF's ``v_leak``, which is
a constant ``v_leak / tau`` added to the voltage every step) become the file's
``bias`` dataset: netx's ``bias_mant`` with exponent 6, added to the voltage
every step, i.e. SLAYER current units ``bias / 64`` (``fixed_point.bias_to_slayer``).
That is exact where the synapse's bias reaches the voltage unfiltered: IF and
LIF neurons (no synaptic state: the current is the input of the step) and
CubaLIF with ``tau_syn`` of one step. A CubaLIF with a longer ``tau_syn``
filters the bias through its current (it ramps up over about ``tau_syn``
steps): refused. All-zero biases write no dataset.

What NIR cannot say: the reset. Loihi and netx reset the membrane to 0 after
a spike; sinabs and snnTorch (default) subtract the threshold, and their NIR
export writes ``v_reset = 0`` all the same. ``NirImport.report`` says so, with
what was folded, the biases and the neuron mapping.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from ..errors import DataFormatError
from ..fixed_point import DECAY_ONE, WEIGHT_SCALE
from ..netfile import LayerSpec, NetworkFile, NeuronSpec
from . import require
from .nir_fold import LINEAR, FoldError, Synapse, fold, synapse_of
from .nir_mapping import cuba_from_nir, onto_grid
from .nir_metadata import read_metadata

NEURONS = ("CubaLIF", "LIF", "IF")
SYNAPSES = LINEAR
SUPPORTED = ("Input", "Output", "Flatten") + SYNAPSES + NEURONS
BIAS_MAX = (1 << 12) - 1  # Loihi 2's bias mantissa is 13-bit signed (Lava's LIF: int16, precision 13)
RESET_NOTE = ("Loihi resets the membrane to 0 after a spike; if the source framework subtracted the threshold "
              "(sinabs, snnTorch default) outputs can differ (NIR has no field for the reset mechanism)")


@dataclass
class NirImport:
    """A NIR graph read as a network file model, with what the import did (``report``: one line each)."""

    network: NetworkFile
    report: list[str] = field(default_factory=list)

    def format(self) -> str:
        return "\n".join(self.report)


def read_nir(source, dt: float = 1.0) -> NirImport:
    """The network file model of a NIR graph (a ``nir.NIRGraph`` or a path to a ``.nir`` file), with the report.

    Raises ``DataFormatError`` naming the node for anything razor_lava cannot run as the graph says.
    """
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
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not dt > 0 or not math.isfinite(dt):
        raise DataFormatError(path, f"dt={dt!r}: expected the graph's time step, a number > 0")
    return _Importer(path, graph, float(dt)).run()


def network_file_from_nir(source, dt: float = 1.0) -> NetworkFile:
    """The network file model of a NIR graph (``read_nir`` without the report)."""
    return read_nir(source, dt).network


def import_nir(source, dt: float = 1.0):
    """A RazorNet (eval mode) that computes what the NIR graph says, with the graph's pruners if razor_lava wrote it.

    Its weights are the graph's on lava-dl's 8-bit grid, quantization-aware as in training (so it can be trained
    on); its pruners decide with the graph's integer parameters. A graph with biases is refused: lava-dl's blocks
    in a RazorNet have no netx bias; ``model.reference.reference_network(network_file_from_nir(graph))`` runs it.
    """
    nf = network_file_from_nir(source, dt)
    biased = [s.index for s in nf.layers if s.bias is not None]
    if biased:
        raise DataFormatError(nf.path, f"layers {biased} have biases, which a RazorNet's lava-dl blocks do not "
                              "model: use razor_lava.model.reference.reference_network(network_file_from_nir(...)) "
                              "or write_network_file")
    return _razor_net(nf)


def write_network_file(source, out: str | os.PathLike, dt: float = 1.0, frame_spec=None, classes=None,
                       dataset: str | None = None) -> Path:
    """The deployable network file (netx layers + razor group) of a NIR graph, written atomically at ``out``.

    ``source``: a graph or path (read with ``dt``), or a ``NirImport`` / ``NetworkFile`` already read.
    ``frame_spec`` / ``classes``: stored in the razor group (default: the graph's metadata's, if any);
    ``dataset``: the registry name stored in the config (what ``deploy.py`` opens without ``--dataset``).
    The layers are lava-dl's own block export (``RazorNet.write_layers``); biases, which those blocks cannot
    export, are added as each layer's ``bias`` dataset (dense: one per neuron; conv: one per channel, or
    ``W x H x C`` where they differ within a channel), then the razor checksum is computed afresh.
    """
    from ..atomic import atomic_path
    from ..netfile import export_network, load_network_file

    nf = source.network if isinstance(source, NirImport) else source if isinstance(source, NetworkFile) \
        else network_file_from_nir(source, dt)
    if dataset is not None:
        nf.config = dict(nf.config or {}, data=dict((nf.config or {}).get("data") or {}, dataset=dataset))
    spec = frame_spec if frame_spec is not None else nf.frame_spec
    out = Path(out)
    with atomic_path(out) as tmp:
        export_network(_razor_net(nf), tmp, spec, nf.classes if classes is None else classes, cutoff=nf.cutoff)
        if any(s.bias is not None for s in nf.layers):
            _add_biases(tmp, nf)
        load_network_file(tmp)  # what deploy.py will read: refuse to leave a file it cannot
    return out


def _add_biases(path: Path, nf: NetworkFile) -> None:
    try:
        from ..netfile.format import content_digest
    except ImportError:  # before the network-file format module existed
        from ..netfile.write import content_digest

    with h5py.File(path, "r+") as f:
        for s in nf.layers:
            if s.bias is None:
                continue
            b = np.asarray(s.bias, dtype=np.int32)
            if s.type == "conv":
                per_channel = b.reshape(b.shape[0], -1)
                b = per_channel[:, 0].copy() if np.ptp(per_channel, axis=1).max(initial=0) == 0 \
                    else b.transpose(2, 1, 0).copy()  # netx's per-neuron order (W, H, C)
            f[f"layer/{s.index}"].create_dataset("bias", data=b)
        f["razor"].attrs["checksum"] = content_digest(f)


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
        self.report: list[str] = []

    def fail(self, problem: str) -> DataFormatError:
        return DataFormatError(self.path, problem)

    def kind(self, name: str) -> str:
        return type(self.graph.nodes[name]).__name__

    def run(self) -> NirImport:
        chain = self._chain()
        nodes = self.graph.nodes
        input_shape = self._input_shape(chain[0])
        layers = [LayerSpec(0, "input", input_shape, input_shape, name="input")]
        self.report.append(f"input: node '{chain[0]}', {' x '.join(map(str, input_shape))}; one step = dt "
                           f"{self.dt:g} of the graph's time")
        node_layer: dict[str, int] = {}
        shape, pending, flatten_pending = input_shape, None, False
        for prev_name, name in zip(chain, chain[1:-1]):
            kind, node = self.kind(name), nodes[name]
            if kind == "Flatten":
                if pending is not None:
                    flatten_pending = True  # a reshape: folded with a dense node after it, or moved past the neuron
                elif len(shape) > 1:
                    shape = (int(np.prod(shape)),)
                    layers.append(LayerSpec(len(layers), "flatten", shape, layers[-1].shape, name=f"flatten{len(layers)}"))
                    node_layer[name] = layers[-1].index
                continue
            if kind in SYNAPSES:
                in_shape = shape if pending is None else \
                    (int(np.prod(pending.out_shape)),) if flatten_pending else pending.out_shape
                try:
                    syn = synapse_of(name, node, in_shape)
                    pending = syn if pending is None else fold(pending, syn, flatten_pending)
                except FoldError as e:
                    raise self.fail(str(e)) from None
                flatten_pending = False
                continue
            if pending is None:
                raise self.fail(f"node '{name}' ({kind}) follows '{prev_name}' ({self.kind(prev_name)}) with no "
                                "synapse node between: razor_lava layers are synapse nodes followed by a neuron")
            if pending.kind == "dense" and len(shape) > 1:  # a Flatten folded into the dense run: it goes first
                shape = (int(np.prod(shape)),)
                layers.append(LayerSpec(len(layers), "flatten", shape, layers[-1].shape, name=f"flatten{len(layers)}"))
                self.report.append(f"layer/{layers[-1].index} flatten: the Flatten inside the folded run "
                                   f"{pending.nodes} moved before it (the folded dense matrix reads the "
                                   f"{' x '.join(map(str, layers[-2].shape))} map flattened)")
            layer = self._layer(len(layers), pending, name, node, layers[-1])
            layers.append(layer)
            for n in pending.nodes + [name]:
                node_layer[n] = layer.index
            shape = layer.shape
            if flatten_pending:
                shape = (int(np.prod(shape)),)
                layers.append(LayerSpec(len(layers), "flatten", shape, layer.shape, name=f"flatten{len(layers)}"))
                self.report.append(f"layer/{layers[-1].index} flatten: the Flatten between '{pending.nodes[-1]}' and "
                                   f"the neuron '{name}' moved after the neuron (a reshape commutes with it)")
            pending, flatten_pending = None, False
        if pending is not None:
            raise self.fail(f"node '{pending.nodes[-1]}' ({self.kind(pending.nodes[-1])}) reaches the output "
                            f"with no neuron after it: razor_lava layers end in a neuron ({', '.join(NEURONS)})")
        if not any(s.weighted for s in layers):
            raise self.fail("the graph has no synapse node followed by a neuron")
        if layers[-1].type == "flatten":
            raise self.fail("the graph ends with a Flatten: expected a neuron layer as the output")
        nf = NetworkFile(path=self.path, layers=layers, input_shape=input_shape)
        read_metadata(self.graph.metadata, nf, node_layer, self.fail)
        if any(self.kind(n) in NEURONS for n in chain):
            self.report.append(RESET_NOTE)
        return NirImport(nf, self.report)

    def _input_shape(self, name: str) -> tuple[int, ...]:
        types = getattr(self.graph.nodes[name], "input_type", None) or {}
        try:
            shape = tuple(int(v) for v in np.ravel(_only(types)))
        except (StopIteration, TypeError, ValueError):
            raise self.fail(f"node '{name}' (Input) has no input shape") from None
        if len(shape) not in (1, 3) or min(shape, default=0) < 1:
            raise self.fail(f"node '{name}' (Input): shape {shape}: expected (C, H, W) or (N,) without a batch axis")
        return shape

    def _chain(self) -> list[str]:
        nodes, edges = self.graph.nodes, self.graph.edges
        unsupported = [f"'{k}' ({type(v).__name__})" for k, v in nodes.items() if type(v).__name__ not in SUPPORTED]
        if unsupported:
            raise self.fail(f"unsupported NIR nodes: {', '.join(unsupported)}; razor_lava imports "
                            f"{', '.join(SUPPORTED)}")
        for a, b in edges:
            for end in (a, b):
                if end not in nodes:
                    raise self.fail(f"the edge '{a}' -> '{b}' names node '{end}', which is not in the graph")
        for kind in ("Input", "Output"):
            found = [k for k, v in nodes.items() if type(v).__name__ == kind]
            if len(found) != 1:
                raise self.fail(f"the graph has {len(found)} {kind} nodes {found}: expected one")
        inputs = [k for k, v in nodes.items() if type(v).__name__ == "Input"]
        succ: dict[str, list[str]] = {}
        for a, b in edges:
            succ.setdefault(a, []).append(b)
        chain = [inputs[0]]
        while self.kind(chain[-1]) != "Output":
            nxt = succ.get(chain[-1], [])
            if not nxt:
                raise self.fail(f"node '{chain[-1]}' ({self.kind(chain[-1])}) leads nowhere: no edge leaves it and it "
                                "is not the Output node")
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

    def _layer(self, index: int, syn: Synapse, lif_name: str, lif, prev: LayerSpec) -> LayerSpec:
        kind = type(lif).__name__
        shape = syn.out_shape
        n = int(np.prod(shape))
        gain, i_decay, v_decay, v_th, leak = cuba_from_nir(lif_name, lif, n, self.dt, self.fail)
        where = f"node '{lif_name}' ({kind})"
        if syn.kind == "dense":
            w_eff = syn.weight * gain.reshape(-1, 1)
        else:
            g = gain.reshape(shape)
            if np.ptp(g.reshape(shape[0], -1), axis=1).max(initial=0) > 0:
                raise self.fail(f"{where}: its input gains (r, w_in, tau) differ within a channel: a conv layer "
                                "shares its kernel across positions")
            w_eff = syn.weight * g[:, 0, 0].reshape(-1, 1, 1, 1)
        bias = None
        if syn.bias is not None and np.any(syn.bias != 0):
            if kind == "CubaLIF" and i_decay != DECAY_ONE:
                raise self.fail(f"{where}: the bias of '{syn.nodes[-1]}' enters a synaptic current with tau_syn = "
                                f"{DECAY_ONE / i_decay:g} steps, where it ramps up over about that many steps; netx "
                                "adds a bias to the voltage directly (exact only for IF, LIF, or tau_syn of one step)")
            per_neuron = syn.bias if syn.kind == "dense" else np.broadcast_to(syn.bias[:, None, None], shape)
            bias = np.asarray(per_neuron, dtype=np.float64).reshape(-1) * gain
        if leak is not None:
            bias = leak if bias is None else bias + leak
        w_int, vth_mant, b_int, how = onto_grid(f"node '{syn.nodes[-1]}' -> '{lif_name}'", w_eff, v_th, bias, self.fail, self.path)
        if b_int is not None and not np.any(b_int):
            b_int = None
        if b_int is not None and np.abs(b_int).max() > BIAS_MAX:
            raise self.fail(f"{where}: bias mantissa up to {np.abs(b_int).max()}: Loihi 2 takes 13-bit biases "
                            f"(|bias| <= {BIAS_MAX}, SLAYER units {BIAS_MAX / WEIGHT_SCALE:g} after the layer's scale)")
        neuron = NeuronSpec(np.int64(i_decay), np.int64(v_decay), np.int64(vth_mant))
        geo = {} if syn.kind == "dense" else dict(kernel=syn.kernel, stride=syn.stride, padding=syn.padding,
                                                   dilation=syn.dilation, groups=syn.groups)
        spec = LayerSpec(index, syn.kind, shape, syn.in_shape, weight=w_int,
                         bias=None if b_int is None else b_int.reshape(shape), neuron=neuron,
                         name=f"{syn.kind}{index}", **geo)
        nodes = " + ".join(f"'{m}' ({self.kind(m)})" for m in syn.nodes)
        self.report.append(f"layer/{index} {syn.describe()}: nodes {nodes}, neuron {where}")
        self.report.extend(f"    folded {note}" for note in syn.folds)
        self.report.append(f"    neuron: CUBA iDecay {i_decay}, vDecay {v_decay}, threshold mantissa {vth_mant}; {how}")
        self.report.append("    bias: " + ("none (all zero)" if b_int is None else
                                          f"netx bias (bias_mant, exp 6) in [{b_int.min()}, {b_int.max()}], "
                                          "added to the voltage every step (exact for this neuron)"))
        return spec


def _only(types: dict):
    return next(iter(types.values()))
