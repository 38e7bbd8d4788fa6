"""torch Datasets of frames, with an optional on-disk cache of a framed split."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import DataFormatError
from .framing import FrameSpec, fit_frames, frame_many


def _progress(iterable, total: int, desc: str, enabled: bool):
    from ..progress import progress

    return progress(iterable, enabled, total=total, desc=desc, unit="sample", leave=False)


def frame_dataset(source, spec: FrameSpec, progress: bool = False, desc: str = "framing") -> tuple[np.ndarray, np.ndarray]:
    """Read every ``(events, label)`` of ``source`` and bin them.

    Returns ``(frames uint8 N x C x H x W x T, labels int64 N)``. Events are
    read one by one (I/O bound) and binned in vectorised chunks.
    """
    n = len(source)
    frames = np.zeros((n,) + spec.frame_shape, dtype=np.uint8)
    labels = np.zeros(n, dtype=np.int64)
    chunk: list[np.ndarray] = []
    start = 0
    for i in _progress(range(n), n, desc, progress):
        events, label = source[i]
        chunk.append(events)
        labels[i] = int(label)
        if len(chunk) == 256 or i == n - 1:
            frames[start : start + len(chunk)] = frame_many(chunk, spec)
            start += len(chunk)
            chunk = []
    return frames, labels


def _save_atomic(path: Path, frames: np.ndarray, labels: np.ndarray, meta: dict) -> None:
    """Write the cache through a temporary file and rename, so a crash never leaves half a file."""
    from ..atomic import atomic_path

    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, frames=frames, labels=labels, meta=json.dumps(meta))


def _load_cache(path: Path, spec: FrameSpec):
    try:
        with np.load(path) as z:
            frames, labels = z["frames"], z["labels"]
    except Exception as exc:  # a corrupt cache is rebuilt, not fatal
        raise DataFormatError(path, f"unreadable frame cache ({exc}); delete it to rebuild") from exc
    if frames.shape[1:] != spec.frame_shape or len(labels) != len(frames):
        raise DataFormatError(path, f"frame cache has shape {frames.shape}, expected N x {spec.frame_shape}")
    return frames, labels


class FramedDataset(Dataset):
    """Frames of a whole event data set, held in memory as uint8.

    ``source`` is any tonic-style data set (``len`` and ``[i] -> (events, label)``).
    Items are ``(float32 tensor of spec.frame_shape, int label)``, ready for
    SLAYER (time last). With ``cache_dir`` and a ``cache_key`` that identifies
    the source (name, root, split...), the framed split is stored as an .npz
    and reused when the same spec and key come again.
    """

    def __init__(
        self,
        source,
        spec: FrameSpec,
        cache_dir: str | os.PathLike | None = None,
        cache_key: str | None = None,
        progress: bool = False,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ):
        self.spec = spec
        self.transform = transform
        self.classes = list(getattr(source, "classes", []))
        self.cache_path = None
        if cache_dir is not None and cache_key is not None:
            digest = hashlib.sha1(json.dumps([cache_key, asdict(spec)], sort_keys=True, default=str).encode()).hexdigest()
            self.cache_path = Path(cache_dir) / f"frames-{digest[:16]}.npz"
        if self.cache_path is not None and self.cache_path.exists():
            try:
                self.frames, self.labels = _load_cache(self.cache_path, spec)
                return
            except DataFormatError:
                self.cache_path.unlink(missing_ok=True)
        self.frames, self.labels = frame_dataset(source, spec, progress=progress)
        if self.cache_path is not None:
            _save_atomic(self.cache_path, self.frames, self.labels, {"key": cache_key, "spec": asdict(spec)})

    @classmethod
    def from_arrays(cls, frames: np.ndarray, labels: Sequence[int], spec: FrameSpec, classes=()):
        """Wrap frames already in memory (``N x spec.frame_shape``)."""
        self = cls.__new__(cls)
        frames = np.asarray(frames)
        if frames.shape[1:] != spec.frame_shape:
            raise DataFormatError(None, f"frames have shape {frames.shape}, expected N x {spec.frame_shape}")
        self.spec, self.transform, self.classes, self.cache_path = spec, None, list(classes), None
        self.frames, self.labels = frames, np.asarray(labels, dtype=np.int64)
        return self

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        x = torch.from_numpy(self.frames[i].astype(np.float32))
        if self.transform is not None:
            x = self.transform(x)
        return x, int(self.labels[i])


class AugmentedFrames(Dataset):
    """Training samples framed afresh on every access, after an event ``transform`` (razor_lava.data.transforms,
    tonic's transforms, or any callable ``events -> events``).

    numpy's global random state is seeded from ``(seed, epoch, index)`` before the transform runs
    (tonic's transforms draw from it too), so an epoch's augmented samples depend on nothing else: a
    resumed run sees the same ones. ``set_epoch`` is called by the training loop.
    """

    def __init__(self, events: Sequence[np.ndarray], labels: Sequence[int], spec: FrameSpec,
                 transform: Callable[[np.ndarray], np.ndarray], seed: int = 0, classes=()):
        if len(events) != len(labels):
            raise ValueError(f"AugmentedFrames: {len(events)} event arrays but {len(labels)} labels")
        self.events, self.labels = list(events), np.asarray(labels, dtype=np.int64)
        self.spec, self.transform, self.seed, self.epoch = spec, transform, int(seed), 0
        self.classes = list(classes)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        state = np.random.get_state()
        try:
            np.random.seed((self.seed * 1_000_003 + self.epoch * 10_007 + int(i)) % 2**32)
            events = self.transform(self.events[i])
        finally:
            np.random.set_state(state)  # the caller's numpy stream is left as it was
        frames = frame_many([events], self.spec)[0]
        return torch.from_numpy(frames.astype(np.float32)), int(self.labels[i])


def collate_frames(batch, n_frames: int | None = None):
    """Stack ``(frames, label)`` items whose time axes may differ.

    Every sample is zero-padded (or cropped at the end) to ``n_frames``, or to
    the longest sample when ``n_frames`` is None. Returns
    ``(N x ... x T float tensor, N long tensor)``.
    """
    xs, ys = zip(*batch)
    t = n_frames if n_frames is not None else max(x.shape[-1] for x in xs)
    xs = [torch.as_tensor(fit_frames(np.asarray(x), t)) for x in xs]
    return torch.stack(xs).float(), torch.as_tensor(ys, dtype=torch.long)
