"""Running network files on Lava: graph assembly, per-sample runs, backends.

Progress bars come from ``razor_lava.progress``, which imports Lava's runtime
before tqdm's first bar (both want to set multiprocessing's start method).
"""
