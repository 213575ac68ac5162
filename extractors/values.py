"""Cell values: the number a cell's text states, kept apart from the text itself (data dictionary §3)."""

from __future__ import annotations

import re

from .normalize import squash

_BLANK = {"", "/", "-", "—", "——", "–", "－", "无", "空", "\\", "—/—"}
UNIT_WORDS = {"条", "件", "次", "篇", "个", "人", "人次", "万元", "万", "元", "项", "家", "%"}
_NUMBER = re.compile(
    r"^(?P<num>[+\-]?\d[\d,]*(?:\.\d+)?)\s*(?P<unit>万元|万|元|件|条|次|篇|个|人次|人|项|家|%)?"
    r"\s*(?:\(.*\))?$"
)


def is_value_text(text: str) -> bool:
    """True for what a data cell holds: a number (maybe annotated), a blank marker, or a bare unit."""
    s = squash(text)
    return s in _BLANK or s in UNIT_WORDS or _NUMBER.match(s) is not None


def is_blank(text: str) -> bool:
    return squash(text) in _BLANK


# No count or fee in a report reaches 10^15 (fees are at most 10 digits of 元); a longer run of digits is a
# typo or hostile, and Python would turn it into `inf` (float) or refuse it (int over 4,300 digits).
MAX_INTEGER_DIGITS = 15


def _number(raw: str) -> re.Match | None:
    s = squash(raw)
    return _NUMBER.match(s) or re.match(r"^(?P<num>[+\-]?\d[\d,]*(?:\.\d+)?)(?P<unit>万元|元)?", s)


def is_absurd(raw: str) -> bool:
    """A number too long to be a count or a fee: kept raw, never turned into a value."""
    m = _number(raw)
    return m is not None and len(m.group("num").split(".")[0].replace(",", "").lstrip("+-")) > MAX_INTEGER_DIGITS


def parse_value(raw: str, *, money: bool = False, unit: str | None = None) -> int | float | None:
    """The number in `raw`, or None for blank markers and absurd numbers. With `money`, amounts in 元 (in the
    cell, or the row's `unit` column) become 万元."""
    m = _number(raw)
    if m is None or is_absurd(raw):
        return None
    digits = m.group("num").replace(",", "").lstrip("+")
    number: int | float = float(digits) if "." in digits else int(digits)
    if money and (m.group("unit") or unit) == "元":
        number = round(number / 10000, 6)
    if isinstance(number, float) and number.is_integer() and "." not in digits:
        number = int(number)
    return number
