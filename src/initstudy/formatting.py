"""Numbers for a reader: every number the report and the course comparison print passes through :func:`fmt`
(three significant digits, ``×10ⁿ`` for very small or large values, ``—`` for a missing value)."""

from __future__ import annotations

import math
from typing import Any

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt(x: Any, digits: int = 3) -> str:
    """A number for a reader: ``0.932``, ``12,345``, ``1.2×10⁻¹³``; ``—`` for None or NaN.

    Integers print in full with thousands separators; floats with ``digits`` significant digits,
    in scientific form below 1e-3 or from 1e5 on; ``inf`` as ``∞``; booleans as yes/no.
    """
    if isinstance(x, bool):
        return "yes" if x else "no"
    if is_missing(x):
        return "—"
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):  # numpy scalar
        return fmt(x.item(), digits)
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        if x == 0:
            return "0"
        if 1e-3 <= abs(x) < 1e5:
            decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
            text = f"{x:,.{decimals}f}"
            if decimals:
                text = text.rstrip("0").rstrip(".")
            return text.replace("-", "−")
        mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        power = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
        return power.replace("-", "−") if mantissa == "1" else f"{mantissa}×{power}".replace("-", "−")
    return str(x)


def fmt_grid_value(x: Any) -> str:
    """A config value as written in a grid (``0.001``, ``1000``, ``1.2``): shortest exact form."""
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def interval(lo: Any, hi: Any) -> str:
    """``[0.91, 0.95]``, or an empty string when either end is missing."""
    if is_missing(lo) or is_missing(hi):
        return ""
    return f"[{fmt(lo)}, {fmt(hi)}]"
