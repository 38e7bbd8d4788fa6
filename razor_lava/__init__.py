"""razor_lava: Razor SNN temporal pruning and the Top-K cutoff, trained in
lava-dl SLAYER and deployed bit-exact on Lava (Loihi 2 simulator / hardware).

The public API, one name per concept (each is imported on first use, so
``import razor_lava`` stays cheap: torch and lava are heavy imports):

- data: ``FrameSpec``, the readers ``NMNIST``, ``NCaltech101``, ``DVSGesture``,
  ``CIFAR10DVS``, ``SHD``, the embedded ``SyntheticGestures`` and the torch
  data set ``FramedDataset`` (``razor_lava.data`` has the rest);
- configs: ``load_config`` (a shipped name such as ``"synthetic_small"`` or a
  YAML path), ``parse_config``, ``with_train_overrides``, ``shipped_configs``
  (their layers are the typed layers of ``razor_lava.layers``);
- the method: ``EventPruner`` (the Razor pruner, a torch module), ``PrunerParams``
  (its integer form, what a Lava gate runs) and ``calibrate_cutoff`` (the Top-K
  cutoff's thresholds from outputs on held-out data);
- training: ``RazorNet``, ``train`` with its ``RunOptions``;
- the network file: ``export_network``, ``load_network_file``, ``NetworkFile``,
  and ``reference_network`` (SLAYER's fixed-point twin of a file);
- NIR: ``read_nir`` (another framework's graph, with a report of what the import
  did), ``write_nir_network_file`` (its deployable network file), ``export_nir``;
- Lava: ``load_samples`` (a file's test samples, framed as it was trained),
  ``deploy`` (run samples on Lava and compare with SLAYER) and
  ``profile_network`` (synops with and without the gates, energy estimates).

``razor_lava.profile`` stays the profiling subpackage, so the profiler's
entry point is ``profile_network`` (its name there), not ``profile``.
"""

from __future__ import annotations

from .lazy import lazy_exports

__version__ = "0.1.0"

# public name -> "module:attribute" (razor_lava.lazy)
_API = {
    # data
    "FrameSpec": "razor_lava.data.framing", "NMNIST": "razor_lava.data.datasets",
    "NCaltech101": "razor_lava.data.datasets", "DVSGesture": "razor_lava.data.datasets",
    "CIFAR10DVS": "razor_lava.data.datasets", "SHD": "razor_lava.data.datasets",
    "SyntheticGestures": "razor_lava.data.synthetic", "FramedDataset": "razor_lava.data.torch_data",
    # configs
    "load_config": "razor_lava.config", "parse_config": "razor_lava.config",
    "with_train_overrides": "razor_lava.config", "shipped_configs": "razor_lava.configs",
    # the method: the Razor pruner, its integer parameters, the Top-K cutoff's calibration
    "EventPruner": "razor_lava.pruning.module", "PrunerParams": "razor_lava.pruning.params",
    "calibrate_cutoff": "razor_lava.cutoff.calibrate:calibrate",
    # training
    "RazorNet": "razor_lava.model.network", "train": "razor_lava.training.run",
    "RunOptions": "razor_lava.training.options",
    # the network file
    "export_network": "razor_lava.netfile", "load_network_file": "razor_lava.netfile",
    "NetworkFile": "razor_lava.netfile", "reference_network": "razor_lava.model.reference",
    # NIR
    "read_nir": "razor_lava.interop.nir_import", "write_nir_network_file": "razor_lava.interop.nir_import:"
    "write_network_file", "export_nir": "razor_lava.interop.nir_export",
    # Lava
    "load_samples": "razor_lava.deployment.samples", "deploy": "razor_lava.deployment.evaluate:deploy_samples",
    "profile_network": "razor_lava.profile.report",
}

__all__ = ["__version__", *_API]
__getattr__, __dir__ = lazy_exports(__name__, _API)
