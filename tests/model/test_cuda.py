"""The CUDA path: lava-dl's kernels built for the device's architecture or replaced by its torch implementation,
and a network that spikes computing on the GPU what it computes on the CPU. The GPU tests skip on machines
without one (CI has none); ``bench/gpu_check.py`` runs them with the throughput figures on a lent GPU.

Why exact equality is expected between the CPU and the GPU (``--cuda-kernels torch``): lava-dl's integer neuron
dynamics are the same torch operations on both, and a synapse's input sums are exact in float32 whatever the
order of summation (binary or count inputs times weights on lava-dl's 8-bit grid, k / 64 with |k| <= 256, are
small multiples of 2**-6). TF32 would round the weights' mantissas, so it is switched off here.
"""

import pytest
import torch

from razor_lava.model._slayer import cuda_arch, jitconfig

GPU = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine (torch sees none)")


def test_cuda_arch_is_the_devices_own_on_9x():
    assert cuda_arch(None) is None
    assert cuda_arch((8, 6)) == "8.0"  # lava-dl's own choice on 8.x devices
    assert cuda_arch((9, 0)) == "9.0"  # H100 / H200: lava-dl would build for 8.0
    assert cuda_arch((7, 5)) == "7.5"


def spiking_net(seed: int = 0):
    """A small conv network whose every layer spikes on random binary frames (weights scaled up), on the CPU."""
    from razor_lava.config import parse_config
    from razor_lava.model.network import RazorNet

    torch.manual_seed(seed)
    cfg = parse_config({"data": {"dataset": "synthetic"}, "input": [2, 12, 12],
                        "neuron": {"threshold": 0.5, "tau_grad": 1.0, "scale_grad": 1.0},
                        "layers": [{"type": "conv", "out": 4, "kernel": 3, "padding": 1, "weight_scale": 8},
                                   {"type": "pool", "kernel": 2},
                                   {"type": "flatten"}, {"type": "dense", "out": 16, "weight_scale": 8},
                                   {"type": "dense", "out": 3, "weight_scale": 8}],
                        "pruner": {"positions": "E1"}})
    return RazorNet(cfg)


def frames(n: int = 8, t: int = 20, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 2, 12, 12, t, generator=g) < 0.3).float()


def layer_spikes(net, x) -> list[float]:
    out = []
    for block in net.blocks:
        x = block(x)
        out.append(float(x.abs().sum()))
    return out


@GPU
def test_slayer_builds_for_this_gpu():
    assert jitconfig.TORCH_CUDA_ARCH_LIST == cuda_arch(torch.cuda.get_device_capability(0))


@GPU
@pytest.mark.parametrize("mode", ["torch", "jit"])
def test_a_spiking_network_computes_on_the_gpu_what_it_computes_on_the_cpu(mode):
    from razor_lava.model.device import kernel_status, use_jit_kernels, use_torch_kernels

    if mode == "jit" and kernel_status().problems:
        pytest.skip(f"lava-dl's kernels cannot be built here: {kernel_status().problems[0]}")
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    (use_torch_kernels if mode == "torch" else use_jit_kernels)()
    try:
        net, x = spiking_net().eval(), frames()
        with torch.no_grad():
            cpu = layer_spikes(net, x)
            assert all(s > 0 for s in cpu), cpu  # every layer spikes: the comparison means something
            y_cpu = net(x)
            y_gpu = net.cuda()(x.cuda()).cpu()
        assert torch.equal(y_cpu, y_gpu)
    finally:
        use_jit_kernels()


@GPU
def test_jit_and_torch_kernels_agree_on_spikes_and_gradients():
    from razor_lava.model.device import kernel_status, use_jit_kernels, use_torch_kernels

    if kernel_status().problems:
        pytest.skip(f"lava-dl's kernels cannot be built here: {kernel_status().problems[0]}")
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    results = {}
    for mode, switch in (("torch", use_torch_kernels), ("jit", use_jit_kernels)):
        switch()
        net, x = spiking_net().cuda(), frames().cuda()
        y = net(x)
        y.sum(-1).pow(2).sum().backward()
        results[mode] = (y.detach().cpu(), [p.grad.cpu() for p in net.parameters() if p.grad is not None])
    use_jit_kernels()
    (y_t, g_t), (y_j, g_j) = results["torch"], results["jit"]
    assert y_t.abs().sum() > 0 and torch.equal(y_t, y_j)
    for a, b in zip(g_t, g_j):  # float32 surrogate gradients, summed in another order by the CUDA kernel
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-6)


@GPU
@pytest.mark.parametrize("mode", ["torch", "auto"])
def test_a_loss_falls_over_a_few_cuda_steps(mode):
    from razor_lava.model.device import preflight, use_jit_kernels

    preflight("cuda", mode)
    try:
        net, x = spiking_net().cuda(), frames(16).cuda()
        y = torch.arange(16, device="cuda") % 3
        opt = torch.optim.Adam(net.parameters(), lr=0.003)
        losses = []
        for _ in range(15):  # on the CPU: 1.88 -> 0.96, the output still spiking
            opt.zero_grad()
            out = net(x)
            loss = torch.nn.functional.cross_entropy(out.sum(-1) / 4, y)
            loss.backward()
            opt.step()
            losses.append(float(loss))
        assert losses[-1] < 0.8 * losses[0] and out.abs().sum() > 0, losses
    finally:
        use_jit_kernels()


@GPU
def test_cuda_training_matches_the_cpu_forward(tmp_path):
    """One short run on the GPU; its exported network, run by the CPU reference, predicts as the GPU net does."""
    from razor_lava.config import load_config
    from razor_lava.training.checkpoint import load_trained
    from razor_lava.training.options import RunOptions
    from razor_lava.training.run import train

    cfg = load_config("synthetic_nir")
    result = train(cfg, RunOptions(out=tmp_path / "gpu", epochs=1, train_samples=64, test_samples=32,
                                   device="cuda", progress=False))
    assert 0.0 <= result["test_accuracy"] <= 1.0
    net_gpu, net_cpu = load_trained(tmp_path / "gpu", device="cuda"), load_trained(tmp_path / "gpu")
    x = (torch.rand(4, 2, 32, 32, 30) < 0.1).float()
    with torch.no_grad():
        agree = (net_gpu(x.cuda()).sum(-1).argmax(1).cpu() == net_cpu(x).sum(-1).argmax(1)).float().mean()
    assert agree >= 0.75
