"""tonic data sets plug into razor_lava's framing and training; transforms compose with tonic's."""

import numpy as np
import pytest
import torch

tonic = pytest.importorskip("tonic", reason="the interop extra (tonic) is not installed")

from razor_lava.data.framing import FrameSpec  # noqa: E402
from razor_lava.data.synthetic import SyntheticGestures  # noqa: E402
from razor_lava.data.torch_data import FramedDataset  # noqa: E402
from razor_lava.data.transforms import RandomTranslate  # noqa: E402
from razor_lava.errors import DataFormatError  # noqa: E402
from razor_lava.interop.tonic_data import TonicSource  # noqa: E402

TONIC_DTYPE = np.dtype([("x", np.int64), ("y", np.int64), ("t", np.int64), ("p", bool)])  # tonic's own order


class NpyGestures(tonic.Dataset):
    """A tonic data set over .npy recordings the test writes (tonic's Dataset base class, its conventions)."""

    sensor_size = (32, 32, 2)
    classes = [str(c) for c in range(10)]

    def __init__(self, save_to, transform=None):
        super().__init__(save_to, transform=transform)
        self.files = sorted(__import__("pathlib").Path(save_to).glob("*.npy"))

    def __getitem__(self, i):
        events = np.load(self.files[i])
        target = int(self.files[i].stem.split("_")[1])
        return (self.transform(events) if self.transform else events), target

    def __len__(self):
        return len(self.files)


@pytest.fixture
def tonic_dir(tmp_path):
    src = SyntheticGestures("test")
    for i in range(6):
        ev, label = src[i]
        out = np.empty(len(ev), TONIC_DTYPE)
        for f in ("x", "y", "t"):
            out[f] = ev[f]
        out["p"] = ev["p"] > 0
        np.save(tmp_path / f"{i:03d}_{label}.npy", out)
    return tmp_path, src


def test_tonic_dataset_frames_as_our_reader(tonic_dir):
    root, src = tonic_dir
    spec = FrameSpec(sensor_size=(32, 32, 2), window_ms=src_window(src), n_frames=20)
    ours = FramedDataset(_First(src, 6), spec)
    theirs = FramedDataset(TonicSource(NpyGestures(root)), spec)
    assert len(theirs) == 6 and theirs.classes == [str(c) for c in range(10)]
    for i in range(6):
        assert torch.equal(ours[i][0], theirs[i][0]) and ours[i][1] == theirs[i][1]
    assert ours[0][0].sum() > 0


def test_transforms_compose_with_tonics(tonic_dir):
    root, _ = tonic_dir
    both = tonic.transforms.Compose([lambda e: e[np.argsort(e["t"], kind="stable")],
                                     tonic.transforms.DropEvent(p=0.5)])
    ds = TonicSource(NpyGestures(root, transform=both), transform=RandomTranslate(2, (32, 32, 2)))
    full = TonicSource(NpyGestures(root))
    ev, label = ds[0]
    assert 0.3 * len(full[0][0]) < len(ev) < 0.7 * len(full[0][0]) and label == full[0][1]


def test_bad_tonic_events_are_named(tmp_path):
    np.save(tmp_path / "000_1.npy", np.zeros(3, np.dtype([("x", int), ("y", int)])))
    with pytest.raises(DataFormatError, match=r"NpyGestures\[0\].*lack the fields \['p', 't'\]"):
        TonicSource(NpyGestures(tmp_path))[0]


class _First:
    def __init__(self, src, n):
        self.src, self.n, self.sensor_size, self.classes = src, n, src.sensor_size, src.classes

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.src[i]


def src_window(src) -> float:
    return 10.0


@pytest.mark.slow
def test_a_tonic_dataset_trains_and_exports(tonic_dir, tmp_path):
    """RunOptions.sources: a tonic data set goes through training, validation, export as a registry one."""
    import copy

    from netfiles import SMALL_CONV
    from razor_lava.config import parse_config
    from razor_lava.netfile import load_network_file
    from razor_lava.training.options import RunOptions
    from razor_lava.training.run import train

    root, _ = tonic_dir
    raw = copy.deepcopy(SMALL_CONV)
    raw["layers"][-1]["out"] = 10
    raw.update(input=[2, 32, 32], train={"epochs": 1, "batch_size": 2, "val_fraction": 0.0, "select": "last",
                             "cutoff_epsilon": None})
    src = TonicSource(NpyGestures(root))
    result = train(parse_config(raw), RunOptions(out=tmp_path / "run", sources={"train": src, "test": src},
                                                 train_samples=4, progress=False))
    assert result["train_samples"] == 4 and result["test_samples"] == 6
    nf = load_network_file(tmp_path / "run/network.h5")
    assert nf.classes == [str(c) for c in range(10)] and nf.input_shape == (2, 32, 32)
