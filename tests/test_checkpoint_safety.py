"""A run folder is data, not code (issue 28): checkpoints are written as tensors and plain types and read with
``torch.load(weights_only=True)``, so a crafted ``checkpoint.pt`` whose unpickling would run code is refused
(exit 2) by every command that reads a run folder, and its payload never runs. An earlier version's pickled
checkpoint is read only with ``--trust-checkpoint`` and converted once by ``train/convert_checkpoint.py``;
what this version writes resumes, calibrates and exports bit-identically to the old pickled form."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

import bench_scripts
from razor_lava.cli import calibrate as calibrate_cli
from razor_lava.cli import convert_checkpoint as convert_cli
from razor_lava.cli import export as export_cli
from razor_lava.cli import train as train_cli
from razor_lava.training import checkpoint as ckmod
from razor_lava.training.checkpoint import FORMAT_KEY, UntrustedCheckpointError, read_checkpoint, to_safe

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--train-samples", "40", "--test-samples", "20"]


class _Payload:
    """Unpickling this calls ``open(path, "w")``: it creates the file (what an ``os.system`` payload could do)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture(scope="module")
def trained(tiny_run):
    """A finished run of this version (1 epoch, cutoff calibrated: its table holds numpy arrays)."""
    return tiny_run


def crafted_run(trained: Path, where: Path, marker: Path, kind: str = "checkpoint", interrupted=False) -> Path:
    """A copy of the run whose checkpoint.pt creates ``marker`` when unpickled: a real checkpoint with a payload
    beside its keys (so a loader that unpickles reads it as a fine checkpoint), or a bare pickle.
    ``interrupted``: the checkpoint alone, as a run interrupted before its end leaves it (to resume)."""
    if interrupted:
        where.mkdir(parents=True, exist_ok=True)
    else:
        shutil.copytree(trained, where, dirs_exist_ok=True)
    path = where / "checkpoint.pt"
    if kind == "checkpoint":
        torch.save(read_checkpoint(trained / "checkpoint.pt") | {"note": _Payload(marker)}, path)
    else:
        path.write_bytes(pickle.dumps(_Payload(marker)))
    return where


def legacy_run(trained: Path, where: Path) -> Path:
    """A copy of the run whose checkpoint is pickled as earlier versions wrote it (numpy arrays as objects)."""
    shutil.copytree(trained, where, dirs_exist_ok=True)
    torch.save(read_checkpoint(trained / "checkpoint.pt"), where / "checkpoint.pt")  # plain torch.save: pickled
    return where


def _json_of(out: str) -> dict:
    return json.loads(out[out.index("{"):])


def checksum(path) -> str:
    with h5py.File(path, "r") as f:
        return str(f["razor"].attrs["checksum"])


# ---------------------------------------------------------------------------------------- the format

@pytest.mark.slow  # trains a run
def test_checkpoints_of_this_version_load_weights_only(trained):
    raw = torch.load(trained / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert raw[FORMAT_KEY]["version"] == ckmod.VERSION
    assert isinstance(raw["cutoff"]["beta"], torch.Tensor)  # stored as a tensor...
    ckpt = read_checkpoint(trained / "checkpoint.pt")
    beta = ckpt["cutoff"]["beta"]
    assert isinstance(beta, np.ndarray) and beta.dtype == np.float64  # ...and given back as the array it was
    assert ckpt["cutoff"]["fallback_steps"].dtype == np.int64 and FORMAT_KEY not in ckpt
    np.testing.assert_array_equal(beta, raw["cutoff"]["beta"].numpy())
    assert isinstance(ckpt["model"], OrderedDict) and hasattr(ckpt["model"], "_metadata")


def test_numpy_values_round_trip_bit_exactly(tmp_path):
    meta = OrderedDict(w=torch.arange(3.0))
    meta._metadata = {"": {"version": 1}}
    ckpt = {"a": np.array([1.5, np.nan, np.inf, -0.0]), "b": np.float64(0.25), "c": np.int32(7), "d": np.bool_(True),
            "e": (np.arange(6, dtype=np.int16).reshape(2, 3), "x"), "f": np.array([1, 2], dtype=">f4"),
            "g": [np.zeros((0, 2), dtype=np.float32), {"h": np.uint8(3)}], "i": np.array("text"), "state": meta,
            "plain": {"k": [1, 2.0, None, True, "s"]}, 3: np.array(2.0)}
    path = tmp_path / "c.pt"
    ckmod.save_checkpoint(ckpt, path)
    torch.load(path, weights_only=True)  # the weights-only loader reads all of it
    back = read_checkpoint(path)
    assert convert_cli.same(back, ckpt)
    assert type(back["b"]) is np.float64 and back["f"].dtype == np.dtype(">f4") and isinstance(back["e"], tuple)
    assert back["state"]._metadata == {"": {"version": 1}} and str(back["i"]) == "text"
    assert not convert_cli.same(back, ckpt | {"b": 0.25})  # a float is not a numpy scalar


@pytest.mark.parametrize("bad", [{1, 2}, Path("x"), object(), np.array([None])])
def test_values_that_are_not_data_are_refused_when_saved(bad):
    with pytest.raises(TypeError, match=r"\['x'\]\[0\]"):
        to_safe({"x": [bad]})


# ---------------------------------------------------------------------------------------- crafted checkpoints

@pytest.mark.slow  # trains a run
def test_the_crafted_payload_is_real(trained, tmp_path, monkeypatch):
    """Without weights_only the crafted checkpoint runs its payload: the refusals below are meaningful."""
    marker = tmp_path / "PWNED"
    run = crafted_run(trained, tmp_path / "run", marker)
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: real_load(*a, **{**k, "weights_only": False}))
    assert export_cli.main([str(run), "--out", str(tmp_path / "x.h5")]) == 0
    assert marker.exists()


@pytest.mark.slow  # trains a run
def test_trust_checkpoint_is_what_unpickles(trained, tmp_path):
    """--trust-checkpoint is the one opt-in: it does run what the file holds (hence its help's warning)."""
    marker = tmp_path / "PWNED"
    run = crafted_run(trained, tmp_path / "run", marker)
    assert export_cli.main([str(run), "--out", str(tmp_path / "x.h5"), "--trust-checkpoint"]) == 0
    assert marker.exists()
    ap_help = subprocess.run([sys.executable, "-m", "razor_lava.cli.export", "--help"], capture_output=True,
                             text=True, timeout=300).stdout
    assert "--trust-checkpoint" in ap_help and "execute code" in " ".join(ap_help.split())


def _bench_command(name: str, work: Path, tmp: Path) -> tuple[list[str], list[Path]]:
    """A bench's command line on ``work`` and the run folders it trains (or resumes) there first."""
    if name == "bench":
        return (["--datasets", "synthetic", "--work", str(work), "--out", str(tmp / "R.md"), "--epochs", "1",
                 "--train-samples", "40"], [work / "synthetic-E1", work / "synthetic-E3"])
    if name == "recipe":
        return (["--dataset", "synthetic", "--variants", "E3", "--seeds", "0", "--epochs", "1", *SMALL, "--jobs", "1",
                 "--work", str(work), "--cache-dir", str(tmp / "c"), "--out", str(tmp / "R.md")],
                [work / "E3" / "seed0"])
    if name == "frontier":
        frontier = bench_scripts.load("frontier")
        return (["--quick", "--jobs", "1", "--work", str(work), "--out", str(tmp / "F.md"), "--cache-dir",
                 str(tmp / "c")], [work / "synthetic" / p[0] / "seed0" for p in frontier.QUICK_POINTS])
    if name == "nir_interop":
        return ["--quick", "--work", str(work), "--out", str(tmp / "N.md")], [work / "seed0"]
    raise ValueError(name)


COMMANDS = ["train --resume", "calibrate", "export", "export --nir", "ablation --resume", "convert_checkpoint",
            "demo", "bench/bench.py", "bench/recipe.py", "bench/frontier.py", "bench/nir_interop.py",
            "bench/nir_interop.py (a finished run)"]


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_refuses_a_crafted_checkpoint(command, trained, tmp_path, capsys, monkeypatch):
    marker = tmp_path / "PWNED"
    run = tmp_path / "run"
    if command == "train --resume":
        crafted_run(trained, run, marker)
        rc = train_cli.main(["--config", "synthetic_small", "--out", str(run), "--resume", "--epochs", "1", *SMALL,
                             "--no-progress"])
    elif command == "calibrate":
        rc = calibrate_cli.main([str(crafted_run(trained, run, marker)), "--epsilon", "0.05"])
    elif command == "export":
        rc = export_cli.main([str(crafted_run(trained, run, marker)), "--out", str(tmp_path / "x.h5")])
    elif command == "export --nir":
        rc = export_cli.main([str(crafted_run(trained, run, marker)), "--nir", str(tmp_path / "x.nir")])
    elif command == "ablation --resume":
        from razor_lava.cli import ablation

        crafted_run(trained, tmp_path / "abl" / "E1", marker)
        rc = ablation.main(["--config", "synthetic_small", "--out", str(tmp_path / "abl"), "--positions", "E1",
                            "--epochs", "1", *SMALL, "--resume"])
    elif command == "convert_checkpoint":  # without --trust-checkpoint it reads weights-only like the others
        rc = convert_cli.main([str(crafted_run(trained, run, marker))])
    elif command == "demo":
        from razor_lava import demo

        crafted_run(trained, tmp_path / "demo" / "run", marker)
        rc = demo.main(["--out", str(tmp_path / "demo"), "--epochs", "1", *SMALL])
    elif command == "bench/nir_interop.py (a finished run)":  # reused: only exported (to NIR), not trained
        mod = bench_scripts.load("nir_interop")
        monkeypatch.setattr("razor_lava.training.jobs.finished_run", lambda *a, **k: {"seed": 0})
        crafted_run(trained, tmp_path / "work" / "seed0", marker)
        rc = mod.main(["--quick", "--work", str(tmp_path / "work"), "--out", str(tmp_path / "N.md")])
    else:
        name = command.split("/")[1].removesuffix(".py")
        argv, runs = _bench_command(name, tmp_path / "work", tmp_path)
        for r in runs:
            crafted_run(trained, r, marker, interrupted=True)
        rc = bench_scripts.load(name).main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert not marker.exists(), "the crafted checkpoint's payload ran"
    assert "checkpoint.pt" in err and "--trust-checkpoint" in err, err


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["checkpoint", "bare pickle"])
def test_the_issue_s_command_refuses_before_anything_runs(trained, tmp_path, kind):
    """The reported case: ``python train/calibrate.py RUN --epsilon 0.05`` on a hand-written checkpoint.pt."""
    marker = tmp_path / "PWNED"
    run = crafted_run(trained, tmp_path / "run", marker, kind="checkpoint" if kind == "checkpoint" else "pickle")
    before = (run / "checkpoint.pt").read_bytes()
    r = subprocess.run([sys.executable, str(ROOT / "train" / "calibrate.py"), str(run), "--epsilon", "0.05"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.startswith("error: "), r.stderr
    assert "execute code" in r.stderr and "train/convert_checkpoint.py" in r.stderr and str(run) in r.stderr
    assert not marker.exists()
    assert (run / "checkpoint.pt").read_bytes() == before  # left as it was


def test_the_refusal_survives_a_worker_process():
    """Benchmarks train in worker processes: the error pickles back to the parent with its fields."""
    e = UntrustedCheckpointError("/x/checkpoint.pt", "not read")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is UntrustedCheckpointError and str(back) == str(e) and back.source == e.source


# ---------------------------------------------------------------------------------------- earlier checkpoints

@pytest.mark.slow
def test_an_earlier_checkpoint_needs_trust_then_converts_once(trained, tmp_path, capsys):
    run = legacy_run(trained, tmp_path / "old")
    with pytest.raises(pickle.UnpicklingError):  # what makes it "earlier": numpy objects in the pickle
        torch.load(run / "checkpoint.pt", weights_only=True)
    assert export_cli.main([str(run), "--out", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err
    assert f"train/convert_checkpoint.py {run} --trust-checkpoint" in err and "--trust-checkpoint" in err

    # read with --trust-checkpoint: the same network as this version's checkpoint gives
    assert export_cli.main([str(run), "--out", str(tmp_path / "trusted.h5"), "--trust-checkpoint"]) == 0
    assert checksum(tmp_path / "trusted.h5") == checksum(trained / "network.h5")

    # convert: refused without the flag, then done once; afterwards it reads weights-only, to the same content
    assert convert_cli.main([str(run)]) == 2
    assert "--trust-checkpoint" in capsys.readouterr().err
    legacy = torch.load(run / "checkpoint.pt", weights_only=False)
    assert convert_cli.main([str(run), "--trust-checkpoint"]) == 0
    assert "converted" in capsys.readouterr().out
    torch.load(run / "checkpoint.pt", weights_only=True)
    assert convert_cli.same(read_checkpoint(run / "checkpoint.pt"), legacy)
    assert not list(run.glob("*.tmp*"))
    assert export_cli.main([str(run), "--out", str(tmp_path / "converted.h5")]) == 0
    assert checksum(tmp_path / "converted.h5") == checksum(trained / "network.h5")

    # a safe checkpoint is left as it is
    data = (run / "checkpoint.pt").read_bytes()
    assert convert_cli.main([str(run)]) == 0 and "already" in capsys.readouterr().out
    assert (run / "checkpoint.pt").read_bytes() == data


def test_a_damaged_checkpoint_is_still_a_format_error(tmp_path):
    (tmp_path / "checkpoint.pt").write_bytes(b"PK\x03\x04 not a torch checkpoint" * 8)
    with pytest.raises(ckmod.DataFormatError, match="not a readable checkpoint") as e:
        read_checkpoint(tmp_path / "checkpoint.pt")
    assert not isinstance(e.value, UntrustedCheckpointError)


# ---------------------------------------------------------------------------------------- bit-identical

@pytest.mark.slow
def test_export_calibrate_and_resume_are_identical_to_the_pickled_form(trained, tmp_path, capsys):
    """This version's safe checkpoint and the same content pickled as before (read with --trust-checkpoint)
    give the same network file, the same calibration and the same resumed training."""
    new, old = tmp_path / "new", legacy_run(trained, tmp_path / "old")
    shutil.copytree(trained, new)

    # export: the network file the run wrote at its end, from either checkpoint
    assert export_cli.main([str(new), "--out", str(tmp_path / "new.h5")]) == 0
    assert export_cli.main([str(old), "--out", str(tmp_path / "old.h5"), "--trust-checkpoint"]) == 0
    assert checksum(tmp_path / "new.h5") == checksum(tmp_path / "old.h5") == checksum(trained / "network.h5")
    capsys.readouterr()

    # calibrate: same metrics, same table, same network file; the old one is written back in the safe form
    assert calibrate_cli.main([str(new), "--epsilon", "0.3"]) == 0
    row_new = _json_of(capsys.readouterr().out)
    assert calibrate_cli.main([str(old), "--epsilon", "0.3", "--trust-checkpoint"]) == 0
    row_old = _json_of(capsys.readouterr().out)
    assert {k: v for k, v in row_new.items() if k != "network"} == {k: v for k, v in row_old.items()
                                                                    if k != "network"}
    assert checksum(new / "network.h5") == checksum(old / "network.h5")
    torch.load(old / "checkpoint.pt", weights_only=True)
    assert convert_cli.same(read_checkpoint(new / "checkpoint.pt"), read_checkpoint(old / "checkpoint.pt"))

    # resume one more epoch from either: the same weights, optimizer state, history and result
    old2 = legacy_run(new, tmp_path / "old2")
    args = ["--config", "synthetic_small", "--resume", "--epochs", "2", *SMALL, "--no-progress"]
    assert train_cli.main(args + ["--out", str(new)]) == 0
    assert train_cli.main(args + ["--out", str(old2), "--trust-checkpoint"]) == 0
    a, b = read_checkpoint(new / "checkpoint.pt"), read_checkpoint(old2 / "checkpoint.pt")
    assert a["epoch"] == b["epoch"] == 2
    for k in ("model", "optimizer", "best", "cutoff"):
        assert convert_cli.same(a[k], b[k]), k
    assert [{k: v for k, v in h.items() if not k.startswith("seconds")} for h in a["history"]] == \
        [{k: v for k, v in h.items() if not k.startswith("seconds")} for h in b["history"]]
    assert checksum(new / "network.h5") == checksum(old2 / "network.h5")
