"""A PDF page's geometry: characters with their boxes, ruling lines, and the ruled grids they draw.

PDFium (pypdfium2) gives characters and path objects; rebuilding a table from them is ours to do, because no
kept library does it without pdfminer (pdfplumber/camelot are pdfminer-based and several times slower than the
whole extraction may be). Coordinates are PDF points with y growing upwards, as PDFium reports them.
"""

from __future__ import annotations

import ctypes
import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

import pypdfium2.raw as pdfium_c

_THIN = 3.0  # a filled rectangle this thin is a rule (Word and WPS draw cell borders as 0.5-1 pt bars)
_SNAP = 2.5  # rules within this distance are one grid line
_MAX_SEGMENTS = 20000  # a page drawn with more rule pieces than this is a picture, not a table
_MAX_PATH_POINTS = 200


@dataclass(slots=True)
class Glyph:
    char: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(slots=True)
class Line:
    """Glyphs that share a baseline, left to right."""
    glyphs: list[Glyph]
    top: float
    bottom: float

    @property
    def x0(self) -> float:
        return self.glyphs[0].x0

    @property
    def x1(self) -> float:
        return self.glyphs[-1].x1

    @property
    def size(self) -> float:
        return max(g.size for g in self.glyphs)

    def text(self, gap: str = " ") -> str:
        """The line's text; a gap wider than a character becomes `gap` (two spaces keep table columns apart)."""
        out, prev = [], None
        for g in self.glyphs:
            if prev is not None:
                space = g.x0 - prev.x1
                if space > 0.9 * max(prev.size, 1):
                    out.append(gap)
                elif space > _word_gap(prev, g) * max(prev.size, 1) and not out[-1].endswith(" "):
                    out.append(" ")
            out.append(g.char)
            prev = g
        return "".join(out)


def _word_gap(a: Glyph, b: Glyph) -> float:
    """Latin words are a fifth of an em apart; CJK runs on, so only a wider gap there is a space."""
    return 0.2 if a.char.isascii() and b.char.isascii() else 0.35


@dataclass(slots=True)
class Rules:
    horizontal: list[tuple[float, float, float]] = field(default_factory=list)  # (y, x0, x1)
    vertical: list[tuple[float, float, float]] = field(default_factory=list)  # (x, y0, y1)


@dataclass(slots=True)
class GridCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    glyphs: list[Glyph] = field(default_factory=list)
    text: str = ""


@dataclass(slots=True)
class Grid:
    xs: list[float]  # column edges, left to right
    ys: list[float]  # row edges, top to bottom (descending y)
    cells: list[GridCell]
    _at: dict[tuple[int, int], GridCell] = field(default_factory=dict)

    @property
    def top(self) -> float:
        return self.ys[0]

    @property
    def bottom(self) -> float:
        return self.ys[-1]

    def holds(self, g: Glyph) -> bool:
        return self.xs[0] <= g.cx <= self.xs[-1] and self.bottom <= g.cy <= self.top

    def place(self, g: Glyph) -> None:
        col = min(bisect_right(self.xs, g.cx) - 1, len(self.xs) - 2)
        row = min(sum(1 for y in self.ys[1:] if g.cy < y), len(self.ys) - 2)
        self._at[(row, col)].glyphs.append(g)

    def finish(self) -> None:
        for cell in self.cells:
            cell.text = cell_text(cell.glyphs)


# ---------------------------------------------------------------- reading a page


def glyphs(textpage) -> list[Glyph]:
    """Every visible character with its box and font size (PDFium's generated spaces and line breaks dropped:
    spacing is rebuilt from the boxes)."""
    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    box = pdfium_c.FS_RECTF()
    out = []
    for i in range(count):
        code = pdfium_c.FPDFText_GetUnicode(raw, i)
        if code <= 32 or code in (0xA0, 0x3000, 0xFEFF, 0xFFFE, 0xFFFF) or 0xD800 <= code <= 0xDFFF:
            continue
        # The loose box spans the font's ascent to descent and its advance: `一`, `、` and `“` get the same
        # height as their neighbours, so lines and gaps come out right.
        if not pdfium_c.FPDFText_GetLooseCharBox(raw, i, box):
            continue
        if _diagonal(pdfium_c.FPDFText_GetCharAngle(raw, i)):
            continue  # a watermark (`内部资料` across the page) would cut through every line it crosses
        size = pdfium_c.FPDFText_GetFontSize(raw, i)
        out.append(Glyph(chr(code), box.left, box.bottom, box.right, box.top, size))
    return out


def _diagonal(angle: float) -> bool:
    """Neither upright nor turned a quarter (vertical text in a narrow cell): slanted."""
    if angle < 0:  # PDFium's error value
        return False
    quarter = math.pi / 2
    off = angle % quarter
    return min(off, quarter - off) > 0.1


def rules(objects) -> Rules:
    """Ruling lines from path objects: thin filled bars by their bounds, stroked outlines by their segments."""
    found = Rules()
    for obj in objects:
        if len(found.horizontal) + len(found.vertical) > _MAX_SEGMENTS:
            break
        placed = _placements(obj)
        left, bottom, right, top = obj.get_bounds()
        for matrix in placed:
            left, bottom, right, top = matrix.on_rect(left, bottom, right, top)
        width, height = right - left, top - bottom
        if height <= _THIN < width:
            found.horizontal.append(((top + bottom) / 2, left, right))
        elif width <= _THIN < height:
            found.vertical.append(((left + right) / 2, bottom, top))
        elif width > _THIN and height > _THIN:
            _outline(obj, found, placed)
    return found


def _placements(obj) -> list:
    """The matrices of the Form XObjects around a path, innermost first: its bounds and points are in the
    form's space (page content wrapped in a form by printers and optimisers), characters in the page's."""
    out, parent = [], obj.container
    while parent is not None:
        out.append(parent.get_matrix())
        parent = parent.container
    return out


def _outline(obj, found: Rules, placed: list) -> None:
    """Axis-parallel straight pieces of a larger path (a cell's rectangle, a grid drawn as one path)."""
    n = pdfium_c.FPDFPath_CountSegments(obj.raw)
    if n < 2 or n > _MAX_PATH_POINTS:
        return
    a, b, c, d, e, f = obj.get_matrix().get()
    x, y = ctypes.c_float(), ctypes.c_float()
    pieces, start, prev = [], None, None
    for i in range(n):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj.raw, i)
        if not pdfium_c.FPDFPathSegment_GetPoint(seg, x, y):
            return
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
        if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
            return  # curves: a drawing, not a table
        point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
        for matrix in placed:
            point = matrix.on_point(*point)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = prev = point
            continue
        if prev is not None:
            pieces.append((prev, point))
        prev = point
        if pdfium_c.FPDFPathSegment_GetClose(seg) and start is not None:
            pieces.append((point, start))
            prev = start
    for p, q in pieces:
        (x0, y0), (x1, y1) = p, q
        if abs(y0 - y1) <= 0.5 and abs(x0 - x1) > _THIN:
            found.horizontal.append((y0, min(x0, x1), max(x0, x1)))
        elif abs(x0 - x1) <= 0.5 and abs(y0 - y1) > _THIN:
            found.vertical.append((x0, min(y0, y1), max(y0, y1)))


def lines(items: list[Glyph]) -> list[Line]:
    """Group glyphs into lines top to bottom: a glyph joins the line whose band its centre falls in."""
    out: list[Line] = []
    for g in sorted(items, key=lambda g: (-g.cy, g.x0)):
        line = out[-1] if out else None
        if line is not None and line.bottom <= g.cy <= line.top:
            line.glyphs.append(g)
            line.top, line.bottom = max(line.top, g.y1), min(line.bottom, g.y0)
        else:
            out.append(Line([g], g.y1, g.y0))
    for line in out:
        line.glyphs.sort(key=lambda g: g.x0)
        line.glyphs = _without_overprint(line.glyphs)
    return out


def _without_overprint(items: list[Glyph]) -> list[Glyph]:
    """WPS and Word fake bold by printing a character again a hair to the side (`政政府府`): one of each."""
    out: list[Glyph] = []
    for g in items:
        if out and out[-1].char == g.char and abs(g.x0 - out[-1].x0) < 0.25 * max(g.size, 1):
            continue
        out.append(g)
    return out


def cell_text(items: list[Glyph]) -> str:
    """A cell's lines joined without a break: a label wrapped in a narrow cell, or stacked one character per
    line, is one label again; words split by letter-spacing keep their spaces for the label matcher to drop."""
    return join_lines(line.text() for line in lines(items))


def join_lines(parts) -> str:
    """Wrapped lines joined: CJK and digits (`101` / `6` in a narrow cell is 1016) run on; Latin words keep a space."""
    out = ""
    for raw in parts:
        part = raw.strip()
        if out and out[-1].isascii() and out[-1].isalpha() and part[:1].isascii() and part[:1].isalpha():
            out += " "
        out += part
    return out


# ---------------------------------------------------------------- grids


def grids(found: Rules) -> list[Grid]:
    """Each connected set of horizontal and vertical rules that draws at least two rows and two columns."""
    hs = list(found.horizontal)
    vs = sorted(found.vertical)
    v_xs = [x for x, _, _ in vs]
    parent = list(range(len(hs) + len(vs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (y, hx0, hx1) in enumerate(hs):
        # only the verticals within the rule's reach: crossings, not all pairs, on a page of many rules
        for j in range(bisect_left(v_xs, hx0 - _SNAP), bisect_right(v_xs, hx1 + _SNAP)):
            _, vy0, vy1 = vs[j]
            if vy0 - _SNAP <= y <= vy1 + _SNAP:
                parent[root(i)] = root(len(hs) + j)
    groups: dict[int, tuple[list, list]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(root(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(root(len(hs) + j), ([], []))[1].append(v)
    out = []
    for group_h, group_v in groups.values():
        grid = _grid(group_h, group_v)
        if grid is not None:
            out.append(grid)
    out.sort(key=lambda g: -g.top)
    return out


def _snap(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= _SNAP:
            continue
        out.append(v)
    return out


def _grid(hs: list, vs: list) -> Grid | None:
    if not hs or not vs:
        return None
    # Outer edges from where the rules reach: a table drawn without its left and right (or top and bottom)
    # border still has its first and last columns (rows).
    xs = _snap([x for x, _, _ in vs] + [min(x0 for _, x0, _ in hs), max(x1 for _, _, x1 in hs)])
    ys = _snap([y for y, _, _ in hs] + [min(y0 for _, y0, _ in vs), max(y1 for _, _, y1 in vs)])[::-1]
    if len(xs) < 2 or len(ys) < 2:
        return None
    rows, cols = len(ys) - 1, len(xs) - 1
    at_x: dict[int, list[tuple[float, float]]] = {}  # grid line -> the vertical rules on it
    for x, y0, y1 in vs:
        at_x.setdefault(min(range(len(xs)), key=lambda i: abs(xs[i] - x)), []).append((y0, y1))
    at_y: dict[int, list[tuple[float, float]]] = {}
    for y, x0, x1 in hs:
        at_y.setdefault(min(range(len(ys)), key=lambda i: abs(ys[i] - y)), []).append((x0, x1))

    def wall_right(r: int, c: int) -> bool:  # a vertical rule between (r, c) and (r, c + 1)
        mid = (ys[r] + ys[r + 1]) / 2
        return any(y0 - _SNAP <= mid <= y1 + _SNAP for y0, y1 in at_x.get(c + 1, ()))

    def wall_below(r: int, c: int) -> bool:  # a horizontal rule between (r, c) and (r + 1, c)
        mid = (xs[c] + xs[c + 1]) / 2
        return any(x0 - _SNAP <= mid <= x1 + _SNAP for x0, x1 in at_y.get(r + 1, ()))

    owner = {(r, c): (r, c) for r in range(rows) for c in range(cols)}

    def find(k):
        while owner[k] != k:
            owner[k] = owner[owner[k]]
            k = owner[k]
        return k

    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols and not wall_right(r, c):
                owner[find((r, c + 1))] = find((r, c))
            if r + 1 < rows and not wall_below(r, c):
                owner[find((r + 1, c))] = find((r, c))
    members: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for k in owner:
        members.setdefault(find(k), []).append(k)
    cells, at = [], {}
    for group in members.values():
        r0, c0 = min(r for r, _ in group), min(c for _, c in group)
        r1, c1 = max(r for r, _ in group), max(c for _, c in group)
        if len(group) != (r1 - r0 + 1) * (c1 - c0 + 1):  # not a rectangle: keep its pieces apart
            for k in group:
                cell = GridCell(k[0], k[1], 1, 1)
                cells.append(cell)
                at[k] = cell
            continue
        cell = GridCell(r0, c0, r1 - r0 + 1, c1 - c0 + 1)
        cells.append(cell)
        for k in group:
            at[k] = cell
    cells.sort(key=lambda cell: (cell.row, cell.col))
    return Grid(xs, ys, cells, at)
