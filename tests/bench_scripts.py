"""The benchmark scripts of bench/ as modules, for their tests (bench/ is no package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).parents[1] / "bench"


def load(name: str):
    """``bench/<name>.py`` imported as the module ``razor_<name>`` (registered, so dataclasses and pickling work)."""
    spec = importlib.util.spec_from_file_location(f"razor_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod
