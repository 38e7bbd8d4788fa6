"""Synthetic DVS gestures: the embedded default data set of razor_lava.

A small, deterministic stand-in for DVS128 Gesture that needs no download.
Ten classes of moving shapes (see ``CLASSES`` and docs/synthetic_gestures.md)
are rendered on a ``sensor x sensor`` pixel grid every ``step_ms`` and turned
into ON/OFF events like a DVS pixel would: an event each time a pixel's log
intensity crosses a multiple of its contrast threshold. Every recording is
temporally redundant on purpose: the object moves during only 40-70% of it,
in 1-3 active segments, and sits still otherwise while only sensor noise
(background activity, hot pixels) fires. ``active_frames`` gives the ground
truth of which frames hold motion, so a temporal pruner can be checked
against it.

Sample ``i`` of a split depends only on ``(seed, split, i)``: it is drawn from
``np.random.default_rng([seed, split_code, i])`` and can be generated alone,
in any order. ``python -m razor_lava.data.synthetic --picture PATH`` draws one
sample per class.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ._synthetic_shapes import GESTURES, dvs_events, noise_events
from .events import EVENT_DTYPE
from .framing import FrameSpec, frame_many

CLASSES: tuple[str, ...] = tuple(GESTURES)
SPLITS = {"train": 0, "test": 1}
DEFAULT_SAMPLES = {"train": 1000, "test": 200}
# Seed entropy tag of the label stream; sample streams have 3 entries, label streams 4.
_LABEL_STREAM = 1
_MIN_DURATION_MS = 50.0
_MIN_SEGMENT_MS = 20.0  # an active segment spans at least two default frames
_MIN_GAP_MS = 10.0  # idle gap between two active segments
_ACTIVE_FRACTION = (0.4, 0.7)


def default_frame_spec() -> FrameSpec:
    """The toolkit's default framing: 32x32x2 sensor, 30 frames of 10 ms (300 ms)."""
    return FrameSpec(sensor_size=(32, 32, 2), window_ms=10.0, n_frames=30)


@dataclass(frozen=True)
class GestureParams:
    """Recording parameters shared by all samples of a data set.

    sensor: side of the square sensor in pixels (>= 8).
    duration_ms: length of every recording in ms (>= 50).
    noise_hz: background activity per pixel in Hz (Poisson, random polarity).
    hot_pixels: (min, max) number of hot pixels per sample (drawn uniformly).
    hot_pixel_hz: (min, max) event rate of one hot pixel in Hz.
    contrast_threshold: mean log-intensity change per event; each pixel's own
        threshold deviates by 10% (fixed-pattern mismatch).
    step_ms: rendering time step in ms; event times are uniform within a step.
    """

    sensor: int = 32
    duration_ms: float = 300.0
    noise_hz: float = 2.0
    hot_pixels: tuple[int, int] = (1, 3)
    hot_pixel_hz: tuple[float, float] = (100.0, 300.0)
    contrast_threshold: float = 0.2
    step_ms: float = 1.0

    def __post_init__(self):
        hp = (self.hot_pixels, self.hot_pixels) if np.isscalar(self.hot_pixels) else tuple(self.hot_pixels)
        if len(hp) != 2 or not 0 <= int(hp[0]) <= int(hp[1]):
            raise ConfigError("hot_pixels", f"expected a count or (min, max) with 0 <= min <= max, got {hp}")
        object.__setattr__(self, "hot_pixels", (int(hp[0]), int(hp[1])))
        lo, hi = self.hot_pixel_hz
        if not 0 <= lo <= hi:
            raise ConfigError("hot_pixel_hz", f"expected (min, max) Hz with 0 <= min <= max, got {self.hot_pixel_hz}")
        object.__setattr__(self, "hot_pixel_hz", (float(lo), float(hi)))
        if int(self.sensor) != self.sensor or self.sensor < 8:
            raise ConfigError("sensor", f"expected an integer side of at least 8 pixels, got {self.sensor}")
        object.__setattr__(self, "sensor", int(self.sensor))
        if not self.step_ms > 0:
            raise ConfigError("step_ms", f"expected a positive time step in ms, got {self.step_ms}")
        if not self.duration_ms >= max(_MIN_DURATION_MS, 20 * self.step_ms):
            raise ConfigError(
                "duration_ms",
                f"expected at least {max(_MIN_DURATION_MS, 20 * self.step_ms)} ms (room for motion and idle "
                f"stretches), got {self.duration_ms}",
            )
        if not self.noise_hz >= 0:
            raise ConfigError("noise_hz", f"expected a rate >= 0 Hz, got {self.noise_hz}")
        if not self.contrast_threshold > 0:
            raise ConfigError("contrast_threshold", f"expected a log-intensity step > 0, got {self.contrast_threshold}")

    @property
    def step_us(self) -> int:
        return int(round(self.step_ms * 1000))

    @property
    def n_steps(self) -> int:
        """Render steps per recording; a partial last step stays idle."""
        return int(round(self.duration_ms * 1000)) // self.step_us


def _split(rng: np.random.Generator, total: int, parts: int, minimum: int) -> np.ndarray:
    """``parts`` non-negative integers >= ``minimum`` that sum to ``total``, uniformly cut."""
    spare = total - parts * minimum
    cuts = np.sort(rng.integers(0, spare + 1, size=parts - 1))
    return np.diff(np.concatenate([[0], cuts, [spare]])) + minimum


def draw_timeline(rng: np.random.Generator, params: GestureParams) -> tuple[np.ndarray, np.ndarray]:
    """Active segments and gesture progress: the first draws of every sample.

    Returns ``(segments, progress)``: segments int64 ``n_seg x 2`` of
    ``[start, end)`` render steps, and progress float64 ``n_steps + 1``, the
    gesture's progress (0..1) at each step boundary. Progress is constant
    outside segments, so the object is still there.
    """
    n = params.n_steps
    n_seg = int(rng.integers(1, 4))
    n_act = int(round(rng.uniform(*_ACTIVE_FRACTION) * n))
    seg_min = max(1, int(np.ceil(_MIN_SEGMENT_MS / params.step_ms)))
    gap_min = max(1, int(np.ceil(_MIN_GAP_MS / params.step_ms)))
    # Short recordings cannot hold three separated segments: fewer then.
    while n_seg > 1 and (n_act < n_seg * seg_min or n - n_act < (n_seg - 1) * gap_min):
        n_seg -= 1
    seg_len = _split(rng, n_act, n_seg, seg_min)
    gaps = _split(rng, n - n_act - (n_seg - 1) * gap_min, n_seg + 1, 0)
    gaps[1:-1] += gap_min
    starts = np.cumsum(gaps[:-1]) + np.concatenate([[0], np.cumsum(seg_len)[:-1]])
    segments = np.stack([starts, starts + seg_len], axis=1).astype(np.int64)
    # Segments move at different speeds, like a hand that hesitates.
    rate = np.zeros(n)
    for (a, b), speed in zip(segments, rng.uniform(0.7, 1.3, size=n_seg)):
        rate[a:b] = speed
    progress = np.concatenate([[0.0], np.cumsum(rate)]) / rate.sum()
    return segments, progress


def generate_sample(rng: np.random.Generator, label: int, params: GestureParams) -> tuple[np.ndarray, np.ndarray]:
    """One recording of class ``CLASSES[label]``.

    Returns ``(events, active_intervals_us)``: events of EVENT_DTYPE sorted by
    ``t`` (us, in ``[0, duration)``), ``p`` 1 = ON (brighter), 0 = OFF; and
    int64 ``n_seg x 2`` ``[start, end)`` in us of the intervals with motion.
    Motion events lie only inside those intervals; noise lies anywhere.
    """
    s, step_us = params.sensor, params.step_us
    dur_us = params.n_steps * step_us
    segments, progress = draw_timeline(rng, params)
    motion = GESTURES[CLASSES[label]](rng, s)
    # Render only the end of each active step (plus the first start): during
    # idle steps nothing changes, so consecutive rows differ by exactly one step.
    steps = np.concatenate([np.arange(a, b) for a, b in segments])
    cov = motion(np.concatenate([progress[steps[:1]], progress[steps + 1]]))
    parts = [dvs_events(rng, cov, steps, step_us, params.contrast_threshold)]
    parts += noise_events(rng, s, dur_us, params.noise_hz, params.hot_pixels, params.hot_pixel_hz)
    ev = np.empty(sum(p[3].size for p in parts), dtype=EVENT_DTYPE)
    for field, k in (("x", 0), ("y", 1), ("p", 2), ("t", 3)):
        ev[field] = np.concatenate([p[k] for p in parts])
    ev = ev[np.argsort(ev["t"], kind="stable")]
    return ev, segments * step_us


class SyntheticGestures:
    """tonic-style data set of synthetic DVS gestures: ``ds[i] -> (events, label)``.

    split: "train" or "test" (different samples for the same seed).
    n_samples: number of samples; default 1000 (train) or 200 (test). Sample
        ``i`` does not depend on n_samples, so a smaller split is a prefix.
    seed: non-negative integer; the whole data set is a function of it.
    sensor, duration_ms, noise_hz, hot_pixels, and the keyword-only
        hot_pixel_hz, contrast_threshold, step_ms: see GestureParams.
    transform / target_transform: applied to events / label, as in tonic.

    Labels are balanced: every block of ``len(CLASSES)`` consecutive samples
    holds each class once, in a seeded random order.
    """

    def __init__(
        self,
        split: str = "train",
        n_samples: int | None = None,
        seed: int = 0,
        sensor: int = 32,
        duration_ms: float = 300.0,
        noise_hz: float = 2.0,
        hot_pixels: int | tuple[int, int] = (1, 3),
        transform=None,
        target_transform=None,
        *,
        hot_pixel_hz: tuple[float, float] = (100.0, 300.0),
        contrast_threshold: float = 0.2,
        step_ms: float = 1.0,
    ):
        if split not in SPLITS:
            raise ConfigError("split", f"expected one of {tuple(SPLITS)}, got {split!r}")
        n_samples = DEFAULT_SAMPLES[split] if n_samples is None else n_samples
        if int(n_samples) != n_samples or n_samples < 1:
            raise ConfigError("n_samples", f"expected an integer >= 1, got {n_samples}")
        if int(seed) != seed or seed < 0:
            raise ConfigError("seed", f"expected a non-negative integer, got {seed}")
        self.split, self.n_samples, self.seed = split, int(n_samples), int(seed)
        self.params = GestureParams(
            sensor=sensor,
            duration_ms=duration_ms,
            noise_hz=noise_hz,
            hot_pixels=hot_pixels,
            hot_pixel_hz=hot_pixel_hz,
            contrast_threshold=contrast_threshold,
            step_ms=step_ms,
        )
        self.sensor_size = (int(sensor), int(sensor), 2)
        self.classes = list(CLASSES)
        self.duration_ms = float(duration_ms)
        self.transform, self.target_transform = transform, target_transform

    def __len__(self) -> int:
        return self.n_samples

    def _index(self, i: int) -> int:
        j = int(i) + self.n_samples if int(i) < 0 else int(i)
        if not 0 <= j < self.n_samples:
            raise IndexError(f"sample {i} out of range for {self.n_samples} samples")
        return j

    def _rng(self, i: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, SPLITS[self.split], self._index(i)])

    def label(self, i: int) -> int:
        """Class index of sample ``i`` (cheap: no events are generated)."""
        n_cls = len(CLASSES)
        block, pos = divmod(self._index(i), n_cls)
        perm = np.random.default_rng([self.seed, SPLITS[self.split], block, _LABEL_STREAM]).permutation(n_cls)
        return int(perm[pos])

    @property
    def targets(self) -> np.ndarray:
        """Labels of all samples, int64 ``(n_samples,)``."""
        return np.array([self.label(i) for i in range(self.n_samples)], dtype=np.int64)

    def sample(self, i: int) -> tuple[np.ndarray, int, np.ndarray]:
        """``(events, label, active_intervals_us)`` of sample ``i``, untransformed."""
        label = self.label(i)
        events, intervals = generate_sample(self._rng(i), label, self.params)
        return events, label, intervals

    def __getitem__(self, i: int):
        events, label, _ = self.sample(i)
        if self.transform is not None:
            events = self.transform(events)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return events, label

    def active_intervals(self, i: int) -> np.ndarray:
        """int64 ``n_seg x 2`` ``[start, end)`` in us of sample ``i``'s motion (no events generated)."""
        segments, _ = draw_timeline(self._rng(i), self.params)
        return segments * self.params.step_us

    def active_frames(self, i: int, window_ms: float, n_frames: int) -> np.ndarray:
        """Ground truth per frame: bool ``(n_frames,)``, True where frame ``k`` =
        ``[k*window_ms, (k+1)*window_ms)`` overlaps a motion interval; False
        frames hold noise only (background activity, hot pixels)."""
        if not window_ms > 0:
            raise ConfigError("window_ms", f"expected a positive frame length in ms, got {window_ms}")
        if int(n_frames) < 1:
            raise ConfigError("n_frames", f"expected at least one frame, got {n_frames}")
        start = np.arange(int(n_frames)) * window_ms * 1000.0
        seg = self.active_intervals(i)
        hit = (start[:, None] < seg[None, :, 1]) & (start[:, None] + window_ms * 1000.0 > seg[None, :, 0])
        return hit.any(axis=1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m razor_lava.data.synthetic", description=__doc__.split("\n")[0])
    ap.add_argument("--picture", help="write a PNG of one training sample per class to this path")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cols", type=int, default=10, help="frames shown per class")
    ap.add_argument("--benchmark", action="store_true", help="time generating the default train and test splits")
    args = ap.parse_args(argv)
    if args.picture:
        from ..plots import plot_class_frames

        ds, spec = SyntheticGestures("train", seed=args.seed), default_frame_spec()
        idx = range(len(CLASSES))  # the first block holds every class once
        frames = frame_many([ds[i][0] for i in idx], spec)
        active = np.stack([ds.active_frames(i, spec.window_ms, spec.n_frames) for i in idx])
        labels = np.array([ds.label(i) for i in idx])
        title = f"synthetic gestures, train split, seed {args.seed}: red ON, blue OFF, grey title = idle frame"
        plot_class_frames(
            frames, labels, ds.classes, args.picture, args.cols, title, active=active, frame_ms=spec.window_ms
        )
        shown = min(args.cols, spec.n_frames)
        print(
            f"wrote {args.picture}: {len(CLASSES)} classes x {shown} of {spec.n_frames} frames "
            f"({spec.window_ms:g} ms each), {int(frames.sum())} active pixels"
        )
    if args.benchmark:
        t0, n_ev = time.perf_counter(), 0
        for split in SPLITS:
            ds = SyntheticGestures(split, seed=args.seed)
            n_ev += sum(ds[i][0].size for i in range(len(ds)))
        dt = time.perf_counter() - t0
        n_train, n_test = DEFAULT_SAMPLES["train"], DEFAULT_SAMPLES["test"]
        print(f"generated {n_train} train + {n_test} test samples, {n_ev} events, in {dt:.2f} s")
    if not (args.picture or args.benchmark):
        ap.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
