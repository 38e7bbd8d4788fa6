"""The embedded synthetic gesture data set: determinism, validity, the idle
stretches a pruner should find, and that each class moves the way its name says."""

from __future__ import annotations

import numpy as np
import pytest

from razor_lava.data.events import EVENT_DTYPE, validate_events
from razor_lava.data.synthetic import (
    CLASSES,
    GestureParams,
    SyntheticGestures,
    default_frame_spec,
    generate_sample,
    main,
)
from razor_lava.errors import ConfigError
from razor_lava.plots import plot_class_frames

WINDOW_MS, N_FRAMES = 10.0, 30
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def train():
    """The first 200 training samples, materialised once: (data set, [(events, label, intervals)])."""
    ds = SyntheticGestures("train", n_samples=200)
    return ds, [ds.sample(i) for i in range(len(ds))]


def _same(a, b) -> bool:
    return a[1] == b[1] and np.array_equal(a[0], b[0])


def _per_frame(events: np.ndarray):
    """Per frame of WINDOW_MS: event count, centroid x, centroid y, mean distance to the centroid (px)."""
    k = (events["t"] // int(WINDOW_MS * 1000)).astype(np.int64)
    x, y = events["x"].astype(float), events["y"].astype(float)
    n = np.bincount(k, minlength=N_FRAMES)
    safe = np.maximum(n, 1)
    cx = np.bincount(k, x, N_FRAMES) / safe
    cy = np.bincount(k, y, N_FRAMES) / safe
    r = np.bincount(k, np.hypot(x - cx[k], y - cy[k]), N_FRAMES) / safe
    return n, cx, cy, r


def _slope(v: np.ndarray) -> float:
    return float(np.polyfit(np.arange(v.size), v, 1)[0])


def _of_class(train, name: str):
    ds, samples = train
    label = CLASSES.index(name)
    return [(i, ev) for i, (ev, lab, _) in enumerate(samples) if lab == label]


# --- determinism ---------------------------------------------------------------


def test_same_seed_gives_same_events(train):
    ds, samples = train
    again = SyntheticGestures("train", n_samples=200)
    for i in (0, 7, 123):
        assert _same(again[i], samples[i][:2])


def test_sample_depends_only_on_seed_split_and_index(train):
    ds, samples = train
    backwards = SyntheticGestures("train", n_samples=1000)
    for i in (150, 42, 3):  # out of order, from a split of another size
        assert _same(backwards[i], samples[i][:2])
    # The class is a thin wrapper over the pure function.
    ev, intervals = generate_sample(np.random.default_rng([0, 0, 42]), samples[42][1], ds.params)
    assert np.array_equal(ev, samples[42][0]) and np.array_equal(intervals, samples[42][2])
    assert _same(ds[-1], samples[-1][:2])


def test_other_seed_and_test_split_differ(train):
    _, samples = train
    other = SyntheticGestures("train", n_samples=200, seed=1)
    test = SyntheticGestures("test", n_samples=200)
    for i in range(5):
        assert not np.array_equal(other[i][0], samples[i][0])
        assert not np.array_equal(test[i][0], samples[i][0])
    assert not np.array_equal(other.targets, SyntheticGestures("train", n_samples=200).targets)


def test_labels_are_balanced():
    for split, n in (("train", 1000), ("test", 200)):
        ds = SyntheticGestures(split)
        assert len(ds) == n
        counts = np.bincount(ds.targets, minlength=len(CLASSES))
        assert np.all(counts == n // len(CLASSES)), counts
        assert sorted(ds.targets[:10]) == list(range(len(CLASSES)))  # every block holds each class once
        assert not np.all(np.diff(ds.targets) >= 0)  # shuffled, not sorted by class
        assert np.array_equal(SyntheticGestures(split, n_samples=35).targets, ds.targets[:35])


# --- validity ------------------------------------------------------------------


def test_attributes_and_default_spec():
    ds = SyntheticGestures()
    assert ds.sensor_size == (32, 32, 2) and ds.duration_ms == 300.0
    assert ds.classes == list(CLASSES) and len(CLASSES) >= 10
    for name in ("rotate_cw", "rotate_ccw", "swipe_right", "swipe_left", "swipe_up", "swipe_down", "grow", "shrink"):
        assert name in CLASSES
    spec = default_frame_spec()
    assert (spec.sensor_size, spec.window_ms, spec.n_frames) == ((32, 32, 2), 10.0, 30)
    assert spec.n_frames * spec.window_ms == ds.duration_ms


def test_events_are_valid(train):
    ds, samples = train
    for ev, label, _ in samples:
        assert ev.dtype == EVENT_DTYPE
        validate_events(ev, ds.sensor_size, source="synthetic")
        assert ev["t"].max() < ds.duration_ms * 1000
        assert {0, 1} <= set(np.unique(ev["p"]).tolist())
        assert 0 <= label < len(CLASSES)
    big = SyntheticGestures("test", n_samples=3, sensor=64, duration_ms=120.0)
    for i in range(3):
        ev = validate_events(big[i][0], big.sensor_size)
        assert ev["t"].max() < 120_000 and ev["x"].max() >= 32


def test_transforms_apply():
    ds = SyntheticGestures("test", n_samples=2, transform=lambda e: e.size, target_transform=lambda y: -1)
    n, label = ds[0]
    assert n == SyntheticGestures("test", n_samples=2)[0][0].size and label == -1


@pytest.mark.parametrize(
    "kwargs, key",
    [
        ({"n_samples": 0}, "n_samples"),
        ({"sensor": 4}, "sensor"),
        ({"duration_ms": 20.0}, "duration_ms"),
        ({"split": "val"}, "split"),
        ({"seed": -1}, "seed"),
        ({"noise_hz": -1.0}, "noise_hz"),
        ({"hot_pixels": (3, 1)}, "hot_pixels"),
    ],
)
def test_bad_parameters_name_the_key(kwargs, key):
    with pytest.raises(ConfigError) as err:
        SyntheticGestures(**kwargs)
    assert err.value.key == key and key in str(err.value)


def test_index_out_of_range():
    with pytest.raises(IndexError):
        SyntheticGestures("test", n_samples=3)[3]


# --- temporal redundancy: the idle frames a pruner should remove ----------------


def test_active_intervals_cover_part_of_the_recording(train):
    ds, samples = train
    for _, _, intervals in samples:
        assert 1 <= len(intervals) <= 3
        assert np.all(intervals[:, 1] > intervals[:, 0]) and np.all(intervals[1:, 0] > intervals[:-1, 1])
        frac = (intervals[:, 1] - intervals[:, 0]).sum() / (ds.duration_ms * 1000)
        assert 0.39 <= frac <= 0.71
    assert np.array_equal(ds.active_intervals(5), samples[5][2])


def test_every_sample_has_idle_frames_with_noise_only(train):
    ds, samples = train
    active_counts, idle_counts = [], []
    for i, (ev, _, _) in enumerate(samples):
        act = ds.active_frames(i, WINDOW_MS, N_FRAMES)
        assert act.any() and not act.all()
        n = _per_frame(ev)[0]
        active_counts.append(n[act])
        idle_counts.append(n[~act])
    idle, active = np.concatenate(idle_counts).mean(), np.concatenate(active_counts).mean()
    # Noise level: 2 Hz x 1024 px x 10 ms = 20.5 events, plus 1-3 hot pixels at 100-300 Hz.
    assert idle < 35
    assert active > 4 * idle


def test_without_noise_motion_events_lie_exactly_in_active_frames():
    ds = SyntheticGestures("train", n_samples=40, noise_hz=0.0, hot_pixels=0)
    with_events = []
    for i in range(len(ds)):
        ev, _, intervals = ds.sample(i)
        inside = ((ev["t"][:, None] >= intervals[:, 0]) & (ev["t"][:, None] < intervals[:, 1])).any(axis=1)
        assert inside.all()
        n = _per_frame(ev)[0]
        act = ds.active_frames(i, WINDOW_MS, N_FRAMES)
        assert np.all(n[~act] == 0)
        with_events.append(n[act] > 0)
    # An active frame that overlaps a segment by 1 ms may see no threshold crossing.
    assert np.concatenate(with_events).mean() > 0.95


# --- each class moves the way its name says --------------------------------------


def _turn(ev: np.ndarray, act: np.ndarray) -> float:
    """Signed total turn (rad) of the per-frame event centroid around its mean; > 0 = clockwise on screen (y down)."""
    n, cx, cy, _ = _per_frame(ev)
    keep = act & (n > 0)
    x, y = cx[keep] - cx[keep].mean(), cy[keep] - cy[keep].mean()
    step = np.angle(np.exp(1j * np.diff(np.arctan2(y, x))))
    return float(step.sum())


def test_rotation_direction(train):
    ds, _ = train
    for name, sign in (("rotate_cw", 1), ("rotate_ccw", -1)):
        turns = np.array([_turn(ev, ds.active_frames(i, WINDOW_MS, N_FRAMES)) for i, ev in _of_class(train, name)])
        assert np.mean(np.sign(turns) == sign) >= 0.9, (name, turns)
        assert np.median(sign * turns) > np.pi / 2


def test_cw_and_ccw_differ_only_in_temporal_order():
    """Summed over time, the two rotations look alike: a nearest-class-mean (linear)
    classifier of summed count images is at chance for them, not for a swipe pair."""
    params = GestureParams()

    def summed(label: int, i: int) -> np.ndarray:
        ev, _ = generate_sample(np.random.default_rng([99, label, i]), label, params)
        img = np.zeros((2, 32, 32))
        np.add.at(img, (ev["p"], ev["y"], ev["x"]), 1.0)
        return img.ravel()

    def accuracy(a: str, b: str) -> float:
        la, lb = CLASSES.index(a), CLASSES.index(b)
        xa, xb = np.array([summed(la, i) for i in range(90)]), np.array([summed(lb, i) for i in range(90)])
        ma, mb = xa[:60].mean(0), xb[:60].mean(0)
        da = np.linalg.norm(xa[60:] - ma, axis=1) < np.linalg.norm(xa[60:] - mb, axis=1)
        db = np.linalg.norm(xb[60:] - mb, axis=1) < np.linalg.norm(xb[60:] - ma, axis=1)
        return float(np.concatenate([da, db]).mean())

    assert accuracy("rotate_cw", "rotate_ccw") < 0.7
    assert accuracy("swipe_left", "swipe_right") > 0.9


def test_grow_and_shrink_change_the_radius(train):
    ds, _ = train
    for name, sign in (("grow", 1), ("shrink", -1)):
        slopes = []
        for i, ev in _of_class(train, name):
            n, _, _, r = _per_frame(ev)
            keep = ds.active_frames(i, WINDOW_MS, N_FRAMES) & (n > 0)
            slopes.append(_slope(r[keep]))
        assert np.mean(np.sign(slopes) == sign) >= 0.9, (name, slopes)


@pytest.mark.parametrize(
    "name, direction",
    [
        ("swipe_right", (1, 0)),
        ("swipe_left", (-1, 0)),
        ("swipe_up", (0, -1)),  # y grows downwards: up is -y
        ("swipe_down", (0, 1)),
        ("swipe_up_right", (1, -1)),
        ("swipe_down_left", (-1, 1)),
    ],
)
def test_swipes_move_their_way(train, name, direction):
    ds, _ = train
    slopes = []
    for i, ev in _of_class(train, name):
        n, cx, cy, _ = _per_frame(ev)
        keep = ds.active_frames(i, WINDOW_MS, N_FRAMES) & (n > 0)
        slopes.append(_slope(direction[0] * cx[keep] + direction[1] * cy[keep]))
    assert np.mean(np.array(slopes) > 0) >= 0.9, slopes


# --- pictures --------------------------------------------------------------------


def _check_png(path):
    import matplotlib.image

    with open(path, "rb") as f:
        assert f.read(8) == PNG_SIGNATURE
    img = matplotlib.image.imread(str(path))
    assert img.ndim == 3 and img.shape[0] > 0 and img.shape[1] > 0
    assert not list(path.parent.glob("*.tmp*"))  # written atomically


def test_plot_class_frames_writes_png(tmp_path):
    rng = np.random.default_rng(0)
    frames = (rng.random((5, 2, 16, 16, 12)) < 0.1).astype(np.uint8)
    labels = np.array([0, 1, 1, 2, 0])
    out = plot_class_frames(frames, labels, ["a", "b", "c", "empty"], tmp_path / "sub" / "f.png", n_cols=4, title="t")
    assert out == tmp_path / "sub" / "f.png"
    _check_png(out)


def test_cli_writes_picture(tmp_path, capsys):
    assert main(["--picture", str(tmp_path / "g.png"), "--seed", "3"]) == 0
    _check_png(tmp_path / "g.png")
    assert "g.png" in capsys.readouterr().out
