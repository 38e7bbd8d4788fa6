"""The samples a network file is deployed or profiled on, framed as it expects."""

from __future__ import annotations

import numpy as np

from ..data.framing import frame_many
from ..data.registry import frame_spec_for, open_split
from ..errors import UsageError
from ..netfile import NetworkFile


def load_samples(nf: NetworkFile, dataset: str | None = None, split: str = "test", n: int = 50,
                 data_root=None) -> tuple[np.ndarray, np.ndarray, str]:
    """The first ``n`` samples of ``split``, framed with the file's frame spec.

    ``dataset`` defaults to the data set the network was trained on (from the
    file's config). Returns ``(frames uint8 N x C x H x W x T, labels N, dataset name)``.
    """
    name = dataset or ((nf.config or {}).get("data", {}) or {}).get("dataset")
    if name is None:
        raise UsageError("--dataset", f"{nf.path} does not say which data set it was trained on; give --dataset")
    source = open_split(name, split, data_root, limit=n)
    spec = nf.frame_spec if nf.frame_spec is not None else frame_spec_for(name, source.sensor_size)
    # The fit is checked before a single event is framed or a Lava process built.
    if tuple(spec.sensor_size) != tuple(source.sensor_size):
        raise UsageError("--dataset", f"{name} events come from a {_sensor(source.sensor_size)} sensor, but "
                          f"{nf.path} was framed for a {_sensor(spec.sensor_size)} one: deploy it on the data set "
                          "it was trained on")
    if spec.frame_shape[:-1] != tuple(nf.input_shape):
        raise UsageError("--dataset", f"{name} frames are {spec.frame_shape[:-1]} (C x H x W) but {nf.path} "
                          f"expects {tuple(nf.input_shape)}")
    items = [source[i] for i in range(len(source))]
    frames = frame_many([e for e, _ in items], spec)
    return frames, np.array([y for _, y in items], dtype=np.int64), name


def _sensor(size) -> str:
    return " x ".join(str(int(v)) for v in size)


def load_inputs(nf: NetworkFile, path, labels_path=None, n: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Raw input payloads from ``path`` (.npy): one sample ``C x H x W x T`` (or ``C x T``) or a batch
    ``N x ...``, checked against the file's input shape up to axes of size 1 (a ``64 x T`` array fits an input
    declared ``1 x 1 x 64``; a ``1 x 64 x T`` array is one sample); integers (or integral floats) >= 0 and < 2**24.
    ``labels_path`` (.npy): ``N`` integer labels, optional. ``n``: the first ``n`` samples only.
    Returns ``(frames N x ... x T, labels N or None)``; every problem is a ``DataFormatError`` naming the file."""
    from ..errors import DataFormatError

    try:
        x = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as e:
        raise DataFormatError(path, f"not a readable .npy array ({e})") from None
    want = tuple(nf.input_shape)
    shape = " x ".join(map(str, want))
    squeeze = lambda dims: tuple(int(d) for d in dims if d != 1)  # noqa: E731  (axes of size 1 are not data)
    if x.ndim >= 1 and squeeze(x.shape[:-1]) == squeeze(want):  # one sample, e.g. 64 x T for a 1 x 1 x 64 input
        x = x.reshape(1, *want, x.shape[-1])
    elif x.ndim >= 2 and squeeze(x.shape[1:-1]) == squeeze(want):  # a batch
        x = x.reshape(x.shape[0], *want, x.shape[-1])
    else:
        raise DataFormatError(path, f"array of shape {x.shape}: expected one sample {shape} x T or a batch "
                              f"N x {shape} x T for {nf.path} (axes of size 1 may be left out)")
    if x.shape[-1] < 1 or len(x) < 1:
        raise DataFormatError(path, f"array of shape {x.shape} holds no frame")
    x = x[:n] if n is not None else x
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise DataFormatError(path, f"dtype {x.dtype}: expected integer payloads")
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.floating) and not np.array_equal(x, np.round(x)):
        raise DataFormatError(path, "holds non-integer values: expected integer payloads (spike counts or "
                              "graded payloads as the network file's input takes them)")
    if x.size and (x.min() < 0 or x.max() >= 2 ** 24):
        raise DataFormatError(path, f"values from {x.min()} to {x.max()}: expected 0 .. 2**24 - 1 "
                              "(24-bit payloads, as Loihi 2 carries them)")
    frames = x.astype(np.int32) if x.dtype.kind == "f" or x.dtype.itemsize > 4 else x
    labels = None
    if labels_path is not None:
        try:
            y = np.load(labels_path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise DataFormatError(labels_path, f"not a readable .npy array ({e})") from None
        y = np.asarray(y).reshape(-1) if np.ndim(y) <= 1 else y
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise DataFormatError(labels_path, f"array of shape {np.shape(y)} {y.dtype}: expected N integer labels")
        y = y[:n] if n is not None else y
        if len(y) != len(frames):
            raise DataFormatError(labels_path, f"{len(y)} labels for {len(frames)} samples in {path}")
        if y.size and (y.min() < 0 or y.max() >= nf.n_outputs):
            raise DataFormatError(labels_path, f"labels from {y.min()} to {y.max()}: expected 0 .. {nf.n_outputs - 1} "
                                  f"(the network has {nf.n_outputs} outputs)")
        labels = y.astype(np.int64)
    return frames, labels
