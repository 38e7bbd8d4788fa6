"""razor_lava's model of Lava's Conv process computes what Lava's own (scipy) model computes, bit for bit."""

import numpy as np
import pytest

from razor_lava.procs.conv_model import conv_lava_order

# (W, H, C_in, C_out, kernel, stride, padding, dilation, groups), in Lava's XY order
CASES = [(16, 16, 16, 32, (3, 3), (1, 1), (1, 1), (1, 1), 1),
         (32, 32, 2, 16, (3, 3), (2, 2), (1, 1), (1, 1), 1),
         (9, 7, 4, 6, (3, 3), (2, 2), (0, 0), (2, 2), 2),
         (8, 8, 4, 4, (2, 2), (2, 2), (0, 0), (1, 1), 4),
         (10, 12, 3, 5, (3, 1), (1, 2), (1, 0), (1, 1), 1)]


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
@pytest.mark.parametrize("graded", [False, True], ids=["spikes", "graded"])
def test_conv_equals_lavas_scipy_convolution(case, graded):
    from lava.proc.conv import utils

    w, h, c, k, kernel, stride, padding, dilation, groups = case
    rng = np.random.default_rng(sum(case[:4]))
    x = (rng.random((w, h, c)) < 0.3).astype(np.int64)
    if graded:
        x *= rng.integers(1, 2 ** 23, x.shape)  # 24-bit payloads: every product and sum stays exact in float64
    weight = rng.integers(-128, 128, (k, *kernel, c // groups))
    want = utils.conv_scipy(x, weight, kernel, stride, padding, dilation, groups)
    got = conv_lava_order(x, weight, stride, padding, dilation, groups)
    assert got.shape == want.shape and np.array_equal(got, want)


@pytest.mark.lava
def test_a_conv_network_gives_the_same_outputs_with_either_model(tmp_path, one_torch_thread):
    from razor_lava.deployment.runner import run_stream
    from razor_lava.lava_run import leftover_workers
    from razor_lava.netfile import load_network_file

    from netfiles import CONV, export_random, random_frames

    net, path = export_random(tmp_path / "net.h5", CONV, {"positions": "E3", "ratio": 0.3})
    nf = load_network_file(path)
    frames = random_frames(net.cfg.input, 3, seed=4)
    fast, lava = (run_stream(nf, frames, conv_model=m) for m in ("fast", "lava"))
    assert fast.output.any() and np.array_equal(fast.output, lava.output)
    for g in nf.pruners:
        assert np.array_equal(fast.keep[g], lava.keep[g])
    assert leftover_workers() == []
