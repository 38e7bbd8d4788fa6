"""The deployable network file: netx HDF5 layers plus razor_lava's own group.

Layout (format version 1)::

    layer/0 ...            netx layers (lava-dl block export; plain netx reads them)
    razor/                 attrs: format_version, generator, config (YAML),
                           frame_spec (JSON), classes (JSON)
    razor/pruners/<i>/     pruner at the input of config layer i (hdf5 layer i+1):
                           attrs variant, ratio, theta, theta_int, pool, input_scale,
                           area, in_shape; datasets weight, bias, embeddings, lut
    razor/cutoff/          (Top-K cutoff table, when calibrated)

``load_network_file`` validates all of it and raises DataFormatError naming
the file and the missing or malformed key.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import h5py
import numpy as np
import yaml

from . import __version__
from .atomic import atomic_path
from .data.framing import FrameSpec
from .errors import DataFormatError
from .pruning.params import PrunerParams

FORMAT_VERSION = 1
DEPLOYABLE = ("input", "conv", "dense", "flatten")
_NOT_BUILT_BY_NETX = ("pool", "average", "convT", "unpool", "concat", "dense_rec", "dense_comp")


@dataclass
class LayerInfo:
    """One hdf5 layer group: ``index`` in the file, ``type``, SLAYER ``shape`` (C, H, W) or (N,)."""

    index: int
    type: str
    shape: tuple[int, ...]
    graded: bool = False


@dataclass
class NetworkFile:
    """A validated network file. ``pruners`` maps config layer index -> PrunerParams."""

    path: Path
    layers: list[LayerInfo]
    pruners: dict[int, PrunerParams] = field(default_factory=dict)
    pruner_in_shapes: dict[int, tuple[int, ...]] = field(default_factory=dict)
    frame_spec: FrameSpec | None = None
    classes: list[str] = field(default_factory=list)
    config: dict | None = None
    format_version: int | None = None  # None: a plain netx file
    cutoff: dict | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.layers[0].shape

    @property
    def n_outputs(self) -> int:
        return int(np.prod(self.layers[-1].shape))


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
        for i, pruner in net.pruner_items():
            _write_pruner(pg.create_group(str(i)), pruner.quantized(), net.input_shapes[i])
        if cutoff is not None:
            write_cutoff(g, cutoff)
    return path


def _write_pruner(g: h5py.Group, p: PrunerParams, in_shape) -> None:
    g.attrs["variant"] = p.variant
    g.attrs["ratio"] = np.nan if p.ratio is None else p.ratio
    g.attrs["theta"] = np.nan if p.theta is None else p.theta
    if p.theta_int is not None:
        g.attrs["theta_int"] = np.int64(p.theta_int)
    g.attrs["pool"] = np.array(p.pool)
    g.attrs["input_scale"] = p.input_scale
    g.attrs["area"] = p.area
    g.attrs["in_shape"] = np.array(in_shape)
    for name in ("weight", "bias", "embeddings", "lut"):
        g.create_dataset(name, data=np.asarray(getattr(p, name), dtype=np.int64))


def write_cutoff(g: h5py.Group, cutoff: dict) -> None:
    """Store a cutoff table (``beta`` per timestep; inf = never exit) under ``razor/cutoff``."""
    if "cutoff" in g:
        del g["cutoff"]
    c = g.create_group("cutoff")
    c.create_dataset("beta", data=np.asarray(cutoff["beta"], dtype=np.float64))
    for k, v in cutoff.items():
        if k != "beta":
            c.attrs[k] = v


def _fail(path, problem):
    return DataFormatError(path, problem)


def _need(g: h5py.Group, key: str, path, where: str):
    if key not in g:
        raise _fail(path, f"{where}: missing key '{key}'")
    return g[key][()]


def _layers(f: h5py.File, path) -> list[LayerInfo]:
    if "layer" not in f or not isinstance(f["layer"], h5py.Group):
        raise _fail(path, "missing group 'layer': expected a netx network (lava-dl export_hdf5)")
    grp = f["layer"]
    n = len(grp)
    if n == 0 or sorted(grp.keys(), key=lambda k: int(k) if k.isdigit() else -1) != [str(i) for i in range(n)]:
        raise _fail(path, f"layer groups are {sorted(grp.keys())}: expected layer/0 ... layer/{n - 1}")
    layers = []
    for i in range(n):
        g, where = grp[str(i)], f"layer/{i}"
        t = _need(g, "type", path, where)
        t = (t[0] if np.ndim(t) else t)
        t = t.decode() if isinstance(t, bytes) else str(t)
        if t not in DEPLOYABLE:
            why = " (netx 0.6 cannot build it; razor_lava builds pooling as a depthwise conv)" \
                if t in _NOT_BUILT_BY_NETX else ""
            raise _fail(path, f"{where}: layer type '{t}' cannot be deployed{why}; expected one of {DEPLOYABLE}")
        shape = tuple(int(v) for v in np.ravel(_need(g, "shape", path, where))) if t != "flatten" or "shape" in g \
            else ()
        graded = False
        if t in ("conv", "dense"):
            w = _need(g, "weight", path, where)
            for key in ("vThMant", "iDecay", "vDecay"):
                _need(g, f"neuron/{key}", path, where)
            graded = bool(g["neuron/gradedSpike"][()]) if "neuron/gradedSpike" in g else False
            rows = int(np.prod(shape)) if t == "dense" else shape[0]
            if np.shape(w)[0] != rows:
                raise _fail(path, f"{where}/weight has shape {np.shape(w)}: expected {rows} output rows for "
                            f"layer shape {shape}")
        layers.append(LayerInfo(i, t, shape, graded))
    if layers[0].type != "input":
        raise _fail(path, "layer/0 must be an input layer holding the input shape")
    return layers


def _pruner(g: h5py.Group, path, where: str) -> tuple[PrunerParams, tuple]:
    attrs = ("variant", "ratio", "theta", "pool", "input_scale", "area", "in_shape")
    for a in attrs:
        if a not in g.attrs:
            raise _fail(path, f"{where}: missing attribute '{a}'")
    arrays = {k: np.asarray(_need(g, k, path, where), dtype=np.int64) for k in ("weight", "bias", "embeddings", "lut")}
    ratio, theta = float(g.attrs["ratio"]), float(g.attrs["theta"])
    theta_int = int(g.attrs["theta_int"]) if "theta_int" in g.attrs else None
    if arrays["weight"].ndim != 3:
        raise _fail(path, f"{where}/weight has shape {arrays['weight'].shape}: expected K x D x kernel")
    try:
        p = PrunerParams(weight=arrays["weight"], bias=arrays["bias"], embeddings=arrays["embeddings"],
                         theta=None if math.isnan(theta) else theta, theta_int=theta_int,
                         ratio=None if math.isnan(ratio) else ratio, variant=str(g.attrs["variant"]),
                         pool=tuple(int(v) for v in g.attrs["pool"]), input_scale=int(g.attrs["input_scale"]),
                         area=int(g.attrs["area"]), lut=arrays["lut"])
    except Exception as e:  # ConfigError from PrunerParams' own checks
        raise _fail(path, f"{where}: {e}") from None
    if p.theta is not None and p.theta_int is None:
        raise _fail(path, f"{where}: threshold pruner without attribute 'theta_int'")
    return p, tuple(int(v) for v in g.attrs["in_shape"])


def load_network_file(path: str | os.PathLike) -> NetworkFile:
    """Open and validate a network file (razor_lava export or plain lava-dl netx)."""
    path = Path(path)
    if not path.is_file():
        raise _fail(path, "no such file: expected a network .h5 file (e.g. RUN_DIR/network.h5)")
    if not h5py.is_hdf5(path):
        raise _fail(path, "not an HDF5 file: expected a netx network exported by lava-dl or razor_lava")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise _fail(path, f"cannot be opened as HDF5 ({e}): truncated or corrupt?") from None
    with f:
        try:
            return _read(f, path)
        except (KeyError, OSError, ValueError, TypeError) as e:
            if isinstance(e, DataFormatError):
                raise
            raise _fail(path, f"malformed network file: {e}") from None


def _read(f: h5py.File, path: Path) -> NetworkFile:
    nf = NetworkFile(path=path, layers=_layers(f, path))
    if "razor" not in f:
        return nf
    g = f["razor"]
    version = g.attrs.get("format_version")
    if version is None:
        raise _fail(path, "razor: missing attribute 'format_version'")
    if int(version) > FORMAT_VERSION:
        raise _fail(path, f"razor format version {int(version)} is newer than this razor_lava reads "
                    f"({FORMAT_VERSION}); upgrade razor_lava")
    nf.format_version = int(version)
    nf.config = yaml.safe_load(g.attrs["config"]) if "config" in g.attrs else None
    nf.classes = json.loads(g.attrs.get("classes", "[]"))
    if "frame_spec" in g.attrs:
        spec = json.loads(g.attrs["frame_spec"])
        spec["sensor_size"] = tuple(spec["sensor_size"])
        spec["size"] = tuple(spec["size"]) if spec.get("size") else None
        nf.frame_spec = FrameSpec(**spec)
    for key, pg in g.get("pruners", {}).items():
        where = f"razor/pruners/{key}"
        if not key.isdigit() or int(key) + 1 >= len(nf.layers) or nf.layers[int(key) + 1].type not in ("conv", "dense"):
            raise _fail(path, f"{where}: a pruner must sit at the input of a conv or dense layer")
        nf.pruners[int(key)], nf.pruner_in_shapes[int(key)] = _pruner(pg, path, where)
    if "cutoff" in g:
        c = g["cutoff"]
        nf.cutoff = {"beta": np.asarray(_need(c, "beta", path, "razor/cutoff"), dtype=np.float64), **dict(c.attrs)}
    return nf
