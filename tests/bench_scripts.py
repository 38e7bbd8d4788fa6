"""The benchmark scripts of bench/ as modules, for their tests (bench/ is no package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).parents[1] / "bench"


def load(name: str):
    """``bench/<name>.py`` imported as the module ``razor_<name>`` (registered, so dataclasses and pickling work).

    Imported once per process: a second import would replace the registered module, and the functions of the
    first (held by the test module that imported it) would no longer pickle for a job pool."""
    if f"razor_{name}" in sys.modules:
        return sys.modules[f"razor_{name}"]
    spec = importlib.util.spec_from_file_location(f"razor_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod
