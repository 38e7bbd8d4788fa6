"""razor_lava: Razor SNN temporal pruning and the Top-K cutoff, trained in
lava-dl SLAYER and deployed bit-exact on Lava (Loihi 2 simulator / hardware).

Submodules are imported on demand so that ``import razor_lava`` stays cheap
(torch and lava are heavy imports):

- ``razor_lava.data``: events, readers of the benchmark release formats,
  framing, torch data sets, and the embedded synthetic gesture data set.
"""

__version__ = "0.1.0"
