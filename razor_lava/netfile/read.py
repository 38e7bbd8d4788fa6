"""Read and validate a network file into the model of ``spec.py``: the only place that decodes netx's quirks.

What netx 0.6 (``lava.lib.dl.netx.hdf5.Network``) honours is decoded here as it
does: a dense weight stored 1-D is reshaped to ``out x -1``; a dense layer
without a ``neuron`` group gets netx's default integrator; ``bias`` is
broadcast per neuron (scalar / per channel / per neuron); a dense ``delay`` is
axonal (one per output neuron), per input, or synaptic (per weight), values
above 62 clamped with a warning; ``layer/0`` may be an ``input`` layer with its
own neuron (skipped, see ``NetworkFile.input_block_skipped``) or the first
weighted layer itself. What razor_lava cannot run exactly is refused with an
error naming the layer: layer types netx 0.6 cannot build, neuron kinds other
than CUBA, per-neuron decays, graded ``messageBits`` LIF, and conv delays
(netx builds conv layers without them). ``num_layers=k`` reads only
``layer/0 .. layer/k-1``, like netx's own ``num_layers``.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import h5py
import numpy as np
import yaml

from ..data.framing import FrameSpec
from ..errors import DataFormatError
from ..fixed_point import DECAY_ONE, DEFAULT_DENSE_NEURON, MAX_DELAY, WEIGHT_MAX, WEIGHT_MIN, integer_array
from ..layers import Conv, LayerShapeError, pair
from ..pruning.params import PrunerParams, pruner_from_record
from .format import FORMAT_VERSION, content_digest
from .spec import LayerSpec, NetworkFile, NeuronSpec

SUPPORTED_TYPES = ("input", "conv", "dense", "flatten")
_NOT_BUILT_BY_NETX = ("pool", "average", "convT", "unpool", "concat")


class _Reader:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, problem: str) -> DataFormatError:
        return DataFormatError(self.path, problem)

    def need(self, g: h5py.Group, key: str, where: str):
        if key not in g:
            raise self.fail(f"{where}: missing key '{key}'")
        return g[key][()]

    def text(self, g: h5py.Group, key: str, where: str) -> str:
        v = self.need(g, key, where)
        v = v[0] if np.ndim(v) else v
        return v.decode() if isinstance(v, bytes) else str(v)

    def integers(self, g: h5py.Group, key: str, where: str, lo=None, hi=None) -> np.ndarray:
        """A dataset that Lava needs as integers, as int64 (``fixed_point.integer_array``)."""
        return integer_array(self.need(g, key, where), f"{where}/{key}", self.path, lo, hi)

    def scalar_param(self, g, key: str, where: str, lo=None, hi=None) -> np.ndarray:
        a = self.integers(g, key, where, lo, hi)
        if a.size != 1:
            raise self.fail(f"{where}/{key} has {a.size} values: razor_lava mirrors layers with one shared "
                            "value per layer (lava-dl's shared_param)")
        return a.reshape(())


def _read_pair(r: _Reader, g: h5py.Group, key: str, where: str) -> tuple[int, int]:
    v = r.integers(g, key, where).ravel()
    if v.size not in (1, 2):
        raise r.fail(f"{where}/{key} has {v.size} values: expected 1 or 2")
    return pair(v)


def _neuron(r: _Reader, g: h5py.Group, where: str, layer_type: str) -> NeuronSpec:
    if "neuron" not in g:
        if layer_type != "dense":
            raise r.fail(f"{where}: missing group 'neuron' (netx builds a default neuron for dense layers only)")
        d = DEFAULT_DENSE_NEURON
        return NeuronSpec(np.int64(d["iDecay"]), np.int64(d["vDecay"]), np.int64(d["vThMant"]), False, default=True)
    n, nw = g["neuron"], f"{where}/neuron"
    kind = r.text(n, "type", nw) if "type" in n else "CUBA"
    if kind not in ("CUBA", "LOIHI"):
        raise r.fail(f"{nw}: neuron type '{kind}' is not supported: razor_lava mirrors CUBA neurons only "
                     "(sigma-delta and resonate-and-fire networks run with plain netx)")
    if "messageBits" in n and int(np.ravel(n["messageBits"][()])[0]) > 0:
        raise r.fail(f"{nw}: messageBits > 0 (a graded LIF as netx builds it) is not mirrored; "
                     "razor_lava's graded layers use 'gradedSpike'")
    graded = bool(np.ravel(n["gradedSpike"][()])[0]) if "gradedSpike" in n else False
    return NeuronSpec(i_decay=r.scalar_param(n, "iDecay", nw, 0, DECAY_ONE),
                      v_decay=r.scalar_param(n, "vDecay", nw, 0, DECAY_ONE),
                      vth_mant=r.scalar_param(n, "vThMant", nw, 1, None), graded=graded)


def _bias(r: _Reader, g: h5py.Group, where: str, shape: tuple) -> np.ndarray | None:
    """netx's broadcast (blocks/process.py ``_neuron``) as a per-neuron array in SLAYER order."""
    if "bias" not in g:
        return None
    b = r.integers(g, "bias", where)
    if len(shape) == 1:
        if b.size not in (1, shape[0]):
            raise r.fail(f"{where}/bias has shape {b.shape}: expected a scalar or {shape[0]} values")
        return np.broadcast_to(b.reshape(-1), shape).copy()
    c, h, w = shape
    if b.shape == (w, h, c):  # netx compares a per-neuron bias with its (W, H, C) neuron shape
        return b.transpose(2, 1, 0).copy()
    if b.ndim == 1 and b.size == c:
        return np.broadcast_to(b[:, None, None], shape).copy()
    raise r.fail(f"{where}/bias has shape {b.shape}: expected {c} values (per channel) or (W, H, C) = {(w, h, c)}")


def _delay(r: _Reader, g: h5py.Group, where: str, weight: np.ndarray) -> np.ndarray | None:
    """netx's ``create_dense`` delay expansion to ``out x in``, clamped at 62 with netx's warning."""
    if "delay" not in g:
        return None
    d = r.integers(g, "delay", where, 0, None)
    if d.max(initial=0) > MAX_DELAY:
        warnings.warn(f"{r.path}: {where}/delay: found max delay of {d.max()}, clamped to {MAX_DELAY} as netx does")
        d = np.clip(d, 0, MAX_DELAY)
    n_out, n_in = weight.shape
    if d.ndim == 0 or d.size == 1:
        return np.full(weight.shape, int(d.ravel()[0]), dtype=np.int64)
    if d.ndim == 1 and d.size == n_out:  # axonal delays (netx checks this case first)
        return np.repeat(d.reshape(-1, 1), n_in, axis=1)
    if d.ndim == 1 and d.size == n_in:
        return np.repeat(d.reshape(1, -1), n_out, axis=0)
    if d.shape == weight.shape:
        return d.copy()
    raise r.fail(f"{where}/delay has shape {d.shape}: expected {n_out} (axonal), {n_in} (per input) or "
                 f"{weight.shape} (per synapse) delays")


def _layer(r: _Reader, g: h5py.Group, i: int, prev: LayerSpec | None, num_layers_hint: str) -> LayerSpec:
    where = f"layer/{i}"
    t = r.text(g, "type", where)
    if t not in SUPPORTED_TYPES:
        why = " (netx 0.6 cannot build it)" if t in _NOT_BUILT_BY_NETX else ""
        raise r.fail(f"{where}: layer type '{t}' is not supported{why}; supported: {', '.join(SUPPORTED_TYPES)}"
                     f"{num_layers_hint}")
    if t == "input":
        if i != 0:
            raise r.fail(f"{where}: an input layer must be layer/0")
        shape = tuple(int(v) for v in r.integers(g, "shape", where, 1, None).ravel())
        if len(shape) not in (1, 3):
            raise r.fail(f"{where}/shape is {shape}: expected (C, H, W) or (C,)")
        return LayerSpec(i, t, shape, shape, name="input")
    prev_shape = prev.shape if prev is not None else None
    if t == "flatten":
        if prev_shape is None:
            raise r.fail(f"{where}: a flatten layer cannot come first")
        return LayerSpec(i, t, (int(np.prod(prev_shape)),), prev_shape, graded_in=_last_weighted_graded(prev),
                         name=f"flatten{i}")
    graded_in = bool(prev is not None and _last_weighted_graded(prev))
    neuron = _neuron(r, g, where, t)
    if t == "dense":
        w = r.integers(g, "weight", where, WEIGHT_MIN, WEIGHT_MAX)
        n_out = int(np.prod(r.integers(g, "shape", where, 1, None))) if "shape" in g else w.shape[0]
        if w.ndim == 1:  # netx reshapes a 1-D weight to (out, -1)
            if w.size % n_out:
                raise r.fail(f"{where}/weight has {w.size} values: not a multiple of the {n_out} outputs")
            w = w.reshape(n_out, -1)
        if w.ndim != 2 or w.shape[0] != n_out:
            raise r.fail(f"{where}/weight has shape {w.shape}: expected ({n_out}, inputs)")
        n_in = int(np.prod(prev_shape)) if prev_shape is not None else w.shape[1]
        if w.shape[1] != n_in:
            raise r.fail(f"{where}/weight has {w.shape[1]} inputs: the layer before sends {n_in}")
        shape = (n_out,)
        return LayerSpec(i, t, shape, (n_in,), weight=w, bias=_bias(r, g, where, shape),
                         delay=_delay(r, g, where, w), neuron=neuron, graded_in=graded_in, name=f"dense{i}")
    # conv
    if prev_shape is None or len(prev_shape) != 3:
        raise r.fail(f"{where}: a conv layer needs a (C, H, W) input; add an input layer/0 with its shape"
                     if prev_shape is None else f"{where}: a conv layer cannot follow a {prev_shape} vector")
    if "delay" in g:
        raise r.fail(f"{where}/delay: netx 0.6 builds conv layers without delays, so Lava would not apply them; "
                     "remove the delays or move them to a dense layer")
    w = r.integers(g, "weight", where, WEIGHT_MIN, WEIGHT_MAX)
    if w.ndim == 5 and w.shape[-1] == 1:
        w = w[..., 0]
    if w.ndim != 4:
        raise r.fail(f"{where}/weight has shape {w.shape}: expected (out, in/groups, kh, kw[, 1])")
    geo = {k: _read_pair(r, g, k, where) for k in ("stride", "padding", "dilation")}
    groups = int(r.integers(g, "groups", where, 1, None).ravel()[0])
    c, h, wd = prev_shape
    if w.shape[1] * groups != c or w.shape[0] % groups:
        raise r.fail(f"{where}/weight has shape {w.shape} with groups={groups}: the input has {c} channels")
    kernel = (int(w.shape[2]), int(w.shape[3]))
    try:
        shape = Conv(out=int(w.shape[0]), kernel=kernel, groups=groups, **geo).out_shape(prev_shape)
    except LayerShapeError:
        raise r.fail(f"{where}: kernel {kernel} does not fit the {prev_shape} input") from None
    if "shape" in g:
        stored = tuple(int(v) for v in r.integers(g, "shape", where).ravel())
        if stored != shape:
            raise r.fail(f"{where}/shape is {stored}, but its weight and geometry on a {prev_shape} input give {shape}")
    return LayerSpec(i, t, shape, prev_shape, weight=w, bias=_bias(r, g, where, shape), neuron=neuron,
                     kernel=kernel, groups=groups, graded_in=graded_in, name=f"conv{i}", **geo)


def _last_weighted_graded(prev: LayerSpec) -> bool:
    """Whether ``prev`` sends graded spikes: a flatten passes on what the weighted layer before it sent."""
    return prev.graded if prev.weighted else prev.graded_in if prev.type == "flatten" else False


def _layers(r: _Reader, f: h5py.File, num_layers: int | None) -> list[LayerSpec]:
    if "layer" not in f or not isinstance(f["layer"], h5py.Group):
        raise r.fail("missing group 'layer': expected a netx network (lava-dl export_hdf5)")
    grp = f["layer"]
    n = len(grp)
    if n == 0 or sorted(grp.keys(), key=lambda k: int(k) if k.isdigit() else -1) != [str(i) for i in range(n)]:
        raise r.fail(f"layer groups are {sorted(grp.keys())}: expected layer/0 ... layer/{n - 1}")
    if num_layers is not None:
        if not 1 <= num_layers <= n:
            raise r.fail(f"num_layers={num_layers}: the file has {n} layers (layer/0 .. layer/{n - 1})")
        n = num_layers
    layers: list[LayerSpec] = []
    for i in range(n):
        hint = (f"; run the leading layers layer/0 .. layer/{i - 1} with num_layers={i} (--num-layers {i})"
                if i > 1 else "")
        layers.append(_layer(r, grp[str(i)], i, layers[-1] if layers else None, hint))
    if not any(s.weighted for s in layers):
        raise r.fail("the network has no conv or dense layer")
    if layers[-1].type == "flatten":
        raise r.fail(f"layer/{n - 1}: the last layer is a flatten; expected a conv or dense output layer")
    return layers


def _pruner(r: _Reader, g: h5py.Group, where: str) -> tuple[PrunerParams, tuple]:
    for a in ("variant", "ratio", "theta", "pool", "input_scale", "area", "in_shape"):
        if a not in g.attrs:
            raise r.fail(f"{where}: missing attribute '{a}'")
    record = {**dict(g.attrs), **{k: g[k][()] for k in g if isinstance(g[k], h5py.Dataset)}}
    return pruner_from_record(record, where, r.path)


def load_network_file(path: str | os.PathLike, num_layers: int | None = None) -> NetworkFile:
    """Open and validate a network file (razor_lava export or plain lava-dl netx).

    Raises ``DataFormatError`` naming the file and what is wrong or unsupported.
    ``num_layers``: read only ``layer/0 .. layer/num_layers-1`` (pruners beyond
    and the cutoff table, which belongs to the full network's output, are dropped).
    """
    path = Path(path)
    r = _Reader(path)
    if path.is_dir():
        raise r.fail("is a directory: expected a network .h5 file (e.g. RUN_DIR/network.h5)")
    if not path.is_file():
        raise r.fail("no such file: expected a network .h5 file (e.g. RUN_DIR/network.h5)")
    if not h5py.is_hdf5(path):
        raise r.fail("not an HDF5 file: expected a netx network exported by lava-dl or razor_lava")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise r.fail(f"cannot be opened as HDF5 ({e}): truncated or corrupt?") from None
    with f:
        try:
            return _read(r, f, num_layers)
        except DataFormatError:
            raise
        except (KeyError, OSError, ValueError, TypeError, RuntimeError) as e:
            raise r.fail(f"malformed network file: {e}") from None


def _format_version(r: _Reader, f: h5py.File) -> int | None:
    """The razor group's format version (None: a plain netx file); a version 2 file must match its checksum."""
    if "razor" not in f:
        return None
    g = f["razor"]
    version = g.attrs.get("format_version")
    if version is None:
        raise r.fail("razor: missing attribute 'format_version'")
    if int(version) > FORMAT_VERSION or int(version) < 1:
        raise r.fail(f"razor format version {int(version)} is not one this razor_lava reads (1 .. {FORMAT_VERSION})"
                     + ("; upgrade razor_lava" if int(version) > FORMAT_VERSION else ""))
    if int(version) >= 2:
        if "checksum" not in g.attrs:
            raise r.fail("razor: missing attribute 'checksum' (every razor_lava file of format 2 has one)")
        if str(g.attrs["checksum"]) != content_digest(f):
            raise r.fail("the file's content does not match its checksum (razor/checksum): it was damaged or "
                         "edited after razor_lava wrote it; export it again")
    return int(version)


def decode_frame_spec(spec: dict) -> FrameSpec:
    """A ``FrameSpec`` from its JSON form (``asdict``, with lists for tuples)."""
    spec = dict(spec, sensor_size=tuple(spec["sensor_size"]))
    spec["size"] = tuple(spec["size"]) if spec.get("size") else None
    return FrameSpec(**spec)


def _read(r: _Reader, f: h5py.File, num_layers: int | None) -> NetworkFile:
    version = _format_version(r, f)  # first: a damaged razor_lava file is reported as damaged
    layers = _layers(r, f, num_layers)
    first = layers[0]
    input_shape = first.shape if first.type == "input" else first.in_shape
    nf = NetworkFile(path=r.path, layers=layers, input_shape=input_shape, num_layers=num_layers,
                     input_block_skipped=first.type == "input" and "neuron" in f["layer/0"])
    if version is None:
        return nf
    g = f["razor"]
    nf.format_version = version
    try:
        nf.config = yaml.safe_load(g.attrs["config"]) if "config" in g.attrs else None
        nf.classes = json.loads(g.attrs.get("classes", "[]"))
        spec = json.loads(g.attrs["frame_spec"]) if "frame_spec" in g.attrs else None
    except (yaml.YAMLError, json.JSONDecodeError) as e:
        raise r.fail(f"razor: unreadable config, classes or frame_spec attribute ({type(e).__name__}: {e})") from None
    if spec is not None:
        nf.frame_spec = decode_frame_spec(spec)
    offset = 1 if nf.format_version == 1 else 0  # version 1 keyed pruners by config index
    for key, pg in g.get("pruners", {}).items():
        where = f"razor/pruners/{key}"
        k = int(key) + offset if key.isdigit() else -1
        if k >= len(layers) and num_layers is not None:
            continue  # beyond the layers read
        if not 0 < k < len(layers) or not layers[k].weighted:
            raise r.fail(f"{where}: a pruner must sit at the input of a conv or dense layer")
        nf.pruners[k], nf.pruner_in_shapes[k] = _pruner(r, pg, where)
    if "cutoff" in g and num_layers is None:
        c = g["cutoff"]
        beta = np.asarray(r.need(c, "beta", "razor/cutoff"), dtype=np.float64)
        if beta.ndim != 1 or np.isnan(beta).any():
            raise r.fail(f"razor/cutoff/beta has shape {beta.shape}: expected (T,) thresholds without NaN")
        if nf.frame_spec is not None and beta.shape[0] != nf.frame_spec.n_frames:
            raise r.fail(f"razor/cutoff/beta has {beta.shape[0]} timesteps, the frame spec {nf.frame_spec.n_frames}")
        nf.cutoff = {"beta": beta, **dict(c.attrs)}
    return nf
