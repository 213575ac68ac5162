"""Tables printed without ruling lines, rebuilt from text alignment into the same grid a ruled table gives.

A line with a wide gap and a figure is a table row (an anchor). Value columns are where the figures stack; label
columns are the valleys between label words; a label wrapped above and below its figures (figures centred in a
tall cell) goes to the nearest anchor; a label spread over several rows in a narrow column (the vertical
`三、本年度办理结果`) becomes one cell spanning them; header words stacked in one column (`自然` / `人`) are one
header cell. Hand-written for the same reason as the ruled grids: no kept library reads PDFium's characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from .normalize import label_core, no_space, ordinal_kind, squash
from .pdf_layout import Grid, GridCell, Line
from .templates import KNOWN_LABELS
from .values import is_value_text, parse_value

_GAP = 0.9  # a gap wider than this many characters separates cells
_PROSE_SHARE = 0.45  # a chunk wider than this share of the text block is prose or a heading, not a cell
HEADING = re.compile(r"^[一二三四五六七八九十]+、")  # a report's own section heading, `三、收到和处理…`
_MAX_LINE_GAP = 2.5  # line pitches between two lines of one table
_STACKED = 6  # characters on a line of a label stacked in a narrow column (`（三）不` / `予公开`)
_DASHES = {"/", "-", "—", "——", "－", "\\"}


def is_figure(text: str) -> bool:
    """What a figure cell holds: a number (maybe annotated) or a dash; not a bare unit word (`人` under
    `自然` is a wrapped header)."""
    return is_value_text(text) and (parse_value(text) is not None or text in _DASHES)


@dataclass(slots=True)
class _Chunk:
    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    value: bool

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


def aligned_grids(lines: list[Line], width: float, keep) -> tuple[list[Grid], list[Line]]:
    """Grids for the unruled tables among a page's body lines that `keep(grid)` accepts, and the lines that
    are not in them."""
    if not lines:
        return [], lines
    chunked = [_chunks(line) for line in lines]
    anchors = [i for i, chunks in enumerate(chunked) if _is_anchor(chunks)]
    pitch = _pitch(lines)
    grids, used = [], set()
    for start, end in _regions(lines, chunked, anchors, width, pitch):
        grid = _grid(range(start, end + 1), [i for i in anchors if start <= i <= end], chunked, pitch)
        if grid is not None and keep(grid):
            grids.append(grid)
            used.update(range(start, end + 1))
    return grids, [line for i, line in enumerate(lines) if i not in used]


def _chunks(line: Line) -> list[_Chunk]:
    out, current = [], [line.glyphs[0]]
    for prev, g in pairwise(line.glyphs):
        gap = g.x0 - prev.x1
        # Figures that fill their columns stand closer than words do: digits apart by a quarter character
        # are two cells (`4557` `3695`), as a wide gap always is.
        if gap > _GAP * max(prev.size, 1) or (gap > 0.25 * max(prev.size, 1) and _digit(prev) and _digit(g)):
            out.append(current)
            current = []
        current.append(g)
    out.append(current)
    chunks = []
    for glyphs in out:
        text = squash(Line(glyphs, line.top, line.bottom).text())
        chunks.append(_Chunk(glyphs[0].x0, glyphs[-1].x1, line.top, line.bottom, text, is_figure(text)))
    return chunks


def _digit(g) -> bool:
    return g.char.isdigit() or g.char in "+-.%,"


def _is_anchor(chunks: list[_Chunk]) -> bool:
    values = sum(1 for c in chunks if c.value)
    return values >= 2 or (values == 1 and len(chunks) >= 2 and not chunks[0].value)


def _pitch(lines: list[Line]) -> float:
    steps = sorted(a.bottom - b.bottom for a, b in pairwise(lines) if a.bottom > b.bottom)
    return steps[len(steps) // 2] if steps else 12.0


def _tabular(chunks: list[_Chunk], width: float) -> bool:
    """Could be part of a table: no prose-wide chunk, and not a report heading (`三、收到和处理…`) unless it is
    a table's own section row (`二、回应解读情况`)."""
    return all(c.x1 - c.x0 < _PROSE_SHARE * width for c in chunks) and not (
        len(chunks) == 1 and HEADING.match(chunks[0].text) and label_core(chunks[0].text) not in KNOWN_LABELS)


def _regions(lines, chunked, anchors, width, pitch):
    """(first, last) line index of each table: runs of anchors joined by tabular lines whose figures share
    columns, with the header lines above and the wrapped label lines just below."""
    groups: list[list[int]] = []
    for i in anchors:
        if groups and _compatible(chunked[groups[-1][-1]], chunked[i]) and all(
                _tabular(chunked[j], width) for j in range(groups[-1][-1] + 1, i)) and all(
                lines[j].bottom - lines[j + 1].bottom < _MAX_LINE_GAP * pitch for j in range(groups[-1][-1], i)):
            groups[-1].append(i)
        else:
            groups.append([i])
    # One row of figures alone (the appeals row under a three-level header) is left to the text reader,
    # which keys a flattened run of figures by the official order; a grid could not see a blank last cell.
    groups = [g for g in groups if len(g) >= 2]
    out: list[list[int]] = []
    for group in groups:
        start, end = group[0], group[-1]
        floor = out[-1][1] + 1 if out else 0
        while start > floor and _tabular(chunked[start - 1], width) and (
                lines[start - 1].bottom - lines[start].bottom < _MAX_LINE_GAP * pitch):
            start -= 1
        out.append([start, end])
    for n, region in enumerate(out):
        ceiling = out[n + 1][0] - 1 if n + 1 < len(out) else len(lines) - 1
        end = region[1]
        value_left = min(c.x0 for i in range(region[0], end + 1) for c in chunked[i] if c.value)
        while end < ceiling and _tabular(chunked[end + 1], width) and all(
                c.x1 < value_left for c in chunked[end + 1]) and (
                lines[end].bottom - lines[end + 1].bottom < 1.5 * pitch):
            end += 1
        region[1] = end
    return [(start, end) for start, end in out]


def _compatible(previous: list[_Chunk], current: list[_Chunk]) -> bool:
    """Two rows of one table: the figures of the row with fewer lie within the span of the other's."""
    a = [c for c in previous if c.value]
    b = [c for c in current if c.value]
    few, many = sorted((a, b), key=len)
    if len(few) == len(many):
        return True
    size = max(c.x1 - c.x0 for c in many) / 2
    lo, hi = min(c.cx for c in many) - size, max(c.cx for c in many) + size
    return all(lo <= c.cx <= hi for c in few)


def _opens_row(chunks: list[_Chunk]) -> bool:
    first = no_space(chunks[0].text)
    return ordinal_kind(first) is not None or first.startswith("其中")


def _grid(line_range: range, anchor_lines: list[int], chunked, pitch: float) -> Grid | None:
    chunks = [chunk for i in line_range for chunk in chunked[i]]
    values = [c for c in chunks if c.value]
    value_left = min(c.x0 for c in values)
    # Columns from the rows that fill most of them: a figure centred over merged columns (`1286` under a
    # three-column 本年处理决定数量, `251000元` over two) must not make a column of its own.
    widest = max(sum(1 for c in chunked[i] if c.value) for i in anchor_lines)
    value_cols = _value_columns([c for i in anchor_lines if sum(1 for c in chunked[i] if c.value) == widest
                                 for c in chunked[i] if c.value])
    if len(value_cols) < 1:
        return None
    body_top = max(c.top for c in chunked[anchor_lines[0]]) + 0.5 * pitch
    labels = [c for c in chunks if not c.value and c.x1 <= value_left + 1 and c.cy <= body_top]
    label_edges = _label_edges(labels, value_left)
    while True:  # a label column no word is centred in is part of the one to its left
        bounds = [min(c.x0 for c in chunks) - 1, *label_edges, value_left]
        empty = next((n for n in range(1, len(bounds) - 1)
                      if not any(bounds[n] <= c.cx < bounds[n + 1] for c in labels)), None)
        if empty is None:
            break
        del label_edges[empty - 1]
    left = min(c.x0 for c in chunks)
    right = max(c.x1 for c in chunks)
    xs = [left - 1, *label_edges, value_left - 0.5]
    xs += [(a[1] + b[0]) / 2 for a, b in pairwise(value_cols)]
    xs = sorted({round(x, 1) for x in [*xs, right + 1]})
    # Rows: the anchors; lines below the first that reach into the figures' area (a block heading
    # `第二十条第（五）项`, a repeated header `信息内容 | 本年处理决定数量`); and lines that open with an
    # ordinal (`（二）通过不同渠道…`, a section row without figures) unless they are the label of figures
    # printed on a line of their own next to them. Other lines are wrapped labels; lines above the first row
    # are the header.
    def labels_figures_beside(i: int) -> bool:
        """Line i is the first line of the label of figures printed just below it (centred in a tall cell):
        their line has no label of its own where line i's label is (only the label's continuation)."""
        first = chunked[i][0]
        return len(no_space(first.text)) <= _STACKED or any(
            0 < first.cy - chunked[j][0].cy < 1.3 * pitch
            and not any(c.x0 < first.x1 and c.x1 > first.x0 and _opens_row([c]) for c in chunked[j] if not c.value)
            for j in anchor_lines)

    row_lines = [i for i in line_range if i <= anchor_lines[-1] and (
        i in anchor_lines
        or (i > anchor_lines[0] and any(c.x1 > value_left + 1 for c in chunked[i]))
        or (_opens_row(chunked[i]) and not labels_figures_beside(i)))]
    first_row_top = max(c.top for c in chunked[row_lines[0]])
    header = [c for c in chunks if c.cy > first_row_top + 0.5 * pitch]
    anchor_y = [sum(c.cy for c in chunked[i]) / len(chunked[i]) for i in row_lines]
    own_row = {id(c): r for r, i in enumerate(row_lines) if i not in anchor_lines for c in chunked[i]}
    in_header = {id(c) for c in header}
    body = [c for c in chunks if id(c) not in in_header]
    cells: dict[tuple[int, int], GridCell] = {}
    header_rows = _header_cells(header, xs, pitch)
    for cell in header_rows:
        cells[(cell.row, cell.col)] = cell
    offset = 1 + max((c.row for c in header_rows), default=-1)
    last_label_col = len(label_edges)
    groups: dict[tuple[int, int], list[tuple[float, str, int]]] = {}  # (first, last column) -> (y, text, row)
    label_cols: dict[int, set[int]] = {}  # row -> columns its labels start in
    for chunk in body:
        c0, c1 = _span(chunk, xs)
        row = own_row.get(id(chunk))
        if row is None:
            row = min((r for r in range(len(anchor_y)) if row_lines[r] in anchor_lines),
                      key=lambda r: abs(anchor_y[r] - chunk.cy))
        groups.setdefault((c0, c1), []).append((chunk.cy, chunk.text, row))
        if not chunk.value:
            label_cols.setdefault(row, set()).add(c0)
    for (c0, c1), items in groups.items():
        items.sort(key=lambda item: -item[0])
        by_row: dict[int, list[str]] = {}
        for run in _runs(items, pitch) if c1 == c0 and c0 < last_label_col else [items]:
            rows = [r for _, _, r in run]
            first, last = min(rows), max(rows)
            if (last > first and all(len(t) <= _STACKED for _, t, _ in run)
                    and not any(is_value_text(t) for _, t, _ in run)
                    and all(max(label_cols.get(r, {c0})) > c0 for r in range(first, last + 1))):
                # a narrow group column: its short stacked lines are one label spanning the rows whose own
                # labels stand to its right
                _put(cells, offset + first, c0, last - first + 1, 1, "".join(t for _, t, _ in run))
                continue
            for _, text, row in run:
                by_row.setdefault(row, []).append(text)
        for row, texts in by_row.items():
            _put(cells, offset + row, c0, 1, c1 - c0 + 1, "".join(texts))
    rows = offset + len(anchor_y)
    spanning = set(range(offset)) | {offset + r for r, i in enumerate(row_lines)
                                     if i not in anchor_lines and any(c.x1 > value_left + 1 for c in chunked[i])}
    grid_cells = _fill(cells, rows, len(xs) - 1, spanning)
    top = max(c.top for c in chunks)
    bottom = min(c.bottom for c in chunks)
    ys = [top - (top - bottom) * r / rows for r in range(rows + 1)]
    return Grid(xs, ys, grid_cells)


def _value_columns(values: list[_Chunk]) -> list[tuple[float, float]]:
    """x ranges where figures stack: figures whose ranges overlap are one column."""
    cols: list[list[float]] = []
    for c in sorted(values, key=lambda c: c.x0):
        if cols and c.x0 <= cols[-1][1]:
            cols[-1][1] = max(cols[-1][1], c.x1)
        else:
            cols.append([c.x0, c.x1])
    return [(a, b) for a, b in cols]


def _label_edges(labels: list[_Chunk], value_left: float) -> list[float]:
    """Column edges inside the label area: x where (almost) no label word lies, between words."""
    if not labels:
        return []
    left = int(min(c.x0 for c in labels))
    right = int(value_left)
    counts = [0] * (right - left + 1)
    for c in labels:
        for x in range(max(int(c.x0), left), min(int(c.x1), right) + 1):
            counts[x - left] += 1
    peak = max(counts, default=0) or 1
    edges, in_gap, gap_start = [], False, 0
    for i, n in enumerate(counts):
        low = n <= 0.3 * peak
        if low and not in_gap:
            in_gap, gap_start = True, i
        elif not low and in_gap:
            in_gap = False
            if gap_start > 0:
                edges.append(left + (gap_start + i) / 2)
    return edges


def _span(chunk: _Chunk, xs: list[float]) -> tuple[int, int]:
    cols = [i for i in range(len(xs) - 1) if chunk.x0 < xs[i + 1] - 1 and chunk.x1 > xs[i] + 1]
    inside = [i for i in cols
              if min(chunk.x1, xs[i + 1]) - max(chunk.x0, xs[i]) > 0.3 * min(xs[i + 1] - xs[i], chunk.x1 - chunk.x0)]
    cols = inside or cols or [max(0, min(len(xs) - 2, sum(1 for x in xs[1:-1] if chunk.cx > x)))]
    return min(cols), max(cols)


def _runs(items, pitch):
    runs, prev = [], None
    for item in items:
        if prev is not None and prev[0] - item[0] < 1.6 * pitch:
            runs[-1].append(item)
        else:
            runs.append([item])
        prev = item
    return runs


def _header_cells(header: list[_Chunk], xs: list[float], pitch: float) -> list[GridCell]:
    """Header words grouped by the columns they cover; the words of one group read top to bottom are one
    header cell (`自然` / `人`); groups that start lower sit in lower header rows."""
    groups: dict[tuple[int, int], list[_Chunk]] = {}
    for chunk in header:
        groups.setdefault(_span(chunk, xs), []).append(chunk)
    runs = []
    for span, items in groups.items():
        items.sort(key=lambda c: -c.cy)
        for i, chunk in enumerate(items):
            if i and items[i - 1].cy - chunk.cy < 1.6 * pitch:
                runs[-1][1].append(chunk)
            else:
                runs.append((span, [chunk]))
    ordered = sorted(runs, key=lambda item: -max(c.top for c in item[1]))
    levels: list[float] = []
    cells = []
    for (c0, c1), items in ordered:
        top = max(c.top for c in items)
        level = next((i for i, y in enumerate(levels) if abs(y - top) < 0.6 * pitch), None)
        if level is None:
            levels.append(top)
            level = len(levels) - 1
        text = "".join(c.text for c in sorted(items, key=lambda c: -c.cy))
        cells.append(GridCell(level, c0, 1, c1 - c0 + 1, text=text))
    return cells


def _put(cells, row: int, col: int, rowspan: int, colspan: int, text: str) -> None:
    if (row, col) in cells:
        cells[(row, col)].text += text
    else:
        cells[(row, col)] = GridCell(row, col, rowspan, colspan, text=text)


def _fill(cells: dict[tuple[int, int], GridCell], rows: int, cols: int, spanning: set[int]) -> list[GridCell]:
    """Every grid position covered exactly once: overlapping cells trimmed, holes filled with empty cells; in
    header rows (`spanning`) a word's hole to its right is the rest of its merged cell."""
    taken: set[tuple[int, int]] = set()
    out = []
    for (row, col), cell in sorted(cells.items()):
        if (row, col) in taken:
            continue
        span = 1
        while span < cell.colspan and col + span < cols and (row, col + span) not in taken:
            span += 1
        height = 1
        while height < cell.rowspan and row + height < rows and all(
                (row + height, c) not in taken for c in range(col, col + span)):
            height += 1
        cell.colspan, cell.rowspan = span, height
        for r in range(row, row + height):
            for c in range(col, col + span):
                taken.add((r, c))
        out.append(cell)
    for r in range(rows):
        row_cells = sorted((cell for cell in out if cell.row == r and cell.rowspan == 1), key=lambda cell: cell.col)
        headerish = r in spanning and not any(is_value_text(cell.text) and cell.text for cell in row_cells)
        for c in range(cols):
            if (r, c) in taken:
                continue
            left = next((cell for cell in reversed(row_cells) if cell.col + cell.colspan == c), None)
            if headerish and left is not None and left.text:
                left.colspan += 1  # a header word centred over several columns covers them all
            else:
                out.append(GridCell(r, c, 1, 1))
            taken.add((r, c))
    return sorted(out, key=lambda cell: (cell.row, cell.col))
