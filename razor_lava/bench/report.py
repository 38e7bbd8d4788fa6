"""The report writer of every bench: one JSON encoder, and markdown + JSON + picture written atomically."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Callable


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
    if isinstance(o, Path):
        return str(o)
    return str(o)


def json_text(o) -> str:
    """``o`` as indented JSON text (``jsonable``), ending in a newline."""
    return json.dumps(jsonable(o), indent=2) + "\n"


def write_json(path, o) -> Path:
    """``json_text(o)`` to ``path``, atomically."""
    from ..atomic import write_text_atomic

    return write_text_atomic(path, json_text(o))


def md_table(header: list, rows: list) -> list[str]:
    """The lines of a markdown table: the header, the rule, one line per row (cells as ``str``)."""
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + \
           ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def with_picture(text: str, picture: Path, alt: str, before: str) -> str:
    """``text`` with the markdown image line of ``picture`` (by name: it lies beside the report) before the
    first ``before`` (e.g. ``"\\n## "``)."""
    return text.replace(before, f"\n![{alt}]({Path(picture).name})\n{before}", 1)


def write_report(out, data, markdown: str, plot: Callable[[Path], Path] | None = None, alt: str = "",
                 before: str = "\n## ", echo: bool = False) -> dict:
    """A bench's outputs, each atomic: ``out`` (markdown), ``out`` with ``.json`` (``data``, every number) and,
    with ``plot`` (``plot(path) -> path``), ``out`` with ``.png``, linked in the markdown before ``before``.
    ``echo`` prints the markdown. Returns ``{"md": ..., "json": ..., "png": ...}`` paths."""
    from ..atomic import write_text_atomic

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = {"json": write_json(out.with_suffix(".json"), data)}
    if plot is not None:
        paths["png"] = plot(out.with_suffix(".png"))
        markdown = with_picture(markdown, paths["png"], alt, before)
    paths["md"] = write_text_atomic(out, markdown)
    if echo:
        print("\n" + markdown)
    return paths
