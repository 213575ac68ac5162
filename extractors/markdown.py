"""Text that came out of a PDF-to-markdown tool (marker, MinerU, docling, pymupdf4llm): markup stripped from the
prose, pipe tables rebuilt as grids for the shared label-driven table reader.

These tools write a cell covered by a rowspan or colspan as an empty cell, add `|---|` separator rows (and, from
OCR, placeholder header rows `数据1 | 数据2 …`), may print every row as a table of its own, and may print a row's
labels on one line and its figures on the next. Each of those is undone here, so that the rows look like the
grid `rows.table_rows` builds from an HTML table.
"""

from __future__ import annotations

import re

from . import content
from .document import Document
from .normalize import squash
from .rows import Grid, Row, leaf_tables, row_line, table_rows
from .values import is_value_text

_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_TABLE_LINE = re.compile(r"^\s*\|.*\|\s*$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_HTML_TABLE = re.compile(r"^\s*<table\b", re.IGNORECASE)
_HTML_PAGE = re.compile(r"<\s*(?:!doctype|html|head|body|div)\b", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^(?:数据|列|字段|表头|column|col)\s*\d+$", re.IGNORECASE)
_INLINE = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links keep their text
    (re.compile(r"(\*\*|__)(.{1,500}?)\1"), r"\2"),  # bold (bounded: a line of stars must not go quadratic)
    (re.compile(r"(?<![\w*])\*(?!\s)(.{1,500}?)(?<!\s)\*(?![\w*])"), r"\1"),  # italic
    (re.compile(r"<br\s*/?>", re.IGNORECASE), " "),
    (re.compile(r"</?(?:sup|sub|b|i|strong|em|span|u)\b[^>]*>", re.IGNORECASE), ""),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])"), r"\1"),  # markdown escapes
)
_BLOCK = re.compile(r"^\s{0,3}(?:>\s?|[-*+]\s+(?=\S))")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")


def is_markdown(text: str) -> bool:
    """Markdown, not an HTML page: `|---|` rows or `#` headings, and no page markup (tables may be HTML)."""
    if _HTML_PAGE.search(text[:4096]):
        return False
    lines = text.splitlines()[:5000]
    return any(_SEPARATOR.match(line) and "|" in line for line in lines) or sum(
        1 for line in lines if _HEADING.match(line)) >= 2


def read_markdown(text: str) -> Document:
    lines: list[str] = []
    tables: list[list[list[str]] | list[Row]] = []
    current: list[list[str]] | None = None
    html_table: list[str] | None = None
    adjacent = False  # the line before was a table row (separator rows included)

    def close_html_table() -> None:  # MinerU writes tables as HTML (spans kept): read as the HTML reader does
        for rows in (table_rows(t) for t in leaf_tables(content.parse_html("\n".join(html_table)))):
            tables.append(rows)
            lines.extend(row_line([c.text for c in (*row.labels, *row.values)]) for row in rows)

    for line in text.splitlines():
        if html_table is not None or _HTML_TABLE.match(line):
            html_table = html_table or []
            html_table.append(line)
            if "</table>" in line.lower():
                close_html_table()
                html_table = current = None
            continue
        if _SEPARATOR.match(line) and "|" in line:
            adjacent = True
            continue
        if _TABLE_LINE.match(line):
            cells = [inline(c) for c in _split_row(line)]
            # Rows on consecutive lines are one table, however many cells each kept; across blank lines (one
            # small table per row) rows of the same width are.
            if current is None or not (adjacent or len(current[-1]) == len(cells)):
                current = []
                tables.append(current)
            current.append(cells)
            lines.append(row_line(cells))
            adjacent = True
            continue
        adjacent = False
        if not line.strip() or _RULE.match(line):
            continue
        current = None
        lines.append(inline(_BLOCK.sub("", _HEADING.sub("", line))))
    if html_table is not None:  # a table the text never closed: what it holds still counts
        close_html_table()
    return Document("text", "\n".join(lines), [grid_rows(t) if t and isinstance(t[0], list) else t for t in tables])


def inline(text: str) -> str:
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return squash(text)


def _split_row(line: str) -> list[str]:
    body = line.strip()[1:-1]
    return re.split(r"(?<!\\)\|", body)


def grid_rows(table: list[list[str]]) -> list[Row]:
    """The rows of a pipe table, its empty cells read back as the spans they stood for, so that the grid matches
    what `rows.table_rows` builds from the same table in HTML.

    Label area (left of the figures): an empty cell right of a label continues it (colspan), except on a header
    row where the row above has a cell boundary there (总计 spanning two header rows); any other empty label
    cell repeats the label above it (rowspan). Figures: an empty cell continues the figure to its left when the
    header row above spans both columns with one heading (本年处理决定数量 over three columns)."""
    width = max(map(len, table), default=0)  # a row that dropped its empty trailing cells gets them back
    table = [row + [""] * (width - len(row)) for row in table if not _is_placeholder(row)]
    table = _join_labels_printed_apart(table)
    grid = Grid()
    above: list[str] = []  # what covers each column on the row above
    header: list[str] | None = None  # what covers each column on the last header row with two headings or more
    for r, row in enumerate(table):
        width = len(row)
        above += [""] * (width - len(above))
        values = [i for i, c in enumerate(row) if c and is_value_text(c)]
        end = values[0] if values else width
        if values and header:
            end = min(end, next((c for c in range(1, len(header)) if header[c] != header[0]), end))
        covering = _labels(row[:end], above, header_row=not values)
        c = 0
        while c < end:
            span = 1
            while c + span < end and covering[c + span] is covering[c] and not row[c + span]:
                span += 1
            if covering[c]:
                grid.place(r, c, covering[c], 1, span)
            c += span
        while c < width:
            span = 1
            while (header and c + span < min(width, len(header)) and not row[c + span]
                   and header[c + span] == header[c] and header[c]):
                span += 1
            grid.place(r, c, row[c], 1, span)
            c += span
        above = covering + [""] * (width - end)
        if not values and len(set(covering)) >= 2:
            header = covering
    return grid.rows(len(table))


def _labels(cells: list[str], above: list[str], *, header_row: bool) -> list[str]:
    """What covers each label-area column: its own text, the label to its left, or the label above."""
    covering: list[str] = []
    own_left = False
    for c, text in enumerate(cells):
        if text:
            covering.append(text)
            own_left = True
        elif own_left and not (header_row and above[c] and above[c] != above[c - 1]):
            covering.append(covering[-1])
        else:
            covering.append(above[c])
            own_left = False
    return covering


def _is_placeholder(row: list[str]) -> bool:
    filled = [c for c in row if c]
    return bool(filled) and all(_PLACEHOLDER.match(c) for c in filled)


def _join_labels_printed_apart(table: list[list[str]]) -> list[list[str]]:
    """`| （一）予以公开 | | … |` then `| | | 15 | 2 | … |`: one row, its labels from the first line."""
    out: list[list[str]] = []
    for row in table:
        previous = out[-1] if out else None
        has_values = any(c and is_value_text(c) for c in row)
        if previous is not None and has_values and not any(c and is_value_text(c) for c in previous):
            first_value = next(i for i, c in enumerate(row) if c and is_value_text(c))
            if any(previous[:first_value]) and not any(row[:first_value]) and not any(previous[first_value:]):
                out[-1] = previous[:first_value] + row[first_value:]
                continue
        out.append(row)
    return out
