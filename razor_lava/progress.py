"""Progress bars that do not break Lava, and that stay readable in a log.

tqdm creates a multiprocessing lock with its first bar, which fixes
multiprocessing's start method; Lava later calls ``set_start_method("fork")``
when its runtime is imported, and that raises "context has already been set".
So Lava's runtime module is imported before the first bar (about 0.2 s), and
every progress bar in razor_lava comes from here.

On a terminal the bar redraws in place. Written to a file or a CI log, every
redraw would be one more line (a demo's log was about 300 KB of bars): there the
bar prints one plain line every ``LOG_INTERVAL_S`` seconds, and the last one.
"""

from __future__ import annotations

import re
import sys
from typing import Iterable

LOG_INTERVAL_S = 20.0
_CONTROL = re.compile(r"\r|\x1b\[[0-9;]*[A-Za-z]")  # carriage returns and cursor moves of a redrawn bar


class _LogLines:
    """A stream for tqdm that turns each redraw into one plain line."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, s: str) -> None:
        text = _CONTROL.sub("", s).strip()
        if text:
            self.stream.write(text + "\n")

    def flush(self) -> None:
        self.stream.flush()


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def progress(iterable: Iterable, enabled: bool = True, **kwargs):
    """``tqdm(iterable, **kwargs)`` when ``enabled``, else ``iterable`` itself; periodic lines off a terminal."""
    if not enabled:
        return iterable
    import lava.magma.runtime.message_infrastructure.multiprocessing  # noqa: F401  (sets "fork" first)
    from tqdm.auto import tqdm

    stream = kwargs.pop("file", None) or sys.stderr
    if not _is_terminal(stream):
        kwargs.setdefault("mininterval", LOG_INTERVAL_S)
        kwargs.setdefault("ncols", 100)
        stream = _LogLines(stream)
    return tqdm(iterable, file=stream, **kwargs)
