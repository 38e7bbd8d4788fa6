"""A program's ``main`` run in the test process, as its entry point (``train/<cmd>.py``, ``deploy/<cmd>.py``)
calls it: far cheaper than a subprocess (torch and lava-dl are imported once), with the same exit code and
stderr. Tests that need the real process (the interpreter's own exit) still start one."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import traceback
from pathlib import Path


def main_in_process(command: str, argv: list[str], cwd: Path | None = None) -> tuple[int, str]:
    """``razor_lava.cli.<command>.main(argv)`` (from ``cwd`` when given): its exit code and stderr. An exception
    that escapes ``main`` is printed as the entry point would print it (a traceback), with exit code 1."""
    main = importlib.import_module(f"razor_lava.cli.{command}").main
    err, here = io.StringIO(), os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as e:  # argparse refuses a flag
                code = e.code
            except BaseException:
                traceback.print_exc(file=err)
                code = 1
    finally:
        os.chdir(here)
    return code, err.getvalue()
