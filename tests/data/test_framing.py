"""Framing: events -> SLAYER frame tensors, checked against a per-event loop."""

import numpy as np
import pytest
import torch

from razor_lava.data.events import EVENT_DTYPE, make_events
from razor_lava.data.framing import FrameSpec, ToFrame, fit_frames, frame_many, to_frames
from razor_lava.data.torch_data import FramedDataset, collate_frames
from razor_lava.errors import ConfigError, DataFormatError


def random_events(rng, n, w, h, npol, t_max_us):
    t = np.sort(rng.integers(0, t_max_us, n))
    return make_events(rng.integers(0, w, n), rng.integers(0, h, n), rng.integers(0, npol, n), t)


def loop_frames(events, spec):
    """Reference binning: one event at a time."""
    w_in, h_in, _ = spec.sensor_size
    h, w = spec.out_hw
    counts = np.zeros((spec.channels, h, w, spec.n_frames), dtype=np.int64)
    t0 = int(events["t"][0]) if spec.t_origin == "first" and len(events) else 0
    for e in events:
        k = int((int(e["t"]) - t0) // (spec.window_ms * 1000))
        if 0 <= k < spec.n_frames:
            c = int(e["p"]) if spec.polarity else 0
            counts[c, int(e["y"]) * h // h_in, int(e["x"]) * w // w_in, k] += 1
    out = (counts > 0) if spec.mode == "binary" else np.minimum(counts, spec.clip)
    out = out.astype(np.uint8)
    if spec.is_1d:
        out = out.reshape(spec.channels * w, spec.n_frames)
    return out


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(size=(8, 8)),
        dict(size=(5, 7), polarity=False, mode="count", clip=3),
        dict(mode="count", t_origin="first"),
    ],
)
def test_vectorised_framing_equals_event_loop(kw):
    rng = np.random.default_rng(0)
    spec = FrameSpec(sensor_size=(17, 16, 2), window_ms=2.5, n_frames=12, **kw)
    samples = [random_events(rng, n, 17, 16, 2, 40_000) for n in (0, 1, 50, 900)]
    got = frame_many(samples, spec, chunk_elements=spec.frame_shape[0] * 100)  # force several chunks
    assert got.shape == (4,) + spec.frame_shape and got.dtype == np.uint8
    for g, s in zip(got, samples):
        np.testing.assert_array_equal(g, loop_frames(s, spec))
        np.testing.assert_array_equal(ToFrame(spec)(s), g)


def test_one_dimensional_sensor_gives_channels_by_time():
    spec = FrameSpec(sensor_size=(700, 1, 1), window_ms=10, n_frames=5)
    ev = make_events([0, 699, 699, 3], [0, 0, 0, 0], [0, 0, 0, 0], [0, 10_000, 10_500, 49_999])
    fr = to_frames(ev, spec)
    assert fr.shape == (700, 5)
    assert fr.sum() == 3  # the two 699 events at t=10.0 and 10.5 ms share a bin
    assert fr[699, 1] == 1 and fr[0, 0] == 1 and fr[3, 4] == 1


def test_events_outside_the_window_are_dropped_and_missing_frames_are_zero():
    spec = FrameSpec(sensor_size=(4, 4, 2), window_ms=1, n_frames=3)
    ev = make_events([1, 1], [1, 1], [1, 1], [500, 3_000])  # second event is frame 3, beyond T
    fr = to_frames(ev, spec)
    assert fr[1, 1, 1, 0] == 1 and fr.sum() == 1


def test_downsampling_keeps_every_event_in_count_mode():
    rng = np.random.default_rng(1)
    ev = random_events(rng, 5000, 128, 128, 2, 100_000)
    spec = FrameSpec(sensor_size=(128, 128, 2), window_ms=10, n_frames=10, size=(32, 32), mode="count", clip=255)
    fr = to_frames(ev, spec)
    assert fr.shape == (2, 32, 32, 10)
    assert int(fr.sum(dtype=np.int64)) == 5000  # 5000 events over 20k bins: no bin reaches the clip


@pytest.mark.parametrize(
    "kw,key",
    [
        (dict(window_ms=0), "window_ms"),
        (dict(n_frames=0), "n_frames"),
        (dict(mode="rate"), "mode"),
        (dict(clip=300), "clip"),
        (dict(size=(64, 64)), "size"),
        (dict(t_origin="last"), "t_origin"),
    ],
)
def test_bad_spec_names_the_key(kw, key):
    args = dict(sensor_size=(34, 34, 2), window_ms=1, n_frames=10)
    args.update(kw)
    with pytest.raises(ConfigError, match=key):
        FrameSpec(**args)


def test_fit_frames_pads_and_crops_the_time_axis():
    x = np.arange(2 * 5).reshape(2, 5)
    assert fit_frames(x, 3).tolist() == [[0, 1, 2], [5, 6, 7]]
    assert fit_frames(x, 7)[:, 5:].sum() == 0 and fit_frames(x, 7).shape == (2, 7)


def test_collate_pads_to_longest_or_given_length():
    batch = [(torch.ones(2, 3, 4), 1), (torch.ones(2, 3, 6), 0)]
    x, y = collate_frames(batch)
    assert x.shape == (2, 2, 3, 6) and x[0, ..., 4:].sum() == 0 and y.tolist() == [1, 0]
    x, _ = collate_frames(batch, n_frames=5)
    assert x.shape == (2, 2, 3, 5)


class ListSource:
    classes = ["a", "b"]

    def __init__(self, samples):
        self.samples = samples
        self.reads = 0

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        self.reads += 1
        return self.samples[i]


def test_framed_dataset_cache_is_reused_and_survives_corruption(tmp_path):
    rng = np.random.default_rng(2)
    samples = [(random_events(rng, 100, 8, 8, 2, 10_000), i % 2) for i in range(300)]
    spec = FrameSpec(sensor_size=(8, 8, 2), window_ms=1, n_frames=10)
    src = ListSource(samples)
    ds = FramedDataset(src, spec, cache_dir=tmp_path, cache_key="list-v1")
    assert src.reads == 300 and ds.cache_path.exists()
    x, y = ds[5]
    assert x.dtype == torch.float32 and tuple(x.shape) == spec.frame_shape and y == 1
    np.testing.assert_array_equal(x.numpy(), to_frames(samples[5][0], spec))

    again = FramedDataset(src, spec, cache_dir=tmp_path, cache_key="list-v1")
    assert src.reads == 300  # served from the cache
    np.testing.assert_array_equal(again.frames, ds.frames)

    ds.cache_path.write_bytes(b"not an npz")  # a corrupt cache is rebuilt
    rebuilt = FramedDataset(src, spec, cache_dir=tmp_path, cache_key="list-v1")
    assert src.reads == 600
    np.testing.assert_array_equal(rebuilt.frames, ds.frames)
    assert not list(tmp_path.glob("*.tmp*"))  # atomic writes leave no temporaries


def test_from_arrays_checks_the_frame_shape():
    spec = FrameSpec(sensor_size=(8, 8, 2), window_ms=1, n_frames=10)
    with pytest.raises(DataFormatError, match="expected N x"):
        FramedDataset.from_arrays(np.zeros((3, 2, 8, 8, 9)), [0, 1, 0], spec)


def test_event_dtype_field_names_match_tonic():
    assert set(EVENT_DTYPE.names) == {"x", "y", "p", "t"}
