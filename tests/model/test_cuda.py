"""The CUDA path: SLAYER's kernels built for the device's architecture, and a run trained with --device cuda
computing what the CPU computes. The GPU tests skip on machines without one (CI has none)."""

import pytest
import torch

from razor_lava.model._slayer import cuda_arch, jitconfig

GPU = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine (torch sees none)")


def test_cuda_arch_is_the_devices_own_on_9x():
    assert cuda_arch(None) is None
    assert cuda_arch((8, 6)) == "8.0"  # lava-dl's own choice on 8.x devices
    assert cuda_arch((9, 0)) == "9.0"  # H100 / H200: lava-dl would build for 8.0
    assert cuda_arch((7, 5)) == "7.5"


@GPU
def test_slayer_builds_for_this_gpu():
    assert jitconfig.TORCH_CUDA_ARCH_LIST == cuda_arch(torch.cuda.get_device_capability(0))


@GPU
def test_cuda_training_matches_the_cpu_forward(tmp_path):
    """One short run on the GPU; its exported network, run by the CPU reference, predicts as the GPU net does."""
    from razor_lava.model.config import load_config
    from razor_lava.training.run import RunOptions, load_trained, train

    cfg = load_config("synthetic_nir")
    result = train(cfg, RunOptions(out=tmp_path / "gpu", epochs=1, train_samples=64, test_samples=32,
                                   device="cuda", progress=False))
    assert 0.0 <= result["test_accuracy"] <= 1.0
    net_gpu, net_cpu = load_trained(tmp_path / "gpu", device="cuda"), load_trained(tmp_path / "gpu")
    x = (torch.rand(4, 2, 32, 32, 30) < 0.1).float()
    with torch.no_grad():
        agree = (net_gpu(x.cuda()).sum(-1).argmax(1).cpu() == net_cpu(x).sum(-1).argmax(1)).float().mean()
    assert agree >= 0.75  # the CUDA kernels and the CPU loop in float32, not bit for bit
