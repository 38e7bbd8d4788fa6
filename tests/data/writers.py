"""Writers of the release binary formats, for reader tests (written from the format specs)."""

from __future__ import annotations

import struct
from pathlib import Path

import h5py
import numpy as np

AEDAT3_HEADER = (b"#!AER-DAT3.1\r\n", b"#Format: RAW\r\n", b"#Source 1: DVS128\r\n", b"#!END-HEADER\r\n")
AEDAT2_HEADER = (
    b"#!AER-DAT2.0\r\n",
    b"# This is a raw AE data file - do not edit\r\n",
    b"# HardwareInterface: DVS128\r\n",
)


def atis_bytes(x, y, p, ts) -> bytes:
    """5-byte ATIS records; ``ts`` must fit 23 bits. Markers are records with y == 240."""
    x, y, p, ts = (np.asarray(v, dtype=np.int64) for v in (x, y, p, ts))
    assert ((0 <= ts) & (ts < 2**23)).all()
    raw = np.empty((x.size, 5), dtype=np.uint8)
    raw[:, 0], raw[:, 1] = x, y
    raw[:, 2] = (p << 7) | (ts >> 16)
    raw[:, 3] = (ts >> 8) & 0xFF
    raw[:, 4] = ts & 0xFF
    return raw.tobytes()


def aedat3_packet(x=(), y=(), p=(), ts=(), valid=None, overflow=0, etype=1, esize=8, tsoffset=4,
                  capacity=None, number=None, payload=None) -> bytes:  # fmt: skip
    """One AEDAT 3.1 packet: 28-byte header + polarity events (or ``payload`` bytes as given)."""
    x, y, p, ts = (np.asarray(v, dtype=np.int64) for v in (x, y, p, ts))
    valid = np.ones(x.size, dtype=np.int64) if valid is None else np.asarray(valid, dtype=np.int64)
    if payload is None:
        data = (x << 17) | (y << 2) | (p << 1) | valid
        payload = np.stack([data.astype("<u4"), ts.astype("<i4").view("<u4")], axis=1).tobytes()
    n = x.size if number is None else number
    cap = n if capacity is None else capacity
    header = struct.pack("<hhiiiiii", etype, 1, esize, tsoffset, overflow, cap, n, int(valid.sum()))
    return header + payload


def aedat3_bytes(*packets: bytes, header=AEDAT3_HEADER) -> bytes:
    return b"".join(header) + b"".join(packets)


def dvs128_address(col, row, pol):
    """jAER DVS128 address: bits 1-7 ``col``, bits 8-14 ``row``, bit 0 ``pol``."""
    return (np.asarray(row, np.int64) << 8) | (np.asarray(col, np.int64) << 1) | np.asarray(pol, np.int64)


def aedat2_bytes(addr, ts, header=AEDAT2_HEADER) -> bytes:
    words = np.stack([np.asarray(addr, np.int64), np.asarray(ts, np.int64)], axis=1).astype(">u4")
    return b"".join(header) + words.tobytes()


def write(path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_shd(path, times, units, labels, keys=None, skip=()) -> Path:
    """An SHD-layout HDF5 file; ``skip`` lists keys to leave out (for bad-input tests)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        if "spikes/times" not in skip:
            d = f.create_dataset("spikes/times", (len(times),), dtype=h5py.vlen_dtype(np.float32))
            for i, v in enumerate(times):
                d[i] = np.asarray(v, np.float32)
        if "spikes/units" not in skip:
            d = f.create_dataset("spikes/units", (len(units),), dtype=h5py.vlen_dtype(np.uint16))
            for i, v in enumerate(units):
                d[i] = np.asarray(v, np.uint16)
        if "labels" not in skip:
            f.create_dataset("labels", data=np.asarray(labels, np.uint16))
        if keys is not None:
            f.create_dataset("extra/keys", data=np.array([k.encode() for k in keys]))
    return path
