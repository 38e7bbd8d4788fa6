"""What every command-line program shares: how it ends on an error or on Ctrl-C."""

from __future__ import annotations

import sys
from typing import Callable

EXIT_ERROR = 2  # a RazorLavaError: bad input the message names (argparse uses 2 for bad flags too)
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT


def run_main(fn: Callable[..., int | None], *args, interrupted: str = "interrupted") -> int:
    """``fn(*args)``'s exit code (``None`` counts as 0), with the programs' common endings.

    A ``RazorLavaError`` prints ``error: <message>`` on stderr and returns 2;
    ``KeyboardInterrupt`` prints ``interrupted`` (the command's own message:
    what was kept, how to continue) on stderr and returns 130. Anything else
    propagates with its traceback: that is a bug, not bad input.
    """
    from ..errors import RazorLavaError

    try:
        code = fn(*args)
    except RazorLavaError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"\n{interrupted}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0 if code is None else int(code)


# argparse ``type=`` functions: a bad value is refused by argparse with exit code 2 and a
# message naming the flag ("argument --samples: expected an integer >= 1, got 0").
def positive_int(text: str) -> int:
    """An integer >= 1 (a count of samples, epochs, ...); 0 never means "all" or "the default"."""
    import argparse

    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {v}")
    return v


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
