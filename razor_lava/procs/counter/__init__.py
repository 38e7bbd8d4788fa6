"""The synop counter: counts events and synaptic operations at a layer's input inside a Lava run.

``process.SynopCounter`` is the interface; ``models`` holds its numpy models
(``fixed_pt`` and ``floating_pt``).
"""
