"""What every command-line program shares: how it ends on an error or on Ctrl-C."""

from __future__ import annotations

import dataclasses
import sys
from typing import Callable

from ..config.schema import SEED, Num

EXIT_ERROR = 2  # a RazorLavaError: bad input the message names (argparse uses 2 for bad flags too)
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT
# The help of --trust-checkpoint, the one opt-in to full unpickling (razor_lava/training/checkpoint.py).
TRUST_CHECKPOINT_HELP = ("read a checkpoint.pt that the safe (weights-only) loader refuses, e.g. one written by an "
                         "earlier razor_lava, by unpickling it fully. Unpickling can execute code: use it only for "
                         "checkpoints you wrote yourself (python train/convert_checkpoint.py RUN_DIR "
                         "--trust-checkpoint converts one to the safe form once)")


def run_main(fn: Callable[..., int | None], *args, interrupted: str | Callable[[], str] = "interrupted") -> int:
    """``fn(*args)``'s exit code (``None`` counts as 0), with the programs' common endings.

    A ``RazorLavaError`` prints ``error: <message>`` on stderr and returns 2;
    ``KeyboardInterrupt`` prints ``interrupted`` (the command's own message:
    what was kept, how to continue; a callable is asked then) on stderr and returns 130. Anything else
    propagates with its traceback: that is a bug, not bad input.
    """
    from ..errors import RazorLavaError

    try:
        code = fn(*args)
    except RazorLavaError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"\n{interrupted() if callable(interrupted) else interrupted}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0 if code is None else int(code)


# argparse ``type=`` functions: a bad value is refused by argparse with exit code 2 and a
# message naming the flag ("argument --samples: expected an integer >= 1, got 0").
def arg_type(spec: Num):
    """An argparse type from a config schema ``Num`` (``razor_lava.config.schema``): the same range, and the
    same "expected ..." as the config key's error. A flag has no null: a spec's ``null`` (and the note that
    says what null means) is left out."""
    import argparse

    if spec.null:
        spec = dataclasses.replace(spec, null=False, note="")
    what = spec.expected()

    def check(text: str):
        try:
            v = int(text) if spec.integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not spec.ok(v):
            raise argparse.ArgumentTypeError(f"expected {what}, got {v if spec.integer else text}")
        return v

    check.__name__ = what
    return check


def integer(lo: int | None = None, hi: int | None = None):
    """An argparse type: an integer in [lo, hi] (either bound optional)."""
    return arg_type(Num(integer=True, lo=lo, hi=hi))


def number(lo: float | None = None, hi: float | None = None, lo_open: bool = False, hi_open: bool = False,
           note: str = ""):
    """An argparse type: a finite number in the interval from ``lo`` to ``hi`` (``*_open``: that end excluded;
    either bound optional); ``note`` ends the expectation ("0 = off")."""
    return arg_type(Num(lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open, note=note))


positive_int = integer(lo=1)  # a count of samples, epochs, ...: 0 never means "all" or "the default"
non_negative_int = integer(lo=0)
seed_int = arg_type(SEED)  # numpy's seed range
positive_float = number(lo=0, lo_open=True)
non_negative_float = number(lo=0)


def output_file(text: str):
    """A file path to (over)write: not an existing directory; its folder may not exist yet."""
    import argparse
    from pathlib import Path

    p = Path(text)
    if p.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory: expected a file path to write")
    for parent in p.resolve().parents:
        if parent.exists():
            if not parent.is_dir():
                raise argparse.ArgumentTypeError(f"{text}: {parent} is a file, not a folder")
            break
    return p


def output_dir(text: str):
    """A folder to write into: not an existing file (it may exist, or be created)."""
    import argparse
    from pathlib import Path

    p = Path(text)
    if p.exists() and not p.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file: expected a folder (it may not exist yet)")
    return p


def add_sample_args(ap, default_samples: int) -> None:
    """The arguments every script that runs a network file on data shares: the file, and which samples."""
    ap.add_argument("network", help="network .h5 file (razor_lava export or plain lava-dl netx)")
    ap.add_argument("--num-layers", type=positive_int,
                    help="run only layer/0 .. layer/N-1 of the file (as netx's num_layers), e.g. to stop before a "
                         "layer type razor_lava cannot run")
    ap.add_argument("--dataset", help="data set name (default: the one the network was trained on)")
    ap.add_argument("--data-root", help="data set directory (not needed for the embedded synthetic data)")
    ap.add_argument("--split", default="test", choices=["train", "test"])
    ap.add_argument("--samples", type=positive_int,
                    help=f"number of samples (from the start of the split, default {default_samples}; "
                         "with --input: all)")
    ap.add_argument("--input", type=existing_file, metavar="X.npy",
                    help="run these raw inputs instead of a data set: one sample C x H x W x T (or C x T) or a "
                         "batch N x ... of integer payloads, as the network's first layer takes them")
    ap.add_argument("--labels", type=existing_file, metavar="Y.npy",
                    help="N integer labels of --input (without them no accuracy is reported)")
    ap.set_defaults(default_samples=default_samples)


def check_sample_args(ap, args) -> None:
    """Resolve ``--samples`` and refuse clashing sample options (argparse's exit code 2)."""
    if args.input is None:
        if args.labels is not None:
            ap.error("--labels: only with --input (a data set has its own labels)")
        args.samples = args.default_samples if args.samples is None else args.samples
    elif args.dataset is not None or args.data_root is not None:
        ap.error("--input: give either --input or --dataset/--data-root, not both")


def add_lava_args(ap) -> None:
    """How samples run on Lava: streamed through one network or one network each, on how many processes."""
    ap.add_argument("--mode", default="stream", choices=["stream", "per-sample"],
                    help="stream: compile once, feed the samples back to back (default); per-sample: build, "
                         "compile, run and stop a network for every sample (the reference the stream is checked against)")
    ap.add_argument("--workers", type=positive_int, default=1,
                    help="processes that share the samples, each with its own Lava runtime (default 1)")
    ap.add_argument("--conv-model", default="fast", choices=["fast", "lava"],
                    help="the simulator's model of netx conv synapses: razor_lava's bit-identical fast one "
                         "(default) or Lava's own scipy model")


def host_address(text: str) -> str:
    """An argparse type: an IP address (v4 or v6, ``ipaddress``) or a host name of RFC 1123 labels (letters,
    digits and inner hyphens, 1-63 characters each, 253 in all, the last label not all digits), returned as
    given. The value reaches other programs as an argument (lava-loihi pings it): nothing that starts with
    ``-`` or holds spaces or shell characters gets through."""
    import argparse
    import ipaddress
    import re

    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    name = text[:-1] if text.endswith(".") else text  # a fully qualified name may end with its root's dot
    label = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
    labels = name.split(".")
    if not (0 < len(name) <= 253 and all(label.fullmatch(part) for part in labels) and not labels[-1].isdigit()):
        raise argparse.ArgumentTypeError(f"expected an IP address or a host name (letters, digits, hyphens and "
                                         f"dots, RFC 1123), got {text!r}")
    return text


def existing_dir(text: str) -> str:
    """An argparse type: a folder that exists (returned as given), e.g. ``--data-root``."""
    import argparse
    import os

    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text}: " + ("is a file, expected a folder" if os.path.exists(text)
                                                        else "no such folder"))
    return text


def existing_file(text: str) -> str:
    """An argparse type: a file that exists (returned as given)."""
    import argparse
    import os

    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"{text}: " + ("is a folder, expected a file" if os.path.isdir(text)
                                                        else "no such file"))
    return text


def load_cli_samples(nf, args):
    """``(frames, labels or None, source name)`` from ``--input/--labels`` or the data set options."""
    from ..deployment.samples import load_inputs, load_samples

    if args.input is not None:
        frames, labels = load_inputs(nf, args.input, args.labels, args.samples)
        return frames, labels, f"input:{args.input}"
    return load_samples(nf, args.dataset, args.split, args.samples, args.data_root)
