#!/usr/bin/env python
"""(Re-)export RUN_DIR/network.h5 from RUN_DIR/checkpoint.pt: netx layers plus
the pruners' integer parameters, frame spec and classes.

    python train/export.py runs/synthetic-e3 [--out other.h5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--out", help="default: RUN_DIR/network.h5")
    ap.add_argument("--data-root", help="only to read class names of data sets on disk")
    args = ap.parse_args(argv)

    from razor_lava.data.registry import frame_spec_for, open_split
    from razor_lava.errors import RazorLavaError
    from razor_lava.netfile import export_network
    from razor_lava.training.run import load_cutoff, load_trained

    try:
        net = load_trained(args.run_dir)
        name = net.cfg.data["dataset"]
        source = open_split(name, "test", args.data_root, **({"n_samples": 1} if name == "synthetic" else {}))
        spec = frame_spec_for(name, source.sensor_size, {k: v for k, v in net.cfg.data.items() if k != "dataset"})
        path = export_network(net, args.out or Path(args.run_dir) / "network.h5", spec, list(source.classes),
                              cutoff=load_cutoff(args.run_dir))
    except RazorLavaError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
