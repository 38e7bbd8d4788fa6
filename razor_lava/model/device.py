"""The training device, and lava-dl's CUDA kernels: checked before any run folder is written.

lava-dl 0.6 builds its CUDA kernels (``dynamics`` for the CUBA neurons' leaky integrators, ``shift`` for the
axon delay) with ``torch.utils.cpp_extension.load`` at the first CUDA forward pass, not at import. That build
needs ``ninja`` on PATH (torch runs it even when the kernel is already built), and, unless the kernel is in
torch's extension cache, ``nvcc`` with the CUDA headers (``CUDA_HOME``) and a C++ compiler. A build killed
half-way leaves a ``lock`` file in the cache, and every later build waits on it forever. Without any of these
the first batch dies deep inside lava-dl; ``preflight`` says so before anything is written.

Kernel modes (``--cuda-kernels``):

- ``jit``: lava-dl's compiled kernels (its own choice on CUDA tensors);
- ``torch``: the same dynamics through lava-dl's own torch implementation (``_LIDynamics``, ``_shift_group``,
  what it runs on the CPU), on CUDA tensors: no compiler needed. The integer dynamics are the same
  operations; the synapses' convolutions are cuDNN's either way;
- ``auto`` (the default): ``jit`` where it can be built or is cached, else ``torch`` with a warning.

On the CPU the mode does nothing: lava-dl runs its torch implementation there anyway.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..errors import UsageError

KERNEL_MODES = ("auto", "jit", "torch")
KERNELS = ("dynamics", "shift")  # the extension names lava-dl 0.6 builds (docs/design.md 7)


def check_device(device, key: str = "device") -> None:
    """``UsageError`` naming ``key`` unless torch knows ``device`` and it is there (e.g. cuda without a GPU)."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise UsageError(key, f"expected 'cpu' or 'cuda[:N]', got {device!r}") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(key, f"{device!r}: torch sees no CUDA device here; use 'cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise UsageError(key, f"{device!r}: there are only {torch.cuda.device_count()} CUDA devices")
    elif dev.type != "cpu":
        raise UsageError(key, f"expected 'cpu' or 'cuda[:N]', got {device!r}")


def extensions_dir() -> Path:
    """torch's extension cache for this Python and CUDA (``torch.utils.cpp_extension._get_build_directory``'s
    root, computed without creating it)."""
    root = os.environ.get("TORCH_EXTENSIONS_DIR")
    if root:
        return Path(root)
    from torch.utils.cpp_extension import get_default_build_root

    cu = "cpu" if torch.version.cuda is None else f"cu{torch.version.cuda.replace('.', '')}"
    return Path(get_default_build_root()) / f"py{sys.version_info.major}{sys.version_info.minor}_{cu}"


def cuda_home() -> Path | None:
    """Where nvcc and the CUDA headers are, as torch's extension builder looks for them (None: nowhere)."""
    from torch.utils import cpp_extension

    home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH") or cpp_extension.CUDA_HOME
    if not home:
        return None
    home = Path(home)
    nvcc = home / "bin" / "nvcc"
    return home if nvcc.is_file() and nvcc.resolve().is_file() and (home / "include" / "cuda_runtime.h").is_file() \
        else None


@dataclass
class KernelStatus:
    """What a build of lava-dl's kernels would find. ``problems``: one line each, empty when it can build."""

    ninja: str | None
    cuda_home: Path | None
    compiler: str | None
    cached: list[str] = field(default_factory=list)
    locks: list[Path] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        out = []
        if self.ninja is None:
            out.append("ninja is not on PATH (lava-dl's kernel build runs it): pip install ninja")
        for lock in self.locks:
            out.append(f"{lock} exists: a kernel build was killed half-way and every later build would wait on "
                       "it forever; delete it if no other build is running")
        if len(self.cached) < len(KERNELS):
            if self.cuda_home is None:
                out.append("nvcc was not found (set CUDA_HOME to a CUDA toolkit with bin/nvcc and include/; pip "
                           "has no nvcc for torch's CUDA 12.1), and the kernels are not in torch's extension cache")
            if self.compiler is None:
                out.append("no C++ compiler (c++ or $CXX) on PATH to build lava-dl's kernels: install g++")
        return out


def kernel_status() -> KernelStatus:
    from ._slayer import env_bin_on_path

    env_bin_on_path()
    cache = extensions_dir()
    cached = [k for k in KERNELS if any((cache / k).glob(f"{k}*.so"))]
    locks = [cache / k / "lock" for k in KERNELS if (cache / k / "lock").exists()]
    compiler = shutil.which(os.environ.get("CXX", "c++"))
    return KernelStatus(shutil.which("ninja"), cuda_home(), compiler, cached, locks)


def preflight(device: str, mode: str = "auto", key: str = "--device") -> str:
    """Check ``device`` and, on CUDA, that lava-dl's kernels can run in ``mode``; put them in that mode.

    Returns the mode in effect (``"cpu"`` on the CPU). ``UsageError`` (exit 2, one line naming what is missing
    and how to get it) where the device is absent or ``jit`` cannot be built; ``auto`` falls back to ``torch``
    with a warning that names the first missing piece.
    """
    if mode not in KERNEL_MODES:
        raise UsageError("--cuda-kernels", f"expected one of {KERNEL_MODES}, got {mode!r}")
    check_device(device, key)
    if torch.device(device).type != "cuda":
        return "cpu"
    if mode == "torch":
        use_torch_kernels()
        return "torch"
    problems = kernel_status().problems
    if not problems:
        use_jit_kernels()
        return "jit"
    if mode == "jit":
        raise UsageError("--cuda-kernels jit", f"lava-dl's CUDA kernels cannot be built here: {problems[0]} "
                         "(or use --cuda-kernels torch)")
    warnings.warn(f"lava-dl's CUDA kernels cannot be built here ({problems[0]}); running its torch "
                  "implementation on the GPU instead (--cuda-kernels torch)", stacklevel=2)
    use_torch_kernels()
    return "torch"


# ---- the kernel switch --------------------------------------------------------------------------------------
# lava-dl picks the compiled path from ``input.is_cuda`` alone and reaches it through ``Accelerated.module``
# (built on first use when None). Putting a stand-in with the compiled module's call there routes CUDA tensors
# through lava-dl's own torch implementation; putting None back restores the build.

class _TorchDynamics:
    """``Accelerated.leaky_integrator`` of lava-dl's ``dynamics`` kernel, done by its torch implementation."""

    @staticmethod
    def dynamics(input, decay, state, threshold, w_scale):
        from lava.lib.dl.slayer.neuron.dynamics.leaky_integrator import _LIDynamics

        return _LIDynamics.apply(input, decay, state, threshold, w_scale)


class _TorchShift:
    """``Accelerated.shift`` of lava-dl's ``shift`` kernel, done by its torch implementation."""

    @staticmethod
    def shift(input, shift_val, sampling_time=1):
        import importlib

        s = importlib.import_module("lava.lib.dl.slayer.utils.time.shift")  # the package exports a function so named

        if torch.is_tensor(shift_val) and shift_val.numel() > 1:
            return s._shift_individual(input, shift_val, sampling_time)
        return s._shift_group(input, shift_val, sampling_time)


def _accelerated():
    from . import _slayer  # noqa: F401  (lava-dl imported quietly, its arch list set) before its modules below
    import importlib

    modules = ("lava.lib.dl.slayer.neuron.dynamics.leaky_integrator", "lava.lib.dl.slayer.utils.time.shift")
    return tuple(importlib.import_module(m).Accelerated for m in modules)


def use_torch_kernels() -> None:
    dynamics, shift = _accelerated()
    dynamics.module, shift.module = _TorchDynamics, _TorchShift


def use_jit_kernels() -> None:
    dynamics, shift = _accelerated()
    if dynamics.module is _TorchDynamics:
        dynamics.module = None
    if shift.module is _TorchShift:
        shift.module = None


def kernel_mode() -> str:
    """The mode lava-dl's CUDA tensors run in now: ``torch`` or ``jit``."""
    dynamics, _ = _accelerated()
    return "torch" if dynamics.module is _TorchDynamics else "jit"
