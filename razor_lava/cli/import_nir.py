"""Import a NIR graph as a deployable network file (then run it with deploy/deploy.py).

    python deploy/import_nir.py net.nir --out network.h5
    python deploy/import_nir.py snntorch_net.nir --dt 1e-4 --out network.h5
    python deploy/import_nir.py cnn_sinabs.nir --out cnn.h5 --dataset nmnist --window-ms 1 --n-frames 300 \
        --frame-mode count          # the NIR paper's N-MNIST CNN, framed as the paper did
    python deploy/deploy.py cnn.h5 --data-root ../shared/data/nmnist-small --samples 10

Supported nodes: Input, Output, Flatten, the linear nodes Conv2d, Linear, Affine, SumPool2d, AvgPool2d and
the neurons CubaLIF, LIF, IF, in a feed-forward chain; any other node is named in the error. The linear
nodes before a neuron become one synapse: runs of them (a pool before a conv, a pool before Flatten and
Affine, two Linear) are folded exactly. Biases (and a LIF's v_leak) become netx biases. The import prints
what it did: the folds, the biases, the neuron mapping, and that Loihi resets the membrane to 0 after a
spike (sinabs and snnTorch subtract the threshold, which NIR cannot say: their outputs can differ).

--dataset stores which data set deploy.py opens; --window-ms / --n-frames / --frame-mode store the framing
(defaults: the data set's). Frames that do not have the network's input shape: exit 2, nothing written.
A graph that razor_lava wrote brings its pruners, cutoff table, frame spec and classes back.
``python -m razor_lava.cli.import_nir`` is the same program.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from .common import output_file, positive_float, run_main
from .framing_args import add_frame_args


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("graph", help="a NIR file (nir.write)")
    ap.add_argument("--out", type=output_file, required=True, help="the network .h5 file to write (atomically)")
    ap.add_argument("--dt", type=positive_float, default=1.0,
                    help="the graph's time step in its own time units: one razor_lava step (default 1; "
                         "snnTorch writes graphs for 1e-4)")
    ap.add_argument("--dataset", help="the data set the network runs on (registry name, e.g. nmnist): stored, with "
                                      "its default framing")
    add_frame_args(ap, "stored in the file")
    return ap.parse_args(argv)


def run(args) -> int:
    from ..atomic import removed_on_failure
    from ..interop.nir_import import read_nir, write_network_file
    from .framing_args import frame_spec_from_args

    with warnings.catch_warnings(record=True) as caught:  # the report says the same, once
        warnings.simplefilter("always")
        imp = read_nir(args.graph, dt=args.dt)
    nf = imp.network
    dataset = args.dataset or ((nf.config or {}).get("data") or {}).get("dataset")
    # The graph's own frame spec (one razor_lava wrote) stands unless --dataset names another data set.
    spec = frame_spec_from_args(args, nf.input_shape, args.dataset if nf.frame_spec is not None else dataset,
                                nf.frame_spec, str(args.graph))
    for w in caught:
        if "lava-dl's 8-bit grid" not in str(w.message):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    with removed_on_failure(Path(args.out).parent):
        out = write_network_file(imp, args.out, frame_spec=spec, dataset=args.dataset)
    print(imp.format())
    if spec is not None:
        print(f"framing: {spec.window_ms:g} ms windows, {spec.n_frames} frames, {spec.mode}"
              + (f", data set {dataset}" if dataset else ""))
    print(out)
    return 0


def main(argv=None) -> int:
    return run_main(run, parse_args(argv), interrupted="interrupted (the network file is written atomically)")


if __name__ == "__main__":
    sys.exit(main())
