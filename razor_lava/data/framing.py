"""Binning events into SLAYER frame tensors (time last).

A frame tensor for one sample is ``C x H x W x T`` (2-D sensors) or
``C x T`` (1-D sensors such as SHD, whose sensor_size has height 1).
Frame ``k`` holds the events with ``t_origin + k*window <= t < t_origin +
(k+1)*window``; events after the last frame are dropped, missing frames stay
zero. Values are binary spikes (``mode="binary"``) or event counts clipped
to ``clip`` (``mode="count"``); stored as uint8.

Everything is vectorised: ``frame_many`` bins a whole split with one
``np.bincount`` over all samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import ConfigError

MODES = ("binary", "count")


@dataclass(frozen=True)
class FrameSpec:
    """How to turn an event stream into frames.

    sensor_size: (width, height, polarities) of the source sensor (tonic's order).
    window_ms: frame length in milliseconds.
    n_frames: number of frames T per sample.
    size: optional (height, width) to down-sample to while binning, e.g.
        (32, 32) for a 128x128 sensor; each output pixel sums a block.
    polarity: keep one channel per polarity (C = polarities) or merge (C = 1).
    mode: "binary" (1 where any event) or "count" (events per bin, clipped).
    clip: largest count kept in "count" mode (at most 255: frames are uint8).
    t_origin: "zero" (frame 0 starts at t = 0 us) or "first" (at the first event).
    """

    sensor_size: tuple[int, int, int]
    window_ms: float
    n_frames: int
    size: tuple[int, int] | None = None
    polarity: bool = True
    mode: str = "binary"
    clip: int = 255
    t_origin: str = "zero"

    def __post_init__(self):
        if len(self.sensor_size) != 3 or min(self.sensor_size) < 1:
            raise ConfigError("sensor_size", f"expected (width, height, polarities) >= 1, got {self.sensor_size}")
        if not self.window_ms > 0:
            raise ConfigError("window_ms", f"expected a positive frame length in ms, got {self.window_ms}")
        if int(self.n_frames) < 1:
            raise ConfigError("n_frames", f"expected at least one frame, got {self.n_frames}")
        if self.mode not in MODES:
            raise ConfigError("mode", f"expected one of {MODES}, got {self.mode!r}")
        if not 1 <= int(self.clip) <= 255:
            raise ConfigError("clip", f"expected 1..255 (frames are uint8), got {self.clip}")
        if self.t_origin not in ("zero", "first"):
            raise ConfigError("t_origin", f"expected 'zero' or 'first', got {self.t_origin!r}")
        if self.size is not None:
            h, w = self.size
            if not (1 <= h <= self.sensor_size[1] and 1 <= w <= self.sensor_size[0]):
                raise ConfigError(
                    "size",
                    f"expected (height, width) within the sensor's {self.sensor_size[1]}x{self.sensor_size[0]}, "
                    f"got {self.size}",
                )

    @property
    def is_1d(self) -> bool:
        return self.sensor_size[1] == 1

    @property
    def out_hw(self) -> tuple[int, int]:
        return tuple(self.size) if self.size is not None else (self.sensor_size[1], self.sensor_size[0])

    @property
    def channels(self) -> int:
        return self.sensor_size[2] if self.polarity else 1

    @property
    def frame_shape(self) -> tuple[int, ...]:
        """Shape of one sample's frames: ``C x H x W x T``, or ``C x T`` for 1-D sensors."""
        h, w = self.out_hw
        if self.is_1d:
            return (self.channels * w, int(self.n_frames))
        return (self.channels, h, w, int(self.n_frames))


def _bin_index(events: np.ndarray, spec: FrameSpec, sample: np.ndarray | int, t0: np.ndarray | int):
    """Flat index into an ``N x C x H x W x T`` array for every kept event."""
    w_in, h_in, _ = spec.sensor_size
    h, w = spec.out_hw
    window_us = spec.window_ms * 1000.0
    k = np.floor((events["t"] - t0) / window_us).astype(np.int64)
    keep = (k >= 0) & (k < spec.n_frames)
    x = events["x"].astype(np.int64)
    y = events["y"].astype(np.int64)
    # Integer block down-sampling: output pixel = floor(coord * out / in).
    if (h, w) != (h_in, w_in):
        x = x * w // w_in
        y = y * h // h_in
    c = events["p"].astype(np.int64) if spec.polarity else np.zeros_like(x)
    sample = np.broadcast_to(sample, x.shape)
    flat = (((sample * spec.channels + c) * h + y) * w + x) * spec.n_frames + k
    return flat[keep]


def _finish(counts: np.ndarray, spec: FrameSpec, n: int) -> np.ndarray:
    if spec.mode == "binary":
        out = (counts > 0).astype(np.uint8)
    else:
        out = np.minimum(counts, spec.clip).astype(np.uint8)
    return out.reshape((n,) + spec.frame_shape)


def to_frames(events: np.ndarray, spec: FrameSpec) -> np.ndarray:
    """Bin one event array into frames of shape ``spec.frame_shape`` (uint8)."""
    return frame_many([events], spec)[0]


def frame_many(samples: Sequence[np.ndarray], spec: FrameSpec, chunk_elements: int = 1 << 23) -> np.ndarray:
    """Bin many event arrays at once into ``N x C x H x W x T`` (or ``N x C x T``) uint8.

    Samples are binned in chunks of about ``chunk_elements`` frame elements so
    the int64 counts of a large split never sit in memory all at once.
    """
    n = len(samples)
    per_sample = int(np.prod(spec.frame_shape))
    out = np.zeros((n,) + spec.frame_shape, dtype=np.uint8)
    step = max(1, chunk_elements // per_sample)
    for start in range(0, n, step):
        chunk = samples[start : start + step]
        out[start : start + len(chunk)] = _frame_chunk(chunk, spec)
    return out


def _frame_chunk(samples: Sequence[np.ndarray], spec: FrameSpec) -> np.ndarray:
    n = len(samples)
    lengths = np.fromiter((len(s) for s in samples), dtype=np.int64, count=n)
    if lengths.sum() == 0:
        return np.zeros((n,) + spec.frame_shape, dtype=np.uint8)
    allev = np.concatenate([np.asarray(s) for s in samples])
    sample_id = np.repeat(np.arange(n, dtype=np.int64), lengths)
    if spec.t_origin == "first":
        firsts = np.array([int(s["t"][0]) if len(s) else 0 for s in samples], dtype=np.int64)
        t0 = firsts[sample_id]
    else:
        t0 = 0
    flat = _bin_index(allev, spec, sample_id, t0)
    counts = np.bincount(flat, minlength=n * int(np.prod(spec.frame_shape)))
    return _finish(counts, spec, n)


@dataclass(frozen=True)
class ToFrame:
    """tonic-style transform: ``ToFrame(spec)(events) -> frames``."""

    spec: FrameSpec

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return to_frames(events, self.spec)


def fit_frames(frames: np.ndarray, n_frames: int) -> np.ndarray:
    """Pad with zero frames or crop at the end so the last axis has ``n_frames``."""
    t = frames.shape[-1]
    if t == n_frames:
        return frames
    if t > n_frames:
        return frames[..., :n_frames]
    pad = [(0, 0)] * (frames.ndim - 1) + [(0, n_frames - t)]
    return np.pad(frames, pad)
