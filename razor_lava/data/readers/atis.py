"""Reader of the ATIS ``.bin`` format of N-MNIST and N-Caltech101 (Orchard et al. 2015).

Each event is 5 bytes, big-endian bit fields::

    byte 0        x (uint8)
    byte 1        y (uint8)
    byte 2 bit 7  polarity (1 = ON)
    byte 2 bits 6-0, byte 3, byte 4   23-bit timestamp in microseconds

An event with ``y == 240`` is not an event but a timestamp-overflow marker.
Orchard's reference reader (``eventvision.py``, copied by tonic and
spikingjelly) adds ``2**13`` us to the marker and every later event, then
drops the marker. We reproduce that exactly, although a 23-bit field would
suggest ``2**23``: the point is to give the same events as the reference
reader. The real N-MNIST subset beside this project holds no markers.
"""

from __future__ import annotations

import os

import numpy as np

from ...errors import DataFormatError
from ..events import EVENT_DTYPE, validate_events

BYTES_PER_EVENT = 5
OVERFLOW_Y = 240
OVERFLOW_INCREMENT_US = 2**13

NMNIST_SENSOR_SIZE = (34, 34, 2)
# N-Caltech101 recordings are crops of the 304x240 ATIS array whose extent
# varies per image: Orchard scaled each Caltech101 image to fit 240x180.
# spikingjelly (NCaltech101.get_H_W -> (180, 240)) and most loaders use
# 240x180; tonic's first N-Caltech101 loader reported the observed extent
# (233, 173), which fits inside it.
NCALTECH101_SENSOR_SIZE = (240, 180, 2)


def read_bytes(path: str | os.PathLike) -> bytes:
    """Return the whole content of ``path``.

    Raises FileNotFoundError (naming the path) when it does not exist and
    DataFormatError for any other reason it cannot be read (a directory, ...).
    """
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError as e:
        raise FileNotFoundError(e.errno, f"no such file: {os.fspath(path)}", os.fspath(path)) from None
    except OSError as e:
        raise DataFormatError(path, f"cannot be read ({e.strerror or e}); expected a readable file") from None


def decode_atis(data: bytes, sensor_size: tuple[int, int, int], source: str | None = None) -> np.ndarray:
    """Decode the bytes of an ATIS ``.bin`` file into a validated event array.

    Returns an EVENT_DTYPE array of shape ``(n,)`` (``t`` in microseconds,
    sorted) where ``n`` is the number of 5-byte records minus the overflow
    markers. Raises DataFormatError naming ``source`` when the length is not
    a multiple of 5, the stream is empty, an event lies outside
    ``sensor_size`` (W, H, P) or timestamps go backwards.
    """
    if len(data) % BYTES_PER_EVENT:
        raise DataFormatError(
            source,
            f"truncated ATIS stream: {len(data)} bytes is not a multiple of {BYTES_PER_EVENT}; "
            f"expected 5-byte events (x, y, polarity + 23-bit timestamp)",
        )
    raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, BYTES_PER_EVENT)
    y = raw[:, 1]
    b2 = raw[:, 2].astype(np.int64)
    t = ((b2 & 0x7F) << 16) | (raw[:, 3].astype(np.int64) << 8) | raw[:, 4]
    marker = y == OVERFLOW_Y
    if marker.any():
        # Vectorised form of the reference loop `ts[i:] += 2**13` per marker i.
        t = t + np.cumsum(marker, dtype=np.int64) * OVERFLOW_INCREMENT_US
        keep = ~marker
        raw, t, b2 = raw[keep], t[keep], b2[keep]
    events = np.empty(raw.shape[0], dtype=EVENT_DTYPE)
    events["x"] = raw[:, 0]
    events["y"] = raw[:, 1]
    events["p"] = b2 >> 7
    events["t"] = t
    return validate_events(events, sensor_size, source=source)


def read_atis(path: str | os.PathLike, sensor_size: tuple[int, int, int]) -> np.ndarray:
    """Read an ATIS ``.bin``/``.bs2`` file; see decode_atis for the promise."""
    return decode_atis(read_bytes(path), sensor_size, source=os.fspath(path))


def read_nmnist(path: str | os.PathLike) -> np.ndarray:
    """Read one N-MNIST sample (``.bin`` or the subset's ``.bs2``), sensor 34x34x2."""
    return read_atis(path, NMNIST_SENSOR_SIZE)


def read_ncaltech101(path: str | os.PathLike) -> np.ndarray:
    """Read one N-Caltech101 sample (``image_XXXX.bin``), sensor 240x180x2."""
    return read_atis(path, NCALTECH101_SENSOR_SIZE)
