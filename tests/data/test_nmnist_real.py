"""The ATIS reader and the NMNIST data set on the 1100 real N-MNIST files beside the project.

The subset lives in ``<repo>/../shared/data/nmnist-small`` (see its
PROVENANCE.md); RAZOR_LAVA_NMNIST_SMALL overrides the location. Skipped with
the reason when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from razor_lava.data.datasets import NMNIST
from razor_lava.data.readers import read_nmnist

REPO = Path(__file__).resolve().parents[2]
NMNIST_SMALL = Path(os.environ.get("RAZOR_LAVA_NMNIST_SMALL") or REPO.parent / "shared" / "data" / "nmnist-small")


@pytest.fixture(scope="module")
def subset() -> Path:
    if not (NMNIST_SMALL / "train1K.txt").is_file():
        pytest.skip(
            f"real N-MNIST subset not found at {NMNIST_SMALL} (set RAZOR_LAVA_NMNIST_SMALL to its folder, "
            "the one holding train1K.txt, test100.txt and <id>.bs2)"
        )
    return NMNIST_SMALL


def test_every_file_reads_exactly(subset):
    files = sorted(subset.glob("*.bs2"))
    assert len(files) == 1100
    for path in files:
        raw = np.fromfile(path, dtype=np.uint8)
        assert raw.size % 5 == 0
        assert not (raw[1::5] == 240).any(), f"{path} holds an overflow marker"
        events = read_nmnist(path)
        assert events.size == raw.size // 5, path
        for field in ("x", "y"):
            assert 0 <= events[field].min() and events[field].max() <= 33, (path, field)
        assert (np.diff(events["t"]) >= 0).all(), path
        np.testing.assert_array_equal(events["x"], raw[0::5])  # byte 0 is x
        np.testing.assert_array_equal(events["p"], raw[2::5] >> 7)


@pytest.mark.parametrize("split,n", [("train", 1000), ("test", 100)])
def test_dataset_labels(subset, split, n):
    ds = NMNIST(subset, split)
    assert ds.layout == "subset" and len(ds) == n
    assert set(ds.targets) == set(range(10))
    first_id = 1 if split == "train" else 60001
    assert ds._items[0][0].name == f"{first_id}.bs2"
    events, label = ds[0]
    assert label == ds.targets[0] and events.size == (subset / f"{first_id}.bs2").stat().st_size // 5
    if split == "train":
        assert label == 5  # train1K.txt: "1<TAB>5", MNIST training sample 1 is a 5
