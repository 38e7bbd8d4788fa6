"""Import a NIR graph as a deployable network file (then run it with deploy/deploy.py).

    python deploy/import_nir.py net.nir --out network.h5
    python deploy/import_nir.py snntorch_net.nir --dt 1e-4 --out network.h5

Supported nodes: Input, Output, Flatten, and layers of a synapse node (Conv2d,
Linear, Affine without bias, SumPool2d) followed by a neuron (CubaLIF, LIF, IF),
in a feed-forward chain; any other node is named in the error. A graph that
razor_lava wrote brings its pruners, cutoff table, frame spec and classes back.
``python -m razor_lava.cli.import_nir`` is the same program.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import output_file, positive_float, run_main


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("graph", help="a NIR file (nir.write)")
    ap.add_argument("--out", type=output_file, required=True, help="the network .h5 file to write (atomically)")
    ap.add_argument("--dt", type=positive_float, default=1.0,
                    help="the graph's time step in its own time units: one razor_lava step (default 1; "
                         "snnTorch writes graphs for 1e-4)")
    return ap.parse_args(argv)


def run(args) -> int:
    from ..atomic import removed_on_failure
    from ..interop.nir_import import write_network_file

    with removed_on_failure(Path(args.out).parent):
        print(write_network_file(args.graph, args.out, dt=args.dt))
    return 0


def main(argv=None) -> int:
    return run_main(run, parse_args(argv), interrupted="interrupted (the network file is written atomically)")


if __name__ == "__main__":
    sys.exit(main())
