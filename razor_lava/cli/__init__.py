"""The command-line programs, one module per command, each with ``parse_args``, ``run`` and ``main``.

- ``train``, ``export``, ``calibrate``, ``ablation``, ``convert_checkpoint``: training in lava-dl SLAYER
  (``python train/<command>.py`` runs them); ``optimise``: a cutoff and gates fitted to any network file after
  training (``python train/optimise.py``);
- ``import_nir``, ``deploy``, ``synops``: NIR import, deployment and profiling on Lava
  (``python deploy/<command>.py``).

``razor-lava <command>`` (``main.py``; the command's name with ``-`` for ``_``, e.g. ``razor-lava import-nir``),
``python -m razor_lava.cli.<command>`` and the script are the same program. Every ``main``
ends through ``common.run_main``: a ``RazorLavaError`` prints ``error: ...``
and exits 2, Ctrl-C prints what was kept and exits 130.
"""

COMMANDS = ("train", "export", "calibrate", "optimise", "ablation", "convert_checkpoint", "import_nir", "deploy",
            "synops")
