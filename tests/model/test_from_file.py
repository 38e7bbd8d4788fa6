"""train.py --from NET.h5: Razor fine-tuned into a network that came from elsewhere (training/from_file.py).

Small networks on the embedded synthetic data set (8 x 8 frames, 12 of 10 ms), a few dozen samples: seconds.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from netfiles import SMALL_CONV, random_frames  # tests/ is on sys.path

from razor_lava.cli import train as cli
from razor_lava.data.framing import FrameSpec
from razor_lava.errors import UsageError
from razor_lava.config import parse_config
from razor_lava.model.network import RazorNet
from razor_lava.model.reference import reference_network
from razor_lava.netfile import export_network, load_network_file
from razor_lava.training import loop as run_mod
from razor_lava.training.from_file import config_from_network_file, load_into
from razor_lava.training.options import RunOptions
from razor_lava.training.run import train

from interrupted import failing_epoch  # tests/ is on sys.path

ROOT = Path(__file__).resolve().parents[2]
SPEC = FrameSpec((32, 32, 2), window_ms=10, n_frames=12, size=(8, 8))  # the synthetic sensor binned to 8 x 8
CLASSES = [str(i) for i in range(10)]
RAW = copy.deepcopy(SMALL_CONV)  # conv 4 -> flatten -> dense 16 -> dense (LIAF): layers 1, 2, 3, 4
RAW["layers"][3]["out"] = 10
RAW["neuron"]["threshold"] = 0.8
for _layer in RAW["layers"]:  # random weights large enough that every layer spikes
    if _layer["type"] != "flatten":
        _layer["weight_scale"] = 6
FAST = ["--train-samples", "40", "--test-samples", "20", "--batch-size", "10", "--no-progress"]


def write_net(path, pruner=None, seed=0, spec=SPEC) -> Path:
    """A network file of RAW with random weights (and random pruners that really prune, where given)."""
    torch.manual_seed(seed)
    net = RazorNet(parse_config(dict(RAW, pruner=pruner or {"positions": "E1"})))
    with torch.no_grad():
        for p in net.pruners.values():
            p.weight.normal_(0, 1.5)
            p.embeddings.normal_(0, 1.5)
            p.mask_offset.fill_(0.37)
    return export_network(net, path, spec, CLASSES)


def layer_datasets(path) -> dict:
    out = {}
    with h5py.File(path) as f:
        f["layer"].visititems(lambda n, o: out.__setitem__(n, (o.dtype.str, o.shape, np.asarray(o[()]).tobytes()))
                              if isinstance(o, h5py.Dataset) else None)
    return out


def start_state(path, pruner: dict) -> dict:
    """The state dict a --from run starts from (before its first step)."""
    cfg, nf = config_from_network_file(path)
    net = RazorNet(cfg, pruner)
    load_into(net, nf, log=lambda _m: None)
    return {k: v.clone() for k, v in net.state_dict().items()}


def final_state(run_dir) -> dict:
    ckpt = torch.load(Path(run_dir) / "checkpoint.pt", weights_only=True)
    return ckpt["best"]["model"] if ckpt.get("best") else ckpt["model"]


def test_freeze_weights_exports_the_files_layers_byte_for_byte_and_trains_only_the_pruners(tmp_path):
    src = write_net(tmp_path / "net.h5")
    out = tmp_path / "run"
    argv = ["--from", str(src), "--out", str(out), "--positions", "E3", "--ratio", "0.5", "--train-mode", "ste",
            "--freeze-weights", "--epochs", "2", "--lr", "0.01", *FAST]
    assert cli.main(argv) == 0
    assert layer_datasets(out / "network.h5") == layer_datasets(src)  # every layer/ dataset, bytes and dtype
    nf, nf_src = load_network_file(out / "network.h5"), load_network_file(src)
    assert nf.frame_spec == nf_src.frame_spec == SPEC and len(nf.classes) == 10  # the data set's class names
    assert sorted(nf.pruners) == [3] and nf.pruners[3].ratio == 0.5
    before, after = start_state(src, {"positions": "E3", "ratio": 0.5, "train_mode": "ste"}), final_state(out)
    assert before.keys() == after.keys()
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert moved and all(k.startswith("pruners.") for k in moved), moved
    # the run folder is any run's: train/export.py and calibrate.py read it
    assert (out / "config.yaml").is_file() and (out / "result.json").is_file()
    from razor_lava.training.checkpoint import load_trained

    net = load_trained(out)
    assert all(torch.equal(net.state_dict()[k], after[k]) for k in after)


def test_without_freeze_the_weights_move(tmp_path):
    src = write_net(tmp_path / "net.h5")
    out = tmp_path / "run"
    assert cli.main(["--from", str(src), "--out", str(out), "--positions", "E3", "--ratio", "0.5",
                     "--epochs", "1", "--lr", "0.01", "--select", "last", *FAST]) == 0
    a, b = layer_datasets(src), layer_datasets(out / "network.h5")
    assert any(a[k] != b[k] for k in a if k.endswith("/weight"))


@pytest.mark.parametrize("pruner", [None, {"positions": "E3", "ratio": 0.5},
                                    {"positions": "E4", "theta": 0.3, "variant": "causal"}],
                         ids=["no pruners", "ratio pruner", "theta pruners"])
def test_before_training_the_net_from_the_file_computes_what_the_files_reference_computes(tmp_path, pruner):
    src = write_net(tmp_path / "net.h5", pruner, seed=3)
    cfg, nf = config_from_network_file(src)
    net = RazorNet(cfg)  # the file's own pruners (a razor_lava file continues from them)
    assert load_into(net, nf, log=lambda _m: None) == sorted(nf.pruners)
    net.eval()
    ref = reference_network(nf)
    x = torch.as_tensor(random_frames(nf.input_shape, 16, seed=5).astype(np.float32))
    x = torch.nn.functional.pad(x, (0, SPEC.n_frames - x.shape[-1]))
    with torch.no_grad():
        got, want = net(x), ref(x)
    assert torch.equal(got, want) and want.abs().sum() > 0
    for k, p in net.pruner_items():
        assert torch.equal(p.last_keep, ref.pruners[str(k)].last_keep)
        if pruner is not None:
            assert not p.last_keep.all()  # the pruners really prune


def test_a_razor_lava_file_continues_with_its_config_and_pruners(tmp_path):
    src = write_net(tmp_path / "net.h5", {"positions": "E3", "ratio": 0.25, "n_embeddings": 2})
    cfg, nf = config_from_network_file(src)
    assert cfg.data["dataset"] == "synthetic" and cfg.pruner_layers() == [3]
    assert cfg.pruner["ratio"] == 0.25 and cfg.pruner["n_embeddings"] == 2
    assert cfg.neuron["tau_grad"] == RAW["neuron"]["tau_grad"]


def test_a_from_run_resumes_to_the_same_result(tmp_path, monkeypatch):
    src = write_net(tmp_path / "net.h5")
    cfg, _ = config_from_network_file(src)

    def opts(name, **kw):
        return RunOptions(out=tmp_path / name, epochs=2, train_samples=40, test_samples=20, batch_size=10,
                          progress=False, from_file=src, freeze_weights=True, lr=0.01,
                          pruner={"positions": "E3", "ratio": 0.5, "train_mode": "ste"}, **kw)

    full = train(cfg, opts("full"), log=lambda *a: None)
    real = run_mod.train_epoch
    monkeypatch.setattr(run_mod, "train_epoch", failing_epoch(real, 2, KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        train(cfg, opts("cut"), log=lambda *a: None)
    monkeypatch.setattr(run_mod, "train_epoch", real)
    resumed = train(cfg, opts("cut", resume=True), log=lambda *a: None)
    assert resumed["train_loss"] == full["train_loss"] and resumed["test_accuracy"] == full["test_accuracy"]
    a, b = final_state(tmp_path / "full"), final_state(tmp_path / "cut")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert layer_datasets(tmp_path / "cut" / "network.h5") == layer_datasets(src)
    # resuming from another file (or without --freeze-weights) is another run
    other = write_net(tmp_path / "other.h5", seed=1)
    with pytest.raises(UsageError, match="--from file"):
        train(cfg, RunOptions(**(vars(opts("cut", resume=True)) | {"from_file": other, "epochs": 3})),
              log=lambda *a: None)
    with pytest.raises(UsageError, match="--freeze-weights"):
        train(cfg, RunOptions(**(vars(opts("cut", resume=True)) | {"freeze_weights": False, "epochs": 3})),
              log=lambda *a: None)


# ---- bad input: exit 2, one line naming the input, nothing written --------------------------------------------

def _edited(src, dst, edit) -> Path:
    """A plain netx copy of ``src`` (no razor group: no checksum to break) edited by ``edit(h5py.File)``."""
    with h5py.File(src) as a, h5py.File(dst, "w") as b:
        a.copy("layer", b)
        edit(b)
    return dst


def _bad_files(tmp: Path) -> dict:
    src = write_net(tmp / "net.h5")
    odd = lambda f: f["layer/3/weight"].__setitem__((0, 0), 3.0)  # noqa: E731
    return {
        "text": tmp / "notes.txt",
        "bias": _edited(src, tmp / "bias.h5", lambda f: f["layer/3"].create_dataset("bias", data=np.ones(16))),
        "delay": _edited(src, tmp / "delay.h5",
                         lambda f: f["layer/3"].create_dataset("delay", data=np.ones(16, dtype=np.int64))),
        "odd": _edited(src, tmp / "odd.h5", odd),
        "plain": _edited(src, tmp / "plain.h5", lambda f: None),
        "sensor": write_net(tmp / "sensor.h5", spec=FrameSpec((8, 8, 2), window_ms=10, n_frames=12)),
        "src": src,
    }


CASES = {
    "not a network file": (["--from", "{text}"], ["notes.txt", "not an HDF5 file"]),
    "--from with --config": (["--from", "{src}", "--config", "synthetic_small"], ["--config", "--from"]),
    "a bias": (["--from", "{bias}", "--dataset", "synthetic"], ["bias.h5", "layer/3/bias", "bias"]),
    "a delay": (["--from", "{delay}", "--dataset", "synthetic"], ["delay.h5", "layer/3/delay"]),
    "an odd weight": (["--from", "{odd}", "--dataset", "synthetic"], ["odd.h5", "layer/3/weight", "8-bit grid"]),
    "a plain file without --dataset": (["--from", "{plain}"], ["--dataset", "plain.h5"]),
    "a frame spec of another sensor": (["--from", "{sensor}"], ["--from", "8 x 8 sensor", "32 x 32 sensor"]),
    "an unknown data set": (["--from", "{src}", "--dataset", "mnist"], ["--dataset", "'mnist'"]),
    "--dataset without --from": (["--config", "synthetic_small", "--dataset", "synthetic"], ["--dataset"]),
    "--freeze-weights without --from": (["--config", "synthetic_small", "--freeze-weights"], ["--freeze-weights"]),
    "--freeze-weights with nothing to train": (["--from", "{src}", "--freeze-weights", "--positions", "E1"],
                                               ["--freeze-weights", "nothing trains"]),
    "a position that is no layer": (["--from", "{src}", "--positions", "2"], ["pruner.positions", "[1, 3, 4]"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_with_one_line_and_nothing_written(tmp_path, capsys, case):
    files = _bad_files(tmp_path)
    files["text"].write_text("not a network\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    argv, named = CASES[case]
    argv = [a.format(**files) for a in argv] + ["--out", str(tmp_path / "run"), *FAST]
    try:
        code = cli.main(argv)
    except SystemExit as e:  # argparse's own refusals (clashing or unknown flags)
        code = e.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "error:" in err.strip().splitlines()[-1], err
    for text in named:
        assert text in err, f"{text!r} not in {err!r}"
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no run folder, nothing else


def test_the_command_line_refuses_in_one_line(tmp_path):
    """The same through the script, as a user runs it: exit 2, one line on stderr, no run folder."""
    src = _bad_files(tmp_path)["bias"]
    r = subprocess.run([sys.executable, str(ROOT / "train/train.py"), "--from", str(src), "--dataset", "synthetic",
                        "--out", str(tmp_path / "run"), "--no-progress"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "layer/3/bias" in r.stderr and not (tmp_path / "run").exists()
