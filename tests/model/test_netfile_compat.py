"""The network file format does not move: a file written by an earlier razor_lava (``tests/fixtures``) reads
back to the same model, and today's writer writes the same bytes from the same network.

``tests/fixtures/conv_net_v2.h5`` was written by razor_lava 0.1.0 before the layer model
(``razor_lava.layers``) existed, with the steps of ``_write_fixture`` below; ``conv_net_v2_io.npz`` holds
six input samples and the SLAYER reference's output on them, computed then.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import torch

from razor_lava.data.framing import FrameSpec
from razor_lava.layers import Conv, Dense, Flatten
from razor_lava.model.reference import reference_network
from razor_lava.netfile import export_network, load_network_file
from razor_lava.netfile.format import content_digest

from netfiles import CONV, T, export_random

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OLD = FIXTURES / "conv_net_v2.h5"


def _write_fixture(path: Path) -> Path:
    net, path = export_random(path, CONV, {"positions": "E3", "ratio": 0.4}, seed=3)
    beta = np.linspace(3.0, 0.5, T)
    beta[0] = np.inf
    return export_network(net, path, FrameSpec((8, 10, 2), 1, T), classes=["a", "b", "c", "d"],
                          cutoff={"beta": beta, "epsilon": 0.05})


def test_a_file_of_the_previous_version_reads_back_to_the_same_model():
    nf = load_network_file(OLD)  # the reader checks the stored checksum against today's content_digest
    assert nf.format_version == 2 and nf.classes == ["a", "b", "c", "d"]
    assert [type(s.layer) for s in nf.layers[1:]] == [Conv, Conv, Conv, Flatten, Dense, Dense]
    assert nf.layers[3].layer == Conv(out=6, kernel=2, stride=2, groups=6)  # the config's pool, as a depthwise conv
    assert sorted(nf.pruners) == [2, 5] and np.isinf(nf.cutoff["beta"][0])
    io = np.load(FIXTURES / "conv_net_v2_io.npz")
    with torch.no_grad():
        out = reference_network(nf)(torch.as_tensor(io["frames"], dtype=torch.float32)).numpy()
    assert np.abs(io["output"]).sum() > 0  # the stored outputs are not silent
    np.testing.assert_array_equal(out, io["output"])


def test_todays_writer_writes_the_same_content_from_the_same_network(tmp_path):
    new = _write_fixture(tmp_path / "net.h5")
    with h5py.File(OLD) as a, h5py.File(new) as b:
        assert content_digest(b) == content_digest(a) == a["razor"].attrs["checksum"]
