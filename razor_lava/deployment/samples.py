"""The samples a network file is deployed or profiled on, framed as it expects."""

from __future__ import annotations

import numpy as np

from ..data.framing import frame_many
from ..data.registry import frame_spec_for, open_split
from ..errors import ConfigError
from ..netfile import NetworkFile


def load_samples(nf: NetworkFile, dataset: str | None = None, split: str = "test", n: int = 50,
                 data_root=None) -> tuple[np.ndarray, np.ndarray, str]:
    """The first ``n`` samples of ``split``, framed with the file's frame spec.

    ``dataset`` defaults to the data set the network was trained on (from the
    file's config). Returns ``(frames uint8 N x C x H x W x T, labels N, dataset name)``.
    """
    name = dataset or ((nf.config or {}).get("data", {}) or {}).get("dataset")
    if name is None:
        raise ConfigError("--dataset", f"{nf.path} does not say which data set it was trained on; give --dataset")
    kwargs = {"n_samples": n} if name == "synthetic" else {}
    source = open_split(name, split, data_root, **kwargs)
    spec = nf.frame_spec if nf.frame_spec is not None else frame_spec_for(name, source.sensor_size)
    items = [source[i] for i in range(min(n, len(source)))]
    frames = frame_many([e for e, _ in items], spec)
    if frames.shape[1:-1] != tuple(nf.input_shape):
        raise ConfigError("--dataset", f"{name} frames are {frames.shape[1:-1]} but the network expects "
                          f"{tuple(nf.input_shape)}")
    return frames, np.array([y for _, y in items], dtype=np.int64), name


def add_sample_args(ap, default_samples: int) -> None:
    """The arguments every script that runs a network file on data shares: the file, and which samples."""
    ap.add_argument("network", help="network .h5 file (razor_lava export or plain lava-dl netx)")
    ap.add_argument("--num-layers", type=int,
                    help="run only layer/0 .. layer/N-1 of the file (as netx's num_layers), e.g. to stop before a "
                         "layer type razor_lava cannot run")
    ap.add_argument("--dataset", help="data set name (default: the one the network was trained on)")
    ap.add_argument("--data-root", help="data set directory (not needed for the embedded synthetic data)")
    ap.add_argument("--split", default="test", choices=["train", "test"])
    ap.add_argument("--samples", type=int, default=default_samples,
                    help="number of samples (from the start of the split)")
