"""``razor-lava <command> [options]``: every razor_lava program under one name (installed by pyproject.toml).

    razor-lava train --config synthetic_small --out runs/small
    razor-lava deploy runs/small/network.h5 --synops
    razor-lava import-nir graph.nir --out net.h5 --dataset nmnist
    razor-lava demo
    razor-lava <command> --help

Each command is the program of ``razor_lava.cli.<command>`` (``-`` in the name for ``_``), the same as its
script in ``train/`` or ``deploy/``; ``demo`` is ``razor_lava.demo`` (``make demo``).
"""

from __future__ import annotations

import importlib
import sys

from . import COMMANDS


def programs() -> dict[str, str]:
    """Command name -> the module whose ``main(argv)`` runs it."""
    return {c.replace("_", "-"): f"razor_lava.cli.{c}" for c in COMMANDS} | {"demo": "razor_lava.demo"}


def usage() -> str:
    return (__doc__.split("\n\n")[0] + "\n\nusage: razor-lava <command> [options]\n\ncommands: "
            + ", ".join(programs()) + "\n")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    known = programs()
    if name not in known:
        print(f"error: unknown command {name!r}; expected one of {', '.join(known)}", file=sys.stderr)
        return 2
    sys.argv = [f"razor-lava {name}", *rest]  # argparse names the program in its usage and errors
    return importlib.import_module(known[name]).main(rest)


if __name__ == "__main__":
    sys.exit(main())
