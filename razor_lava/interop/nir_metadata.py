"""razor_lava's own metadata in a NIR graph: what ``nir_export`` writes and ``nir_import`` reads back, in one place.

A graph razor_lava wrote carries, under ``metadata["razor_lava"]``, what NIR has no node for: the pruners
(integer records, ``pruning.params.pruner_record``), the cutoff table, the frame spec, the classes and the
config, with the synapse node of every layer (``layer_nodes``) so that the pruners find their layers again.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import yaml

from .. import __version__
from ..errors import DataFormatError
from ..netfile import NetworkFile
from ..netfile.read import decode_frame_spec
from ..pruning.params import pruner_from_record, pruner_record
from .nir_mapping import DT

NIR_FORMAT = "razor_lava-nir/1"


def metadata(nf: NetworkFile, layer_nodes: dict[str, str]) -> dict:
    """The ``razor_lava`` metadata entry of ``nf``'s graph: pruners, cutoff, frame spec, classes, config, which
    node holds which layer (``layer_nodes``: layer index -> synapse node name)."""
    meta = {"format": NIR_FORMAT, "generator": f"razor_lava {__version__}", "dt": DT, "delay_per_layer": 1,
            "layer_nodes": layer_nodes,
            "pruners": {str(k): pruner_record(p, nf.pruner_in_shapes[k]) for k, p in sorted(nf.pruners.items())},
            "classes": json.dumps(list(nf.classes))}
    if nf.config is not None:
        meta["config"] = yaml.safe_dump(nf.config, sort_keys=False)
    if nf.frame_spec is not None:
        meta["frame_spec"] = json.dumps(asdict(nf.frame_spec))
    if nf.cutoff is not None:
        meta["cutoff"] = {k: (np.asarray(v, dtype=np.float64) if k == "beta" else v) for k, v in nf.cutoff.items()}
    return meta


def read_metadata(graph_metadata, nf: NetworkFile, node_layer: dict[str, int], fail) -> None:
    """Fill ``nf`` from a graph's ``razor_lava`` metadata entry (what ``metadata`` wrote), if it has one.
    ``node_layer``: synapse node name -> layer index of the import; ``fail(problem)``: the error to raise."""
    meta = graph_metadata.get("razor_lava") if isinstance(graph_metadata, dict) else None
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
                raise fail(f"metadata razor_lava/pruners/{key}: its layer's node {node!r} is not in the graph")
            k = node_layer[node]
            nf.pruners[k], nf.pruner_in_shapes[k] = pruner_from_record(rec)
        if "cutoff" in meta:
            c = dict(meta["cutoff"])
            nf.cutoff = {"beta": np.asarray(c.pop("beta"), dtype=np.float64), **c}
    except DataFormatError:
        raise
    except (KeyError, ValueError, TypeError, yaml.YAMLError) as e:
        raise fail(f"metadata razor_lava is malformed ({type(e).__name__}: {e})") from None


def _text(v) -> str:
    v = v.item() if isinstance(v, np.ndarray) else v
    return v.decode() if isinstance(v, bytes) else str(v)
