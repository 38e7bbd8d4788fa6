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
