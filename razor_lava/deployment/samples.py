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
