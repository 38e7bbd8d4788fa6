"""The package's layers import downwards only, and no two modules import each other.

Lower packages must not import higher ones: ``netfile`` (the network-file model)
knows nothing of models, Lava or profiling; ``deployment`` and ``procs`` know
nothing of ``profile``; ``layers`` (the layer model) and ``fixed_point`` know
nothing of the rest. And no module imports itself through others (an import
circle): a circle that works only because one side imports inside a function is
still one concept split across two homes. Both are checked on the source (every
import statement, also those inside functions), so a lazy import cannot hide.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "razor_lava"

# package -> packages of razor_lava it must never import
FORBIDDEN = {
    "lazy": {"model", "netfile", "deployment", "procs", "profile", "training", "cli", "pruning", "interop", "data",
             "layers", "errors"},
    "layers": {"model", "netfile", "deployment", "procs", "profile", "training", "cli", "pruning", "interop", "data"},
    "config": {"model", "deployment", "procs", "profile", "training", "cli", "demo", "netfile", "bench"},
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


# ---- import circles between modules ----------------------------------------------------------------------

def _module_name(path: Path, root: Path) -> tuple[str, ...]:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return parts[:-1] if parts[-1] == "__init__" else parts


def _exists(root: Path, name: tuple[str, ...]) -> bool:
    rel = Path(*name[1:]) if len(name) > 1 else Path()
    return (root / rel).with_suffix(".py").is_file() or (root / rel / "__init__.py").is_file()


def import_graph(root: Path) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
    """Module -> the package's modules it imports (every import statement, also inside functions).

    ``from a.b import c`` is an edge to module ``a.b.c`` where that is a module, else to ``a.b``. Importing a
    module first runs its packages' ``__init__``: those of the target that are not also the importer's own
    (already running) are edges too, so a package ``__init__`` that imports its modules can close a circle.
    """
    top = root.name
    graph: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for path in sorted(root.rglob("*.py")):
        name = _module_name(path, root)
        package = name if path.name == "__init__.py" else name[:-1]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [tuple(a.name.split(".")) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = (package[:len(package) - node.level + 1] if node.level else ())
                mod = base + (tuple(node.module.split(".")) if node.module else ())
                targets = [mod + (a.name,) if _exists(root, mod + (a.name,)) else mod for a in node.names]
            else:
                continue
            for t in targets:
                while t and t[0] == top and not _exists(root, t):
                    t = t[:-1]
                if not t or t[0] != top:
                    continue
                edges.add(t)
                edges.update(t[:i] for i in range(2, len(t)) if name[:i] != t[:i])  # the target's packages
        edges.discard(name)
        graph[name] = edges
    return graph


def import_circles(graph) -> list[list[str]]:
    """The import circles of ``graph``: its strongly connected components of more than one module."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(".".join(w))
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_module_imports_itself_through_others():
    assert import_circles(import_graph(PKG)) == []


def test_the_circle_check_sees_a_circle_through_a_package_init(tmp_path):
    """metrics -> cutoff.rule runs cutoff/__init__, which imports cutoff.evaluate, which imports metrics."""
    pkg = tmp_path / "razor_lava"
    (pkg / "cutoff").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "metrics.py").write_text("from .cutoff.rule import answer\n")
    (pkg / "cutoff" / "__init__.py").write_text("from .evaluate import metrics_of\n")
    (pkg / "cutoff" / "rule.py").write_text("")
    (pkg / "cutoff" / "evaluate.py").write_text("from ..metrics import answer\n")
    assert import_circles(import_graph(pkg)) == [["razor_lava.cutoff", "razor_lava.cutoff.evaluate",
                                                  "razor_lava.metrics"]]
    (pkg / "metrics.py").write_text("")  # the fix: the rule's home is metrics, the cutoff imports it
    (pkg / "cutoff" / "rule.py").write_text("from ..metrics import answer\n")
    assert import_circles(import_graph(pkg)) == []


def test_the_circle_check_finds_a_circle_planted_inside_a_function(tmp_path):
    import shutil

    copy = tmp_path / "razor_lava"
    shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    assert import_circles(import_graph(copy)) == []
    # The runner imports the result module; a lazy import back closes a circle.
    result = copy / "deployment" / "result.py"
    result.write_text(result.read_text() + "\n\ndef _planted():\n    from .runner import run_samples\n")
    (circle,) = import_circles(import_graph(copy))
    assert {"razor_lava.deployment.result", "razor_lava.deployment.runner"} <= set(circle)
    # An absolute import from the bottom layer back up to a module that uses it.
    layers = copy / "layers.py"
    layers.write_text(layers.read_text() + "\n\ndef _planted():\n    import razor_lava.netfile.read\n")
    circles = import_circles(import_graph(copy))
    assert len(circles) == 2 and any({"razor_lava.layers", "razor_lava.netfile.read"} <= set(c) for c in circles)
