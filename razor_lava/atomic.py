"""Atomic file writes: nothing half-written survives a crash or Ctrl-C. JSON goes through one encoder
(``jsonable``: numpy values as numbers, NaN and inf as null) for every report, bench and run file."""

from __future__ import annotations

import dataclasses
import json
import math
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


def jsonable(o):
    """``o`` as plain JSON values: numpy scalars and arrays as numbers and lists, NaN and inf as None (JSON has
    neither), tuples as lists, dict keys as strings, paths and dataclasses by value; anything else as ``str``."""
    if o is None or isinstance(o, (bool, int, str)):
        return o
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [jsonable(v) for v in o]
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return jsonable(dataclasses.asdict(o))
    if hasattr(o, "tolist") and not isinstance(o, (str, bytes)):  # numpy scalars and arrays
        return jsonable(o.tolist())
    return str(o)  # a path, an enum, ...


def json_text(o) -> str:
    """``o`` as indented JSON text (``jsonable``), ending in a newline."""
    return json.dumps(jsonable(o), indent=2) + "\n"


def write_json_atomic(path: str | os.PathLike, o) -> Path:
    """``json_text(o)`` to ``path``, atomically; returns the path."""
    return write_text_atomic(path, json_text(o))


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
