"""How numbers are shown in every report, table, plot label and notebook: one formatter per kind.

- ``si(v)``: a count with an SI prefix, 3 significant digits: ``1.5M``, ``980k``, ``12``;
- ``pct(x)``: a fraction as a percentage: ``pct(0.915) == "91.5%"``;
- ``ratio(x)``: a reduction or speed-up: ``ratio(1.234) == "1.23x"``;
- ``seconds(s)``: a duration in seconds: ``"3.100"``, or ``"2.50e-03"`` below 0.01;
- ``points(d)``: a difference of two fractions in percentage points: ``points(-0.015) == "-1.5 pt"``;
- ``spread(s, fmt)``: a mean +- std over seeds (``metrics.Spread``), each through ``fmt``: ``"95.0% +- 2.0%"``.

Each gives ``"n/a"`` for a missing value (``None``) or one that is not finite
(a ratio whose denominator was 0), so a table never shows ``nan`` or ``inf``.
``digits`` changes the precision where a table wants more.
"""

from __future__ import annotations

import math

NA = "n/a"

__all__ = ["NA", "pct", "points", "ratio", "seconds", "si", "spread"]


def _missing(v) -> bool:
    if v is None:
        return True
    try:
        return not math.isfinite(v)
    except TypeError:  # not a real number: let the format say so
        return False


def si(v, digits: int = 3) -> str:
    """``1500000 -> "1.5M"``: G, M and k prefixes, ``digits`` significant digits."""
    if _missing(v):
        return NA
    # Compare the value as rounded to ``digits``: 999,600 is "1M", not "1e+03k".
    r = float(f"{v:.{digits}g}")
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(r) >= div:
            return f"{r / div:.{digits}g}{unit}"
    return f"{r:.{digits}g}"


def pct(x, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.915 -> "91.5%"``."""
    return NA if _missing(x) else f"{100 * x:.{digits}f}%"


def ratio(x, digits: int = 2) -> str:
    """A ratio (reduction, speed-up): ``1.234 -> "1.23x"``."""
    return NA if _missing(x) else f"{x:.{digits}f}x"


def seconds(s, digits: int = 3) -> str:
    """A duration in seconds: ``digits`` decimals, scientific below 0.01 s."""
    if _missing(s):
        return NA
    return f"{s:.{digits}f}" if s >= 0.01 else f"{s:.2e}"


def points(d, digits: int = 1) -> str:
    """A difference of two fractions (accuracies) in percentage points, signed: ``0.015 -> "+1.5 pt"``."""
    return NA if _missing(d) else f"{100 * d:+.{digits}f} pt"


def spread(s, fmt=pct) -> str:
    """``s`` (anything with ``mean`` and ``std``: ``metrics.Spread``) as ``"<mean> +- <std>"``, both through
    ``fmt``."""
    return f"{fmt(s.mean)} +- {fmt(s.std)}"
