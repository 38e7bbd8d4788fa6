"""The network file: round trip, plain-netx compatibility, and bad files."""

import h5py
import numpy as np
import pytest
import torch

from razor_lava.data.framing import FrameSpec
from razor_lava.errors import DataFormatError
from razor_lava.netfile import FORMAT_VERSION, export_network, load_network_file
from razor_lava.netfile.write import content_digest
from razor_lava.config import parse_config
from razor_lava.model.reference import reference_network
from razor_lava.model.network import RazorNet

RAW = {
    "data": {"dataset": "synthetic"},
    "input": [2, 12, 10],
    "layers": [
        {"type": "conv", "out": 4, "kernel": [3, 1], "stride": 2, "padding": [1, 0]},
        {"type": "pool", "kernel": 2},
        {"type": "conv", "out": 6, "kernel": 3, "padding": 1},
        {"type": "flatten"},
        {"type": "dense", "out": 7},
        {"type": "dense", "out": 3, "neuron": "liaf"},
    ],
    "pruner": {"positions": [1, 3, 5], "ratio": 0.25},
}
SPEC = FrameSpec((10, 12, 2), window_ms=5, n_frames=16)


@pytest.fixture()
def trained(tmp_path):
    torch.manual_seed(0)
    net = RazorNet(parse_config(RAW))
    with torch.no_grad():
        for p in net.pruners.values():
            p.weight.normal_(0, 1)
            p.embeddings.normal_(0, 1)
    net.pruners["3"].theta, net.pruners["3"].ratio = 0.6, None
    path = export_network(net, tmp_path / "net.h5", SPEC, classes=["a", "b", "c"])
    return net, path


def test_round_trip_keeps_everything_deployment_needs(trained):
    net, path = trained
    nf = load_network_file(path)
    assert nf.format_version == FORMAT_VERSION and nf.classes == ["a", "b", "c"] and nf.frame_spec == SPEC
    assert [l.type for l in nf.layers] == ["input", "conv", "conv", "conv", "flatten", "dense", "dense"]
    assert nf.layers[-1].graded and not nf.layers[-2].graded
    assert sorted(nf.pruners) == [1, 3, 5]
    for i, pruner in net.pruner_items():
        want, got = pruner.quantized(), nf.pruners[i]
        for name in ("weight", "bias", "embeddings", "lut"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
        assert (got.ratio, got.theta, got.theta_int, got.variant, got.pool, got.area, got.input_scale) == (
            want.ratio, want.theta, want.theta_int, want.variant, want.pool, want.area, want.input_scale)
    assert nf.pruner_in_shapes[5] == (6 * 3 * 2,)  # 12x10 -> 6x5 -> pool 3x2, 6 channels


def test_reference_network_from_the_file_equals_the_trained_network(trained):
    net, path = trained
    ref = reference_network(load_network_file(path))
    x = (torch.rand(4, 2, 12, 10, 16, generator=torch.Generator().manual_seed(1)) < 0.3).float()
    net.eval()
    with torch.no_grad():
        assert torch.equal(ref(x), net(x))
    for i, p in net.pruner_items():
        assert torch.equal(ref.pruners[str(i)].last_keep, p.last_keep)


def test_plain_netx_reader_still_reads_the_layers(trained):
    from lava.lib.dl import netx

    _, path = trained
    with h5py.File(path) as f:
        assert "razor" in f
    # netx cannot build the graded output layer's semantics, but it parses every layer.
    net = netx.hdf5.Network(net_config=str(path))
    assert len(net.layers) == 5  # conv, pool-as-conv, conv, dense, dense


def test_truncated_and_non_hdf5_files(tmp_path, trained):
    _, path = trained
    with pytest.raises(DataFormatError, match="no such file"):
        load_network_file(tmp_path / "missing.h5")
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"this is not hdf5" * 10)
    with pytest.raises(DataFormatError, match="not an HDF5 file"):
        load_network_file(junk)
    cut = tmp_path / "cut.h5"
    data = path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match="cut.h5"):
        load_network_file(cut)


@pytest.mark.parametrize(
    "mutate,match",
    [
        (lambda f: f["layer/2/type"].__setitem__(0, b"pool"),
         r"layer/2: layer type 'pool' is not supported \(netx 0.6 cannot build it\).*num_layers=2"),
        (lambda f: f.__delitem__("layer/1/weight"), r"layer/1: missing key 'weight'"),
        (lambda f: f.__delitem__("layer/5/neuron/vThMant"), r"layer/5/neuron: missing key 'vThMant'"),
        (lambda f: f.__delitem__("razor/pruners/3/embeddings"), r"razor/pruners/3: missing key 'embeddings'"),
        (lambda f: f["razor/pruners/1"].attrs.__delitem__("variant"), r"razor/pruners/1: missing attribute"),
        (lambda f: f["razor"].attrs.__setitem__("format_version", 99), "format version 99 is not one .*upgrade"),
        (lambda f: f.move("razor/pruners/5", "razor/pruners/4"), "razor/pruners/4: a pruner must sit"),
    ],
)
def test_malformed_files_name_the_key(trained, mutate, match):
    _, path = trained
    with h5py.File(path, "r+") as f:
        mutate(f)
    if "format version" not in match:  # (a version it cannot read comes before its checksum)
        with pytest.raises(DataFormatError, match="does not match its checksum"):
            load_network_file(path)  # any change after writing is caught first
    with h5py.File(path, "r+") as f:
        f["razor"].attrs["checksum"] = content_digest(f)  # as if a tool had re-stamped it: the checks behind it
    with pytest.raises(DataFormatError, match=match):
        load_network_file(path)


def test_bad_pruner_shapes_are_reported(trained):
    _, path = trained
    with h5py.File(path, "r+") as f:
        del f["razor/pruners/1/bias"]
        f["razor/pruners/1"].create_dataset("bias", data=np.zeros(9, dtype=np.int64))
        f["razor"].attrs["checksum"] = content_digest(f)
    with pytest.raises(DataFormatError, match=r"razor/pruners/1: .*inconsistent shapes"):
        load_network_file(path)
