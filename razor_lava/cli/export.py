"""(Re-)export RUN_DIR/network.h5 from RUN_DIR/checkpoint.pt: netx layers plus
the pruners' integer parameters, frame spec and classes.

    python train/export.py runs/synthetic-e3 [--out other.h5]

``python -m razor_lava.cli.export`` is the same program.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import existing_dir, output_file, run_main


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", help="a run folder written by train/train.py (holds checkpoint.pt)")
    ap.add_argument("--out", type=output_file, help="default: RUN_DIR/network.h5 (written atomically: a failed "
                    "export leaves an earlier file as it was and no new one)")
    ap.add_argument("--data-root", type=existing_dir, help="only to read class names of data sets on disk")
    return ap.parse_args(argv)


def run(args) -> int:
    """Export the run's network (with its cutoff table, if calibrated); print the file's path."""
    from ..atomic import removed_on_failure
    from ..data.registry import frame_spec_for, open_split
    from ..netfile import export_network
    from ..training.run import load_cutoff, load_trained

    net = load_trained(args.run_dir)
    name = net.cfg.data["dataset"]
    source = open_split(name, "test", args.data_root, limit=1)  # only its sensor size and class names are needed
    spec = frame_spec_for(name, source.sensor_size, {k: v for k, v in net.cfg.data.items() if k != "dataset"})
    cutoff = load_cutoff(args.run_dir)
    out = args.out or Path(args.run_dir) / "network.h5"
    with removed_on_failure(Path(out).parent):  # folders the atomic write creates for --out, if it fails
        path = export_network(net, out, spec, list(source.classes), cutoff=cutoff)
    print(path)
    return 0


def main(argv=None) -> int:
    return run_main(run, parse_args(argv), interrupted="interrupted (the network file is written atomically: "
                                                       "an earlier one is left as it was)")


if __name__ == "__main__":
    sys.exit(main())
