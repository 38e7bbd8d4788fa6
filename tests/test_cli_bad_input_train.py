"""Bad input to the training commands (train, export, calibrate, ablation): exit code 2, a message on stderr
that names the input, never a traceback, and nothing left behind (issue 16).

Every case runs the program's ``main`` with the case's arguments, in this process (as its entry point
``train/<command>.py`` calls it), from an empty folder, and fails before any training. One case per program also
runs as a user runs it, ``python train/<command>.py ...`` in a subprocess, for the real exit code and stderr. The
library side (``training.run.train`` removing a run folder it created when it fails before its first checkpoint)
is tested at the end.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cli_in_process import main_in_process
from interrupted import failing_epoch

from razor_lava.atomic import first_missing, removed_on_failure
from razor_lava.configs import CONFIG_DIR
from razor_lava.errors import DataFormatError, UsageError

ROOT = Path(__file__).resolve().parents[1]
SMALL = (CONFIG_DIR / "synthetic_small.yaml").read_text()


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for folders)."""
    return {str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes()) for p in sorted(folder.rglob("*"))}


def prepare(tmp: Path) -> None:
    """What the cases point at: configs with wrong types, an empty folder, a file, a damaged checkpoint."""
    assert re.search(r"^  epochs: \d+$", SMALL, re.M)  # the case below must change something
    (tmp / "epochs_str.yaml").write_text(re.sub(r"^  epochs: \d+$", '  epochs: "3"', SMALL, flags=re.M))
    (tmp / "lr_fast.yaml").write_text(SMALL.replace("lr: 0.003", "lr: fast"))
    (tmp / "bad_yaml.yaml").write_text(SMALL + "\nlayers: [unclosed\n")
    (tmp / "small_input.yaml").write_text(SMALL.replace("input: [2, 32, 32]", "input: [2, 16, 16]"))
    (tmp / "empty").mkdir()
    (tmp / "a_file").write_text("not a folder\n")
    (tmp / "damaged").mkdir()
    (tmp / "damaged" / "checkpoint.pt").write_bytes(b"PK\x03\x04 not a torch checkpoint" * 8)


def run_case(tmp: Path, script: str, argv: list[str], named: list[str], process: bool = False) -> str:
    """Run ``script``'s program on ``argv`` from the folder ``tmp``: exit code 2, every text of ``named`` in its
    stderr, no traceback, nothing in ``tmp`` changed. ``process``: in a subprocess, as a user runs it; else its
    ``main`` in this process. Returns the stderr."""
    prepare(tmp)
    before = snapshot(tmp)
    argv = [a.replace("{tmp}", str(tmp)) for a in argv]
    if process:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        r = subprocess.run([sys.executable, str(ROOT / script), *argv], cwd=tmp, env=env, capture_output=True,
                           text=True, timeout=300)
        code, err = r.returncode, r.stderr
    else:
        code, err = main_in_process(Path(script).stem, argv, cwd=tmp)
    assert code == 2, f"exit {code}\nstderr: {err}"
    assert "Traceback" not in err, err
    for text in named:
        assert text.replace("{tmp}", str(tmp)) in err, f"{text!r} not in stderr:\n{err}"
    after = snapshot(tmp)
    assert after == before, f"left behind or changed: {sorted(set(after) ^ set(before))}"
    return err


TRAIN = ["--config", "synthetic_small", "--out", "{tmp}/run", "--no-progress"]
TRAIN_CASES = {
    "epochs 0": (["--epochs", "0"], ["--epochs", "expected an integer >= 1"]),
    "epochs -1": (["--epochs", "-1"], ["--epochs", "-1"]),
    "batch size 0": (["--batch-size", "0"], ["--batch-size", "expected an integer >= 1"]),
    "train samples 0": (["--train-samples", "0"], ["--train-samples", ">= 1"]),
    "test samples 0": (["--test-samples", "0"], ["--test-samples", ">= 1"]),
    "lr 0": (["--lr", "0"], ["--lr", "expected a number > 0"]),
    "lr nan": (["--lr", "nan"], ["--lr", "nan"]),
    "K -1": (["-K", "-1"], ["-K", "expected an integer >= 0"]),
    "theta and ratio": (["--theta", "0.5", "--ratio", "0.3"], ["--theta", "--ratio", "not allowed"]),
    "theta 1.5": (["--theta", "1.5"], ["--theta", "(0, 1)"]),
    "ratio 1": (["--ratio", "1"], ["--ratio", "[0, 1)"]),
    "seed -1": (["--seed", "-1"], ["--seed", "-1"]),
    "positions E5": (["--positions", "E5"], ["--positions", "'E5'"]),
    "no-cutoff and an epsilon": (["--no-cutoff", "--cutoff-epsilon", "0.1"], ["--no-cutoff", "--cutoff-epsilon"]),
    "cutoff epsilon 1.5": (["--cutoff-epsilon", "1.5"], ["--cutoff-epsilon", "1.5", "train.cutoff_epsilon"]),
    "rcs alpha -1": (["--rcs-alpha", "-1"], ["--rcs-alpha", "-1", ">= 0"]),
    "unknown device": (["--device", "tpu"], ["--device", "'tpu'"]),
    "resume without a run": (["--resume"], ["--resume", "{tmp}/run", "checkpoint.pt"]),
    "data root missing": (["--data-root", "{tmp}/nowhere"], ["--data-root", "{tmp}/nowhere", "no such folder"]),
    "a data root for the embedded data": (["--data-root", "{tmp}/empty"], ["--data-root", "{tmp}/empty", "embedded"]),
    "causal variant with the config's ratio": (["--variant", "causal"], ["pruner.ratio", "causal"]),
}
# Cases that replace --config or --out of TRAIN.
TRAIN_OWN = {
    "resume on a folder without a checkpoint": (
        ["--config", "synthetic_small", "--out", "{tmp}/empty", "--resume"], ["--resume", "{tmp}/empty"]),
    "out is a file": (["--config", "synthetic_small", "--out", "{tmp}/a_file"], ["--out", "{tmp}/a_file"]),
    "out holds a run, without --resume": (["--config", "synthetic_small", "--out", "{tmp}/damaged"],
                                          ["--out", "{tmp}/damaged", "already holds a run", "--resume"]),
    "epochs as a string in the config": (
        ["--config", "{tmp}/epochs_str.yaml", "--out", "{tmp}/run"], ["train.epochs", "'3'", "epochs_str.yaml"]),
    "lr: fast in the config": (["--config", "{tmp}/lr_fast.yaml", "--out", "{tmp}/run"], ["train.lr", "'fast'"]),
    "invalid YAML": (["--config", "{tmp}/bad_yaml.yaml", "--out", "{tmp}/run"], ["bad_yaml.yaml", "not valid YAML"]),
    "unknown config": (["--config", "nmist", "--out", "{tmp}/run"], ["'nmist'", "synthetic_small"]),
    "a data set without --data-root": (["--config", "nmnist", "--out", "{tmp}/new/deeper/run"], ["--data-root"]),
    "a data root without the data set": (["--config", "nmnist", "--data-root", "{tmp}/empty", "--out",
                                          "{tmp}/new/deeper/run"], ["{tmp}/empty", "N-MNIST"]),
    "config input that does not fit the data": (
        ["--config", "{tmp}/small_input.yaml", "--out", "{tmp}/run", "--train-samples", "2", "--test-samples", "2"],
        ["input", "[2, 16, 16]", "[2, 32, 32]"]),
}


@pytest.mark.parametrize("case", sorted(TRAIN_CASES))
def test_train_refuses_bad_flags(tmp_path, case):
    argv, named = TRAIN_CASES[case]
    run_case(tmp_path, "train/train.py", TRAIN + argv, named)


@pytest.mark.parametrize("case", sorted(TRAIN_OWN))
def test_train_refuses_bad_configs_paths_and_data(tmp_path, case):
    argv, named = TRAIN_OWN[case]
    run_case(tmp_path, "train/train.py", argv + ["--no-progress"], named)


EXPORT_CASES = {
    "run folder missing": (["{tmp}/nowhere"], ["{tmp}/nowhere", "no such folder"]),
    "run folder is a file": (["{tmp}/a_file"], ["{tmp}/a_file"]),
    "no checkpoint": (["{tmp}/empty"], ["{tmp}/empty", "checkpoint.pt"]),
    "damaged checkpoint": (["{tmp}/damaged"], ["{tmp}/damaged/checkpoint.pt", "not a readable checkpoint"]),
    "out is a folder": (["{tmp}/damaged", "--out", "{tmp}/empty"], ["--out", "{tmp}/empty"]),
    "data root missing": (["{tmp}/damaged", "--data-root", "{tmp}/nowhere"], ["--data-root", "{tmp}/nowhere"]),
}


@pytest.mark.parametrize("case", sorted(EXPORT_CASES))
def test_export_refuses_bad_input(tmp_path, case):
    argv, named = EXPORT_CASES[case]
    run_case(tmp_path, "train/export.py", argv, named)


CALIBRATE_CASES = {
    "epsilon 1": (["{tmp}/damaged", "--epsilon", "1"], ["--epsilon", "[0, 1)"]),
    "epsilon -0.1": (["{tmp}/damaged", "--epsilon", "-0.1"], ["--epsilon", "-0.1"]),
    "batch size 0": (["{tmp}/damaged", "--batch-size", "0"], ["--batch-size", ">= 1"]),
    "data root missing": (["{tmp}/damaged", "--data-root", "{tmp}/nowhere"], ["--data-root", "{tmp}/nowhere"]),
    "run folder missing": (["{tmp}/nowhere"], ["{tmp}/nowhere"]),
    "no checkpoint": (["{tmp}/empty"], ["{tmp}/empty", "checkpoint.pt"]),
    "damaged checkpoint": (["{tmp}/damaged"], ["{tmp}/damaged/checkpoint.pt"]),
}


@pytest.mark.parametrize("case", sorted(CALIBRATE_CASES))
def test_calibrate_refuses_bad_input(tmp_path, case):
    argv, named = CALIBRATE_CASES[case]
    run_case(tmp_path, "train/calibrate.py", argv, named)


ABLATION = ["--config", "synthetic_small", "--out", "{tmp}/ablation"]
ABLATION_CASES = {
    "epochs 0": (["--epochs", "0"], ["--epochs", ">= 1"]),
    "K -1": (["--K", "-1"], ["--K", ">= 0"]),
    "positions E5": (["--positions", "E5"], ["--positions", "'E5'"]),
    "a position twice": (["--positions", "E1", "E1"], ["--positions", "E1", "twice"]),
    "nothing to compare": (["--positions"], ["--positions", "nothing to compare"]),
    "train samples 0": (["--train-samples", "0"], ["--train-samples"]),
    "resume without runs": (["--resume"], ["--resume", "{tmp}/ablation"]),
    "data root missing": (["--data-root", "{tmp}/nowhere"], ["--data-root", "{tmp}/nowhere"]),
}


@pytest.mark.parametrize("case", sorted(ABLATION_CASES))
def test_ablation_refuses_bad_input(tmp_path, case):
    argv, named = ABLATION_CASES[case]
    run_case(tmp_path, "train/ablation.py", ABLATION + argv, named)


def test_ablation_without_the_data_leaves_no_folder(tmp_path):
    run_case(tmp_path, "train/ablation.py", ["--config", "nmnist", "--out", "{tmp}/ablation", "--positions", "E1"],
             ["--data-root"])


@pytest.mark.slow  # each starts the program in a subprocess (torch and lava-dl imported each time)
@pytest.mark.parametrize("script,argv,named", [
    ("train/train.py", TRAIN + ["--epochs", "0"], ["--epochs", "expected an integer >= 1"]),
    ("train/train.py", ["--config", "{tmp}/lr_fast.yaml", "--out", "{tmp}/run"], ["train.lr", "'fast'"]),
    ("train/export.py", ["{tmp}/damaged"], ["{tmp}/damaged/checkpoint.pt", "not a readable checkpoint"]),
    ("train/calibrate.py", ["{tmp}/damaged", "--epsilon", "1"], ["--epsilon", "[0, 1)"]),
    ("train/ablation.py", ["--config", "nmnist", "--out", "{tmp}/ablation", "--positions", "E1"], ["--data-root"]),
], ids=["train flag", "train config", "export", "calibrate", "ablation"])
def test_each_program_refuses_as_a_user_runs_it(tmp_path, script, argv, named):
    run_case(tmp_path, script, argv, named, process=True)


# ---- the library side ------------------------------------------------------------------------------------

def test_removed_on_failure_removes_only_what_it_created(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "keep.txt").write_text("x")
    assert first_missing(tmp_path / "old") is None
    assert first_missing(tmp_path / "a" / "b") == tmp_path / "a"
    for target in (tmp_path / "old", tmp_path / "old" / "new", tmp_path / "a" / "b" / "c"):
        with pytest.raises(DataFormatError), removed_on_failure(target):
            target.mkdir(parents=True, exist_ok=True)
            (target / "half.txt").write_text("half")
            raise DataFormatError(None, "bad data")
    assert snapshot(tmp_path) == {"old": None, "old/half.txt": b"half", "old/keep.txt": b"x"}
    with pytest.raises(KeyboardInterrupt), removed_on_failure(tmp_path / "kept", keep=lambda: True):
        (tmp_path / "kept").mkdir()
        raise KeyboardInterrupt
    assert (tmp_path / "kept").is_dir()


def _opts(out, **kw):
    from razor_lava.training.options import RunOptions

    kw = {"epochs": 1, "train_samples": 24, "test_samples": 4, "batch_size": 4} | kw
    return RunOptions(out=out, progress=False, **kw)


@pytest.mark.parametrize("field,value", [("epochs", 0), ("batch_size", 0), ("lr", 0.0), ("train_samples", 0),
                                         ("test_samples", -1), ("epochs", True), ("lr", "fast"), ("seed", -1),
                                         ("device", "tpu")])
def test_run_options_out_of_range_are_refused_before_anything_is_written(tmp_path, field, value):
    from razor_lava.config import load_config
    from razor_lava.training.run import train

    with pytest.raises(UsageError) as e:
        train(load_config("synthetic_small"), _opts(tmp_path / "run", **{field: value}), log=lambda *a: None)
    assert e.value.option == field and not (tmp_path / "run").exists()


def test_a_run_that_fails_before_its_first_checkpoint_leaves_no_folder(tmp_path, monkeypatch):
    from razor_lava.config import load_config
    from razor_lava.training import loop, run as run_mod

    cfg = load_config("synthetic_small")
    real_epoch = loop.train_epoch
    fails_in_epoch = lambda n: failing_epoch(real_epoch, n, DataFormatError("sample 3", "a bad sample"))  # noqa: E731
    monkeypatch.setattr(loop, "train_epoch", fails_in_epoch(1))
    with pytest.raises(DataFormatError):
        run_mod.train(cfg, _opts(tmp_path / "new" / "run"), log=lambda *a: None)
    assert not (tmp_path / "new").exists()  # the run folder and the parent it created are gone
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "notes.txt").write_text("mine")
    monkeypatch.setattr(loop, "train_epoch", fails_in_epoch(1))
    with pytest.raises(DataFormatError):
        run_mod.train(cfg, _opts(tmp_path / "old"), log=lambda *a: None)
    assert snapshot(tmp_path / "old") == {"notes.txt": b"mine"}  # a folder that existed is left as it was
    # After a finished epoch the run is resumable: its folder and checkpoint stay.
    monkeypatch.setattr(loop, "train_epoch", fails_in_epoch(2))
    with pytest.raises(DataFormatError):
        run_mod.train(cfg, _opts(tmp_path / "cut", epochs=2), log=lambda *a: None)
    assert (tmp_path / "cut" / "checkpoint.pt").is_file()
    monkeypatch.setattr(loop, "train_epoch", real_epoch)
    # Resuming with fewer epochs than the checkpoint holds is refused, not a silent re-export.
    run_mod.train(cfg, _opts(tmp_path / "cut", epochs=2, resume=True), log=lambda *a: None)
    with pytest.raises(UsageError) as e:
        run_mod.train(cfg, _opts(tmp_path / "cut", epochs=1, resume=True), log=lambda *a: None)
    assert e.value.option == "epochs" and "already holds 2 epochs" in str(e.value)
