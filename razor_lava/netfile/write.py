"""Write the deployable network file: netx HDF5 layers plus razor_lava's own group (layout: ``format.py``)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import h5py
import numpy as np
import yaml

from .. import __version__
from ..atomic import atomic_path
from ..data.framing import FrameSpec
from ..pruning.params import RECORD_ARRAYS, PrunerParams, pruner_record

from .format import FORMAT_VERSION, content_digest


def export_network(net, path: str | os.PathLike, frame_spec: FrameSpec | None = None, classes=(),
                   cutoff: dict | None = None) -> Path:
    """Write ``net`` (a RazorNet) with its pruners as one deployable HDF5 file, atomically."""
    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        net.write_layers(f)
        g = f.create_group("razor")
        g.attrs["format_version"] = FORMAT_VERSION
        g.attrs["generator"] = f"razor_lava {__version__}"
        g.attrs["config"] = yaml.safe_dump(net.cfg.to_dict() | {"pruner": net.pruner_cfg}, sort_keys=False)
        g.attrs["classes"] = json.dumps(list(classes))
        if frame_spec is not None:
            g.attrs["frame_spec"] = json.dumps(asdict(frame_spec))
        pg = g.create_group("pruners")
        for k, pruner in net.pruner_items():
            _write_pruner(pg.create_group(str(k)), pruner.quantized(), net.layer_inputs[k])
        if cutoff is not None:
            write_cutoff(g, cutoff)
        g.attrs["checksum"] = content_digest(f)
    return path


def write_operating_point(src: str | os.PathLike, dst: str | os.PathLike, pruners: dict[int, PrunerParams],
                          cutoff: dict | None, *, add: bool = False, frame_spec: FrameSpec | None = None,
                          dataset: str | None = None, classes=None) -> Path:
    """A copy of network file ``src`` at ``dst`` (atomically) with other gate rules and cutoff table.

    ``pruners``: layer index -> rule, for the gates ``src`` has (a baseline in Razor's place, or Razor at
    another ratio: ``bench/frontier.py``'s operating points); ``cutoff``: a table (``calibrate``) or None
    (none). The layers are the file's own bytes; the checksum is computed afresh.

    ``add=True`` (``razor_lava.optimise``): ``pruners`` may also hold gates at the input of weighted layers
    that had none (each sees the layer's input shape); the file's own gates must all be given. A plain netx
    file (no ``razor`` group) gets one, with ``frame_spec``, ``dataset`` (stored as the config's
    ``data.dataset``, what ``deploy.py`` opens without ``--dataset``) and ``classes`` where given; a
    razor_lava file keeps its own unless they are given. A cutoff table needs a frame spec of as many frames.
    """
    from .read import load_network_file

    dst = Path(dst)
    nf = load_network_file(src) if add else None  # the layers' input shapes; refuses what is no network file
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)
        with h5py.File(tmp, "r+") as f:
            if "razor" not in f:
                if not add:
                    raise ValueError(f"{src} is a plain netx file (no razor group): write it with add=True")
                g = f.create_group("razor")
                g.attrs["format_version"] = FORMAT_VERSION
                g.attrs["generator"] = f"razor_lava {__version__}"
                g.attrs["config"] = yaml.safe_dump({} if dataset is None else {"data": {"dataset": dataset}},
                                                   sort_keys=False)
                g.attrs["classes"] = json.dumps(list(classes or ()))
                g.create_group("pruners")
            g = f["razor"]
            if add and int(g.attrs["format_version"]) < FORMAT_VERSION:
                raise ValueError(f"{src} is of format version {int(g.attrs['format_version'])}: export it again "
                                 "before adding gates")
            if add and dataset is not None:
                cfg = yaml.safe_load(g.attrs["config"]) if "config" in g.attrs else None
                cfg = dict(cfg or {})
                cfg["data"] = dict(cfg.get("data") or {}, dataset=dataset)
                g.attrs["config"] = yaml.safe_dump(cfg, sort_keys=False)
            if classes is not None:
                g.attrs["classes"] = json.dumps(list(classes))
            if frame_spec is not None:
                g.attrs["frame_spec"] = json.dumps(asdict(frame_spec))
            old = g.require_group("pruners")
            have = sorted(int(k) for k in old)
            if (not add and have != sorted(pruners)) or (add and not set(have) <= set(pruners)):
                raise ValueError(f"{src} has gates at layers {have}, not {sorted(pruners)}")
            for k, p in pruners.items():
                if str(k) in old:
                    in_shape = tuple(int(v) for v in old[str(k)].attrs["in_shape"])
                    del old[str(k)]
                else:
                    if not 0 <= k < len(nf.layers) or not nf.layers[k].weighted:
                        raise ValueError(f"{src}: layer {k} is no conv or dense layer: a gate sits at the input "
                                         "of one")
                    in_shape = tuple(nf.layers[k].in_shape)
                _write_pruner(old.create_group(str(k)), p, in_shape)
            if cutoff is None:
                g.pop("cutoff", None)
            else:
                spec = json.loads(g.attrs["frame_spec"]) if "frame_spec" in g.attrs else None
                if spec is not None and len(cutoff["beta"]) != int(spec["n_frames"]):
                    raise ValueError(f"the cutoff table has {len(cutoff['beta'])} timesteps, the frame spec "
                                     f"{spec['n_frames']}")
                write_cutoff(g, cutoff)
            g.attrs["checksum"] = content_digest(f)
    return dst


def _write_pruner(g: h5py.Group, p: PrunerParams, in_shape) -> None:
    """The pruner's record (``pruner_record``): its integer arrays as datasets, the rest as attributes."""
    for name, value in pruner_record(p, in_shape).items():
        if name in RECORD_ARRAYS:
            g.create_dataset(name, data=value)
        else:
            g.attrs[name] = value


def write_cutoff(g: h5py.Group, cutoff: dict) -> None:
    """Store a cutoff table (``beta`` per timestep; inf = never exit) under ``razor/cutoff``."""
    if "cutoff" in g:
        del g["cutoff"]
    c = g.create_group("cutoff")
    c.create_dataset("beta", data=np.asarray(cutoff["beta"], dtype=np.float64))
    for k, v in cutoff.items():
        if k != "beta":
            c.attrs[k] = v
