"""Event augmentation as tonic-style transforms: callables ``events -> events``.

Each transform takes a structured event array (fields ``x, y, p, t``;
razor_lava.data.events) and returns a new one, so ours and tonic's compose in
either order (``Compose([RandomTranslate(4, (34, 34, 2)), tonic.transforms.Denoise(...)])``).
Like tonic's, they draw from numpy's global random state; ``AugmentedFrames``
(razor_lava/data/torch_data.py) seeds it per (seed, epoch, sample), so a run
sees the same augmented samples whatever else drew numbers before.

``from_config`` builds the transforms of a config's ``train.augment``
section. The spatial ones follow lava-dl's N-MNIST tutorial augmentation (a
random shift of up to +-4 px and a small rotation, events that leave the
sensor dropped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np


class Compose:
    """Apply ``transforms`` in order (tonic's ``Compose``)."""

    def __init__(self, transforms: Sequence[Callable[[np.ndarray], np.ndarray]]):
        self.transforms = list(transforms)

    def __call__(self, events: np.ndarray) -> np.ndarray:
        for t in self.transforms:
            events = t(events)
        return events

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


def _inside(events: np.ndarray, x: np.ndarray, y: np.ndarray, sensor_size) -> np.ndarray:
    """A copy of ``events`` at the new integer positions, without the events that left the sensor."""
    w, h = sensor_size[0], sensor_size[1]
    keep = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    out = events[keep].copy()
    out["x"], out["y"] = x[keep], y[keep]
    return out


@dataclass
class RandomTranslate:
    """Shift every event of a sample by the same random ``(dx, dy)`` in ``[-max_shift, max_shift]``; events
    that leave the ``sensor_size`` (width, height, polarities) are dropped."""

    max_shift: int
    sensor_size: tuple[int, int, int]

    def __call__(self, events: np.ndarray) -> np.ndarray:
        if self.max_shift == 0 or events.size == 0:
            return events
        dx, dy = np.random.randint(-self.max_shift, self.max_shift + 1, size=2)
        return _inside(events, events["x"].astype(np.int64) + dx, events["y"].astype(np.int64) + dy,
                       self.sensor_size)


@dataclass
class RandomRotate:
    """Rotate a sample by a random angle in ``[-max_deg, max_deg]`` about the sensor centre (positions
    rounded to the nearest pixel; events that leave the sensor are dropped)."""

    max_deg: float
    sensor_size: tuple[int, int, int]

    def __call__(self, events: np.ndarray) -> np.ndarray:
        if self.max_deg == 0 or events.size == 0:
            return events
        a = np.deg2rad(np.random.uniform(-self.max_deg, self.max_deg))
        cx, cy = (self.sensor_size[0] - 1) / 2, (self.sensor_size[1] - 1) / 2
        x, y = events["x"] - cx, events["y"] - cy
        xr = np.rint(np.cos(a) * x - np.sin(a) * y + cx).astype(np.int64)
        yr = np.rint(np.sin(a) * x + np.cos(a) * y + cy).astype(np.int64)
        return _inside(events, xr, yr, self.sensor_size)


@dataclass
class DropEvent:
    """Drop each event with probability ``p`` (tonic's ``DropEvent``)."""

    p: float

    def __call__(self, events: np.ndarray) -> np.ndarray:
        if self.p == 0 or events.size == 0:
            return events
        return events[np.random.random_sample(events.size) >= self.p]


@dataclass
class TimeJitter:
    """Add Gaussian noise of standard deviation ``std_us`` to every timestamp; timestamps are clipped at 0
    and the events sorted again (tonic's ``TimeJitter`` with ``clip_negative`` and ``sort_timestamps``)."""

    std_us: float

    def __call__(self, events: np.ndarray) -> np.ndarray:
        if self.std_us == 0 or events.size == 0:
            return events
        out = events.copy()
        t = out["t"] + np.rint(np.random.normal(0, self.std_us, events.size)).astype(np.int64)
        out["t"] = np.maximum(t, 0)
        return out[np.argsort(out["t"], kind="stable")]


def from_config(augment: dict, sensor_size) -> Compose | None:
    """The transforms of a config's ``train.augment`` mapping, in a fixed order (drop, jitter the time,
    rotate, translate); None when every entry is 0."""
    parts = []
    if augment.get("drop_event"):
        parts.append(DropEvent(float(augment["drop_event"])))
    if augment.get("time_jitter_us"):
        parts.append(TimeJitter(float(augment["time_jitter_us"])))
    if augment.get("rotate_deg"):
        parts.append(RandomRotate(float(augment["rotate_deg"]), tuple(sensor_size)))
    if augment.get("translate"):
        parts.append(RandomTranslate(int(augment["translate"]), tuple(sensor_size)))
    return Compose(parts) if parts else None
