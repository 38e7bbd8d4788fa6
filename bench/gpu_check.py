#!/usr/bin/env python
"""The CUDA check: lava-dl's kernels build (or razor_lava falls back to their torch implementation), a spiking
network computes on the GPU what it computes on the CPU, a short training run, and training throughput.

Run on one GPU in well under 8 minutes (``bench/gpu_check.sh`` runs it on a machine without network, with
lava-dl's ``slayer`` package carried in)::

    python bench/gpu_check.py --out bench/GPU_CHECK.md
    python bench/gpu_check.py --smoke --out /tmp/gpu.md      # seconds, also on a machine without a GPU

1. **kernels**: ``preflight("cuda", "auto")`` and what it found (ninja, nvcc, compiler, cache); then lava-dl's
   two kernels (``dynamics``, ``shift``) built with their build time, or the reason they were not;
2. **CPU vs CUDA**: the spiking network of ``tests/model/test_cuda.py`` (every layer spikes), outputs on the
   CPU and on the GPU in each kernel mode (``torch`` and, where it built, ``jit``), TF32 off: equal elements;
   and the input gradient of ``jit`` vs ``torch``;
3. **training**: ``razor_lava.train`` of ``synthetic_small`` for one short epoch on the GPU;
4. **throughput**: training samples/s (forward + backward + Adam step, random binary frames), CPU vs CUDA, for
   the embedded ``synthetic_frontier`` network and the ``dvsgesture`` network at its full input (2 x 32 x 32,
   75 frames); throughput only, on synthetic inputs.

Writes ``--out`` (markdown) and the same path with ``.json``; every section records its error instead of
stopping the check.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "model"))  # the spiking network of test_cuda.py


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(REPO / "bench" / "GPU_CHECK.md"))
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: checks the script, not the GPU")
    ap.add_argument("--steps", type=int, default=None, help="timed training steps per throughput row")
    return ap.parse_args(argv)


def section(results: dict, name: str):
    """A decorator-free guard: ``with section(r, "x") as s:`` records ``s`` or the error under ``r[name]``."""
    class _Guard:
        def __enter__(self):
            self.t0, results[name] = time.perf_counter(), {}
            return results[name]

        def __exit__(self, kind, err, tb):
            results[name]["seconds"] = round(time.perf_counter() - self.t0, 2)
            if err is not None:
                results[name]["error"] = "".join(traceback.format_exception_only(kind, err)).strip()
                results[name]["traceback"] = "".join(traceback.format_exception(kind, err, tb))[-3000:]
            return True  # the next section runs
    return _Guard()


def environment() -> dict:
    import torch

    env = {"python": platform.python_version(), "torch": torch.__version__, "torch_cuda": torch.version.cuda,
           "cuda_available": torch.cuda.is_available()}
    if torch.cuda.is_available():
        env |= {"gpu": torch.cuda.get_device_name(0), "capability": list(torch.cuda.get_device_capability(0))}
    return env


def kernels(r: dict) -> None:
    import torch

    from razor_lava.model import device
    from razor_lava.model._slayer import jitconfig

    st = device.kernel_status()
    r |= {"ninja": st.ninja, "cuda_home": str(st.cuda_home) if st.cuda_home else None, "compiler": st.compiler,
          "cached": st.cached, "problems": st.problems, "arch_list": jitconfig.TORCH_CUDA_ARCH_LIST}
    if not torch.cuda.is_available():
        r["mode"] = "no CUDA device"
        return
    r["mode"] = device.preflight("cuda", "auto")
    if r["mode"] == "jit":
        import importlib

        for name, mod, attr in (("dynamics", "lava.lib.dl.slayer.neuron.dynamics.leaky_integrator",
                                 "leaky_integrator"), ("shift", "lava.lib.dl.slayer.utils.time.shift", "shift")):
            t0 = time.perf_counter()
            getattr(importlib.import_module(mod).Accelerated, attr)  # lava-dl's property builds the kernel
            r[f"build_s_{name}"] = round(time.perf_counter() - t0, 1)


def agreement(r: dict, jit_ok: bool) -> None:
    import torch

    from razor_lava.model.device import use_jit_kernels, use_torch_kernels
    from test_cuda import frames, layer_spikes, spiking_net

    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    net, x = spiking_net().eval(), frames()
    with torch.no_grad():
        r["cpu_layer_spikes"] = layer_spikes(net, x)
        y_cpu = net(x)
    if not torch.cuda.is_available():
        return
    grads = {}
    for mode, switch in (("torch", use_torch_kernels), ("jit", use_jit_kernels)):
        if mode == "jit" and not jit_ok:
            continue
        switch()
        g = spiking_net().cuda()
        with torch.no_grad():
            y = g(x.cuda()).cpu()
        r[f"{mode}_equal_elements"] = f"{int((y == y_cpu).sum())} / {y.numel()}"
        xi = x.cuda().requires_grad_(True)
        g(xi).sum(-1).pow(2).sum().backward()
        grads[mode] = xi.grad.cpu()
    use_jit_kernels()
    if len(grads) == 2:
        r["input_grad_max_abs_diff_jit_vs_torch"] = float((grads["jit"] - grads["torch"]).abs().max())
        r["input_grad_max_abs"] = float(grads["torch"].abs().max())


def short_training(r: dict, smoke: bool) -> None:
    import torch

    from razor_lava.config import load_config
    from razor_lava.training.options import RunOptions
    from razor_lava.training.run import train

    device = "cuda" if torch.cuda.is_available() else "cpu"
    with tempfile.TemporaryDirectory() as d:
        res = train(load_config("synthetic_small"),
                    RunOptions(out=Path(d) / "run", epochs=1, train_samples=32 if smoke else 256,
                               test_samples=16 if smoke else 64, device=device, progress=False))
    r |= {"device": device, "test_accuracy": res.get("test_accuracy"), "train_loss": res.get("train_loss")}


def throughput(r: dict, smoke: bool, steps: int | None) -> None:
    import torch

    from razor_lava.config import load_config, parse_config
    from razor_lava.model.network import RazorNet

    rows = []
    for name, n_frames, batch in (("synthetic_frontier", 30, 32), ("dvsgesture", 75, 16)):
        cfg = load_config(name)
        if smoke:
            raw = cfg.to_dict()
            raw["input"] = [2, 8, 8]
            cfg, n_frames, batch = parse_config(raw), 4, 2
        for dev in (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]):
            n = steps or (1 if smoke else (3 if dev == "cpu" else 20))
            net = RazorNet(cfg).to(dev)
            opt = torch.optim.Adam(net.parameters(), lr=1e-3)
            x = (torch.rand(batch, *cfg.input, n_frames, device=dev) < 0.1).float()
            y = torch.randint(0, cfg.n_classes, (batch,), device=dev)

            def step():
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(net(x).sum(-1), y)
                loss.backward()
                opt.step()

            step()  # warm-up: kernel builds, cuDNN's choice of algorithms
            if dev == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            if dev == "cuda":
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            rows.append({"network": name, "device": dev, "input": list(cfg.input), "frames": n_frames,
                         "batch": batch, "steps": n, "samples_per_s": round(batch * n / dt, 2)})
    for row in rows:
        cpu = next(x for x in rows if x["network"] == row["network"] and x["device"] == "cpu")
        row["speedup_vs_cpu"] = round(row["samples_per_s"] / cpu["samples_per_s"], 1)
    r["rows"] = rows


def markdown(res: dict, command: str) -> str:
    lines = ["# CUDA check", "", "```", command, "```", "", "## Environment", ""]
    lines += [f"- {k}: {v}" for k, v in res["environment"].items()]
    for name in ("kernels", "agreement", "training"):
        lines += ["", f"## {name}", ""] + [f"- {k}: {v}" for k, v in res[name].items() if k != "traceback"]
    lines += ["", "## throughput (training samples/s: forward, backward, Adam step)", ""]
    rows = res["throughput"].get("rows", [])
    if rows:
        lines += ["| network | device | input | frames | batch | samples/s | vs CPU |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['network']} | {r['device']} | {'x'.join(map(str, r['input']))} | {r['frames']} | "
                  f"{r['batch']} | {r['samples_per_s']} | {r['speedup_vs_cpu']}x |" for r in rows]
    if "error" in res["throughput"]:
        lines += [f"- error: {res['throughput']['error']}"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    args = parse_args(argv)
    res = {"environment": environment()}
    with section(res, "kernels") as r:
        kernels(r)
    with section(res, "agreement") as r:
        agreement(r, res["kernels"].get("mode") == "jit")
    with section(res, "training") as r:
        short_training(r, args.smoke)
    with section(res, "throughput") as r:
        throughput(r, args.smoke, args.steps)
    command = "python bench/gpu_check.py" + (" --smoke" if args.smoke else "") + f" --out {args.out}"
    from razor_lava.bench.report import write_report

    write_report(args.out, res, markdown(res, command))
    print(markdown(res, command))
    return 1 if any("error" in v for v in res.values() if isinstance(v, dict)) else 0


if __name__ == "__main__":
    sys.exit(main())
