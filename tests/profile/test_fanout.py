"""Fan-out maps equal a brute-force count: one input element at a time, all-ones weights, count the
non-zero outputs. Conv layers with odd sizes, stride, padding, groups, dilation, non-square kernels;
dense layers; maps from specs, live SLAYER blocks and netx HDF5 groups agree."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from razor_lava.model._slayer import slayer
from razor_lava.netfile import load_network_file
from razor_lava.profile.counts import conv_fanout, fanout_map

# (in C, H, W), out channels, kernel, stride, padding, dilation, groups
CONVS = {
    "odd-stride2-pad1": ((3, 7, 5), 4, 3, 2, 1, 1, 1),
    "kernel3x1-pad": ((2, 9, 6), 5, (3, 1), 1, (1, 0), 1, 1),
    "groups-dilation": ((4, 11, 8), 6, (3, 2), (2, 1), (0, 1), (2, 1), 2),
    "depthwise-pool-cropped": ((3, 5, 7), 3, 2, 2, 0, 1, 3),  # the last row and column feed nothing
    "kernel1x3-stride3-pad2-dil2": ((2, 6, 13), 3, (1, 3), 3, 2, 2, 1),
    "big-kernel-small-input": ((1, 3, 4), 2, 5, 1, 2, 1, 1),
}


def brute_force(in_shape, out_c, kernel, stride, padding, dilation, groups) -> np.ndarray:
    """For every input element alone: how many outputs of an all-ones conv it changes."""
    c, h, w = in_shape
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    ones = torch.ones(out_c, c // groups, *pair(kernel), dtype=torch.float64)
    out = np.zeros(in_shape, dtype=np.int64)
    for idx in np.ndindex(*in_shape):
        x = torch.zeros(1, *in_shape, dtype=torch.float64)
        x[(0, *idx)] = 1
        y = F.conv2d(x, ones, stride=pair(stride), padding=pair(padding), dilation=pair(dilation), groups=groups)
        out[idx] = int((y != 0).sum())
    return out


@pytest.mark.parametrize("case", list(CONVS), ids=list(CONVS))
def test_conv_fanout_equals_brute_force(case):
    spec = CONVS[case]
    fan = conv_fanout(*spec)
    want = brute_force(*spec)
    assert fan.shape == spec[0] and fan.dtype == np.int64
    assert np.array_equal(fan, want)


def test_random_convs_equal_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(15):
        groups = int(rng.choice([1, 2]))
        c, out_c = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        kernel, dilation = tuple(int(v) for v in rng.integers(1, 4, 2)), tuple(int(v) for v in rng.integers(1, 3, 2))
        padding, stride = tuple(int(v) for v in rng.integers(0, 3, 2)), tuple(int(v) for v in rng.integers(1, 4, 2))
        h, w = (int(dilation[a] * (kernel[a] - 1) + 1 + rng.integers(0, 6)) for a in (0, 1))
        spec = ((c, h, w), out_c, kernel, stride, padding, dilation, groups)
        assert np.array_equal(conv_fanout(*spec), brute_force(*spec)), spec


def test_borders_and_cropping_are_exact():
    # 1 x 5 x 5, 3x3 kernel, stride 2, no padding: outputs at rows/cols 0 and 2 read inputs 0-2 and 2-4.
    fan = conv_fanout((1, 5, 5), 1, 3, 2)
    per_axis = np.array([1, 1, 2, 1, 1])
    assert np.array_equal(fan[0], np.outer(per_axis, per_axis))
    # the dense ANN MACs (sum of fan-out) of a conv without padding = outputs x taps
    c, h, w, out_c, k, s = 4, 9, 7, 6, 3, 2
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    assert conv_fanout((c, h, w), out_c, k, s, groups=2).sum() == out_c * oh * ow * (c // 2) * k * k

from netfiles import write_plain_netx  # noqa: E402  (tests/ is on sys.path)


def _block(spec):
    in_shape, out_c, kernel, stride, padding, dilation, groups = spec
    p = {"threshold": 0.5, "current_decay": 0.2, "voltage_decay": 0.05}
    return slayer.block.cuba.Conv(p, in_shape[0], out_c, kernel, stride=stride, padding=padding, dilation=dilation,
                                  groups=groups)


@pytest.mark.parametrize("case", ["groups-dilation", "kernel1x3-stride3-pad2-dil2"])
def test_slayer_block_and_network_file_give_the_same_map(tmp_path, case):
    spec = CONVS[case]
    block = _block(spec)
    with torch.no_grad():  # lava-dl blocks learn their neuron shape in the first forward (export needs it)
        block(torch.zeros(1, *spec[0], 1))
    write_plain_netx(tmp_path / "l.h5", [block], list(spec[0]))
    from_h5 = fanout_map(load_network_file(tmp_path / "l.h5").layer(1))
    assert np.array_equal(fanout_map(block, spec[0]), conv_fanout(*spec))
    assert np.array_equal(from_h5, conv_fanout(*spec))


def test_dense_fanout_is_out_features_for_every_input(tmp_path):
    p = {"threshold": 0.5, "current_decay": 0.2, "voltage_decay": 0.05}
    block = slayer.block.cuba.Dense(p, 35, 9)
    with torch.no_grad():
        block(torch.zeros(1, 35, 1))
    write_plain_netx(tmp_path / "d.h5", [block], [35])
    from_h5 = fanout_map(load_network_file(tmp_path / "d.h5").layer(1))
    # brute force: one input at a time through all-ones weights
    ones = torch.ones(9, 35, dtype=torch.float64)
    want = np.array([int((ones @ torch.eye(35, dtype=torch.float64)[i] != 0).sum()) for i in range(35)])
    assert np.array_equal(fanout_map(block, (35,)), want) and np.array_equal(from_h5, want)
    # a dense layer after a flatten sees C*H*W inputs in C, H, W order, each reaching all outputs
    assert np.array_equal(fanout_map(block, (5, 7, 1)), np.full(35, 9))


def test_fanout_map_refuses_what_has_no_synapses():
    with pytest.raises(TypeError, match="expected a LayerSpec"):
        fanout_map(slayer.block.cuba.Flatten(), (3, 4, 4))
    with pytest.raises(ValueError, match="groups=2 must divide"):
        conv_fanout((3, 4, 4), 4, 3, groups=2)
    with pytest.raises(ValueError, match="does not fit"):
        conv_fanout((1, 2, 9), 1, 5)
