"""The schema of a config: every value's type and range, checked and never coerced.

YAML ``epochs: "3"`` or ``lr: fast`` is an error naming the key, the value and what was expected; a bool is no
number (``epochs: true``); NaN and infinities are no numbers either. The same specs make the command-line types
(``razor_lava.cli.common.arg_type``), so a flag and the config key it sets accept the same values.
"""

from __future__ import annotations

import copy
import math
import numbers
import re
from dataclasses import dataclass

from ..errors import ConfigError


def _bound(x) -> str:
    """A bound as a message shows it: an integral bound in full (2**32 - 1, not 4.29497e+09), else ``:g``."""
    if isinstance(x, numbers.Integral) and not isinstance(x, bool):
        return str(int(x))
    return f"{x:g}"


@dataclass(frozen=True)
class Num:
    """A number (``integer``: an int) with optional bounds; ``null``: None is allowed too; ``note`` ends the
    expectation (e.g. "0 = off")."""

    integer: bool = False
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    null: bool = False
    note: str = ""

    def ok(self, v) -> bool:
        if v is None:
            return self.null
        if isinstance(v, bool) or not isinstance(v, numbers.Integral if self.integer else numbers.Real):
            return False
        if not math.isfinite(v):
            return False
        if self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo):
            return False
        return not (self.hi is not None and (v >= self.hi if self.hi_open else v > self.hi))

    def expected(self) -> str:
        what = "an integer" if self.integer else "a number"
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None:
            rng = f" in {'(' if self.lo_open else '['}{_bound(lo)}, {_bound(hi)}{')' if self.hi_open else ']'}"
        elif lo is not None:
            rng = f" {'>' if self.lo_open else '>='} {_bound(lo)}"
        elif hi is not None:
            rng = f" {'<' if self.hi_open else '<='} {_bound(hi)}"
        else:
            rng = ""
        return what + rng + (" or null" if self.null else "") + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class OneOf:
    """One of a few strings (``null``: or None)."""

    values: tuple
    null: bool = False

    def ok(self, v) -> bool:
        return (v is None and self.null) or (isinstance(v, str) and v in self.values)

    def expected(self) -> str:
        return f"one of {', '.join(map(repr, self.values))}" + (" or null" if self.null else "")


@dataclass(frozen=True)
class Flag:
    """true or false."""

    def ok(self, v) -> bool:
        return isinstance(v, bool) or type(v).__name__ == "bool_"  # a numpy bool from a network file

    def expected(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Text:
    """A string (``null``: or None)."""

    null: bool = False

    def ok(self, v) -> bool:
        return isinstance(v, str) or (v is None and self.null)

    def expected(self) -> str:
        return "a string" + (" or null" if self.null else "")


POSITIVE = Num(lo=0, lo_open=True)
SEED = Num(integer=True, lo=0, hi=2**32 - 1)  # numpy's seed range: a run's seed, the command lines' --seed
_NUMBER_TEXT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def got(v) -> str:
    """How an error shows a wrong value: its repr, with the type where the repr hides it."""
    if isinstance(v, str):
        hint = "; write the number without quotes" if _NUMBER_TEXT.fullmatch(v.strip()) else ""
        return f"{v!r} (a string{hint})"
    if isinstance(v, bool):
        return f"{v!r} (a bool)"
    if isinstance(v, (list, tuple, dict)):
        return f"{v!r} (a {type(v).__name__})"
    return repr(v)


def check_value(v, spec, key: str, source=None):
    """``v`` if it fits ``spec`` (Num, OneOf, Flag, Text), else ``ConfigError`` naming ``key``, ``v`` and the
    expectation."""
    if not spec.ok(v):
        raise ConfigError(key, f"expected {spec.expected()}, got {got(v)}", source)
    return v


def check_section(values: dict, schema: dict, key: str, source) -> None:
    """Every key of ``values`` that ``schema`` lists checked against its spec (errors name ``key.name``)."""
    for name, spec in schema.items():
        if name in values:
            check_value(values[name], spec, f"{key}.{name}", source)


def merge(defaults: dict, given, key: str, source) -> dict:
    """A section: ``defaults`` updated with ``given`` (a mapping of known keys only; None: the defaults)."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ConfigError(key, f"expected a mapping, got {type(given).__name__}", source)
    unknown = set(given) - set(defaults)
    if unknown:
        raise ConfigError(f"{key}.{sorted(map(str, unknown))[0]}", f"unknown key; expected some of "
                          f"{sorted(defaults)}", source)
    out = copy.deepcopy(defaults)
    out.update(given)
    return out


def positive_int(section: dict, name: str, key: str, source, default=None) -> int:
    """``section[name]`` (or ``default``), a required integer >= 1."""
    v = section.get(name, default)
    if v is None:
        raise ConfigError(f"{key}.{name}", "missing; expected a positive integer", source)
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ConfigError(f"{key}.{name}", f"expected a positive integer, got {got(v)}", source)
    return v


def checked_pair(section: dict, name: str, key: str, source, default=None, minimum: int = 1) -> list[int]:
    """A config value that is an int or an [h, w] pair, type- and range-checked, returned as [h, w]."""
    v = section.get(name, default)
    if v is None:
        raise ConfigError(f"{key}.{name}", "missing; expected an integer or [height, width]", source)
    pair = [v, v] if isinstance(v, int) and not isinstance(v, bool) else v
    if not (isinstance(pair, (list, tuple)) and len(pair) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) and x >= minimum for x in pair)):
        raise ConfigError(f"{key}.{name}", f"expected an integer >= {minimum} or [height, width] integers >= "
                          f"{minimum}, got {got(v)}", source)
    return [int(pair[0]), int(pair[1])]
