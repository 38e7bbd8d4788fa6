"""deploy.py and synops.py on bad input: exit code 2, a message naming the input, no traceback, nothing written.

Every case fails before a Lava network is compiled. The damaged network files
are written by the tests themselves (a razor_lava export, then changed; a
plain netx file with wrong values).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from razor_lava.netfile.write import content_digest

from cli_in_process import main_in_process  # tests/ is on sys.path
from netfiles import CONV, export_random

ROOT = Path(__file__).resolve().parents[1]
NMNIST = ROOT.parent / "shared" / "data" / "nmnist-small"


@pytest.fixture(scope="module")
def razor_file(tmp_path_factory):
    torch.manual_seed(0)
    _, path = export_random(tmp_path_factory.mktemp("net") / "net.h5", CONV, {"positions": [2], "ratio": 0.25})
    return path


def changed(src: Path, dst: Path, change, restamp: bool = True) -> Path:
    """A copy of ``src`` changed by ``change(h5file)``; ``restamp``: as if a tool had re-stamped its checksum,
    so the check behind the checksum is the one that speaks."""
    dst.write_bytes(src.read_bytes())
    with h5py.File(dst, "r+") as f:
        change(f)
        if restamp and "razor" in f:
            f["razor"].attrs["checksum"] = content_digest(f)
    return dst


def _replace(key, value):
    def change(f):
        del f[key]
        f[key] = value
    return change


def _weights(f, key="layer/1/weight"):
    return np.asarray(f[key][()])


BAD_FILES = {
    "fractional weight": (lambda f: _replace("layer/1/weight", _weights(f) + 0.5)(f), r"layer/1/weight holds non-integer"),
    "NaN weight": (lambda f: _replace("layer/1/weight", _weights(f) * np.nan)(f), r"layer/1/weight holds NaN"),
    "weight out of range": (lambda f: _replace("layer/1/weight", _weights(f) * 0 + 300)(f),
                            r"layer/1/weight has values in \[300, 300\]: expected \[-256, 255\]"),
    "string weights": (lambda f: _replace("layer/1/weight", np.array([b"12"] * _weights(f).size))(f),
                       r"layer/1/weight holds \|S2 values: expected numbers"),
    "negative threshold": (_replace("layer/1/neuron/vThMant", -5), r"layer/1/neuron/vThMant has values in \[-5"),
    "decay above 4096": (_replace("layer/2/neuron/iDecay", 5000), r"layer/2/neuron/iDecay has values in \[5000"),
    "cutoff of the wrong length": (lambda f: f["razor"].create_group("cutoff").create_dataset("beta", data=np.ones(7)),
                                   r"razor/cutoff/beta has 7 timesteps, the frame spec 12"),
    "invalid YAML config": (lambda f: f["razor"].attrs.__setitem__("config", "layers: [unclosed"),
                            r"razor: unreadable config"),
    "newer format": (lambda f: f["razor"].attrs.__setitem__("format_version", 9), r"format version 9 is not one"),
    "pool layer": (lambda f: f["layer/3/type"].__setitem__(0, b"pool"),
                   r"layer/3: layer type 'pool' is not supported .*--num-layers 3"),
}


def run(script: str, *args):
    """The program's ``main`` in this process (as its entry point calls it): exit code and stderr."""
    return main_in_process(script.removesuffix(".py"), [*map(str, args), "--no-progress"])


def run_script(script: str, *args):
    """The real entry point, as a user runs it."""
    r = subprocess.run([sys.executable, str(ROOT / "deploy" / script), *map(str, args), "--no-progress"],
                       capture_output=True, text=True, timeout=300)
    return r.returncode, r.stderr


def assert_refused(code, err, match):
    assert code == 2, err
    assert "Traceback" not in err, err
    import re

    assert re.search(match, err), err


@pytest.mark.parametrize("script", ["deploy.py", "synops.py"])
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_damaged_network_files(razor_file, tmp_path, script, case):
    change, match = BAD_FILES[case]
    path = changed(razor_file, tmp_path / "bad.h5", change)
    out = tmp_path / ("report.json" if script == "deploy.py" else "profile")
    code, err = run(script, path, "--samples", 2, "--report" if script == "deploy.py" else "--out", out)
    assert_refused(code, err, rf"bad\.h5: .*{match}")
    assert not out.exists()


@pytest.mark.parametrize("script", ["deploy.py", "synops.py"])
def test_damage_without_a_new_checksum_is_named_as_damage_by_the_scripts(razor_file, tmp_path, script):
    """End to end through the entry points: exit code 2 and one line, no traceback."""
    path = changed(razor_file, tmp_path / "bad.h5", _replace("layer/1/weight", np.zeros((6, 2, 3, 3, 1))),
                   restamp=False)
    code, err = run_script(script, path, "--samples", 2)
    assert_refused(code, err, r"does not match its checksum")


def test_flipped_bytes_are_named_as_damage(razor_file, tmp_path):
    raw = bytearray(razor_file.read_bytes())
    with h5py.File(razor_file) as f:
        offset = f["layer/1/weight"].id.get_offset()
    raw[offset + 3] ^= 0x40  # inside the first weight's bytes
    (tmp_path / "flip.h5").write_bytes(bytes(raw))
    code, err = run("deploy.py", tmp_path / "flip.h5", "--samples", 2)
    assert_refused(code, err, r"flip\.h5: .*(does not match its checksum|non-integer|expected \[-256, 255\])")


@pytest.mark.parametrize("case,args,match", [
    ("directory as network", ["{tmp}"], r"is a directory: expected a network \.h5 file"),
    ("missing network", ["{tmp}/nope.h5"], r"nope\.h5: no such file"),
    ("not HDF5", ["{tmp}/text.h5"], r"not an HDF5 file"),
    ("zero samples", ["{net}", "--samples", "0"], r"argument --samples: expected an integer >= 1, got 0"),
    ("negative samples", ["{net}", "--samples", "-4"], r"argument --samples: expected an integer >= 1"),
    ("zero layers", ["{net}", "--num-layers", "0"], r"argument --num-layers: expected an integer >= 1"),
    ("too many layers", ["{net}", "--num-layers", "99"], r"num_layers=99: the file has 7 layers"),
    ("report is a directory", ["{net}", "--report", "{tmp}"], r"argument --report: .* is a directory"),
    ("data root for the embedded set", ["{net}", "--data-root", "{tmp}/nowhere"],
     r"--data-root: the 'synthetic' data set is embedded .*drop --data-root"),
    ("unknown data set", ["{net}", "--dataset", "mnist"], r"unknown data set 'mnist'"),
    ("cutoff without a table", ["{net}", "--cutoff"], r"has no cutoff table"),
])
def test_deploy_arguments(razor_file, tmp_path, case, args, match):
    (tmp_path / "text.h5").write_text("not hdf5")
    args = [a.format(tmp=tmp_path, net=razor_file) for a in args]
    code, err = run("deploy.py", *args)
    assert_refused(code, err, match)


@pytest.mark.parametrize("case,args,match", [
    ("out is a file", ["--out", "{tmp}/text.h5"], r"argument --out: .*text\.h5 is a file"),
    ("more lava samples than samples", ["--samples", "2", "--lava-samples", "3"], r"--lava-samples 3: expected at most"),
    ("example outside the samples", ["--samples", "2", "--example", "5"], r"--example 5: expected a sample index"),
    ("zero batch", ["--batch", "0"], r"argument --batch: expected an integer >= 1"),
])
def test_synops_arguments(razor_file, tmp_path, case, args, match):
    (tmp_path / "text.h5").write_text("not hdf5")
    args = [a.format(tmp=tmp_path) for a in args]
    code, err = run("synops.py", razor_file, *args)
    assert_refused(code, err, match)
    assert (tmp_path / "text.h5").read_text() == "not hdf5"  # an existing file named as --out is left alone


def test_a_network_on_frames_that_do_not_fit_it(razor_file, tmp_path):
    if not NMNIST.is_dir():
        pytest.skip(f"the real N-MNIST subset is not at {NMNIST}")
    code, err = run("deploy.py", razor_file, "--dataset", "nmnist", "--data-root", NMNIST, "--samples", 2)
    assert_refused(code, err, r"--dataset: nmnist events come from a 34 x 34 x 2 sensor, but .*net\.h5 was framed "
                              r"for a 8 x 10 x 2 one")


def _npy(path, array):
    np.save(path, array)
    return path


@pytest.mark.parametrize("case,make,extra,match", [
    ("wrong shape", lambda t: _npy(t / "x.npy", np.zeros((3, 2, 9, 8, 12), np.uint8)), [],
     r"x\.npy: array of shape \(3, 2, 9, 8, 12\): expected one sample 2 x 10 x 8 x T or a batch N x 2 x 10 x 8 x T"),
    ("fractional", lambda t: _npy(t / "x.npy", np.full((2, 10, 8, 12), 0.5)), [], r"x\.npy: holds non-integer"),
    ("negative", lambda t: _npy(t / "x.npy", np.full((2, 10, 8, 12), -1)), [], r"x\.npy: values from -1"),
    ("not npy", lambda t: (t / "x.npy").write_text("no") and t / "x.npy", [], r"x\.npy: not a readable \.npy"),
    ("labels count", lambda t: _npy(t / "x.npy", np.zeros((3, 2, 10, 8, 12), np.uint8)),
     ["--labels", "{tmp}/y2.npy"], r"y2\.npy: 2 labels for 3 samples"),
    ("label range", lambda t: _npy(t / "x.npy", np.zeros((2, 2, 10, 8, 12), np.uint8)),
     ["--labels", "{tmp}/y2.npy", "--samples", "2"], None),
    ("input and dataset", lambda t: _npy(t / "x.npy", np.zeros((2, 10, 8, 12), np.uint8)),
     ["--dataset", "synthetic"], r"--input: give either --input or --dataset"),
])
def test_raw_inputs_that_do_not_fit(razor_file, tmp_path, case, make, extra, match):
    x = make(tmp_path)
    np.save(tmp_path / "y2.npy", np.array([0, 1]))
    out = tmp_path / "out.npy"
    args = [razor_file, "--input", x, "--save-output", out, *[a.format(tmp=tmp_path) for a in extra]]
    code, err = run("deploy.py", *args)
    if match is None:  # labels 0, 1 fit a 4-class network: this one runs
        assert code == 0, err
        assert np.load(out).shape == (2, 4, 12)
        return
    assert_refused(code, err, match)
    assert not out.exists()


def test_labels_without_input_are_refused(razor_file, tmp_path):
    np.save(tmp_path / "y.npy", np.array([0]))
    code, err = run("deploy.py", razor_file, "--labels", tmp_path / "y.npy")
    assert_refused(code, err, r"--labels: only with --input")
