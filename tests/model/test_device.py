"""The preflight of ``--device cuda`` on a machine without a GPU or a kernel toolchain: each missing piece is one
line naming it and how to get it, exit 2, nothing written. The GPU itself and the build tools are simulated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import razor_lava.model._slayer  # noqa: F401  (lava-dl imported with the real device, before any is faked)
from razor_lava.errors import UsageError
from razor_lava.model import device

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_gpu(monkeypatch, tmp_path):
    """torch sees one CUDA device; the kernel cache is an empty folder; every build tool is there."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path / "ext"))
    cuda = tmp_path / "cuda"
    (cuda / "bin").mkdir(parents=True)
    (cuda / "include").mkdir()
    (cuda / "bin" / "nvcc").write_text("#!/bin/sh\n")
    (cuda / "include" / "cuda_runtime.h").write_text("")
    monkeypatch.setenv("CUDA_HOME", str(cuda))
    tools = {"ninja": "/usr/bin/ninja", "c++": "/usr/bin/c++"}
    monkeypatch.setattr(device.shutil, "which", lambda name: tools.get(name))
    yield tools
    device.use_jit_kernels()


def test_no_gpu_and_a_missing_index_are_named():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(UsageError, match=r"--device: 'cuda': torch sees no CUDA device here"):
        device.preflight("cuda")
    with pytest.raises(UsageError, match=r"expected 'cpu' or 'cuda\[:N\]', got 'tpu'"):
        device.preflight("tpu")
    assert device.preflight("cpu", "jit") == "cpu"  # the kernel mode means nothing on the CPU


def test_cuda_7_on_a_one_gpu_machine(fake_gpu):
    with pytest.raises(UsageError, match=r"'cuda:7': there are only 1 CUDA devices"):
        device.preflight("cuda:7")


def test_jit_with_every_tool_is_jit(fake_gpu):
    assert device.kernel_status().problems == []
    assert device.preflight("cuda", "jit") == "jit" and device.kernel_mode() == "jit"


@pytest.mark.parametrize("missing, expected", [
    ("ninja", r"ninja is not on PATH .*pip install ninja"),
    ("c++", r"no C\+\+ compiler .*install g\+\+"),
    ("nvcc", r"nvcc was not found \(set CUDA_HOME"),
])
def test_each_missing_build_tool_is_one_line_naming_it(fake_gpu, monkeypatch, missing, expected):
    if missing == "nvcc":
        monkeypatch.delenv("CUDA_HOME")
        monkeypatch.setattr("torch.utils.cpp_extension.CUDA_HOME", None)
    else:
        del fake_gpu[missing]
    with pytest.raises(UsageError, match=r"--cuda-kernels jit: lava-dl's CUDA kernels cannot be built here: " + expected):
        device.preflight("cuda", "jit")
    with pytest.warns(UserWarning, match=expected):  # auto: lava-dl's torch implementation on the GPU instead
        assert device.preflight("cuda", "auto") == "torch"
    assert device.kernel_mode() == "torch"


def test_a_stale_lock_is_named_with_its_path(fake_gpu, tmp_path):
    lock = tmp_path / "ext" / "dynamics" / "lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("")
    with pytest.raises(UsageError, match=f"{lock} exists: a kernel build was killed half-way"):
        device.preflight("cuda", "jit")


def test_cached_kernels_need_ninja_but_no_compiler(fake_gpu, tmp_path, monkeypatch):
    for k in device.KERNELS:
        (tmp_path / "ext" / k).mkdir(parents=True)
        (tmp_path / "ext" / k / f"{k}.so").write_bytes(b"")
    monkeypatch.delenv("CUDA_HOME")
    monkeypatch.setattr("torch.utils.cpp_extension.CUDA_HOME", None)
    del fake_gpu["c++"]
    assert device.preflight("cuda", "jit") == "jit"
    del fake_gpu["ninja"]  # torch runs ninja even for a cached build
    with pytest.raises(UsageError, match="ninja is not on PATH"):
        device.preflight("cuda", "jit")


def test_torch_mode_routes_lava_dl_through_its_own_torch_implementation():
    """The stand-in has the compiled module's call and computes what lava-dl's CPU path computes."""
    from razor_lava.model._slayer import slayer  # noqa: F401
    from lava.lib.dl.slayer.neuron.dynamics import leaky_integrator

    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 5, 40, generator=g) * 2
    decay, state = torch.tensor([1024.0]), torch.zeros(3, 5)
    cpu = leaky_integrator.dynamics(x, decay, state, 64, threshold=1.0)
    device.use_torch_kernels()
    try:
        assert leaky_integrator.Accelerated.leaky_integrator is device._TorchDynamics
        stand_in = leaky_integrator.Accelerated.leaky_integrator.dynamics(x, decay, state, 1.0, 64)
    finally:
        device.use_jit_kernels()
    assert leaky_integrator.Accelerated.module is None  # the build is lava-dl's again
    assert torch.equal(cpu, stand_in)


def test_the_environments_bin_is_on_path_for_ninja(monkeypatch):
    from razor_lava.model._slayer import env_bin_on_path

    monkeypatch.setenv("PATH", "/usr/bin")
    env_bin_on_path()
    assert str(Path(sys.executable).parent) == __import__("os").environ["PATH"].split(":")[0]


@pytest.mark.slow
def test_train_with_cuda_but_no_gpu_writes_nothing(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    out = tmp_path / "run"
    for extra in ([], ["--cuda-kernels", "jit"]):
        r = subprocess.run([sys.executable, str(REPO / "train" / "train.py"), "--config", "synthetic_small",
                            "--out", str(out), "--device", "cuda:7", *extra], capture_output=True, text=True)
        assert r.returncode == 2 and r.stderr.strip().splitlines()[-1].startswith("error: --device: 'cuda:7'"), \
            r.stderr[-500:]
        assert not out.exists()
