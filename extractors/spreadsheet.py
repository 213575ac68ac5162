"""Excel files (XLSX through openpyxl, XLS and WPS's ET through xlrd): each sheet is one table grid, merged
ranges spread the way HTML rowspan/colspan are, so the same label-driven reader keys the cells."""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import struct
import warnings
import zipfile

import openpyxl
import xlrd
from lxml import etree
from openpyxl.utils.cell import range_boundaries
from xlrd.compdoc import CompDocError

from .document import Document, ExtractError
from .normalize import squash
from .package import open_package, parse_xml, rebuild
from .rows import Grid, is_known, row_line
from .values import is_value_text

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAX_CELLS = 200_000  # a report's sheets hold a few hundred cells; the used range of a hostile file can be 16k x 1M


def read_xlsx(body: bytes) -> Document:
    parts = open_package(body, "XLSX")  # sizes, zip bombs and DTDs checked before openpyxl sees a byte
    for name, data in parts.items():
        if name.startswith("xl/worksheets/") and data.count(b"<c ") + data.count(b"<c>") > MAX_CELLS:
            raise ExtractError(f"XLSX file: {name} holds more than {MAX_CELLS} cells")
    merged = _merged_ranges(parts)
    sheets = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it drops: not our data
            book = openpyxl.load_workbook(io.BytesIO(rebuild(parts)), read_only=True, data_only=True)
            try:
                for sheet in book.worksheets:
                    if sheet.sheet_state != "visible":
                        continue  # a hidden sheet holds lookups or last year's copy, not what the file shows
                    sheet.reset_dimensions()  # a sheet's declared <dimension> may lie: read what is there
                    values = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
                    width = max(map(len, values), default=0)  # the used range: empty cells at a row's end count
                    sheets.append(([row + [""] * (width - len(row)) for row in values], merged.get(sheet.title, [])))
                title = book.properties.title
            finally:
                book.close()
    except (KeyError, ValueError, TypeError, IndexError, AttributeError, zipfile.BadZipFile, OSError) as exc:
        raise ExtractError(f"XLSX file is corrupt ({type(exc).__name__}: {exc})") from None
    return _document("xlsx", sheets, title)


def _merged_ranges(parts: dict[str, bytes]) -> dict[str, list[tuple[int, int, int, int]]]:
    """Each sheet's merged ranges (row, col, height, width), by sheet name: openpyxl's read-only sheets do not
    expose them, so they are read from the sheet XML here, streaming (a sheet's rows are dropped as they pass)."""
    if "xl/workbook.xml" not in parts:
        raise ExtractError("XLSX file has no xl/workbook.xml: not a workbook")
    targets = {}
    if "xl/_rels/workbook.xml.rels" in parts:
        rels = parse_xml(parts["xl/_rels/workbook.xml.rels"], "xl/_rels/workbook.xml.rels", "XLSX")
        targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    ranges: dict[str, list[tuple[int, int, int, int]]] = {}
    for sheet in parse_xml(parts["xl/workbook.xml"], "xl/workbook.xml", "XLSX").iter(f"{{{_MAIN}}}sheet"):
        target = targets.get(sheet.get(f"{{{_REL}}}id"), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        found = ranges.setdefault(sheet.get("name", ""), [])
        if path not in parts:
            continue
        try:
            for _, el in etree.iterparse(io.BytesIO(parts[path]), events=("end",), resolve_entities=False,
                                         no_network=True, load_dtd=False, huge_tree=False):
                if el.tag == f"{{{_MAIN}}}mergeCell":
                    min_col, min_row, max_col, max_row = range_boundaries(el.get("ref", ""))
                    found.append((min_row - 1, min_col - 1, max_row - min_row + 1, max_col - min_col + 1))
                elif el.tag == f"{{{_MAIN}}}row":
                    el.clear()
                    while el.getprevious() is not None:
                        del el.getparent()[0]
        except (etree.XMLSyntaxError, ValueError, TypeError) as exc:
            raise ExtractError(f"XLSX file is corrupt (part {path}: {exc})") from None
    return ranges


def read_xls(body: bytes, *, kind: str = "xls") -> Document:
    name = kind.upper()
    try:
        book = xlrd.open_workbook(file_contents=body, formatting_info=True, logfile=io.StringIO(), on_demand=True)
    except (xlrd.XLRDError, CompDocError, AssertionError, IndexError, KeyError, ValueError, TypeError,
            struct.error, EOFError, UnicodeDecodeError) as exc:
        raise ExtractError(f"{name} file is truncated or corrupt ({type(exc).__name__}: {exc})") from None
    sheets = []
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if sheet.visibility:
                continue  # hidden or very hidden: not what the file shows
            if sheet.nrows * sheet.ncols > MAX_CELLS:
                raise ExtractError(f"{name} file: sheet {sheet.name!r} spans {sheet.nrows}x{sheet.ncols} cells")
            merged = [(r0, c0, r1 - r0, c1 - c0) for r0, r1, c0, c1 in sheet.merged_cells]
            values = [[_xls_text(cell, book.datemode) for cell in sheet.row(r)] for r in range(sheet.nrows)]
            sheets.append((values, merged))
    except (xlrd.XLRDError, AssertionError, IndexError, KeyError, ValueError, TypeError, struct.error) as exc:
        raise ExtractError(f"{name} file is truncated or corrupt ({type(exc).__name__}: {exc})") from None
    finally:
        book.release_resources()
    return _document(kind, sheets, None)


def _document(kind: str, sheets, title: str | None) -> Document:
    lines, tables = [], []
    for values, merged in sheets:
        grid = Grid()
        covered: dict[tuple[int, int], tuple[int, int]] = {}  # every cell of a merged range -> its top-left
        spans = {}
        used_width = max(map(len, values), default=0)
        for r0, c0, rows, cols in merged:
            # Clipped to the cells the sheet has: a hostile range (A1:XFD1048576) must not expand.
            height, width = min(rows, len(values) - r0), min(cols, used_width - c0)
            if height <= 0 or width <= 0:
                continue
            if len(covered) + height * width > MAX_CELLS:
                raise ExtractError(f"{kind.upper()} file: merged ranges cover more than {MAX_CELLS} cells")
            spans[(r0, c0)] = (height, width)
            for r in range(r0, r0 + height):
                for c in range(c0, c0 + width):
                    covered[(r, c)] = (r0, c0)
        for r, row in enumerate(values):
            filled = [t for t in row if t]
            # A sheet has no empty-cell markup: a title or heading row typed into its first cell draws no blanks,
            # while a table row's empty cells are blank cells (as an HTML row's empty <td>s are).
            heading = len(filled) == 1 and not is_value_text(filled[0]) and not is_known(filled[0])
            for c, text in enumerate(row):
                if covered.get((r, c), (r, c)) != (r, c) or (heading and not text):
                    continue
                height, width = spans.get((r, c), (1, 1))
                grid.place(r, c, text, height, width)
            texts = [t for c, t in enumerate(row) if t and covered.get((r, c), (r, c)) == (r, c)]
            if texts:  # a sheet has no prose: its one-cell rows (title, 填报单位, notes) are its text lines
                lines.append(texts[0] if len(texts) == 1 else row_line(texts))
        tables.append(grid.rows(len(values)))
    return Document(kind, "\n".join(lines), tables, title_hint=squash(title) if title else None)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):  # 15 significant digits: what Excel shows, without binary noise (0.1 + 0.2)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else format(value, ".15g")
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10]
    return squash(str(value))


def _xls_text(cell, datemode: int) -> str:
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, datemode).date().isoformat()
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return _text(cell.value)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    return _text(cell.value)
