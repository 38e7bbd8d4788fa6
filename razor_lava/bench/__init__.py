"""The benchmark harness: what every program of ``bench/`` shares, held once.

- ``meta``: run metadata (date, machine, package versions, git commit, the command line) and paths shown
  relative to the repository;
- ``datasets``: the data set -> shipped config tables and the default data folders;
- ``report``: the report writer (JSON through the one encoder, ``razor_lava.atomic.jsonable``; picture;
  markdown; each written atomically) and markdown tables;
- ``jobs``: the job pool (runs trained at once, one CPU thread each) and ``sweep``, the one loop behind the
  ablations (``razor_lava.cli.ablation``, ``bench/recipe.py``, ``bench/frontier.py``);
- ``lava_timing`` / ``results``: the measurements and the report of ``bench/bench.py``;
- ``frontier_points`` / ``frontier_report``: the operating points and the report of ``bench/frontier.py``.

Each bench is "measure -> a results dict" (the JSON, every number) plus "results -> markdown" (pure, so a
report regenerates from its stored JSON); ``report.write_report`` writes both. Numbers in the reports go
through ``razor_lava.formatting``. Importing this package is light: every module imports torch, Lava and
the rest of razor_lava inside the functions that need them.
"""
