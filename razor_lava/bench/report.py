"""The report writer of every bench: markdown + JSON (the one encoder, ``razor_lava.atomic.jsonable``) + picture,
each written atomically; ``result_from_json`` reads a result dataclass back from its JSON (the one decoder), so a
committed report can be checked against what its bench writes."""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Callable

from ..atomic import json_text, jsonable, write_json_atomic  # noqa: F401  (the one JSON encoder)


def write_json(path, o) -> Path:
    """``o`` as JSON (``razor_lava.atomic.json_text``: the one encoder) to ``path``, atomically."""
    return write_json_atomic(path, o)


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


def result_from_json(cls, data):
    """``data`` (a bench's JSON, parsed) as an instance of the dataclass ``cls``: nested dataclasses, lists and
    dicts of them are rebuilt from their field types; JSON's null stands for NaN where a float was not finite."""
    return _decode(cls, data)


def _decode(tp, v):
    if v is None:
        return None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):  # X | None
        return _decode(next(a for a in args if a is not type(None)), v)
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return tp(**{f.name: _decode(hints[f.name], v[f.name]) for f in dataclasses.fields(tp)
                     if f.init and f.name in v})
    if origin is list and args:
        return [_decode(args[0], x) for x in v]
    if origin is dict and len(args) == 2:
        return {k: _decode(args[1], x) for k, x in v.items()}
    return v
