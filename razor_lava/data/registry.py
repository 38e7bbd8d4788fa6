"""Data sets by name: what ``--dataset NAME --data-root DIR`` means in the scripts.

Every entry opens a split (``"train"`` / ``"test"``) and says how it is framed
by default (a config's ``data:`` section overrides any field of the spec).
Data sets without an official split (N-Caltech101, CIFAR10-DVS) are split
deterministically: every 10th sample of each class is a test sample.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import ConfigError, DatasetLayoutError, UsageError
from .framing import FrameSpec

SPLITS = ("train", "test")


@dataclass(frozen=True)
class DatasetEntry:
    name: str
    needs_root: bool
    opener: Callable  # (root, split, **kwargs) -> data set
    default_spec: Callable[[tuple[int, int, int]], FrameSpec]
    description: str


def _every_tenth(ds_cls, root, split, **kw):
    full = ds_cls(root, **kw)
    targets = np.asarray(full.targets)
    rank = np.zeros(len(targets), dtype=np.int64)
    for c in np.unique(targets):  # position of each sample within its class
        idx = np.flatnonzero(targets == c)
        rank[idx] = np.arange(len(idx))
    pick = np.flatnonzero((rank % 10 == 9) if split == "test" else (rank % 10 != 9))
    return ds_cls(root, indices=pick.tolist(), **kw)


def _synthetic(root, split, **kw):
    from .synthetic import SyntheticGestures

    return SyntheticGestures(split, **kw)


def _nmnist(root, split, **kw):
    from .datasets import NMNIST

    return NMNIST(root, split=split, **kw)


def _gesture(root, split, **kw):
    from .datasets import DVSGesture

    return DVSGesture(root, split=split, **kw)


def _shd(root, split, **kw):
    from .datasets import SHD

    return SHD(root, split=split, **kw)


def _caltech(root, split, **kw):
    from .datasets import NCaltech101

    return _every_tenth(NCaltech101, root, split, **kw)


def _cifar(root, split, **kw):
    from .datasets import CIFAR10DVS

    return _every_tenth(CIFAR10DVS, root, split, **kw)


DATASETS = {
    e.name: e
    for e in [
        DatasetEntry("synthetic", False, _synthetic,
                     lambda s: FrameSpec(s, window_ms=10, n_frames=30),
                     "embedded synthetic DVS gestures, 32x32x2, 10 classes (no download)"),
        DatasetEntry("nmnist", True, _nmnist,
                     lambda s: FrameSpec(s, window_ms=10, n_frames=30),
                     "N-MNIST (original release or the nmnist-small subset), 34x34x2, 10 classes"),
        DatasetEntry("dvsgesture", True, _gesture,
                     lambda s: FrameSpec(s, window_ms=20, n_frames=75, size=(32, 32)),
                     "IBM DVS128 Gesture, 128x128x2 framed at 32x32, 11 classes"),
        DatasetEntry("ncaltech101", True, _caltech,
                     lambda s: FrameSpec(s, window_ms=20, n_frames=15, size=(32, 32)),
                     "N-Caltech101, 240x180x2 framed at 32x32, 101 classes + background"),
        DatasetEntry("cifar10dvs", True, _cifar,
                     lambda s: FrameSpec(s, window_ms=100, n_frames=10, size=(128, 128)),
                     "CIFAR10-DVS, 128x128x2, 10 classes"),
        DatasetEntry("shd", True, _shd,
                     lambda s: FrameSpec(s, window_ms=10, n_frames=100),
                     "Spiking Heidelberg Digits, 700 channels, 20 classes"),
    ]
}


def open_split(name: str, split: str, root: str | Path | None = None, limit: int | None = None, **kwargs):
    """Open split ``split`` of data set ``name`` (see ``DATASETS``).

    ``limit``: at most this many samples, the first ones (the embedded synthetic
    set generates only those); None = all. ``root`` is refused for the embedded
    set, which reads no directory, so a mistyped path is never ignored silently.
    """
    if name not in DATASETS:
        raise ConfigError("data.dataset", f"unknown data set {name!r}; expected one of {sorted(DATASETS)}")
    if split not in SPLITS:
        raise ConfigError("split", f"expected one of {SPLITS}, got {split!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise UsageError("--samples", f"expected an integer >= 1 or None (all), got {limit!r}")
    entry = DATASETS[name]
    if entry.needs_root and root is None:
        raise DatasetLayoutError("(no --data-root)", f"data set {name!r} reads a directory you already have: give its path")
    if not entry.needs_root and root is not None:
        raise UsageError("--data-root", f"the {name!r} data set is embedded and reads no directory; "
                          f"drop --data-root {root}")
    if not entry.needs_root and limit is not None:
        kwargs = {"n_samples": limit, **kwargs}  # generated: make only the samples asked for
    source = entry.opener(root, split, **kwargs)
    return source if limit is None or len(source) <= limit else Subset(source, limit)


class Subset:
    """The first ``n`` samples of a data set (keeps its ``classes`` and ``sensor_size``)."""

    def __init__(self, source, n: int):
        self.source, self.n = source, n
        self.classes = getattr(source, "classes", [])
        self.sensor_size = source.sensor_size

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.source[i]


def frame_spec_for(name: str, sensor_size, overrides: dict | None = None) -> FrameSpec:
    """The default FrameSpec of data set ``name``, with config overrides applied."""
    spec = DATASETS[name].default_spec(tuple(sensor_size))
    fields = set(FrameSpec.__dataclass_fields__) - {"sensor_size"}
    overrides = dict(overrides or {})
    unknown = set(overrides) - fields
    if unknown:
        raise ConfigError(f"data.{sorted(unknown)[0]}", f"unknown framing key; expected some of {sorted(fields)}")
    if "size" in overrides and overrides["size"] is not None:
        overrides["size"] = tuple(overrides["size"])
    return replace(spec, **overrides)
