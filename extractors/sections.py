"""Top-level sections (`一、总体情况` … `六、其他需要报告的事项`, or the pre-2019 headings), in order."""

from __future__ import annotations

import re

from .model import Section

_NUMERALS = "一二三四五六七八九十"
# Official section titles: such a heading may follow a gap (reports drop an empty section's heading).
_OFFICIAL = re.compile(r"主动公开|依申请|申请情况|行政复议|行政诉讼|存在的主要问题|其他需要报告|改进情况|收费")
_HEADING = re.compile(r"^\s*((?:十[一二三四五六七八九]?|[一二三四五六七八九十])、)\s*(\S.{0,40})$")


def _number(numeral: str) -> int:
    numeral = numeral.rstrip("、")
    if numeral.startswith("十"):
        return 10 + (_NUMERALS.index(numeral[1]) + 1 if len(numeral) > 1 else 0)
    return _NUMERALS.index(numeral) + 1


def _fits(m: re.Match, expected: int) -> bool:
    n = _number(m.group(1))
    return n == expected or (expected > 1 and expected < n <= expected + 2 and _OFFICIAL.search(m.group(2)) is not None)


def split_sections(text: str) -> list[Section]:
    """Headings must count up one by one: a `三、` inside section 一 is a list item, not a section,
    and table rows (`一、本年新收…`) never continue the sequence."""
    sections: list[Section] = []
    expected = 1
    heading, body = None, []
    for line in text.splitlines():
        m = _HEADING.match(line)
        if m and "|" not in line and not re.search(r"[。；;]$", line.strip()) and _fits(m, expected):
            if heading is not None:
                sections.append(Section(heading, "\n".join(body).strip()))
            heading, body = line.strip(), []
            expected = _number(m.group(1)) + 1
        elif heading is not None:
            body.append(line)
    if heading is not None:
        sections.append(Section(heading, "\n".join(body).strip()))
    return sections
