"""(Re-)export RUN_DIR/network.h5 from RUN_DIR/checkpoint.pt: netx layers plus
the pruners' integer parameters, frame spec and classes; or, with --nir, a NIR
graph of a run or of a network file.

    python train/export.py runs/synthetic-e3 [--out other.h5]
    python train/export.py runs/synthetic-e3 --nir net.nir     # a run's network as NIR
    python train/export.py network.h5 --nir net.nir            # any network file (also plain lava-dl netx)

The NIR graph holds the layers (Conv2d / SumPool2d / Linear / Flatten + CubaLIF at
dt = 1, razor_lava.interop.nir_mapping) and, in its metadata, the pruners and the
cutoff table (README, "NIR"). ``python -m razor_lava.cli.export`` is the same program.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .common import TRUST_CHECKPOINT_HELP, existing_dir, output_file, run_main


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", metavar="RUN_DIR", help="a run folder written by train/train.py (holds checkpoint.pt); "
                    "with --nir also a network .h5 file")
    ap.add_argument("--out", type=output_file, help="default: RUN_DIR/network.h5 (written atomically: a failed "
                    "export leaves an earlier file as it was and no new one)")
    ap.add_argument("--nir", type=output_file, metavar="OUT.nir",
                    help="write a NIR graph (nir 1.0) here instead of the network file, atomically")
    ap.add_argument("--data-root", type=existing_dir, help="only to read class names of data sets on disk")
    ap.add_argument("--trust-checkpoint", action="store_true", help=TRUST_CHECKPOINT_HELP)
    args = ap.parse_args(argv)
    if args.nir and args.out:
        ap.error("--out and --nir: give one (--nir writes the NIR graph only)")
    return args


def export_run(run_dir, out, data_root=None, trust_checkpoint: bool = False) -> Path:
    """Export a run's network (with its cutoff table, if calibrated) to ``out``, atomically. The checkpoint
    is read weights-only (``trust_checkpoint``: an earlier version's is unpickled fully)."""
    from ..atomic import removed_on_failure
    from ..data.registry import frame_spec_for, open_split
    from ..netfile import export_network
    from ..training.checkpoint import load_cutoff, load_trained

    net = load_trained(run_dir, trust_checkpoint=trust_checkpoint)
    name = net.cfg.data["dataset"]
    source = open_split(name, "test", data_root, limit=1)  # only its sensor size and class names are needed
    spec = frame_spec_for(name, source.sensor_size, {k: v for k, v in net.cfg.data.items() if k != "dataset"})
    with removed_on_failure(Path(out).parent):  # folders the atomic write creates for --out, if it fails
        return export_network(net, out, spec, list(source.classes), cutoff=load_cutoff(run_dir, trust_checkpoint))


def run(args) -> int:
    """Export; print the written file's path."""
    if args.nir is None:
        print(export_run(args.source, args.out or Path(args.source) / "network.h5", args.data_root,
                         args.trust_checkpoint))
        return 0
    from ..atomic import removed_on_failure
    from ..interop.nir_export import export_nir
    from ..netfile import load_network_file

    src = Path(args.source)
    with tempfile.TemporaryDirectory() as tmp:
        nf_path = src if src.is_file() else export_run(src, Path(tmp) / "network.h5", args.data_root,
                                                       args.trust_checkpoint)
        with removed_on_failure(Path(args.nir).parent):
            print(export_nir(load_network_file(nf_path), args.nir))
    return 0


def main(argv=None) -> int:
    return run_main(run, parse_args(argv), interrupted="interrupted (files are written atomically: "
                                                       "an earlier one is left as it was)")


if __name__ == "__main__":
    sys.exit(main())
