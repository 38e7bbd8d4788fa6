"""deploy/import_nir.py's framing options, deploy.py's framing of files without a frame spec, raw inputs up to
axes of size 1, and the NIR paper's CNN on real recordings (Lava == SLAYER, slow)."""

from __future__ import annotations

import types
import warnings
from pathlib import Path

import numpy as np
import pytest

nir = pytest.importorskip("nir", reason="the interop extra (pip install 'razor_lava[interop]') is not installed")

from razor_lava.errors import DataFormatError  # noqa: E402
from razor_lava.netfile import load_network_file  # noqa: E402

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
PAPER = SHARED / "nir-paper-cnn" / "cnn_sinabs.nir"
NMNIST = SHARED / "nmnist-small"


def small_nmnist_graph(path):
    """Input 2 x 34 x 34 -> conv 17x17 stride 17 -> IF -> Flatten -> Linear -> IF, grid weights."""
    rng = np.random.default_rng(0)
    nodes = {"input": nir.Input(np.array([2, 34, 34])),
             "c": nir.Conv2d(input_shape=np.array([34, 34]), weight=rng.integers(-8, 9, (2, 2, 17, 17)) * 2 / 64,
                             stride=np.array([17, 17]), padding=np.array([0, 0]), dilation=np.array([1, 1]), groups=1,
                             bias=np.zeros(2)),
             "i": nir.IF(r=np.ones((2, 2, 2)), v_threshold=np.ones((2, 2, 2)), v_reset=np.zeros((2, 2, 2))),
             "f": nir.Flatten(np.array([2, 2, 2])), "l": nir.Linear(rng.integers(-8, 9, (3, 8)) * 2 / 64),
             "j": nir.IF(r=np.ones(3), v_threshold=np.ones(3), v_reset=np.zeros(3)), "output": nir.Output(np.array([3]))}
    names = list(nodes)
    nir.write(path, nir.NIRGraph(nodes=nodes, edges=list(zip(names, names[1:])), type_check=False))
    return path


def test_import_stores_the_framing_and_refuses_frames_of_another_shape(tmp_path, capsys):
    from razor_lava.cli import import_nir as cli

    g = small_nmnist_graph(tmp_path / "g.nir")
    assert cli.main([str(g), "--out", str(tmp_path / "n.h5"), "--dataset", "nmnist", "--window-ms", "1",
                     "--n-frames", "7", "--frame-mode", "count"]) == 0
    out = capsys.readouterr().out
    assert "Loihi resets the membrane to 0 after a spike" in out and "framing: 1 ms windows, 7 frames, count" in out
    nf = load_network_file(tmp_path / "n.h5")
    assert (nf.frame_spec.sensor_size, nf.frame_spec.window_ms, nf.frame_spec.n_frames, nf.frame_spec.mode) == \
        ((34, 34, 2), 1.0, 7, "count")
    assert nf.config["data"]["dataset"] == "nmnist"
    assert cli.main([str(g), "--out", str(tmp_path / "bad.h5"), "--dataset", "shd", "--n-frames", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--dataset shd: frames would be 700" in err[0] and "takes 2 x 34 x 34" in err[0]
    assert not (tmp_path / "bad.h5").exists()
    assert cli.main([str(g), "--out", str(tmp_path / "bad.h5"), "--n-frames", "5"]) == 2
    assert "--window-ms" in capsys.readouterr().err and not (tmp_path / "bad.h5").exists()


def test_deploy_frames_a_file_without_a_frame_spec_with_the_options(tmp_path):
    from razor_lava.cli import deploy, import_nir as cli

    g = small_nmnist_graph(tmp_path / "g.nir")
    assert cli.main([str(g), "--out", str(tmp_path / "n.h5")]) == 0  # no framing stored
    assert load_network_file(tmp_path / "n.h5").frame_spec is None
    args = deploy.parse_args([str(tmp_path / "n.h5"), "--dataset", "nmnist", "--window-ms", "1", "--n-frames", "9",
                              "--frame-mode", "count"])
    nf = deploy._framed(load_network_file(args.network), args)
    assert (nf.frame_spec.window_ms, nf.frame_spec.n_frames, nf.frame_spec.mode) == (1.0, 9, "count")
    with pytest.raises(SystemExit):
        deploy.parse_args([str(tmp_path / "n.h5"), "--input", str(g), "--n-frames", "9"])
    if NMNIST.is_dir():
        from razor_lava.deployment.samples import load_samples

        frames, labels, _ = load_samples(nf, "nmnist", "test", 2, NMNIST)
        assert frames.shape == (2, 2, 34, 34, 9) and frames.sum() > 0


def test_raw_inputs_match_up_to_axes_of_size_1(tmp_path):
    from razor_lava.deployment.samples import load_inputs

    nf = types.SimpleNamespace(input_shape=(1, 1, 64), path="net.h5", n_outputs=3)
    for shape, n in [((64, 5), 1), ((64, 1, 5), 1), ((1, 64, 5), 1), ((4, 64, 5), 4), ((4, 1, 1, 64, 5), 4)]:
        np.save(tmp_path / "x.npy", np.ones(shape, dtype=np.uint8))
        frames, _ = load_inputs(nf, tmp_path / "x.npy")
        assert frames.shape == (n, 1, 1, 64, 5), shape
    np.save(tmp_path / "x.npy", np.ones((63, 5), dtype=np.uint8))
    with pytest.raises(DataFormatError, match=r"expected one sample 1 x 1 x 64 x T"):
        load_inputs(nf, tmp_path / "x.npy")


@pytest.mark.slow
@pytest.mark.skipif(not (PAPER.is_file() and NMNIST.is_dir()),
                    reason="../shared/data (the NIR paper's CNN and nmnist-small) is not beside the repository")
def test_the_nir_papers_cnn_runs_on_lava_as_on_slayer(tmp_path):
    """The paper's graph as published: imported (pools folded), framed as the paper did (1 ms, counts), a few
    real recordings, 300 steps: Lava's outputs equal SLAYER's spike for spike, and both classify them."""
    from razor_lava.data.framing import FrameSpec
    from razor_lava.deployment.evaluate import deploy_samples
    from razor_lava.deployment.samples import load_samples
    from razor_lava.interop.nir_import import read_nir, write_network_file

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # off lava-dl's grid: scaled (the report says how far)
        imp = read_nir(PAPER)
    assert [s.type for s in imp.network.layers] == ["input", "conv", "conv", "conv", "flatten", "dense", "dense"]
    nf = load_network_file(write_network_file(imp, tmp_path / "cnn.h5", dataset="nmnist",
                                              frame_spec=FrameSpec((34, 34, 2), 1.0, 300, mode="count")))
    frames, labels, _ = load_samples(nf, None, "test", 3, NMNIST)
    rep = deploy_samples(nf, frames, labels, mode="stream", progress=False)
    assert rep["agreement"] == 1.0 and rep["slayer_accuracy"] == rep["accuracy"] == 1.0
