"""Word's automatic list numbers (`一、` `（一）` `1.`), which live in numbering.xml, not in the paragraph text.

Report templates number their section headings (`一、总体情况`) and row labels (`（三）不予公开`) with Word lists,
so a reader that only takes the runs' text loses exactly the ordinals that sections and labels are found by.
python-docx does not render list numbers either; this follows ECMA-376 §17.9 for the formats reports use.
"""

from __future__ import annotations

from lxml import etree

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": _W}
_VAL = f"{{{_W}}}val"
_DIGITS = "〇一二三四五六七八九"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
MAX_LEVELS = 9


def _chinese(n: int) -> str:
    if n <= 0 or n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")) + ("" if ones == 0 else _DIGITS[ones])


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                           (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def _format(n: int, kind: str) -> str:
    if kind in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
                "taiwaneseCountingThousand", "chineseLegalSimplified"):
        return _chinese(n)
    if kind == "ideographTraditional" and 1 <= n <= 10:
        return _STEMS[n - 1]
    if kind in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return _CIRCLED[n - 1]
    if kind in ("lowerLetter", "upperLetter") and n >= 1:
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter.upper() if kind == "upperLetter" else letter
    if kind in ("lowerRoman", "upperRoman") and n >= 1:
        return _roman(n).upper() if kind == "upperRoman" else _roman(n)
    if kind in ("bullet", "none"):
        return ""
    return str(n)  # decimal, decimalZero, decimalFullWidth, ideographDigital and the rest


class Numbering:
    """The list number of each numbered paragraph, counted in document order."""

    def __init__(self, numbering: etree._Element | None, styles: etree._Element | None) -> None:
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # numId -> ilvl -> (start, format, text)
        self.counters: dict[str, list[int]] = {}
        self.style_numbers: dict[str, tuple[str, int]] = {}  # paragraph style -> (numId, ilvl)
        if numbering is not None:
            abstract = {a.get(f"{{{_W}}}abstractNumId"): self._levels(a)
                        for a in numbering.iterfind("w:abstractNum", _NS)}
            for num in numbering.iterfind("w:num", _NS):
                ref = num.find("w:abstractNumId", _NS)
                levels = dict(abstract.get(ref.get(_VAL) if ref is not None else None, {}))
                for override in num.iterfind("w:lvlOverride", _NS):
                    level, start = _int(override.get(f"{{{_W}}}ilvl")), override.find("w:startOverride", _NS)
                    if level in levels and start is not None:
                        levels[level] = (_int(start.get(_VAL), 1), *levels[level][1:])
                self.levels[num.get(f"{{{_W}}}numId")] = levels
        if styles is not None:
            for style in styles.iterfind("w:style", _NS):
                num_id = style.find("w:pPr/w:numPr/w:numId", _NS)
                if num_id is not None:
                    level = style.find("w:pPr/w:numPr/w:ilvl", _NS)
                    self.style_numbers[style.get(f"{{{_W}}}styleId")] = (
                        num_id.get(_VAL), _int(level.get(_VAL)) if level is not None else 0)

    @staticmethod
    def _levels(abstract: etree._Element) -> dict[int, tuple[int, str, str]]:
        levels = {}
        for lvl in abstract.iterfind("w:lvl", _NS):
            start, fmt, text = (lvl.find(f"w:{t}", _NS) for t in ("start", "numFmt", "lvlText"))
            levels[_int(lvl.get(f"{{{_W}}}ilvl"))] = (_int(start.get(_VAL), 1) if start is not None else 1,
                                                     fmt.get(_VAL, "decimal") if fmt is not None else "decimal",
                                                     text.get(_VAL, "") if text is not None else "")
        return levels

    def label(self, p: etree._Element) -> str:
        """The number Word draws before paragraph `p` (empty when it is not in a list)."""
        num_id, level = self._number_of(p)
        levels = self.levels.get(num_id) if num_id is not None else None
        if not levels or level not in levels or not 0 <= level < MAX_LEVELS:
            return ""
        counters = self.counters.setdefault(num_id, [0] * MAX_LEVELS)
        counters[level] += 1
        for deeper in range(level + 1, MAX_LEVELS):
            counters[deeper] = 0
        text = levels[level][2]
        for shown in range(level, -1, -1):  # %1 … %9: the counter of each level, in that level's format
            start, fmt, _ = levels.get(shown, (1, "decimal", ""))
            counter = counters[shown] + start - 1 if counters[shown] else start
            text = text.replace(f"%{shown + 1}", _format(counter, fmt))
        return text

    def _number_of(self, p: etree._Element) -> tuple[str | None, int]:
        num_pr = p.find("w:pPr/w:numPr", _NS)
        if num_pr is not None:
            num_id, level = num_pr.find("w:numId", _NS), num_pr.find("w:ilvl", _NS)
            if num_id is not None:
                return num_id.get(_VAL), _int(level.get(_VAL)) if level is not None else 0
        style = p.find("w:pPr/w:pStyle", _NS)
        if style is not None and style.get(_VAL) in self.style_numbers:
            return self.style_numbers[style.get(_VAL)]
        return None, 0


def _int(raw: str | None, default: int = 0) -> int:
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default
