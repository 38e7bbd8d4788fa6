"""razor_lava: Razor SNN temporal pruning and the Top-K cutoff, trained in
lava-dl SLAYER and deployed bit-exact on Lava (Loihi 2 simulator / hardware).

The public API, one name per concept (each is imported on first use, so
``import razor_lava`` stays cheap: torch and lava are heavy imports):

- data: ``FrameSpec``, the readers ``NMNIST``, ``NCaltech101``, ``DVSGesture``,
  ``CIFAR10DVS``, ``SHD``, the embedded ``SyntheticGestures`` and the torch
  data set ``FramedDataset`` (``razor_lava.data`` has the rest);
- configs: ``load_config`` (a shipped name such as ``"synthetic_small"`` or a
  YAML path), ``parse_config``, ``with_train_overrides``, ``shipped_configs``;
- training: ``RazorNet``, ``train`` with its ``RunOptions``;
- the network file: ``export_network``, ``load_network_file``, ``NetworkFile``,
  and ``reference_network`` (SLAYER's fixed-point twin of a file);
- Lava: ``load_samples`` (a file's test samples, framed as it was trained),
  ``deploy`` (run samples on Lava and compare with SLAYER) and
  ``profile_network`` (synops with and without the gates, energy estimates).

``razor_lava.profile`` stays the profiling subpackage, so the profiler's
entry point is ``profile_network`` (its name there), not ``profile``.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> (module, attribute in it)
_API = {
    "FrameSpec": ("razor_lava.data.framing", "FrameSpec"),
    "NMNIST": ("razor_lava.data.datasets", "NMNIST"),
    "NCaltech101": ("razor_lava.data.datasets", "NCaltech101"),
    "DVSGesture": ("razor_lava.data.datasets", "DVSGesture"),
    "CIFAR10DVS": ("razor_lava.data.datasets", "CIFAR10DVS"),
    "SHD": ("razor_lava.data.datasets", "SHD"),
    "SyntheticGestures": ("razor_lava.data.synthetic", "SyntheticGestures"),
    "FramedDataset": ("razor_lava.data.torch_data", "FramedDataset"),
    "load_config": ("razor_lava.model.config", "load_config"),
    "parse_config": ("razor_lava.model.config", "parse_config"),
    "with_train_overrides": ("razor_lava.model.config", "with_train_overrides"),
    "shipped_configs": ("razor_lava.configs", "shipped_configs"),
    "RazorNet": ("razor_lava.model.network", "RazorNet"),
    "train": ("razor_lava.training.run", "train"),
    "RunOptions": ("razor_lava.training.run", "RunOptions"),
    "export_network": ("razor_lava.netfile", "export_network"),
    "load_network_file": ("razor_lava.netfile", "load_network_file"),
    "NetworkFile": ("razor_lava.netfile", "NetworkFile"),
    "reference_network": ("razor_lava.model.reference", "reference_network"),
    "load_samples": ("razor_lava.deployment.samples", "load_samples"),
    "deploy": ("razor_lava.deployment.evaluate", "deploy_samples"),
    "profile_network": ("razor_lava.profile.report", "profile_network"),
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    try:
        module, attr = _API[name]
    except KeyError:
        raise AttributeError(f"module 'razor_lava' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_API))
