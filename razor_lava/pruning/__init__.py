"""Razor event pruner: float maths for training, integer maths for inference.

- ``functional``: the paper's float maths as plain torch functions;
- ``decide``: the integer inference decision, batched numpy: its one
  implementation, run by the torch pruner at eval and by the Lava gate;
- ``module.EventPruner``: the torch module used in networks;
- ``params.PrunerParams``: the quantized parameters a gate needs;
  ``params.resolve_rule``: the one check of "theta or ratio, not both".
"""

from ..lazy import lazy_exports
from .params import PrunerParams, n_pruned

__all__ = ["PrunerParams", "n_pruned", "EventPruner"]
__getattr__, __dir__ = lazy_exports(__name__, {"EventPruner": ".module"})  # torch on first use
