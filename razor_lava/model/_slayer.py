"""Import lava-dl SLAYER without its import-time chatter, with its CUDA kernels built for this GPU.

lava-dl 0.6 prints a warning about an optional Prophesee toolbox and torch
prints a CUDA_HOME note when SLAYER is imported; neither concerns our users.

SLAYER JIT-compiles its CUDA kernels on first use with ``jitconfig.TORCH_CUDA_ARCH_LIST``,
which it sets to '8.0' on every device of compute capability >= 8; on 9.x devices
(H100 / H200) kernels built for 8.0 may fail to build or run, so ``cuda_arch`` sets
the device's own architecture before the first forward pass.
"""

import contextlib
import io
import os
import sys
from pathlib import Path

with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    import lava.lib.dl.slayer as slayer  # noqa: E402
    from lava.lib.dl.slayer import jitconfig  # noqa: E402


def cuda_arch(capability: tuple[int, int] | None) -> str | None:
    """The arch list SLAYER should build for on a device of ``capability`` (None: no CUDA device)."""
    if capability is None:
        return None
    major, minor = capability
    return "8.0" if major == 8 else f"{major}.{minor}"  # lava-dl's own choice on 8.x; the device's own above


def _set_cuda_arch() -> None:
    import torch

    if torch.cuda.is_available():
        jitconfig.TORCH_CUDA_ARCH_LIST = cuda_arch(torch.cuda.get_device_capability(0)) or jitconfig.TORCH_CUDA_ARCH_LIST


def env_bin_on_path() -> None:
    """Put this Python environment's ``bin`` on PATH (once): pip installs ``ninja`` there, which lava-dl's kernel
    build runs, and a script run as ``.venv/bin/python train/train.py`` (the README's way) does not have that
    folder on PATH otherwise (``model/device.py`` checks the rest of the build)."""
    env_bin = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if env_bin not in parts:
        os.environ["PATH"] = os.pathsep.join([env_bin, *[p for p in parts if p]])


_set_cuda_arch()
env_bin_on_path()

__all__ = ["slayer", "cuda_arch", "env_bin_on_path"]
