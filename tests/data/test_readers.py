"""Readers of the release formats: exact round trips on files written here, and bad inputs."""

from __future__ import annotations

import pickle
import re
import shutil

import numpy as np
import pytest

from razor_lava.data.events import EVENT_DTYPE
from razor_lava.data.readers import (
    SHD_CLASS_NAMES,
    SHDFile,
    read_aedat2,
    read_aedat3,
    read_atis,
    read_ncaltech101,
    read_nmnist,
)
from razor_lava.data.datasets import NMNIST, SHD, CIFAR10DVS, DVSGesture, NCaltech101
from razor_lava.errors import DataFormatError, DatasetLayoutError

try:
    from .writers import aedat2_bytes, aedat3_bytes, aedat3_packet, atis_bytes, dvs128_address, write, write_shd
except ImportError:  # tests/ is not a package: pytest put this folder on sys.path
    from writers import aedat2_bytes, aedat3_bytes, aedat3_packet, atis_bytes, dvs128_address, write, write_shd

RNG = np.random.default_rng(0)


def assert_events(ev, x, y, p, t):
    assert ev.dtype == EVENT_DTYPE
    for field, want in zip("xypt", (x, y, p, t)):
        np.testing.assert_array_equal(ev[field], np.asarray(want), err_msg=field)


def raises_naming(path, match=None):
    """DataFormatError whose message names ``path`` (and matches ``match``)."""
    return pytest.raises(DataFormatError, match=re.escape(str(path)) + ".*" + (match or ""))


def random_events(n, w, h, t_max=2**23):
    x, y, p = RNG.integers(0, w, n), RNG.integers(0, h, n), RNG.integers(0, 2, n)
    return x, y, p, np.sort(RNG.integers(0, t_max, n))


# ----------------------------------------------------------------------------- ATIS


@pytest.mark.parametrize("reader,w,h", [(read_nmnist, 34, 34), (read_ncaltech101, 240, 180)])
def test_atis_round_trip(tmp_path, reader, w, h):
    x, y, p, t = random_events(1000, w, h)
    path = write(tmp_path / "a.bin", atis_bytes(x, y, p, t))
    assert_events(reader(path), x, y, p, t)


def test_atis_overflow_markers_as_orchard(tmp_path):
    # Records as in a file: markers (y == 240) interleaved with events.
    x = np.array([1, 0, 2, 3, 0, 0, 4])
    y = np.array([5, 240, 6, 7, 240, 240, 8])
    p = np.array([1, 0, 0, 1, 0, 0, 1])
    ts = np.array([8000, 0, 100, 8100, 0, 0, 50])
    # Orchard's eventvision.py loop: every marker adds 2**13 to itself and all later records.
    ref = ts.copy()
    for i in np.flatnonzero(y == 240):
        ref[i:] += 2**13
    keep = y != 240
    ev = read_nmnist(write(tmp_path / "o.bin", atis_bytes(x, y, p, ts)))
    assert_events(ev, x[keep], y[keep], p[keep], ref[keep])
    assert ev["t"].tolist() == [8000, 8192 + 100, 8192 + 8100, 3 * 8192 + 50]


@pytest.mark.parametrize(
    "records,match",
    [
        (([1], [2], [0], [5]), None),  # truncated below
        (([34], [0], [0], [5]), "x=34, outside the sensor"),
        (([0], [34], [0], [5]), "y=34, outside the sensor"),
        (([], [], [], []), "empty"),
        (([0, 1], [0, 1], [0, 0], [9, 8]), "backwards"),
        (([0], [240], [0], [0]), "empty"),  # only an overflow marker
    ],
)
def test_atis_bad_input(tmp_path, records, match):
    data = atis_bytes(*records)
    path = write(tmp_path / "bad.bin", data[:-1] if match is None else data)
    with raises_naming(path, match or "multiple of 5"):
        read_nmnist(path)


def test_atis_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.bin"):
        read_atis(tmp_path / "nope.bin", (34, 34, 2))
    with raises_naming(tmp_path, "cannot be read"):
        read_atis(tmp_path, (34, 34, 2))


# ----------------------------------------------------------------------------- AEDAT 3.1


def test_aedat3_round_trip(tmp_path):
    x1, y1, p1, t1 = random_events(300, 128, 128, t_max=2**31 - 1)
    valid = RNG.integers(0, 2, 300)
    valid[0] = 1
    x2, y2, p2, t2 = random_events(200, 128, 128, t_max=2**20)
    frame = aedat3_packet(etype=2, esize=12, number=3, payload=bytes(36))  # non-polarity: skipped
    data = aedat3_bytes(
        aedat3_packet(x1, y1, p1, t1, valid=valid), frame, aedat3_packet(x2, y2, p2, t2, overflow=1),
        aedat3_packet(),  # an empty polarity packet
    )
    ev = read_aedat3(write(tmp_path / "user01_led.aedat", data))
    k = valid == 1
    t_all = np.concatenate([t1[k], t2 + 2**31])
    assert_events(ev, np.r_[x1[k], x2], np.r_[y1[k], y2], np.r_[p1[k], p2], t_all)


def _aedat3_valid():
    x, y, p, t = random_events(50, 128, 128, t_max=10_000)
    return aedat3_bytes(aedat3_packet(x, y, p, t))


AEDAT3_CASES = [
    (_aedat3_valid()[:-3], "truncated packet at byte"),
    (_aedat3_valid() + bytes(10), "truncated packet header"),
    (_aedat3_valid()[len(b"#!AER-DAT3.1\r\n"):], "wrong AEDAT version"),
    (b"\x01\x00" + _aedat3_valid()[2:], "missing AEDAT header"),
    (aedat3_bytes(header=(b"#!AER-DAT2.0\r\n", b"#!END-HEADER\r\n")), "expected '#!AER-DAT3.1'"),
    (b"#!AER-DAT3.1\r\n#Format: RAW\r\n", "no '#!END-HEADER'"),
    (aedat3_bytes(aedat3_packet([200], [3], [1], [5])), "x=200, outside the sensor"),
    (aedat3_bytes(aedat3_packet([2], [130], [1], [5])), "y=130, outside the sensor"),
    (aedat3_bytes(), "empty"),
    (aedat3_bytes(aedat3_packet([1], [1], [1], [5], valid=[0])), "empty"),
    (aedat3_bytes(aedat3_packet([1, 2], [1, 2], [1, 0], [9, 8])), "backwards"),
    (aedat3_bytes(aedat3_packet([1], [1], [1], [-5])), "negative timestamp"),
    (aedat3_bytes(aedat3_packet([1], [1], [1], [5], capacity=2**31 - 1)), "truncated packet"),
    (aedat3_bytes(aedat3_packet(esize=12, number=1, payload=bytes(12))), "expected eventSize=8"),
    (aedat3_bytes(aedat3_packet([1], [1], [1], [5], capacity=1, number=2)), "eventNumber=2 > eventCapacity"),
    (aedat3_bytes(aedat3_packet(etype=7, esize=0, capacity=2**31 - 1, payload=b"")), "empty"),
    (aedat3_bytes(aedat3_packet(etype=7, esize=-4, capacity=3, payload=b"")), "negative fields"),
]


@pytest.mark.parametrize("data,match", AEDAT3_CASES, ids=[m for _, m in AEDAT3_CASES])
def test_aedat3_bad_input(tmp_path, data, match):
    path = write(tmp_path / "bad.aedat", data)
    with raises_naming(path, match):
        read_aedat3(path)


# ----------------------------------------------------------------------------- AEDAT 2.0


@pytest.mark.parametrize("orientation", ["spikingjelly", "raw"])
def test_aedat2_round_trip(tmp_path, orientation):
    col, row, pol, t = random_events(500, 128, 128, t_max=2**32 - 1)
    addr = dvs128_address(col, row, pol)
    special = np.array([0x8000 | 3])  # a jAER special event: dropped
    data = aedat2_bytes(np.r_[addr[:10], special, addr[10:]], np.r_[t[:10], t[10], t[10:]])
    ev = read_aedat2(write(tmp_path / "cifar10_cat_0.aedat", data), orientation)
    if orientation == "spikingjelly":  # spikingjelly cifar10_dvs.load_origin_data
        assert_events(ev, 127 - row, 127 - col, 1 - pol, t)
    else:
        assert_events(ev, col, row, pol, t)


def test_aedat2_timestamp_wrap_is_unwrapped(tmp_path):
    addr = dvs128_address([1, 2, 3], [4, 5, 6], [0, 1, 0])
    ev = read_aedat2(write(tmp_path / "w.aedat", aedat2_bytes(addr, [2**32 - 10, 2**32 - 1, 5])), "raw")
    assert ev["t"].tolist() == [2**32 - 10, 2**32 - 1, 2**32 + 5]


def test_aedat2_a_corrupt_timestamp_is_not_taken_for_a_wrap(tmp_path):
    """One word near 2**32 among small timestamps: the old rule unwrapped it and shifted every later event."""
    addr = dvs128_address([1, 2, 3, 4], [4, 5, 6, 7], [0, 1, 0, 1])
    with pytest.raises(DataFormatError, match=r"jumps from 1000 us to 4294967000 us at event 1 .*corrupt"):
        read_aedat2(write(tmp_path / "c.aedat", aedat2_bytes(addr, [1000, 2**32 - 296, 1100, 1200])), "raw")
    # a step back that is no wrap (not from the top of the range to its bottom) is a backwards timestamp
    with pytest.raises(DataFormatError, match="timestamps go backwards"):
        read_aedat2(write(tmp_path / "b.aedat", aedat2_bytes(addr, [2**31 + 10, 2**31 + 20, 5, 6])), "raw")


def _aedat2_valid():
    return aedat2_bytes(dvs128_address([1, 2], [3, 4], [0, 1]), [10, 20])


AEDAT2_CASES = [
    (_aedat2_valid()[:-4], "odd number of 32-bit words"),
    (_aedat2_valid()[:-1], "not a whole number of 4-byte words"),
    (aedat2_bytes([1], [2], header=(b"#!AER-DAT3.1\r\n",)), "expected '#!AER-DAT2.0'"),
    (aedat2_bytes([1], [2], header=()), "missing AEDAT header"),
    (aedat2_bytes([1 << 16], [2]), "expected a DVS128 address"),
    (aedat2_bytes([], []), "empty"),
    (aedat2_bytes([0x8001], [5]), "empty"),  # only a special event
    (aedat2_bytes([2, 4], [9, 8]), "backwards"),
]


@pytest.mark.parametrize("data,match", AEDAT2_CASES, ids=[m for _, m in AEDAT2_CASES])
def test_aedat2_bad_input(tmp_path, data, match):
    path = write(tmp_path / "bad.aedat", data)
    with raises_naming(path, match):
        read_aedat2(path)


# ----------------------------------------------------------------------------- SHD

SHD_TIMES = [np.array([0.001, 0.25, 0.5], np.float32), np.array([1.0 / 1024, 0.75], np.float32), np.array([0.0])]
SHD_UNITS = [np.array([3, 10, 699]), np.array([0, 1]), np.array([42])]


def test_shd_round_trip(tmp_path):
    path = write_shd(tmp_path / "shd_test.h5", SHD_TIMES, SHD_UNITS, [19, 0, 7], keys=[f"k{i}" for i in range(20)])
    with SHDFile(path) as f:
        assert len(f) == 3 and f.labels.tolist() == [19, 0, 7] and f.class_names[19] == "k19"
        for i in range(3):
            t = np.rint(SHD_TIMES[i].astype(np.float32).astype(np.float64) * 1e6).astype(np.int64)
            assert_events(f.read(i), SHD_UNITS[i], np.zeros(t.size), np.zeros(t.size), t)
        assert f.read(0)["t"].tolist() == [1000, 250000, 500000] and f.label(-1) == 7
        clone = pickle.loads(pickle.dumps(f))  # reopens lazily, e.g. in a DataLoader worker
        assert clone.read(1)["x"].tolist() == [0, 1]
        with pytest.raises(IndexError):
            f.read(3)


def test_shd_class_names_fallback(tmp_path):
    f = SHDFile(write_shd(tmp_path / "s.h5", SHD_TIMES, SHD_UNITS, [1, 2, 3]))
    assert f.class_names == SHD_CLASS_NAMES and len(SHD_CLASS_NAMES) == 20


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(skip=("labels",)), "missing dataset 'labels'"),
        (dict(skip=("spikes/times",)), "missing dataset 'spikes/times'"),
        (dict(labels=[20, 0, 1]), r"labels\[0\] = 20"),
        (dict(units=[np.array([700, 1, 2]), *SHD_UNITS[1:]]), "unit ids span"),
        (dict(times=[np.array([0.1, np.nan, 0.2]), *SHD_TIMES[1:]]), "not finite"),
        (dict(times=[np.array([0.1, -0.2, 0.2]), *SHD_TIMES[1:]]), "negative timestamp"),
        # the README's rule: times that go backwards raise, nothing is sorted silently
        (dict(times=[np.array([0.5, 0.001, 0.25]), *SHD_TIMES[1:]]), "timestamps go backwards at event 1"),
        (dict(times=[np.array([]), *SHD_TIMES[1:]], units=[np.array([]), *SHD_UNITS[1:]]), "empty"),
        (dict(times=[np.array([0.1, 0.2]), *SHD_TIMES[1:]]), "expected 1-D arrays of equal length"),
        (dict(labels=[1, 2]), "expected three 1-D datasets of equal length"),
    ],
)
def test_shd_bad_input(tmp_path, kwargs, match):
    args = dict(times=SHD_TIMES, units=SHD_UNITS, labels=[0, 1, 2], skip=())
    args.update(kwargs)
    path = write_shd(tmp_path / "shd_train.h5", **args)
    with raises_naming(path, match):
        SHDFile(path).read(0)


def test_shd_not_hdf5_and_missing(tmp_path):
    path = write(tmp_path / "shd_train.h5", b"definitely not HDF5")
    with raises_naming(path, "not a readable HDF5 file"):
        SHDFile(path)
    with pytest.raises(FileNotFoundError, match="absent.h5"):
        SHDFile(tmp_path / "absent.h5")


# ----------------------------------------------------------------------------- data sets


def _atis_file(path, n=20, w=34, h=34):
    return write(path, atis_bytes(*random_events(n, w, h)))


def test_nmnist_original_layout(tmp_path):
    for split, per_class in (("Train", 2), ("Test", 1)):
        for d in range(10):
            for k in (10, 2)[:per_class]:
                _atis_file(tmp_path / split / str(d) / f"{k}.bin")
    ds = NMNIST(tmp_path, "train", transform=lambda ev: ev[:5])
    assert ds.layout == "original" and len(ds) == 20 and ds.targets == sorted(list(range(10)) * 2)
    assert [p.name for p, _ in ds._items[:2]] == ["2.bin", "10.bin"]  # natural order
    events, label = ds[3]
    assert label == 1 and events.size == 5 and ds.sensor_size == (34, 34, 2)
    assert len(NMNIST(tmp_path, "test")) == 10
    shutil.rmtree(tmp_path / "Test" / "3")
    with pytest.raises(DatasetLayoutError, match=r"missing digit folders: Test/3/"):
        NMNIST(tmp_path, "test")


def _nmnist_subset(root, train=((1, 5), (2, 0)), test=((60001, 7),)):
    for name, rows in (("train1K.txt", train), ("test100.txt", test)):
        lines = ["#sample #class"] + [f"{i}\t{c}" for i, c in rows]
        (root / name).write_bytes(("\r\n".join(lines) + "\r\n").encode())
        for i, _ in rows:
            _atis_file(root / f"{i}.bs2")


def test_nmnist_subset_layout(tmp_path):
    _nmnist_subset(tmp_path)
    ds = NMNIST(tmp_path, "train")
    assert ds.layout == "subset" and ds.targets == [5, 0] and ds[0][0].dtype == EVENT_DTYPE
    assert NMNIST(tmp_path, "test").targets == [7]


@pytest.mark.parametrize(
    "mutate,error,match",
    [
        (lambda r: (r / "test100.txt").unlink(), DatasetLayoutError, "missing label file: test100.txt"),
        (lambda r: (r / "60001.bs2").unlink(), DatasetLayoutError, "missing sample files .*60001.bs2"),
        (lambda r: (r / "test100.txt").write_text("#sample #class\n60001 x\n"), DataFormatError, "line 2"),
        (lambda r: (r / "test100.txt").write_text("#sample #class\n60001\t12\n"), DataFormatError, "class 0-9"),
        (lambda r: (r / "test100.txt").write_text("#sample #class\n"), DataFormatError, "lists no samples"),
    ],
)
def test_nmnist_subset_bad_layout(tmp_path, mutate, error, match):
    _nmnist_subset(tmp_path)
    mutate(tmp_path)
    with pytest.raises(error, match=match) as info:
        NMNIST(tmp_path, "test")
    assert str(tmp_path) in str(info.value)


def test_nmnist_no_layout(tmp_path):
    with pytest.raises(DatasetLayoutError, match=r"Train/<digit>/\*.bin.*train1K.txt"):
        NMNIST(tmp_path)
    with pytest.raises(DatasetLayoutError, match="directory not found"):
        NMNIST(tmp_path / "absent")


def test_ncaltech101(tmp_path):
    for cat, n in (("accordion", 2), ("BACKGROUND_Google", 1), ("Faces_easy", 3)):
        for k in range(1, n + 1):
            _atis_file(tmp_path / cat / f"image_{k:04d}.bin", w=240, h=180)
    ds = NCaltech101(tmp_path)
    assert ds.classes == ("BACKGROUND_Google", "Faces_easy", "accordion") and ds.targets == [0, 1, 1, 1, 2, 2]
    sub = NCaltech101(tmp_path, indices=[5, 0])
    assert sub.targets == [2, 0] and sub[0][0].size == 20
    (tmp_path / "empty_cat").mkdir()
    with pytest.raises(DatasetLayoutError, match="'empty_cat/' holds no .bin files"):
        NCaltech101(tmp_path)


def test_cifar10dvs(tmp_path):
    addr = dvs128_address([1, 2], [3, 4], [0, 1])
    for c in CIFAR10DVS.classes:
        for k in (10, 9):
            write(tmp_path / c / f"cifar10_{c}_{k}.aedat", aedat2_bytes(addr, [k, k + 1]))
    ds = CIFAR10DVS(tmp_path)
    assert len(ds) == 20 and ds.targets[:4] == [0, 0, 1, 1] and ds.sensor_size == (128, 128, 2)
    events, label = ds[1]
    assert label == 0 and events["t"].tolist() == [10, 11] and events["x"].tolist() == [124, 123]
    assert CIFAR10DVS(tmp_path, indices=[19]).targets == [9]
    shutil.rmtree(tmp_path / "truck")
    with pytest.raises(DatasetLayoutError, match="missing class folders: truck/"):
        CIFAR10DVS(tmp_path)


def _gesture_root(root):
    t = np.arange(0, 10_000, 10)
    n = t.size
    data = aedat3_bytes(aedat3_packet(np.arange(n) % 128, np.arange(n) % 100, np.arange(n) % 2, t))
    for user in ("user01_led", "user02_natural"):
        write(root / f"{user}.aedat", data)
        (root / f"{user}_labels.csv").write_text("class,startTime_usec,endTime_usec\n1,1000,2000\n11,5005,6000\n")
    (root / "trials_to_train.txt").write_text("user01_led.aedat\nuser02_natural.aedat\n\n")
    (root / "trials_to_test.txt").write_text("user02_natural.aedat\n")


def test_dvs_gesture(tmp_path):
    _gesture_root(tmp_path)
    ds = DVSGesture(tmp_path, "train")
    assert len(ds) == 4 and ds.targets == [0, 10, 0, 10] and len(ds.classes) == 11
    events, label = ds[1]
    assert label == 10 and events["t"][0] == 5 and events["t"][-1] == 985 and events.size == 99
    assert ds[0][0]["t"].tolist() == list(range(0, 1000, 10))
    assert len(DVSGesture(tmp_path, "test")) == 2


@pytest.mark.parametrize(
    "mutate,error,match",
    [
        (lambda r: (r / "trials_to_test.txt").unlink(), DatasetLayoutError, "missing split list: trials_to_test.txt"),
        (lambda r: (r / "user02_natural_labels.csv").unlink(), DatasetLayoutError, "user02_natural_labels.csv"),
        (lambda r: (r / "user02_natural_labels.csv").write_text("a,b\n1,2,3\n"), DataFormatError, "header"),
        (lambda r: (r / "user02_natural_labels.csv").write_text("class,startTime_usec,endTime_usec\n12,1,2\n"),
         DataFormatError, "line 2 '12,1,2'"),  # fmt: skip
        (lambda r: (r / "user02_natural_labels.csv").write_text("class,startTime_usec,endTime_usec\n1,5,x\n"),
         DataFormatError, "class 1..11 and start < end"),  # fmt: skip
    ],
)
def test_dvs_gesture_bad_layout(tmp_path, mutate, error, match):
    _gesture_root(tmp_path)
    mutate(tmp_path)
    with pytest.raises(error, match=match) as info:
        DVSGesture(tmp_path, "test")
    assert str(tmp_path) in str(info.value)


def test_shd_dataset(tmp_path):
    write_shd(tmp_path / "shd_train.h5", SHD_TIMES, SHD_UNITS, [3, 4, 5])
    ds = SHD(tmp_path, "train", transform=lambda ev: ev[::-1])
    assert len(ds) == 3 and ds.targets == [3, 4, 5] and ds.sensor_size == (700, 1, 1)
    events, label = ds[0]
    assert label == 3 and events["t"].tolist() == [500000, 250000, 1000]
    with pytest.raises(DatasetLayoutError, match="missing HDF5 file: shd_test.h5"):
        SHD(tmp_path, "test")
