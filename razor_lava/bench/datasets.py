"""The data sets the benches measure: their shipped configs and where their data lives by default."""

from __future__ import annotations

from pathlib import Path

from .meta import REPO

# The shared data folder beside the checkout (N-MNIST subset, the NIR paper's graphs).
SHARED_DATA = REPO.parent / "shared" / "data"
DEFAULT_NMNIST_ROOT = SHARED_DATA / "nmnist-small"
NIR_PAPER_CNN = SHARED_DATA / "nir-paper-cnn" / "cnn_sinabs.nir"  # the NIR paper's N-MNIST CNN as published
DEFAULT_ROOTS = {"nmnist": DEFAULT_NMNIST_ROOT}  # data sets that live outside the package, by default here

# The shipped config per data set that ``make demo`` and ``bench/bench.py`` train (others:
# razor_lava/configs/<name>.yaml): the operating point bench/FRONTIER.md found better than the base config.
SHIPPED_CONFIGS = {"synthetic": "synthetic_frontier", "nmnist": "nmnist_frontier"}
# The base config per data set: the one the ablations (bench/recipe.py, bench/frontier.py) vary.
BASE_CONFIGS = {"synthetic": "synthetic_small", "nmnist": "nmnist"}


def config_for(dataset: str) -> Path:
    """The shipped training config of ``dataset`` (``razor_lava/configs/``): ``SHIPPED_CONFIGS``, else the
    config named like the data set."""
    from ..configs import CONFIG_DIR, shipped_configs

    name = SHIPPED_CONFIGS.get(dataset, dataset)
    shipped = shipped_configs()
    if name not in shipped:
        from ..errors import ConfigError

        raise ConfigError("--dataset", f"no shipped config for {dataset!r} (looked for {name}.yaml in "
                          f"{CONFIG_DIR}; shipped: {', '.join(shipped)})")
    return shipped[name]


def data_root(dataset: str, given=None) -> str | None:
    """The folder of ``dataset``: ``given``, else its default (``DEFAULT_ROOTS``) when that folder exists, else
    None (the embedded synthetic set needs none)."""
    if given is not None:
        return str(given)
    default = DEFAULT_ROOTS.get(dataset)
    return str(default) if default is not None and default.is_dir() else None


def required_data_root(dataset: str, given, error, flag: str = "--dataset") -> str | None:
    """``data_root``, or ``error(message)`` (e.g. ``ArgumentParser.error``) when ``dataset`` needs a folder and
    neither ``given`` nor its default exists (``flag``: the option that chose the data set)."""
    root = data_root(dataset, given)
    if root is None and dataset in DEFAULT_ROOTS:
        error(f"{flag} {dataset} needs --data-root DIR (the N-MNIST folder)")
    return root
