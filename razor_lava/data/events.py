"""Events: numpy structured arrays with fields ``x, y, p, t`` (tonic's currency).

``t`` is in microseconds (int64). ``x``/``y`` are pixel coordinates (for 1-D
data such as SHD, ``x`` is the channel and ``y`` is 0). ``p`` is the polarity,
0 (OFF) or 1 (ON); single-polarity sources use 0.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataFormatError

# Same field names and types as tonic's DVSGesture dtype, so arrays pass
# between tonic transforms and razor_lava unchanged.
EVENT_DTYPE = np.dtype([("x", np.int16), ("y", np.int16), ("p", np.int8), ("t", np.int64)])


def make_events(x, y, p, t) -> np.ndarray:
    """Build an event array from four equal-length sequences."""
    x = np.asarray(x)
    n = x.shape[0]
    for name, v in (("y", y), ("p", p), ("t", t)):
        if np.shape(v)[0] != n:
            raise ValueError(f"make_events: '{name}' has {np.shape(v)[0]} entries, 'x' has {n}")
    ev = np.empty(n, dtype=EVENT_DTYPE)
    ev["x"], ev["y"], ev["p"], ev["t"] = x, y, p, t
    return ev


def validate_events(
    events: np.ndarray,
    sensor_size: tuple[int, int, int],
    source: str | None = None,
    allow_empty: bool = False,
    require_sorted: bool = True,
) -> np.ndarray:
    """Check an event array against a sensor and return it unchanged.

    sensor_size is ``(width, height, polarities)`` as in tonic. Raises
    DataFormatError naming ``source`` for: wrong dtype fields, empty streams
    (unless allowed), coordinates or polarities outside the sensor, negative
    or non-monotonic timestamps.
    """
    names = getattr(events.dtype, "names", None) or ()
    missing = [f for f in ("x", "y", "p", "t") if f not in names]
    if missing:
        raise DataFormatError(source, f"event array lacks fields {missing}; expected fields x, y, p, t")
    if events.size == 0:
        if allow_empty:
            return events
        raise DataFormatError(source, "empty event stream: expected at least one event")
    w, h, npol = sensor_size
    for field, limit in (("x", w), ("y", h), ("p", npol)):
        v = events[field]
        lo, hi = int(v.min()), int(v.max())
        if lo < 0 or hi >= limit:
            bad = int(np.flatnonzero((v < 0) | (v >= limit))[0])
            raise DataFormatError(
                source,
                f"event {bad} has {field}={int(v[bad])}, outside the sensor: expected 0 <= {field} < {limit} "
                f"(sensor_size={tuple(sensor_size)})",
            )
    t = events["t"]
    if int(t.min()) < 0:
        raise DataFormatError(source, f"negative timestamp {int(t.min())} us: expected t >= 0")
    if require_sorted and t.size > 1:
        dec = np.flatnonzero(np.diff(t) < 0)
        if dec.size:
            i = int(dec[0])
            raise DataFormatError(
                source,
                f"timestamps go backwards at event {i + 1} ({int(t[i])} us -> {int(t[i + 1])} us): "
                "expected non-decreasing timestamps",
            )
    return events
