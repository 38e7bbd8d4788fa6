"""Fuzzing the network-file loader: damaged files never give a raw traceback, a hang or damaged values.

A razor_lava file (format 2) is checked against its checksum, so every damage
that changes what the file holds is an error; a damage that changes nothing
(e.g. bytes in free space) loads the very same network. A plain netx file has no
checksum: there every value that loads is still a valid one (integers in the
8-bit range, decays in [0, 4096], ...), but a flipped weight that stays in
range cannot be told from a real one.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from razor_lava.errors import DataFormatError
from razor_lava.netfile import load_network_file

from netfiles import CONV, export_random, write_plain_netx  # tests/ is on sys.path

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    _, razor = export_random(d / "razor.h5", CONV, {"positions": [2, 5], "ratio": 0.25})
    from razor_lava.model._slayer import slayer

    torch.manual_seed(0)
    p = {"threshold": 0.5, "current_decay": 0.2, "voltage_decay": 0.05}
    blocks = [slayer.block.cuba.Conv(p, 2, 3, 3, padding=1, weight_scale=4), slayer.block.cuba.Flatten(),
              slayer.block.cuba.Dense(p, 3 * 5 * 4, 4, weight_scale=4)]
    with torch.no_grad():
        y = torch.zeros(1, 2, 5, 4, 1)
        for b in blocks:
            y = b(y)
    plain = d / "plain.net"
    write_plain_netx(plain, blocks, [2, 5, 4])
    return {"razor": (razor.read_bytes(), load_network_file(razor)), "plain": (plain.read_bytes(),
                                                                              load_network_file(plain))}


def same_network(a, b) -> bool:
    arrays = ("weight", "bias", "delay")
    for x, y in zip(a.layers, b.layers):
        if (x.type, x.shape, x.in_shape, x.kernel, x.stride, x.padding, x.dilation, x.groups) != \
                (y.type, y.shape, y.in_shape, y.kernel, y.stride, y.padding, y.dilation, y.groups):
            return False
        for k in arrays:
            u, v = getattr(x, k), getattr(y, k)
            if (u is None) != (v is None) or (u is not None and not np.array_equal(u, v)):
                return False
        if (x.neuron is None) != (y.neuron is None) or (x.neuron is not None and any(
                not np.array_equal(getattr(x.neuron, k), getattr(y.neuron, k)) for k in ("i_decay", "v_decay",
                                                                                         "vth_mant"))):
            return False
    if len(a.layers) != len(b.layers) or sorted(a.pruners) != sorted(b.pruners):
        return False
    for k in a.pruners:
        p, q = a.pruners[k], b.pruners[k]
        if any(not np.array_equal(getattr(p, f), getattr(q, f)) for f in ("weight", "bias", "embeddings", "lut")):
            return False
        if (p.ratio, p.theta_int, p.variant, p.pool, p.area, p.input_scale) != \
                (q.ratio, q.theta_int, q.variant, q.pool, q.area, q.input_scale):
            return False
    return (a.frame_spec, a.classes, a.config, a.format_version) == (b.frame_spec, b.classes, b.config,
                                                                     b.format_version)


def load_or_error(path, original, kind):
    """The loader's only allowed outcomes: DataFormatError, or a network equal to the original (razor
    files) / a valid one (plain files). Anything else (another exception) fails the test."""
    try:
        nf = load_network_file(path)
    except DataFormatError:
        return "error"
    if kind == "razor":
        assert same_network(nf, original), "a damaged razor_lava file loaded with other values"
    else:
        for s in nf.weighted():
            assert s.weight.dtype == np.int64 and -256 <= s.weight.min() and s.weight.max() <= 255
            assert 0 <= int(s.neuron.i_decay) <= 4096 and 0 <= int(s.neuron.v_decay) <= 4096
            assert int(s.neuron.vth_mant) >= 1
    return "loaded"


@FUZZ
@given(kind=st.sampled_from(["razor", "plain"]), flips=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)),
                                                                   min_size=1, max_size=4))
def test_byte_flips(files, tmp_path, kind, flips):
    data, original = files[kind]
    raw = bytearray(data)
    for where, xor in flips:
        raw[min(int(where * len(raw)), len(raw) - 1)] ^= xor
    path = tmp_path / f"{kind}.h5"
    path.write_bytes(bytes(raw))
    load_or_error(path, original, kind)


@FUZZ
@given(kind=st.sampled_from(["razor", "plain"]), keep=st.floats(0, 0.999))
def test_truncation(files, tmp_path, kind, keep):
    data, original = files[kind]
    path = tmp_path / f"{kind}.h5"
    path.write_bytes(data[: int(keep * len(data))])
    assert load_or_error(path, original, kind) == "error"


def _datasets(path) -> list[str]:
    out = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.append(name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(out)


CHANGES = ["delete", "float", "string", "shape", "fraction", "huge", "nan"]


@FUZZ
@given(kind=st.sampled_from(["razor", "plain"]), pick=st.floats(0, 0.999), change=st.sampled_from(CHANGES))
def test_deleted_retyped_and_reshaped_datasets(files, tmp_path, kind, pick, change):
    data, original = files[kind]
    path = tmp_path / f"{kind}.h5"
    path.write_bytes(data)
    names = _datasets(path)
    name = names[int(pick * len(names))]
    with h5py.File(path, "r+") as f:
        value = np.asarray(f[name][()])
        del f[name]
        if change == "float":
            new = value.astype(np.float64) if value.dtype.kind in "iuf" else None
        elif change == "string":
            new = np.array(str(value.tolist()).encode())
        elif change == "shape":
            new = np.concatenate([value.ravel(), value.ravel()[:1]]) if value.size else np.zeros(3)
        elif change == "fraction":
            new = value.astype(np.float64) + 0.5 if value.dtype.kind in "iuf" else None
        elif change == "huge":
            new = value.astype(np.float64) * 0 + 1e6 if value.dtype.kind in "iuf" else None
        elif change == "nan":
            new = value.astype(np.float64) * np.nan if value.dtype.kind in "f" else None
        else:
            new = None
        if new is not None:
            f.create_dataset(name, data=new)
    outcome = load_or_error(path, original, kind)
    if kind == "razor" and change != "float":
        assert outcome == "error", (name, change)  # every such change alters the content
