"""Atomic file writes: nothing half-written survives a crash or Ctrl-C."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; write there. On success it is renamed
    over ``path`` (atomic on POSIX); on any error it is removed and ``path`` is untouched.

    The temporary name keeps the suffix (``x.tmp123.png``), so writers that infer
    the format from it (matplotlib) still do.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.tmp{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (newlines as given); returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, newline="")
    return Path(path)


def first_missing(path: str | os.PathLike) -> Path | None:
    """The outermost folder that ``path.mkdir(parents=True)`` would create (``path`` itself, or an ancestor
    of it); None if ``path`` exists."""
    p, top = Path(os.path.abspath(path)), None
    while not os.path.lexists(p):
        top, p = p, p.parent
    return top


@contextmanager
def removed_on_failure(path: str | os.PathLike, keep: Callable[[], bool] = lambda: False) -> Iterator[None]:
    """Remove the folders the block created for ``path`` if it fails (an error or Ctrl-C).

    Only what did not exist on entry is removed (``first_missing``: ``path`` or the outermost new ancestor,
    with everything in it); a folder that existed before is never touched. ``keep()`` (asked on failure)
    says the folder holds something worth keeping after all (e.g. a checkpoint to resume from).
    """
    top = first_missing(path)
    try:
        yield
    except BaseException:
        if top is not None and os.path.lexists(top) and not keep():
            if top.is_dir() and not top.is_symlink():
                shutil.rmtree(top, ignore_errors=True)
            else:
                top.unlink(missing_ok=True)
        raise
