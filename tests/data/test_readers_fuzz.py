"""Fuzzing the binary decoders: any bytes give a valid event array or DataFormatError.

Random bytes (bare and behind a valid header), mutated valid files, and
packets with arbitrary header fields. ``deadline`` catches a decoder that
hangs or goes quadratic.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from razor_lava.data.events import EVENT_DTYPE, validate_events
from razor_lava.data.readers import (
    DVS128_SENSOR_SIZE,
    NCALTECH101_SENSOR_SIZE,
    NMNIST_SENSOR_SIZE,
    decode_aedat2,
    decode_aedat3,
    decode_atis,
)
from razor_lava.errors import DataFormatError

try:
    from .writers import AEDAT2_HEADER, AEDAT3_HEADER, aedat2_bytes, aedat3_bytes, aedat3_packet, atis_bytes
except ImportError:  # tests/ is not a package: pytest put this folder on sys.path
    from writers import AEDAT2_HEADER, AEDAT3_HEADER, aedat2_bytes, aedat3_bytes, aedat3_packet, atis_bytes

FUZZ = settings(
    max_examples=200,
    deadline=timedelta(milliseconds=1000),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check(decode, data: bytes, expect_sensor, **kwargs) -> None:
    """The promise of every decoder: a valid EVENT_DTYPE array, or DataFormatError."""
    try:
        events = decode(data, source="fuzz.bin", **kwargs)
    except DataFormatError as e:
        assert "fuzz.bin" in str(e)
        return
    assert events.dtype == EVENT_DTYPE and events.ndim == 1
    validate_events(events, expect_sensor, source="fuzz.bin")


@st.composite
def mutated(draw, valid: bytes, keep: int = 0):
    """``valid`` with random byte edits (flip, delete, insert, overwrite) and a possible truncation.

    The first ``keep`` bytes (the header) are left alone when asked, so that
    mutations reach the binary part.
    """
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 8))):
        if len(data) <= keep:
            break
        i = draw(st.integers(keep, len(data) - 1))
        op = draw(st.sampled_from(["flip", "delete", "insert", "set"]))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "delete":
            del data[i]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=9))
        else:
            data[i] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def _valid_atis() -> bytes:
    rng = np.random.default_rng(1)
    n = 40
    t = np.sort(rng.integers(0, 2**23, n))
    y = rng.integers(0, 34, n)
    y[[5, 20]] = 240  # overflow markers
    return atis_bytes(rng.integers(0, 34, n), y, rng.integers(0, 2, n), t)


def _valid_aedat3() -> bytes:
    rng = np.random.default_rng(2)
    packets = [
        aedat3_packet(*(rng.integers(0, 128, 8) for _ in range(2)), rng.integers(0, 2, 8), np.arange(8) * 7 + k * 100,
                      overflow=k // 2)  # fmt: skip
        for k in range(3)
    ]
    packets.insert(1, aedat3_packet(etype=2, esize=12, number=2, payload=bytes(24)))
    return aedat3_bytes(*packets)


def _valid_aedat2() -> bytes:
    rng = np.random.default_rng(3)
    addr = rng.integers(0, 2**15, 30)
    return aedat2_bytes(addr, np.sort(rng.integers(0, 2**32, 30)))


HEADER3 = b"".join(AEDAT3_HEADER)
HEADER2 = b"".join(AEDAT2_HEADER)


# ----------------------------------------------------------------------------- ATIS


@FUZZ
@given(st.binary(max_size=600), st.sampled_from([NMNIST_SENSOR_SIZE, NCALTECH101_SENSOR_SIZE]))
def test_atis_random_bytes(data, sensor_size):
    check(decode_atis, data, sensor_size, sensor_size=sensor_size)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40) | st.just(240), st.integers(0, 1),
                          st.integers(0, 2**23 - 1)), max_size=30), st.booleans())  # fmt: skip
def test_atis_random_records(records, sort):
    # Whole records, mostly inside the sensor, so that decoding gets past the length check.
    records = sorted(records, key=lambda r: r[3]) if sort else records
    check(decode_atis, atis_bytes(*np.array(records, dtype=np.int64).reshape(-1, 4).T), NMNIST_SENSOR_SIZE,
          sensor_size=NMNIST_SENSOR_SIZE)  # fmt: skip


@FUZZ
@given(mutated(_valid_atis()))
def test_atis_mutated(data):
    check(decode_atis, data, NMNIST_SENSOR_SIZE, sensor_size=NMNIST_SENSOR_SIZE)


# ----------------------------------------------------------------------------- AEDAT 3.1


@FUZZ
@given(st.binary(max_size=400), st.booleans())
def test_aedat3_random_bytes(data, with_header):
    check(decode_aedat3, (HEADER3 if with_header else b"") + data, DVS128_SENSOR_SIZE)


@FUZZ
@given(st.one_of(mutated(_valid_aedat3()), mutated(_valid_aedat3(), keep=len(HEADER3))))
def test_aedat3_mutated(data):
    check(decode_aedat3, data, DVS128_SENSOR_SIZE)


int32 = st.one_of(st.integers(-(2**31), 2**31 - 1), st.integers(-2, 16))


@FUZZ
@given(st.lists(st.tuples(st.integers(-(2**15), 2**15 - 1) | st.just(1), int32, int32, int32, int32, int32,
                          st.binary(max_size=64)), max_size=6))  # fmt: skip
def test_aedat3_arbitrary_packet_headers(packets):
    # Huge capacities, eventSize 0 or negative, eventNumber > capacity: bounded, never a hang.
    body = b"".join(
        aedat3_packet(etype=e, esize=s, tsoffset=o, overflow=v, capacity=c, number=n, payload=p)
        for e, s, o, v, c, n, p in packets
    )
    check(decode_aedat3, HEADER3 + body, DVS128_SENSOR_SIZE)


@st.composite
def polarity_packet(draw):
    n = draw(st.integers(0, 8))
    ints = lambda lo, hi: st.lists(st.integers(lo, hi), min_size=n, max_size=n)  # noqa: E731
    x, y, p, valid = draw(ints(0, 140)), draw(ints(0, 140)), draw(ints(0, 1)), draw(ints(0, 1))
    ts = sorted(draw(ints(-3, 2**31 - 1)))
    return aedat3_packet(x, y, p, ts, valid=valid, overflow=draw(st.integers(0, 3)))


@FUZZ
@given(st.lists(polarity_packet(), max_size=5))
def test_aedat3_random_polarity_packets(packets):
    check(decode_aedat3, HEADER3 + b"".join(packets), DVS128_SENSOR_SIZE)


# ----------------------------------------------------------------------------- AEDAT 2.0


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 2**16) | st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
                max_size=20), st.booleans())  # fmt: skip
def test_aedat2_random_words(pairs, sort):
    pairs = sorted(pairs, key=lambda r: r[1]) if sort else pairs
    addr, ts = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
    check(decode_aedat2, aedat2_bytes(addr, ts), DVS128_SENSOR_SIZE)


@FUZZ
@given(st.binary(max_size=400), st.booleans(), st.sampled_from(["spikingjelly", "raw"]))
def test_aedat2_random_bytes(data, with_header, orientation):
    check(decode_aedat2, (HEADER2 if with_header else b"") + data, DVS128_SENSOR_SIZE, orientation=orientation)


@FUZZ
@given(st.one_of(mutated(_valid_aedat2()), mutated(_valid_aedat2(), keep=len(HEADER2))))
def test_aedat2_mutated(data):
    check(decode_aedat2, data, DVS128_SENSOR_SIZE)
