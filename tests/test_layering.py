"""The package's layers import downwards only: measurement is attached from outside (taps).

Lower packages must not import higher ones: ``netfile`` (the network-file model)
knows nothing of models, Lava or profiling; ``deployment`` and ``procs`` know
nothing of ``profile``. Checked on the source (every import statement, also
those inside functions), so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "razor_lava"

# package -> packages of razor_lava it must never import
FORBIDDEN = {
    "netfile": {"model", "deployment", "procs", "profile", "training", "cli", "demo"},
    "fixed_point": {"model", "deployment", "procs", "profile", "training", "netfile", "cli"},
    "procs": {"deployment", "profile", "training", "model", "cli", "demo"},
    "deployment": {"profile", "training", "cli", "demo"},
    "model": {"deployment", "profile", "procs", "cli", "demo"},
    "pruning": {"deployment", "profile", "procs", "model", "training", "cli"},
    "cutoff": {"deployment", "profile", "procs", "training", "cli"},
}


def _imports(path: Path, module: tuple[str, ...] | None = None) -> set[str]:
    """razor_lava sub-packages a module imports (absolute and relative imports).

    ``module``: the module's dotted parts (default: from its place in the package).
    """
    tree = ast.parse(path.read_text())
    rel = module or path.relative_to(PKG.parent).with_suffix("").parts  # ("razor_lava", "deployment", "runner")
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(rel[:-node.level])  # (also right for __init__.py: its last part is "__init__")
                names = [".".join(base + ([node.module] if node.module else []))]
                if not node.module:
                    names = [".".join(base + [a.name]) for a in node.names]
            else:
                names = [node.module or ""]
        else:
            continue
        for n in names:
            parts = n.split(".")
            if parts[0] == "razor_lava" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_lower_layer_imports_a_higher_one(package):
    target = PKG / package
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
    assert files, package
    bad = {f"{f.relative_to(PKG.parent)} imports razor_lava.{m}" for f in files for m in _imports(f) & FORBIDDEN[package]}
    assert not bad, sorted(bad)


def test_the_checker_sees_relative_and_lazy_imports(tmp_path):
    probe = PKG / "deployment" / "runner.py"
    assert {"netfile"} <= _imports(probe)  # "from ..netfile import NetworkFile"
    fake = tmp_path / "probe.py"  # read as if it were razor_lava/deployment/probe.py
    fake.write_text("def f():\n    from ..profile import counts\n    import razor_lava.training.run\n")
    assert {"profile", "training"} <= _imports(fake, ("razor_lava", "deployment", "probe"))
