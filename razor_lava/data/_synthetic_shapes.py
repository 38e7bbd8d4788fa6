"""The scene and the sensor of the synthetic gestures: shapes, motions, DVS pixels, noise.

Each gesture class is a function ``(rng, sensor) -> motion`` that draws the
per-sample geometry (position jitter, size, start angle, travel) from ``rng``
and returns ``motion(u) -> coverage``: for gesture progress values ``u``
(shape ``n``, 0 = start pose, 1 = end pose) the fraction of every pixel the
object covers, float32 ``n x H x W`` in [0, 1]. Coordinates are pixels with
``x`` to the right and ``y`` DOWN (image / DVS convention): "up" moves towards
``y = 0``, and an angle ``atan2(y, x)`` that increases turns CLOCKWISE on the
screen.

Sizes are fractions of the sensor side ``s`` so a 64x64 sensor shows the same
gestures as the default 32x32.

``dvs_events`` turns rendered coverage into ON/OFF events; ``noise_events``
adds the sensor's background activity and hot pixels. Events travel as
``(x, y, p, t)`` tuples of arrays, t in us.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

Motion = Callable[[np.ndarray], np.ndarray]

# Unit direction of travel per swipe class (y down, so "up" is -y).
_R2 = float(np.sqrt(0.5))
SWIPES = {
    "swipe_right": (1.0, 0.0),
    "swipe_left": (-1.0, 0.0),
    "swipe_up": (0.0, -1.0),
    "swipe_down": (0.0, 1.0),
    "swipe_up_right": (_R2, -_R2),
    "swipe_down_left": (-_R2, _R2),
}

# Jitter of the gesture's centre around the sensor centre, fraction of s.
_CENTRE_JITTER = 0.08


def _grid(sensor: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates, each float32 ``1 x H x W``."""
    y, x = np.mgrid[0:sensor, 0:sensor].astype(np.float32)
    return x[None], y[None]


def _ramp(inside: np.ndarray) -> np.ndarray:
    """Coverage from a signed distance (px, positive inside): a 1-px linear edge.

    The soft edge is what makes sub-pixel motion change intensities gradually,
    as a real lens-blurred edge does, so slow motion still emits events.
    """
    return np.clip(inside + 0.5, 0.0, 1.0, out=inside)


def _centre(rng: np.random.Generator, s: int) -> tuple[float, float]:
    c = (s - 1) / 2.0
    jx, jy = rng.uniform(-_CENTRE_JITTER, _CENTRE_JITTER, size=2) * s
    return c + jx, c + jy


def rotate(direction: int) -> Callable[[np.random.Generator, int], Motion]:
    """A bar pivoting about one end like a clock hand; +1 clockwise, -1 counter-clockwise.

    Both directions draw the same geometry distribution (start angle uniform
    on the circle), so the two classes differ only in temporal order.
    """

    def draw(rng: np.random.Generator, s: int) -> Motion:
        px, py = _centre(rng, s)
        r_in = rng.uniform(0.04, 0.10) * s
        r_out = rng.uniform(0.34, 0.44) * s
        half_w = rng.uniform(0.03, 0.05) * s
        theta0 = rng.uniform(0.0, 2.0 * np.pi)
        sweep = rng.uniform(0.9, 1.6) * np.pi
        x, y = _grid(s)
        dx, dy = x - px, y - py

        def motion(u: np.ndarray) -> np.ndarray:
            th = (theta0 + direction * sweep * np.asarray(u, np.float64)).astype(np.float32)[:, None, None]
            c, sn = np.cos(th), np.sin(th)
            along = dx * c + dy * sn
            perp = np.abs(dy * c - dx * sn)
            across = _ramp(np.subtract(half_w, perp, out=perp))
            length = _ramp(np.minimum(along - r_in, r_out - along))
            return np.multiply(across, length, out=across)

        return motion

    return draw


def swipe(dir_xy: tuple[float, float]) -> Callable[[np.random.Generator, int], Motion]:
    """A disk travelling in a straight line along ``dir_xy`` (jittered by up to 8 degrees)."""

    def draw(rng: np.random.Generator, s: int) -> Motion:
        cx, cy = _centre(rng, s)
        radius = rng.uniform(0.10, 0.17) * s
        travel = rng.uniform(0.45, 0.70) * s
        ang = np.arctan2(dir_xy[1], dir_xy[0]) + np.deg2rad(rng.uniform(-8.0, 8.0))
        ux, uy = np.cos(ang), np.sin(ang)
        x, y = _grid(s)

        def motion(u: np.ndarray) -> np.ndarray:
            d = ((np.asarray(u, np.float64) - 0.5) * travel).astype(np.float32)[:, None, None]
            dist = np.hypot(x - (cx + ux * d), y - (cy + uy * d))
            return _ramp(np.subtract(radius, dist, out=dist))

        return motion

    return draw


def ring(grow: bool) -> Callable[[np.random.Generator, int], Motion]:
    """A ring whose radius expands (``grow``) or contracts between a small and a large radius."""

    def draw(rng: np.random.Generator, s: int) -> Motion:
        cx, cy = _centre(rng, s)
        r_small = rng.uniform(0.06, 0.12) * s
        r_big = rng.uniform(0.30, 0.42) * s
        half_w = rng.uniform(0.035, 0.065) * s
        x, y = _grid(s)
        dist = np.hypot(x - cx, y - cy)
        r0, r1 = (r_small, r_big) if grow else (r_big, r_small)

        def motion(u: np.ndarray) -> np.ndarray:
            r = (r0 + (r1 - r0) * np.asarray(u, np.float64)).astype(np.float32)[:, None, None]
            off = np.abs(dist - r)
            return _ramp(np.subtract(half_w, off, out=off))

        return motion

    return draw


GESTURES: dict[str, Callable[[np.random.Generator, int], Motion]] = {
    "rotate_cw": rotate(+1),
    "rotate_ccw": rotate(-1),
    **{name: swipe(d) for name, d in SWIPES.items()},
    "grow": ring(True),
    "shrink": ring(False),
}


def dvs_events(rng: np.random.Generator, cov: np.ndarray, steps: np.ndarray, step_us: int, threshold: float):
    """ON/OFF events of a DVS watching the coverage maps ``cov`` (``n + 1 x H x W``).

    Row ``r + 1`` of ``cov`` is the scene at the end of render step
    ``steps[r]``, row ``r`` the scene just before it. The object's log-contrast
    against the background is drawn here (0.7-1.5). Each pixel fires once per
    crossing of a multiple of its own threshold (``threshold`` +-10%, random
    offset): p = 1 (ON) when brighter. Times are uniform within the step, in us.
    """
    s = cov.shape[-1]
    contrast = rng.uniform(0.7, 1.5)
    # Per-pixel threshold and level offset are the fixed-pattern mismatch that
    # makes two pixels seeing the same edge fire at different moments.
    thr = threshold * np.clip(rng.normal(1.0, 0.1, (s, s)), 0.5, 1.5).astype(np.float32)
    offset = rng.uniform(0.0, 1.0, (s, s)).astype(np.float32)
    level = np.floor(cov * (contrast / thr) + offset).astype(np.int16)
    change = np.diff(level, axis=0)
    row, y, x = np.nonzero(change)
    count = change[row, y, x]
    rep = np.repeat(np.arange(count.size), np.abs(count))
    t = steps[row[rep]] * step_us + rng.integers(0, step_us, rep.size)
    return x[rep], y[rep], (count[rep] > 0).astype(np.int8), t


def _poisson(rng: np.random.Generator, n_pix: int, rate_hz: float, dur_us: int, s: int):
    k = int(rng.poisson(rate_hz * n_pix * dur_us * 1e-6))
    return rng.integers(0, s, k), rng.integers(0, s, k), rng.integers(0, 2, k), rng.integers(0, dur_us, k)


def noise_events(rng, s: int, dur_us: int, noise_hz: float, hot_pixels: tuple[int, int], hot_hz: tuple[float, float]):
    """Sensor noise over ``[0, dur_us)``, a list of event tuples.

    Background activity: Poisson at ``noise_hz`` per pixel, random polarity.
    Hot pixels: ``hot_pixels`` (min, max) of them at random places, each with
    its own rate drawn from ``hot_hz`` (Hz) and one fixed polarity.
    """
    parts = [_poisson(rng, s * s, noise_hz, dur_us, s)]
    for _ in range(int(rng.integers(hot_pixels[0], hot_pixels[1] + 1))):
        hx, hy, hp = (int(v) for v in rng.integers(0, (s, s, 2)))
        t = _poisson(rng, 1, rng.uniform(*hot_hz), dur_us, s)[3]
        parts.append((np.full(t.size, hx), np.full(t.size, hy), np.full(t.size, hp), t))
    return parts
