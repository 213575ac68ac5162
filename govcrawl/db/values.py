"""Extracted numbers as the database can hold them: one rule for every path that writes report_cells."""

from __future__ import annotations

import math


def cell_value(value) -> float | None:
    """The value as a finite double (report_cells.value), or None when a double cannot hold it (a 400-digit
    number, infinity, not a number): the caller keeps the raw text and says so."""
    if value is None:
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        return None
    return number if math.isfinite(number) else None


def abbreviate(value) -> str:
    """A short rendering of an absurd number for a warning (str() of an int over 4,300 digits even raises)."""
    if isinstance(value, int) and value.bit_length() > 128:
        return f"(a {value.bit_length()}-bit integer)"
    text = str(value)
    return text if len(text) <= 40 else f"{text[:20]}…({len(text)} characters)"
