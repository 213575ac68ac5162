"""PDF report files to a `Document`: body text in reading order and each ruled statistics table as logical rows.

PDFium (pypdfium2) reads the file; `pdf_layout` rebuilds lines and ruled grids from character boxes and path
objects. A grid is handed to the shared row builder (`rows.table_rows`) as the HTML table it draws, so PDF cells
get their canonical keys, header columns and generation from the same code as HTML tables. What real WPS/Word
exports do to a report is undone here: page-number footers, a table continued on the next page (and a label cut
by the break), a title printed over two lines, paragraphs wrapped at the right margin. Tables printed without
rules are rebuilt from text alignment by `pdf_align` into the same kind of grid.
"""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from lxml import html as lxml_html

from . import pdf_align
from . import pdf_layout as layout
from .document import Document
from .errors import ExtractError
from .normalize import label_core
from .rows import Row, table_rows, text_rows
from .templates import KNOWN_LABELS
from .values import is_value_text

MAX_PAGES = 300  # annual reports run to 5-40 pages; beyond this a file is something else or hostile
DEADLINE_SECONDS = 60.0

# `- 3 -`, `—4—`, `第 3 页 共 9 页`, `3/9`: a page number, dropped wherever it sits; a bare number only in the margins.
_DECORATED_FOOTER = re.compile(r"^(?:[-—–－―]+\s*\d{1,4}\s*[-—–－―]+"
                               r"|第\s*\d{1,4}\s*页(?:\s*[,，]?\s*共\s*\d{1,4}\s*页)?"
                               r"|\d{1,4}\s*[/／]\s*\d{1,4})$")
_BARE_NUMBER = re.compile(r"^\d{1,4}$")
_MARGIN = 0.08  # share of the page height at the top and bottom where running headers and footers sit
_UNMAPPED_SHARE = 0.2
_OUTLINED_TEXT = 200  # path objects on a page with no characters: text drawn as outlines, not a blank page
_SENTENCE_END = ("。", "：", ":", "；", ";", "！", "？")
_ERRORS = {
    pdfium_c.FPDF_ERR_PASSWORD: "PDF is encrypted: it needs a password to open",
    pdfium_c.FPDF_ERR_SECURITY: "PDF is encrypted with a security handler PDFium does not support",
    pdfium_c.FPDF_ERR_FORMAT: "PDF is corrupt: PDFium cannot parse its structure",
    pdfium_c.FPDF_ERR_FILE: "PDF is unreadable",
}


@dataclass(slots=True)
class _Page:
    number: int
    height: float
    lines: list[layout.Line]  # body lines (not in a table), top to bottom, page numbers removed
    grids: list[layout.Grid]  # ruled tables, top to bottom
    chars: int
    unmapped: int  # characters with no Unicode meaning (private use, U+FFFD): a font without ToUnicode
    pictured: bool  # drawn but with no characters: an image, or text turned into outlines


@dataclass(slots=True)
class _Table:
    """One logical table: grids that continue each other across page breaks, in one column system."""
    xs: list[float]
    cells: list[layout.GridCell] = field(default_factory=list)
    rows: int = 0
    last_page: int = 0
    open_at_bottom: bool = False  # nothing but the footer follows it on its page


def read_pdf(body: bytes, *, max_pages: int = MAX_PAGES, deadline_seconds: float = DEADLINE_SECONDS) -> Document:
    """Read a PDF report. Raises ExtractError for an encrypted, corrupt or truncated file, or one that takes
    longer than `deadline_seconds` (checked between pages); reads at most `max_pages` pages."""
    started = time.monotonic()
    pdf = _open(body)
    try:
        total = len(pdf)
        if total == 0:
            raise ExtractError("PDF has no pages")
        warnings = []
        if total > max_pages:
            warnings.append(f"PDF has {total} pages: read the first {max_pages} (page limit)")
        pages, unreadable = [], 0
        for index in range(min(total, max_pages)):
            if time.monotonic() - started > deadline_seconds:
                raise ExtractError(f"PDF took longer than the {deadline_seconds:g} s time limit: stopped at page "
                                   f"{index + 1} of {total}")
            try:
                page = pdf[index]
            except pdfium.PdfiumError:
                unreadable += 1
                continue
            try:
                pages.append(_read_page(page, index + 1))
            finally:
                page.close()
        title_hint = (pdf.get_metadata_value("Title") or "").strip() or None
    except pdfium.PdfiumError as exc:
        raise ExtractError(f"PDF is corrupt: {exc}") from None
    finally:
        pdf.close()
    if unreadable:
        warnings.append(f"{unreadable} of {min(total, max_pages)} PDF pages could not be read")
    scanned = sum(1 for p in pages if p.chars == 0 and p.pictured)
    if scanned:
        warnings.append(f"scanned PDF: no text layer on {scanned} of {len(pages)} pages (OCR not available)")
    chars, unmapped = sum(p.chars for p in pages), sum(p.unmapped for p in pages)
    if chars and unmapped > _UNMAPPED_SHARE * chars:
        warnings.append(f"PDF text layer unreadable: {unmapped} of {chars} characters have no Unicode mapping "
                        "(fonts without ToUnicode); the text may be garbled")
    _drop_running_lines(pages)
    text, tables = _assemble(pages)
    return Document("pdf", text, tables, title_hint, warnings)


def _open(body: bytes) -> pdfium.PdfDocument:
    if b"%PDF-" not in body[:1024]:
        raise ExtractError("not a PDF: no %PDF- header")
    try:
        return pdfium.PdfDocument(body)
    except pdfium.PdfiumError as exc:
        cause = _ERRORS.get(getattr(exc, "err_code", None), f"PDF is unreadable ({exc})")
        if b"%%EOF" not in body[-2048:]:
            cause = "PDF is truncated: the file ends before its %%EOF marker and PDFium cannot rebuild it"
        raise ExtractError(cause) from None


def _read_page(page: pdfium.PdfPage, number: int) -> _Page:
    _, height = page.get_size()
    textpage = page.get_textpage()
    try:
        glyphs = layout.glyphs(textpage)
    finally:
        textpage.close()
    paths, images = [], 0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            images += 1
        else:
            paths.append(obj)
    unmapped = sum(1 for g in glyphs if "\ue000" <= g.char <= "\uf8ff" or g.char == "\ufffd")
    pictured = bool(images) or len(paths) >= _OUTLINED_TEXT
    grids = layout.grids(layout.rules(paths))
    body = []
    for g in glyphs:
        grid = next((grid for grid in grids if grid.holds(g)), None)
        if grid is None:
            body.append(g)
        else:
            grid.place(g)
    tables = []
    for grid in grids:
        grid.finish()
        if _is_table(grid):
            tables.append(grid)
        else:  # a bordered paragraph or an empty frame: its words are body text
            body += [g for cell in grid.cells for g in cell.glyphs]
    lines = [line for line in layout.lines(body) if not _page_number(line, height)]
    aligned, lines = pdf_align.aligned_grids(lines, page.get_width(), _is_table)
    tables = sorted(tables + aligned, key=lambda grid: -grid.top)
    return _Page(number, height, lines, tables, len(glyphs), unmapped, pictured)


def _drop_running_lines(pages: list[_Page]) -> None:
    """A running header or footer (the agency's name, `第 3 页`) printed in the margin of most pages."""
    if len(pages) < 2:
        return

    def key(line: layout.Line) -> str:
        return re.sub(r"\d+", "#", line.text().replace(" ", ""))

    def in_margin(line: layout.Line, page: _Page) -> bool:
        return line.bottom > page.height * (1 - 1.5 * _MARGIN) or line.top < page.height * 1.5 * _MARGIN

    seen: dict[str, int] = {}
    for page in pages:
        for k in {key(line) for line in page.lines if in_margin(line, page)}:
            seen[k] = seen.get(k, 0) + 1
    running = {k for k, n in seen.items() if n >= max(2, len(pages) / 2)}
    for page in pages:
        page.lines = [line for line in page.lines if not (in_margin(line, page) and key(line) in running)]


def _is_table(grid: layout.Grid) -> bool:
    """Two columns or more and some text in two cells: a one-column box around a paragraph is not a table."""
    return len(grid.xs) >= 3 and len(grid.ys) >= 3 and sum(1 for cell in grid.cells if cell.text) >= 2


def _page_number(line: layout.Line, height: float) -> bool:
    text = line.text().strip()
    if _DECORATED_FOOTER.match(text.replace(" ", "")):
        return True
    in_margin = line.top < height * _MARGIN * 1.5 or line.bottom > height * (1 - _MARGIN)
    return in_margin and _BARE_NUMBER.match(text) is not None


# ---------------------------------------------------------------- the document


def _assemble(pages: list[_Page]) -> tuple[str, list[list[Row]]]:
    """Body lines as paragraphs and tables as ` | ` rows, in reading order; tables continued across pages
    joined into one."""
    sizes = [line.size for page in pages for line in page.lines]
    body_size = statistics.median(sizes) if sizes else 0.0
    out: list[str] = []
    tables: list[_Table] = []
    paragraph: list[layout.Line] = []  # lines of the paragraph being read (it may continue on the next page)
    margins = _margins(pages)

    def flush() -> None:
        if paragraph:
            out.append(_join(paragraph))
            paragraph.clear()

    for page in pages:
        items = [(line.top, 0, line) for line in page.lines] + [(grid.top, 1, grid) for grid in page.grids]
        items.sort(key=lambda item: (-item[0], item[1]))
        for position, (_, kind, item) in enumerate(items):
            if kind == 1:
                flush()
                continued = tables[-1] if tables and _continues(tables[-1], page.number, position, item) else None
                if continued is None:
                    tables.append(_Table(list(item.xs)))
                    out.append("\x00table")  # the table's rows are written here once it is complete
                _append(tables[-1], item, page.number)
                tables[-1].open_at_bottom = position == len(items) - 1
                continue
            if (page.number == 1 and not out and body_size and item.size >= 1.25 * body_size
                    and all(line.size >= 1.25 * body_size for line in paragraph)):
                paragraph.append(item)  # title lines, joined into one
                continue
            if paragraph and paragraph[0].size >= 1.25 * body_size and item.size < 1.25 * body_size:
                flush()
            if paragraph and not _continues_paragraph(paragraph[-1], item, margins):
                flush()
            paragraph.append(item)
    flush()
    grids = iter([_rows(table) for table in tables])
    text_lines: list[str] = []
    blocks: dict[int, list[Row]] = {}  # first text line of each table -> its rows
    for line in out:
        if line == "\x00table":
            rows = next(grids)
            blocks[len(text_lines)] = rows
            text_lines += [" | ".join(c.text for c in (*row.labels, *row.values)) + " |" for row in rows]
        else:
            text_lines.append(line)
    in_grids = {i for start, rows in blocks.items() for i in range(start, start + len(rows))}
    for start, end in _loose_rows(text_lines, in_grids):
        blocks[start] = text_rows("\n".join(text_lines[start : end + 1]))
    return "\n".join(text_lines), [blocks[i] for i in sorted(blocks)]


def _loose_rows(lines: list[str], in_grids: set[int]) -> list[tuple[int, int]]:
    """Runs of figure lines no grid holds (a table's last row alone on the next page, its header above the
    break), with the header words above them: read by the plain-text table reader, as a flattened table."""
    runs: list[tuple[int, int]] = []
    for i, line in enumerate(lines):
        if i in in_grids or not _figure_line(line) or (runs and runs[-1][1] >= i):
            continue
        start, end = i, i
        while start - 1 >= 0 and start - 1 not in in_grids and _header_words(lines[start - 1]):
            start -= 1
        while end + 1 < len(lines) and end + 1 not in in_grids and _figure_line(lines[end + 1]):
            end += 1
        runs.append((start, end))
    return runs


def _figure_line(line: str) -> bool:
    parts = [p for p in re.split(r"\s{2,}", line.strip()) if p]
    figures = sum(1 for p in parts if pdf_align.is_figure(p))
    return figures >= 4 and figures >= len(parts) - 1


def _header_words(line: str) -> bool:
    s = line.strip()
    return bool(s) and not pdf_align.HEADING.match(s) and len(s) <= 60 and ("  " in s or len(s) <= 8) and "。" not in s


def _margins(pages: list[_Page]) -> tuple[float, float]:
    """The text block's left and right edge: where most body lines start and the furthest most lines reach."""
    starts = sorted(round(line.x0) for page in pages for line in page.lines)
    ends = sorted(round(line.x1) for page in pages for line in page.lines)
    if not starts:
        return 0.0, 0.0
    return float(starts[len(starts) // 10]), float(ends[len(ends) * 9 // 10])


def _continues_paragraph(prev: layout.Line, line: layout.Line, margins: tuple[float, float]) -> bool:
    """A line wrapped at the right margin goes on in the next line unless that one is indented (a new paragraph)."""
    left, right = margins
    size = max(prev.size, 1.0)
    full = prev.x1 >= right - 1.5 * size
    indented = line.x0 > left + 0.8 * size
    return full and not indented and not prev.text().rstrip().endswith(_SENTENCE_END[1:])


def _join(lines: list[layout.Line]) -> str:
    return layout.join_lines(line.text("  ") for line in lines)


# ---------------------------------------------------------------- tables across pages


def _continues(table: _Table, page: int, position: int, grid: layout.Grid) -> bool:
    """A grid at the top of a page continues the table that ended the page before when its columns line up."""
    return (table.open_at_bottom and table.last_page == page - 1 and position == 0
            and _column_map(table.xs, grid.xs) is not None)


def _column_map(base: list[float], xs: list[float]) -> list[int] | None:
    out = []
    for x in xs:
        j = min(range(len(base)), key=lambda j: abs(base[j] - x))
        if abs(base[j] - x) > 4:
            return None
        out.append(j)
    return out


def _append(table: _Table, grid: layout.Grid, page: int) -> None:
    mapping = _column_map(table.xs, grid.xs) or list(range(len(grid.xs)))
    before = table.cells[:]
    after = []
    for cell in grid.cells:
        col = mapping[cell.col]
        after.append(layout.GridCell(table.rows + cell.row, col, cell.rowspan,
                                     mapping[cell.col + cell.colspan] - col, text=cell.text))
    rows = len(grid.ys) - 1
    if before and _mend_seam(before, after, table.rows):
        rows -= 1
    table.cells = before + after
    table.rows += rows
    table.last_page = page


def _mend_seam(before: list[layout.GridCell], after: list[layout.GridCell], seam: int) -> bool:
    """Undo what a page break does to a table row. A label cut in two (`（四）无` | `法提供`) is whole again on
    both sides; a merged label the next page repeats as an empty cell (`三、本年度办理结果`) keeps its text; and
    when the first row of the new page only continues the row above (no cell holds a second, different text)
    the two are one row again. Returns whether the seam row was merged into the row above."""
    upper = {(c.col, c.colspan): c for c in before if c.row + c.rowspan == seam}
    pairs = [(upper.get((c.col, c.colspan)), c) for c in after if c.row == seam]
    for up, low in pairs:
        if up is None or not up.text or not low.text or is_value_text(up.text) or is_value_text(low.text):
            continue
        whole = up.text + low.text
        if label_core(whole) in KNOWN_LABELS and not {label_core(up.text), label_core(low.text)} & KNOWN_LABELS:
            up.text = low.text = whole
    continuation = all(up is not None and (not up.text or not low.text or up.text == low.text) for up, low in pairs)
    if continuation and pairs:
        for up, low in pairs:
            up.text = up.text or low.text
            up.rowspan += low.rowspan - 1
            after.remove(low)
        for cell in after:
            cell.row -= 1
        return True
    for up, low in pairs:
        if up is not None and not low.text and up.rowspan > 1 and up.text and not is_value_text(up.text):
            low.text = up.text
    return False


def _rows(table: _Table) -> list[Row]:
    """The grid as the HTML table it draws, read by the shared row builder."""
    element = lxml_html.Element("table")
    trs = [lxml_html.Element("tr") for _ in range(table.rows)]
    for cell in sorted(table.cells, key=lambda c: (c.row, c.col)):
        td = lxml_html.Element("td", rowspan=str(cell.rowspan), colspan=str(cell.colspan))
        td.text = cell.text
        trs[cell.row].append(td)
    element.extend(trs)
    return [row for row in table_rows(element) if row.labels or row.values]
