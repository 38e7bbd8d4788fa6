"""Readers of the AEDAT formats of the IBM DVS128 Gesture and CIFAR10-DVS releases.

AEDAT 3.1 (DVS128 Gesture, ``userXX_<lighting>.aedat``): ASCII header lines
starting with ``#`` (first ``#!AER-DAT3.1``, last ``#!END-HEADER``), then
packets. Each packet has a 28-byte little-endian header (eventType int16,
eventSource int16, eventSize int32, eventTSOffset int32, eventTSOverflow
int32, eventCapacity int32, eventNumber int32, eventValid int32) followed by
``eventCapacity * eventSize`` bytes. Polarity packets (type 1, size 8) hold
uint32 data (bit 0 valid, bit 1 polarity, bits 2-16 y, bits 17-31 x) and an
int32 timestamp; the full timestamp is ``(eventTSOverflow << 31) | ts``.

AEDAT 2.0 (jAER, CIFAR10-DVS ``.aedat``): ``#`` header lines (first
``#!AER-DAT2.0``), then big-endian (uint32 address, uint32 timestamp) pairs
with the DVS128 address layout ``x = (a >> 1) & 0x7F, y = (a >> 8) & 0x7F,
p = a & 1``.
"""

from __future__ import annotations

import os
import struct

import numpy as np

from ...errors import DataFormatError
from ..events import EVENT_DTYPE, validate_events
from .atis import read_bytes

DVS128_SENSOR_SIZE = (128, 128, 2)
PACKET_HEADER = struct.Struct("<hhiiiiii")
POLARITY_EVENT = 1
_END_HEADER = b"#!END-HEADER"


def _split_header(data: bytes, version: bytes, source, require_end: bool) -> int:
    """Check the ``#`` header and return the offset of the first binary byte.

    The first line must be ``#!AER-DAT<version>``. The header ends at
    ``#!END-HEADER`` or, when ``require_end`` is false, at the first line
    that does not start with ``#``.
    """
    expected = b"#!AER-DAT" + version
    nl = data.find(b"\n", 0, 256)
    first = data[: nl if nl >= 0 else 64].rstrip(b"\r")
    if not data.startswith(b"#"):
        raise DataFormatError(source, f"missing AEDAT header: expected first line {expected.decode()!r}")
    if first.strip() != expected:
        raise DataFormatError(
            source, f"wrong AEDAT version line {first[:60]!r}: expected {expected.decode()!r}"
        )
    pos = 0
    while pos < len(data) and data[pos : pos + 1] == b"#":
        nl = data.find(b"\n", pos)
        if nl < 0:
            raise DataFormatError(source, f"header line at byte {pos} is not terminated: expected '\\r\\n'")
        line, pos = data[pos:nl], nl + 1
        if line.rstrip(b"\r") == _END_HEADER:
            return pos
    if require_end:
        raise DataFormatError(source, f"header has no {_END_HEADER.decode()!r} line: expected one before the data")
    return pos


def decode_aedat3(
    data: bytes, sensor_size: tuple[int, int, int] = DVS128_SENSOR_SIZE, source: str | None = None
) -> np.ndarray:
    """Decode AEDAT 3.1 bytes into a validated event array (valid polarity events only).

    Returns an EVENT_DTYPE array of shape ``(n,)``, ``t`` in microseconds
    (the raw timestamps, not re-based), ``x``/``y`` as stored (no flips).
    Non-polarity packets and events with the valid bit cleared are skipped.
    Raises DataFormatError naming ``source`` for a wrong header, a packet
    cut short or with impossible sizes, a polarity packet whose layout is not
    (size 8, timestamp offset 4), no valid polarity event, coordinates outside
    ``sensor_size`` or timestamps that go backwards.
    """
    pos = _split_header(data, b"3.1", source, require_end=True)
    n = len(data)
    packets: list[tuple[int, int, int]] = []  # (offset, number of events, overflow)
    # Every iteration consumes at least the 28-byte header, so the loop ends
    # after at most len(data) / 28 packets whatever the header fields claim.
    while pos < n:
        if n - pos < PACKET_HEADER.size:
            raise DataFormatError(
                source,
                f"truncated packet header at byte {pos}: {n - pos} bytes left, expected {PACKET_HEADER.size}",
            )
        etype, _src, esize, tsoff, tsovf, cap, num, _valid = PACKET_HEADER.unpack_from(data, pos)
        if min(esize, cap, num, tsovf) < 0:
            raise DataFormatError(
                source,
                f"packet at byte {pos} has negative fields (eventSize={esize}, eventCapacity={cap}, "
                f"eventNumber={num}, eventTSOverflow={tsovf}): expected non-negative values",
            )
        body = pos + PACKET_HEADER.size
        length = esize * cap
        if length > n - body:
            raise DataFormatError(
                source,
                f"truncated packet at byte {pos}: header claims {cap} x {esize} = {length} bytes, "
                f"only {n - body} remain",
            )
        if etype == POLARITY_EVENT:
            if esize != 8 or tsoff != 4:
                raise DataFormatError(
                    source,
                    f"polarity packet at byte {pos} has eventSize={esize}, eventTSOffset={tsoff}: "
                    "expected eventSize=8, eventTSOffset=4",
                )
            if num > cap:
                raise DataFormatError(
                    source, f"packet at byte {pos} has eventNumber={num} > eventCapacity={cap}: expected <="
                )
            if num:
                packets.append((body, num, tsovf))
        pos = body + length
    if not packets:
        raise DataFormatError(source, "empty event stream: no polarity events; expected at least one")
    words = np.concatenate([np.frombuffer(data, "<u4", 2 * k, off) for off, k, _ in packets]).reshape(-1, 2)
    overflow = np.repeat(np.array([o for _, _, o in packets], dtype=np.int64), [k for _, k, _ in packets])
    addr = words[:, 0]
    ts = words[:, 1].view(np.int32)
    if ts.size and int(ts.min()) < 0:
        i = int(np.argmin(ts))
        raise DataFormatError(source, f"event {i} has negative timestamp {int(ts[i])}: expected int32 >= 0")
    valid = (addr & 1).astype(bool)
    addr, ts, overflow = addr[valid], ts[valid], overflow[valid]
    events = np.empty(addr.size, dtype=EVENT_DTYPE)
    events["x"] = (addr >> 17) & 0x7FFF
    events["y"] = (addr >> 2) & 0x7FFF
    events["p"] = (addr >> 1) & 1
    events["t"] = (overflow << 31) | ts.astype(np.int64)
    return validate_events(events, sensor_size, source=source)


def read_aedat3(path: str | os.PathLike, sensor_size: tuple[int, int, int] = DVS128_SENSOR_SIZE) -> np.ndarray:
    """Read an AEDAT 3.1 file (DVS128 Gesture); see decode_aedat3 for the promise."""
    return decode_aedat3(read_bytes(path), sensor_size, source=os.fspath(path))


# jAER timestamps are uint32 microseconds and wrap after ~71.6 minutes.
_WRAP = 2**32
# Consecutive events further apart than this (~17.9 minutes) are taken as a corrupt timestamp.
_MAX_STEP = 2**30


def _unwrap_uint32(ts: np.ndarray, source) -> np.ndarray:
    """Unwrap 32-bit wrap-arounds, and only those.

    A wrap is a step back from the top ``_MAX_STEP`` us of the 32-bit range to its
    bottom ``_MAX_STEP`` us, after a stream that got there step by step: every
    step between consecutive events (after unwrapping) lies in ``[0, _MAX_STEP]``.
    Anything else, e.g. one corrupt timestamp near 2**32 in a stream of small
    ones (a forward jump of hours, then "a wrap"), raises DataFormatError, so a
    corrupt word never shifts every later event by 2**32.
    """
    if ts.size < 2:
        return ts
    d = np.diff(ts)
    wraps = (d < -(_WRAP // 2)) & (ts[:-1] >= _WRAP - _MAX_STEP) & (ts[1:] < _MAX_STEP)
    step = d + wraps * _WRAP
    bad = np.flatnonzero(step > _MAX_STEP)
    if bad.size:
        i = int(bad[0])
        raise DataFormatError(source, f"timestamp jumps from {int(ts[i])} us to {int(ts[i + 1])} us at event {i + 1} "
                              f"(more than {_MAX_STEP} us forward): a corrupt timestamp, not a recording")
    if wraps.any():
        ts = ts + np.concatenate(([0], np.cumsum(wraps, dtype=np.int64))) * _WRAP
    return ts  # steps back that are not wraps stay, and validate_events reports them


def decode_aedat2(data: bytes, orientation: str = "spikingjelly", source: str | None = None) -> np.ndarray:
    """Decode jAER AEDAT 2.0 bytes of a DVS128 (CIFAR10-DVS) into a validated event array.

    Returns an EVENT_DTYPE array of shape ``(n,)`` on a 128x128x2 sensor,
    ``t`` in microseconds (raw jAER timestamps; a 32-bit wrap-around is
    unwrapped where the data show one, see ``_unwrap_uint32``).

    ``orientation="spikingjelly"`` (default) applies the convention of
    spikingjelly's ``cifar10_dvs.load_origin_data``, the loader most CIFAR10-DVS
    results use: ``x = 127 - ((a >> 8) & 0x7F)``, ``y = 127 - ((a >> 1) & 0x7F)``,
    ``p = 1 - (a & 1)`` (axes swapped and both flipped, polarity inverted), so
    images appear upright. ``orientation="raw"`` gives the plain DVS128 fields
    ``x = (a >> 1) & 0x7F``, ``y = (a >> 8) & 0x7F``, ``p = a & 1``.

    Addresses with bit 15 set are jAER special (external) events and are
    dropped; an address with any of bits 16-31 set is not a DVS128 address and
    raises DataFormatError, as do a wrong header, a byte count that is not a
    whole number of (address, timestamp) pairs, an empty stream and timestamps
    that go backwards.
    """
    if orientation not in ("spikingjelly", "raw"):
        raise ValueError(f"orientation={orientation!r}: expected 'spikingjelly' or 'raw'")
    pos = _split_header(data, b"2.0", source, require_end=False)
    body = len(data) - pos
    if body % 4:
        raise DataFormatError(
            source, f"truncated AEDAT 2.0 data: {body} bytes is not a whole number of 4-byte words"
        )
    if body % 8:
        raise DataFormatError(
            source,
            f"odd number of 32-bit words ({body // 4}) in AEDAT 2.0 data: expected (address, timestamp) pairs",
        )
    words = np.frombuffer(data, ">u4", body // 4, pos).reshape(-1, 2)
    addr, ts = words[:, 0], words[:, 1].astype(np.int64)
    high = addr >> 16
    if high.any():
        i = int(np.flatnonzero(high)[0])
        raise DataFormatError(
            source, f"event {i} has address 0x{int(addr[i]):08x}: expected a DVS128 address (bits 0-15 only)"
        )
    keep = (addr & 0x8000) == 0
    addr, ts = addr[keep], ts[keep]
    ts = _unwrap_uint32(ts, source)
    a = addr.astype(np.int64)
    col, row, pol = (a >> 1) & 0x7F, (a >> 8) & 0x7F, a & 1
    events = np.empty(a.size, dtype=EVENT_DTYPE)
    if orientation == "spikingjelly":
        events["x"], events["y"], events["p"] = 127 - row, 127 - col, 1 - pol
    else:
        events["x"], events["y"], events["p"] = col, row, pol
    events["t"] = ts
    return validate_events(events, DVS128_SENSOR_SIZE, source=source)


def read_aedat2(path: str | os.PathLike, orientation: str = "spikingjelly") -> np.ndarray:
    """Read a jAER AEDAT 2.0 DVS128 file (CIFAR10-DVS); see decode_aedat2 for the promise."""
    return decode_aedat2(read_bytes(path), orientation, source=os.fspath(path))
