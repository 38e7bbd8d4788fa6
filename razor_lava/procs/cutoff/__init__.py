"""The Top-K cutoff: the integer early-exit rule (``razor_lava.cutoff.rule``) inside a Lava run.

``process.Cutoff`` is the interface; ``models`` holds its numpy models
(``fixed_pt`` and ``floating_pt``).
"""
