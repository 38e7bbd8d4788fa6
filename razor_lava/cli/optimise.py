"""Optimise any network file after training: a Top-K cutoff and event-count gates, fitted on a calibration
split carved from the training split, measured on the test split.

Examples:
    python train/optimise.py net.h5 --dataset nmnist --data-root ../shared/data/nmnist-small \
        --out opt.h5 --report opt.json                             # the cutoff, within 0.5 pt (out of fold)
    python train/optimise.py net.h5 --dataset nmnist --data-root DIR --out opt.h5 --report opt.json \
        --max-loss 1 --gates events                                # cutoff + events gates, within 1 pt
    python train/optimise.py net.h5 --dataset nmnist --data-root DIR --out opt.h5 --report opt.json \
        --cutoff-epsilon 0.01 --cutoff-window 10                   # one cutoff setting, no search
    python deploy/deploy.py opt.h5 --data-root DIR --cutoff --synops   # the same file on Lava

NET.h5 is a razor_lava network file, one imported with deploy/import_nir.py, or a plain lava-dl netx file
(then --dataset and, unless the data set's default framing fits, --window-ms/--n-frames/--frame-mode say how
its data is framed; OPT.h5 stores that frame spec and the data set's name).

The calibration split is --calibration-samples recordings of the TRAINING split (stratified by class, drawn
from --seed); the test split is only measured. --max-loss PTS (default 0.5) picks, among the cutoff settings
(epsilon x window grids, judged out of fold: calibrated on 4/5 of the calibration split, run on the rest) and,
with --gates events, an events gate at each candidate layer input (--positions, default every weighted layer
without a gate; k from the calibration split's own event counts), the one with the fewest synops whose
calibration accuracy stays within PTS percentage points of the file's. --cutoff-target answers (the default)
judges the cutoff and the loss against the file's own answers over its full window: the cutoff exits where the
answer is the one the network would give at the end, and PTS bounds the share of answers changed (so the
accuracy lost too); labels the paper's rule, against the labels. --cutoff-epsilon E calibrates with E
(thresholds widened by --cutoff-window frames) without a search; gates must then keep the accuracy of that
cutoff within --max-loss. OPT.h5 holds the gates, the cutoff table and
a fresh checksum; the report (--report, JSON) holds accuracy_before / _after, synops_before / _after,
synops_reduction, timestep_reduction and test_samples (test split, SLAYER fixed point with the synop counters,
which Lava's counters equal sample for sample), the settings chosen, the calibration-split numbers and every
setting tried. Bad input exits 2 with one line; nothing is written then.
``python -m razor_lava.cli.optimise`` is the same program.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import existing_dir, integer, number, output_file, positive_int, run_main, seed_int


def build_parser() -> argparse.ArgumentParser:
    from .framing_args import add_frame_args

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("network", help="network .h5 file (razor_lava, NIR import, or plain lava-dl netx)")
    ap.add_argument("--dataset", help="data set name (default: the one the file names)")
    ap.add_argument("--data-root", type=existing_dir, help="data set directory (not for the embedded synthetic set)")
    ap.add_argument("--out", type=output_file, required=True, help="the optimised network file to write")
    ap.add_argument("--report", type=output_file, required=True, help="the JSON report to write")
    ap.add_argument("--cutoff-epsilon", type=number(0, 1, hi_open=True),
                    help="calibrate the cutoff with this epsilon, in [0, 1) (no search; --max-loss then bounds "
                         "only what the gates may lose against it)")
    ap.add_argument("--max-loss", type=number(0, 100),
                    help="allowed calibration accuracy loss in percentage points, in [0, 100] (default 0.5)")
    ap.add_argument("--cutoff-target", default="answers", choices=["answers", "labels"],
                    help="what the cutoff keeps: answers, the network's own answers over its full window "
                         "(default); labels, the right answers (the paper's calibration)")
    ap.add_argument("--cutoff-window", type=integer(0, 1000), default=0,
                    help="with --cutoff-epsilon: widen each threshold over this many frames each side (default 0)")
    ap.add_argument("--gates", default="none", choices=["none", "events"],
                    help="events: try an event-count gate at each candidate layer input (default none)")
    ap.add_argument("--positions", type=integer(0), nargs="+",
                    help="with --gates events: the layers whose input may get a gate (default: every weighted "
                         "layer without one)")
    ap.add_argument("--calibration-samples", type=positive_int, default=300,
                    help="recordings of the training split to calibrate on (default 300)")
    ap.add_argument("--seed", type=seed_int, default=0, help="the calibration split's draw (default 0)")
    ap.add_argument("--test-samples", type=positive_int, help="measure on the first N test recordings (default all)")
    ap.add_argument("--no-progress", action="store_true")
    add_frame_args(ap, "how the data set is framed; stored in the file written")
    return ap


def parse_args(argv=None):
    ap = build_parser()
    args = ap.parse_args(argv)
    if args.positions is not None and args.gates != "events":
        ap.error("--positions: only with --gates events")
    if args.cutoff_window and args.cutoff_epsilon is None:
        ap.error("--cutoff-window: only with --cutoff-epsilon (a --max-loss search tries its own windows)")
    if Path(args.out).resolve() == Path(args.network).resolve():
        ap.error("--out: it is the input network file; write the optimised one beside it")
    if Path(args.out).resolve() == Path(args.report).resolve():
        ap.error("--report: the same path as --out")
    return args


def _labels(source) -> "np.ndarray":  # noqa: F821
    import numpy as np

    targets = getattr(source, "targets", None)
    if targets is not None:
        return np.asarray(targets, dtype=np.int64)
    return np.array([int(source[i][1]) for i in range(len(source))], dtype=np.int64)


def _frame(source, idx, spec):
    import numpy as np

    from ..data.framing import frame_many

    items = [source[int(i)] for i in idx]
    return frame_many([e for e, _ in items], spec), np.array([int(y) for _, y in items], dtype=np.int64)


def run(args) -> int:
    from .. import optimise as opt
    from ..atomic import atomic_path, json_text, removed_on_failure
    from ..data.registry import frame_spec_for, open_split
    from ..errors import UsageError
    from ..netfile import load_network_file, write_operating_point
    from .framing_args import dataset_sensor, frame_spec_from_args, framing_given

    say = (lambda line: None) if args.no_progress else (lambda line: print(line, file=sys.stderr, flush=True))
    nf = load_network_file(args.network)
    name = args.dataset or ((nf.config or {}).get("data") or {}).get("dataset")
    if name is None:
        raise UsageError("--dataset", f"{args.network} does not say which data set it runs on: give --dataset")
    if nf.n_outputs < 2:
        raise UsageError("NETWORK", f"{args.network} has {nf.n_outputs} output: the cutoff needs 2 classes or more")
    if framing_given(args) or nf.frame_spec is None:
        nf.frame_spec = frame_spec_from_args(args, nf.input_shape, name, nf.frame_spec, str(args.network))
    sensor = dataset_sensor(name)  # the fit is checked before the data set is opened or framed
    spec = nf.frame_spec if nf.frame_spec is not None else frame_spec_for(name, sensor)
    if tuple(spec.sensor_size) != tuple(sensor):
        raise UsageError("--dataset", f"{name} events come from a {_x(sensor)} sensor, but {args.network} is framed "
                         f"for a {_x(spec.sensor_size)} one: give --window-ms/--n-frames to frame {name} for it")
    if spec.frame_shape[:-1] != tuple(nf.input_shape):
        raise UsageError("--dataset", f"{name} frames are {_x(spec.frame_shape[:-1])} (C x H x W) but "
                         f"{args.network} takes {_x(nf.input_shape)}")
    train = open_split(name, "train", args.data_root)
    test = open_split(name, "test", args.data_root, limit=args.test_samples)
    nf.frame_spec = spec
    labels = _labels(train)
    if len(labels) == 0:
        raise UsageError("--data-root", f"the training split of {name!r} holds no samples to calibrate on")
    if nf.n_outputs < int(labels.max()) + 1:
        raise UsageError("--dataset", f"{name} has labels up to {int(labels.max())}, {args.network} only "
                         f"{nf.n_outputs} outputs")
    idx = opt.calibration_indices(labels, args.calibration_samples, args.seed,
                                  where=f"the training split of {name!r}")
    if args.positions is not None:
        opt.candidate_positions(nf, args.positions)  # checked before anything is framed
    say(f"framing {len(idx)} calibration recordings (training split, seed {args.seed}) and {len(test)} test "
        f"recordings of {name}")
    cal_frames, cal_labels = _frame(train, idx, spec)
    test_frames, test_labels = _frame(test, range(len(test)), spec)
    plan = opt.optimise(nf, cal_frames, cal_labels, epsilon=args.cutoff_epsilon, window=args.cutoff_window,
                        max_loss=args.max_loss, gates=args.gates, positions=args.positions, log=say,
                        target=args.cutoff_target)
    with removed_on_failure(Path(args.out).parent), removed_on_failure(Path(args.report).parent), \
            atomic_path(args.out) as tmp_net, atomic_path(args.report) as tmp_rep:
        write_operating_point(args.network, tmp_net, plan.gates, plan.cutoff, add=True, frame_spec=spec,
                              dataset=name, classes=None if nf.classes else list(getattr(train, "classes", [])))
        optimised = load_network_file(tmp_net)  # what deploy.py will read
        say(f"measuring on {len(test_labels)} test recordings")
        measured = opt.measure(nf, optimised, test_frames, test_labels)
        report = measured | {
            "network": str(args.network), "out": str(args.out), "dataset": name, "frame_spec": spec,
            "calibration_seed": args.seed, "calibration_indices": [int(i) for i in idx],
            "settings": {"cutoff_epsilon": plan.epsilon, "cutoff_window": plan.window,
                         "cutoff_target": args.cutoff_target,
                         "max_loss_pts": 0.5 if args.max_loss is None else args.max_loss,
                         "gates": args.gates, "gates_added": {str(k): {"method": "events", "k": v, "variant": "causal"}
                                                              for k, v in plan.added.items()},
                         "file_gates": sorted(int(k) for k in nf.pruners)},
            "calibration": plan.calibration, "tried": plan.tried}
        Path(tmp_rep).write_text(json_text(report))
    summary = {k: report[k] for k in ("accuracy_before", "accuracy_after", "synops_before", "synops_after",
                                      "synops_reduction", "timestep_reduction", "test_samples")}
    print(json_text(summary | {"settings": report["settings"], "out": str(args.out), "report": str(args.report)}),
          end="")
    return 0


def _x(shape) -> str:
    return " x ".join(str(int(v)) for v in shape)


def main(argv=None) -> int:
    return run_main(run, parse_args(argv), interrupted="interrupted (nothing was written)")


if __name__ == "__main__":
    sys.exit(main())
