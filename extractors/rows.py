"""Statistics tables as logical rows: label cells followed by value cells, from HTML grids or flattened text.

Everything downstream (table recognition, cell keys) works on these rows, so a table pasted as HTML, as
` | `-separated text or as one cell per line is read by the same label-driven code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree
from lxml import html as lxml_html

from .errors import ExtractError
from .normalize import label_core, nfkc, no_space, squash
from .templates import KNOWN_LABELS
from .values import is_blank, is_value_text

_PAGE_FOOTER = re.compile(r"^\s*[-—–－]+\s*\d{1,3}\s*[-—–－]+\s*$")
_PIPE_PADDING = re.compile(r"^\s*\|{2,}\s*$")
_MAX_SPAN = 100  # Word exports use rowspan=22 at most; a larger span is broken markup, not layout
MAX_GRID_CELLS = 500_000  # a report table has a few hundred; past this a table is hostile (~100 MB of grid)


@dataclass(slots=True)
class Cell:
    text: str
    col: int | None = None  # grid column for HTML tables; text tables have none
    span: int = 1  # columns the cell covers


@dataclass(slots=True)
class Row:
    labels: list[Cell] = field(default_factory=list)
    values: list[Cell] = field(default_factory=list)


# ---------------------------------------------------------------- text


def row_line(cells: list[str]) -> str:
    """A table row in a Document's text, the way trafilatura writes one (`a | b |`): the `|` keeps a one-cell
    row (`四、结转下年度继续办理`) from reading as a section heading or a title."""
    return " | ".join(c for c in cells if c) + " |"


def text_rows(text: str) -> list[Row]:
    lines = [line for line in text.splitlines() if not _PAGE_FOOTER.match(line)]
    if sum(1 for line in lines if line.rstrip().endswith("|")) >= 3:
        tokens = _pipe_tokens(lines)
    else:
        tokens = _line_tokens(lines)
    return _segment(tokens)


def _pipe_tokens(lines: list[str]) -> list[str]:
    """Cells of trafilatura's ` | ` table text; a line of bare pipes is row padding, not cells."""
    joined = "\n".join(line for line in lines if not _PIPE_PADDING.match(line))
    tokens = []
    for piece in joined.split("|"):
        stripped = piece.strip()
        if "\n" in stripped and not is_known(stripped):
            # prose that precedes a table is glued to its first cell: keep the cell
            stripped = stripped.rsplit("\n", 1)[-1].strip()
        tokens.append(stripped)
    return tokens


def _line_tokens(lines: list[str]) -> list[str]:
    """One cell per line; a label broken over lines (`本年新` / `制作数量`) is joined back.

    A line laid out like a table row (pdftotext -layout: `一、本年新收…数量    1   2   3`) gives its label and
    each figure as cells of their own."""
    lines = [cell for line in lines if line.strip() for cell in _layout_cells(line.strip())]
    tokens, i = [], 0
    while i < len(lines):
        end = _label_run_end(lines, i)
        tokens.append("".join(lines[i : end + 1]))
        i = end + 1
    return tokens


def _layout_cells(line: str) -> list[str]:
    cells = []
    for part in re.split(r"\s{2,}|\t", line):
        words = part.split()
        if len(words) > 1 and all((is_value_text(w) and not is_blank(w)) or is_known(w) for w in words):
            cells += words  # `1 2 3` or `结果维持 结果纠正 …`: one cell per word
        else:
            cells.append(part)
    return cells


def _label_run_end(lines: list[str], start: int) -> int:
    """Where a label that starts at `start` ends: a broken known label, or a note still inside its bracket."""
    if is_value_text(lines[start]):
        return start
    if is_known(lines[start]) and _balanced(lines[start]):
        return start
    best, joined = start, lines[start]
    for j in range(start + 1, min(start + 30, len(lines))):
        if is_value_text(lines[j]):
            break
        joined += lines[j]
        core = label_core(joined)
        if core in KNOWN_LABELS and _balanced(joined):
            best = j
        elif core and core not in _known_prefixes() and _balanced(joined):
            break
    return best


def _balanced(text: str) -> bool:
    text = nfkc(text)
    return text.count("(") <= text.count(")")


def is_known(text: str) -> bool:
    return label_core(text) in KNOWN_LABELS


@lru_cache(maxsize=1)
def _known_prefixes() -> frozenset[str]:
    return frozenset(label[:i] for label in KNOWN_LABELS for i in range(1, len(label) + 1))


def _segment(tokens: list[str]) -> list[Row]:
    rows: list[Row] = []
    current: Row | None = None
    for token in tokens:
        if is_value_text(token):
            if current is None:
                current = Row()
            current.values.append(Cell(squash(token)))
        else:
            if current is not None and current.values:
                rows.append(current)
                current = None
            if current is None:
                current = Row()
            current.labels.append(Cell(squash(token)))
    if current is not None:
        rows.append(current)
    return rows


# ---------------------------------------------------------------- HTML


def leaf_tables(root: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """Tables that hold no other table: a statistics table nested in a layout table is found, the layout is not."""
    return [t for t in root.iter("table") if not any(True for _ in t.iterdescendants("table"))]


def table_rows(table: lxml_html.HtmlElement) -> list[Row]:
    """Expand rowspan/colspan into a grid, then read each grid row as labels followed by values."""
    return read_table(table)[0]


def read_table(table: lxml_html.HtmlElement) -> tuple[list[Row], str]:
    """The table's logical rows (`table_rows`), and its text, one `| a | b |` line per row, in one pass over
    its cells."""
    grid = Grid()
    shown: list[list[str]] = []  # per row, the text of each grid position (covered positions empty)
    header_at = None  # the first row with a <th>
    for r, tr in enumerate(_trs(table)):
        c = 0
        line: list[str] = []
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            text, display = _cell_text(td)
            colspan = _span(td.get("colspan"))
            c = grid.place(r, c, text, _span(td.get("rowspan")), colspan)
            line += [""] * (c - colspan - len(line)) + [display] + [""] * (colspan - 1)
            header_at = r if header_at is None and td.tag == "th" else header_at
        shown.append(line)
    return grid.rows(len(shown)), _table_text(shown, header_at)  # a rowspan past the last row draws nothing


def _trs(table: lxml_html.HtmlElement):
    """The table's own rows in document order (`./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr`)."""
    for child in table:
        if child.tag == "tr":
            yield child
        elif child.tag in ("thead", "tbody", "tfoot"):
            yield from (tr for tr in child if tr.tag == "tr")


_BLOCKS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6")
_BREAKS = ("br", *_BLOCKS)
_UNSHOWN = ("script", "style")


def _cell_text(td: lxml_html.HtmlElement) -> tuple[str, str]:
    """The cell's text for the reader (all its text, run together, as `text_content`) and for display (a line
    break or a paragraph inside the cell is a space: `本年新<br>制作数量` shows as `本年新 制作数量`; no script or
    style text)."""
    if len(td) == 0:
        text = squash(td.text or "")
        return text, text
    read = squash(td.text_content())
    inner = list(td.iter(*_BREAKS, *_UNSHOWN))
    if not inner:
        return read, read
    if len(inner) == 1 and len(td) == 1 and inner[0].tag in _BLOCKS and _blank(td.text) and _blank(inner[0].tail):
        return read, read  # one paragraph holds the whole cell (`<td><p>0</p></td>`): nothing to set apart
    shown: list[str] = []
    for event, el in etree.iterwalk(td, events=("start", "end")):
        if event == "start":
            if el.text and isinstance(el.tag, str) and el.tag not in _UNSHOWN:
                shown.append(el.text)
            if el.tag in _BREAKS:
                shown.append(" ")
        elif el is not td:
            if el.tag in _BREAKS:
                shown.append(" ")
            if el.tail:
                shown.append(el.tail)
    return read, squash("".join(shown))


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _table_text(shown: list[list[str]], header_at: int | None) -> str:
    """The table as trafilatura writes one: a `| a | b |` line per non-empty row, padded to the table's
    width, a `|---|` line under the header row."""
    width = max(map(len, shown), default=0)
    lines = []
    for r, row in enumerate(shown):
        if not any(row):
            continue
        line = row + [""] * (width - len(row))
        lines.append("| " + " | ".join(line) + " |")
        if r == header_at:
            lines.append("|" + "---|" * len(line))
    return "\n".join(lines)


class Grid:
    """A table's cells on their grid positions, whatever format drew them (HTML spans, Word gridSpan/vMerge,
    spreadsheet merged ranges), read back as logical rows.

    A label cell spanning rows down the left (`三、本年度办理结果`, `（三）不予公开`) is repeated on every row it
    covers, so each row knows its group; a cell spanning columns is read once.
    """

    def __init__(self) -> None:
        # (row, col) -> (origin row, text, whether the text is a value)
        self.occupied: dict[tuple[int, int], tuple[int, str, bool]] = {}
        self.origins: dict[tuple[int, int], int] = {}  # (row, col) of each cell's top-left -> its colspan
        self.height = 0

    def place(self, r: int, c: int, text: str, rowspan: int = 1, colspan: int = 1) -> int:
        """Put a cell at the first free column from `c` on row `r`; return the column after it."""
        while (r, c) in self.occupied:
            c += 1
        if len(self.occupied) + rowspan * colspan > MAX_GRID_CELLS:
            raise ExtractError(f"table too large: more than {MAX_GRID_CELLS} grid cells")
        held = (r, text, is_value_text(text))
        for dr in range(rowspan):
            for dc in range(colspan):
                self.occupied[(r + dr, c + dc)] = held
        self.origins[(r, c)] = colspan
        self.height = max(self.height, r + rowspan)
        return c + colspan

    def extend_down(self, r: int, c: int, colspan: int = 1) -> int:
        """Word's vMerge continuation: the cell above (r-1, c) also covers row r."""
        above = self.occupied.get((r - 1, c))
        if above is None:
            return self.place(r, c, "", 1, colspan)
        if len(self.occupied) + colspan > MAX_GRID_CELLS:
            raise ExtractError(f"table too large: more than {MAX_GRID_CELLS} grid cells")
        for dc in range(colspan):
            self.occupied[(r, c + dc)] = above
        self.height = max(self.height, r + 1)
        return c + colspan

    def rows(self, height: int | None = None) -> list[Row]:
        by_row: dict[int, list[int]] = {}
        for row, col in self.occupied:
            by_row.setdefault(row, []).append(col)
        rows = []
        for r in range(self.height if height is None else height):
            cells: list[tuple[Cell, bool]] = []
            for col in sorted(by_row.get(r, ())):
                origin_row, text, value = self.occupied[(r, col)]
                span = self.origins.get((origin_row, col))
                if span is None:
                    continue  # covered by a colspan
                if origin_row != r and value:
                    continue  # a value spanning rows belongs to its first row
                if cells and not value and not cells[-1][1] and no_space(cells[-1][0].text) == no_space(text):
                    continue
                cells.append((Cell(text, col, span), value))
            rows.append(_split(cells))
        return rows


def _split(cells: list[tuple[Cell, bool]]) -> Row:
    last_label = max((i for i, (_, value) in enumerate(cells) if not value), default=-1)
    labels = [cell for cell, value in cells[: last_label + 1] if not value]
    values = [cell for cell, value in cells[last_label + 1 :]]
    return Row(labels, values)


def _span(raw: str | None) -> int:
    if raw is None:
        return 1
    try:
        return min(max(int(str(raw).strip()), 1), _MAX_SPAN)
    except (TypeError, ValueError):
        return 1
