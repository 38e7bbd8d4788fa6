"""The framing options ``--window-ms``, ``--n-frames``, ``--frame-mode`` (with ``--dataset``), shared by
``import_nir`` (which stores the frame spec in the file it writes) and ``deploy`` (which frames a data set with
them for this run: how a plain netx file without a frame spec, or any file, is framed differently).

The frame spec is the file's own (if any), else the data set's default (``data.registry``), with the given
fields replaced. Its sensor is the data set's; the frame size follows the network's input (a smaller input
than the sensor bins blocks of pixels, one channel merges the polarities). A spec whose frames do not have
the network's input shape is a ``UsageError`` naming the option (exit 2).
"""

from __future__ import annotations

from dataclasses import replace

from ..data.framing import MODES, FrameSpec
from ..errors import UsageError

FRAME_OPTIONS = ("window_ms", "n_frames", "frame_mode")


def add_frame_args(ap, what: str) -> None:
    from ..config.data import DATA_SCHEMA
    from .common import arg_type

    g = ap.add_argument_group(f"framing ({what})")
    g.add_argument("--window-ms", type=arg_type(DATA_SCHEMA["window_ms"]),
                   help="frame length in ms (N-MNIST as the NIR paper: 1)")
    g.add_argument("--n-frames", type=arg_type(DATA_SCHEMA["n_frames"]),
                   help="frames (steps) per sample (the NIR paper's N-MNIST: 300)")
    g.add_argument("--frame-mode", choices=MODES, help="count: events per pixel and frame; binary: 1 where any")


def framing_given(args) -> bool:
    return any(getattr(args, k, None) is not None for k in FRAME_OPTIONS)


def dataset_sensor(name: str) -> tuple[int, int, int]:
    """The sensor (width, height, polarities) of registry data set ``name``, without opening it."""
    from ..data import registry

    if name not in registry.DATASETS:
        raise UsageError("--dataset", f"unknown data set {name!r}; expected one of {sorted(registry.DATASETS)}")
    if name == "synthetic":
        return tuple(registry.open_split("synthetic", "test", limit=1).sensor_size)
    from ..data import datasets

    cls = {"nmnist": datasets.NMNIST, "dvsgesture": datasets.DVSGesture, "ncaltech101": datasets.NCaltech101,
           "cifar10dvs": datasets.CIFAR10DVS, "shd": datasets.SHD}[name]
    return tuple(cls.sensor_size)


def frame_spec_from_args(args, input_shape: tuple[int, ...], dataset: str | None,
                         base: FrameSpec | None, network: str) -> FrameSpec | None:
    """The frame spec the options ask for on a network of ``input_shape`` (None: no option, no base, no data set)."""
    from ..data.registry import frame_spec_for

    given = {k: getattr(args, k, None) for k in FRAME_OPTIONS}
    if base is None and dataset is None and all(v is None for v in given.values()):
        return None
    input_shape = tuple(int(v) for v in input_shape)
    if dataset is not None:
        sensor = dataset_sensor(dataset)
        spec = base if base is not None and tuple(base.sensor_size) == sensor else frame_spec_for(dataset, sensor)
    elif base is not None:
        spec = base
    else:
        missing = [f"--{k.replace('_', '-')}" for k in ("window_ms", "n_frames") if given[k] is None]
        if missing:
            raise UsageError(missing[0], f"{network} has no frame spec and no --dataset names a default: give "
                             "--window-ms and --n-frames (and --dataset, the data set it runs on)")
        sensor = (input_shape[2], input_shape[1], input_shape[0]) if len(input_shape) == 3 else (input_shape[0], 1, 1)
        spec = FrameSpec(sensor, window_ms=given["window_ms"], n_frames=given["n_frames"])
    changes = {k: v for k, v in (("window_ms", given["window_ms"]), ("n_frames", given["n_frames"]),
                                 ("mode", given["frame_mode"])) if v is not None}
    spec = _fit(replace(spec, **changes), input_shape)
    if spec.frame_shape[:-1] != input_shape:
        opt = f"--dataset {dataset}" if dataset is not None else "--window-ms/--n-frames/--frame-mode"
        raise UsageError(opt, f"frames would be {_x(spec.frame_shape[:-1])} ({_sensor(spec)}), but "
                         f"{network} takes {_x(input_shape)} per step")
    return spec


def _fit(spec: FrameSpec, input_shape: tuple[int, ...]) -> FrameSpec:
    """The spec's size and polarity set to the network's input where the sensor allows it."""
    from ..errors import ConfigError

    if spec.is_1d or len(input_shape) != 3:
        return spec
    c, h, w = input_shape
    try:
        size = None if (h, w) == (spec.sensor_size[1], spec.sensor_size[0]) else (h, w)
        return replace(spec, size=size, polarity=spec.polarity if c not in (1, spec.sensor_size[2]) else
                       c == spec.sensor_size[2])
    except ConfigError:  # the input is larger than the sensor: reported by the shape check
        return spec


def _x(shape) -> str:
    return " x ".join(str(int(v)) for v in shape)


def _sensor(spec: FrameSpec) -> str:
    w, h, p = spec.sensor_size
    return f"a {w} x {h} sensor with {p} polarities"
