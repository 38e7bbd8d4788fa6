"""Training runs as jobs of a benchmark (bench/recipe.py, bench/frontier.py): logged, one CPU thread each,
resumed when interrupted, and not retrained when a finished run of the same network is there."""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml

from ..config import NetConfig, parse_config
from ..model.network import effective_pruner

# Keys that do not change the trained weights: a run trained with another value is the same network.
# (The cutoff is calibrated after training; the benchmarks calibrate their own tables.)
WEIGHT_NEUTRAL = ("cutoff_epsilon",)


def _trained_network(config: dict) -> dict:
    """A run's config as it bears on the weights: read again by today's parser (new keys take their
    defaults), without the ``WEIGHT_NEUTRAL`` keys."""
    d = parse_config(config, source="run config").to_dict()
    d["train"] = {k: v for k, v in d["train"].items() if k not in WEIGHT_NEUTRAL}
    return d


def finished_run(out: Path, cfg: NetConfig, pruner: dict | None, seed: int, epochs: int | None) -> dict | None:
    """The ``result.json`` of a finished run in ``out`` that trained the network a job asks for (config
    with ``pruner`` overrides, seed, epochs), else None. A run of another network there is an error."""
    out = Path(out)
    if not (out / "result.json").exists() or not (out / "network.h5").exists():
        return None
    result = json.loads((out / "result.json").read_text())
    stored = yaml.safe_load((out / "config.yaml").read_text())
    wanted = cfg.to_dict() | {"pruner": effective_pruner(cfg, pruner)}
    want_epochs = int(cfg.train["epochs"]) if epochs is None else int(epochs)
    if _trained_network(stored) != _trained_network(wanted) or result.get("seed") != seed or \
            result.get("epoch") != want_epochs:
        raise ValueError(f"{out} holds a run of another config, seed or epoch count than this job asks for; "
                         "move it away or use another --work folder")
    return result


def train_logged(cfg: NetConfig, opts, threads: int) -> dict:
    """Train ``cfg`` with ``opts`` (``RunOptions``; resumed from its checkpoint where there is one), the log
    in ``<out>.log``; the result gains ``train_minutes`` (the epochs' own seconds) and ``wall_minutes``."""
    import torch

    from .checkpoint import CHECKPOINT
    from .run import train

    torch.set_num_threads(threads)
    out = Path(opts.out)
    opts.resume = (out / CHECKPOINT).exists()
    t0 = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f"{out.name}.log", "a") as log:
        result = train(cfg, opts, log=lambda m: (log.write(m + "\n"), log.flush()))
    history = json.loads((out / "metrics.json").read_text())
    result = {k: v for k, v in result.items() if k not in ("exit_histogram", "cutoff_fallback_steps", "pruners")}
    return result | {"train_minutes": sum(h["seconds_epoch"] for h in history) / 60,
                     "wall_minutes": (time.perf_counter() - t0) / 60}
