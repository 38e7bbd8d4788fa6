"""The frame gate: the Razor pruner's integer keep/prune decision inside a Lava run.

``process.FrameGate`` is the interface; ``models`` holds its numpy models
(``fixed_pt`` and ``floating_pt``), which call ``razor_lava.pruning.decide``.
"""
