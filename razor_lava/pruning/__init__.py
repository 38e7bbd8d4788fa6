"""Razor event pruner: float maths for training, integer maths for inference.

- ``functional``: the paper's float maths as plain torch functions;
- ``decide``: the integer inference decision in numpy (the Lava gate runs it);
- ``torch_decide``: its batched torch mirror (SLAYER side);
- ``module.EventPruner``: the torch module used in networks;
- ``params.PrunerParams``: the quantized parameters a gate needs.
"""

from .params import PrunerParams, n_pruned

__all__ = ["PrunerParams", "n_pruned", "EventPruner"]


def __getattr__(name):
    if name == "EventPruner":
        from .module import EventPruner

        return EventPruner
    raise AttributeError(name)
