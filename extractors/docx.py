"""Word (DOCX) files: paragraphs and tables in document order, tables through their real grid.

Read from the WordprocessingML directly rather than through python-docx: python-docx has no notion of a
vertically merged cell's extent, of rows and cells wrapped in content controls (w:sdt) or of the alternate
content Word writes twice (mc:Choice / mc:Fallback), nor of list numbers (`wordnumbers`) or of HTML pages
imported whole (w:altChunk), and those are exactly what report templates and CMS exports use. The parts come from
`package.open_package`, so sizes, zip bombs and DTDs were checked before any parsing.
"""

from __future__ import annotations

import email
import email.policy
import posixpath

from lxml import etree

from . import content
from .decode import DecodeError, decode
from .document import Document, ExtractError
from .normalize import squash
from .package import member_names, open_package, parse_xml
from .rows import Grid, Row, leaf_tables, row_line, table_rows
from .wordnumbers import Numbering

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_DC = "http://purl.org/dc/elements/1.1/"
_NS = {"w": _W, "mc": _MC}
_P, _TBL, _SDT, _SDT_CONTENT, _CUSTOM_XML = (f"{{{_W}}}{t}" for t in ("p", "tbl", "sdt", "sdtContent", "customXml"))
_T, _TAB, _BR, _CR = (f"{{{_W}}}{t}" for t in ("t", "tab", "br", "cr"))
_FALLBACK = f"{{{_MC}}}Fallback"
_VAL = f"{{{_W}}}val"
_PARTS = frozenset({"word/document.xml", "word/numbering.xml", "word/styles.xml", "docProps/core.xml",
                    "word/_rels/document.xml.rels"})
_ALT_CHUNK = f"{{{_W}}}altChunk"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
MAX_DEPTH = 20  # tables nested in tables: real templates nest two deep; a deeper tree is hostile


def read_docx(body: bytes, *, kind: str = "docx") -> Document:
    """A Document from DOCX bytes; `kind` is what the file was before conversion (doc, wps)."""
    name = kind.upper()
    parts = open_package(body, name, _PARTS)
    chunks = _alt_chunks(body, parts, name)
    if "word/document.xml" not in parts:
        raise ExtractError(f"{name} file has no word/document.xml: not a Word document")
    root = parse_xml(parts["word/document.xml"], "word/document.xml", name)
    body_el = root.find(f"{{{_W}}}body")
    if body_el is None:
        raise ExtractError(f"{name} file is corrupt (word/document.xml has no body)")
    optional = {part: parse_xml(parts[part], part, name)
                for part in ("word/numbering.xml", "word/styles.xml") if part in parts}
    reader = _Reader(Numbering(optional.get("word/numbering.xml"), optional.get("word/styles.xml")), chunks)
    reader.blocks(body_el, 0)
    warnings = []
    if not reader.lines and any(n.startswith("word/media/") for n in member_names(body)):
        warnings.append(f"{name} file holds only images (scanned pages): no text, no OCR; the file is kept")
    return Document(kind, "\n".join(reader.lines), reader.tables, title_hint=_core_title(parts, name),
                    warnings=warnings + reader.warnings)


class _Reader:
    def __init__(self, numbering: Numbering, chunks: dict[str, bytes]) -> None:
        self.numbering = numbering
        self.chunks = chunks
        self.lines: list[str] = []
        self.tables: list[list[Row]] = []
        self.warnings: list[str] = []

    def paragraph(self, p: etree._Element) -> str:
        """The paragraph as Word shows it: its list number (`一、`, `（三）`) and its text."""
        return self.numbering.label(p) + paragraph_text(p)

    def blocks(self, container: etree._Element, depth: int) -> None:
        """Paragraphs and tables of a body, a cell or a content control, in the order they stand."""
        if depth > MAX_DEPTH:
            raise ExtractError(f"DOCX file nests tables or content controls more than {MAX_DEPTH} deep")
        for child in container:
            if child.tag == _P:
                text = self.paragraph(child)
                if text.strip():
                    self.lines.append(text)
            elif child.tag == _TBL:
                self.table(child, depth + 1)
            elif child.tag == _ALT_CHUNK and child.get(_R_ID) in self.chunks:
                self.alt_chunk(self.chunks[child.get(_R_ID)])
            elif child.tag in (_SDT, _CUSTOM_XML):
                content = child.find(_SDT_CONTENT) if child.tag == _SDT else child
                if content is not None:
                    self.blocks(content, depth + 1)

    def alt_chunk(self, data: bytes) -> None:
        """An HTML (or MHT) page Word shows in place, as CMS "export to Word" writes a report: read as HTML."""
        try:
            page = _chunk_html(data)
        except DecodeError as exc:
            self.warnings.append(f"DOCX file: an embedded HTML part could not be decoded ({exc})")
            return
        root = content.parse_html(page)
        body = root.find("body") if root.find("body") is not None else root
        self.lines += [line for line in content.body_text(root, body).splitlines() if line.strip()]
        self.tables += [table_rows(t) for t in leaf_tables(body)]

    def table(self, tbl: etree._Element, depth: int) -> None:
        if tbl.find(f".//{_TBL}") is not None:
            # A layout table around the real one (as `rows.leaf_tables` does for HTML): read its cells as flow.
            for tr in _rows(tbl):
                for tc in _cells(tr):
                    self.blocks(tc, depth + 1)
            return
        grid = Grid()
        for r, tr in enumerate(_rows(tbl)):
            c = _int(tr.find("w:trPr/w:gridBefore", _NS), 0)
            texts = []
            for tc in _cells(tr):
                span = min(max(_int(tc.find("w:tcPr/w:gridSpan", _NS), 1), 1), 100)
                merge = tc.find("w:tcPr/w:vMerge", _NS)
                if merge is not None and merge.get(_VAL, "continue") == "continue":
                    c = grid.extend_down(r, c, span)
                    continue
                text = squash(" ".join(self.paragraph(p) for p in tc.iter(_P)))
                texts.append(text)
                c = grid.place(r, c, text, 1, span)
            if any(texts):
                self.lines.append(row_line(texts))
        self.tables.append(grid.rows())


def _alt_chunks(body: bytes, parts: dict[str, bytes], name: str) -> dict[str, bytes]:
    """The parts `w:altChunk` elements point at, by relationship id (HTML or MHT pages imported whole)."""
    if "word/_rels/document.xml.rels" not in parts:
        return {}
    rels = parse_xml(parts["word/_rels/document.xml.rels"], "word/_rels/document.xml.rels", name)
    targets = {rel.get("Id"): posixpath.normpath(posixpath.join("word", rel.get("Target", ""))) for rel in rels
               if rel.get("Type", "").endswith("/aFChunk") and rel.get("TargetMode") != "External"}
    if not targets:
        return {}
    found = open_package(body, name, frozenset(targets.values()))
    return {rid: found[path] for rid, path in targets.items() if path in found}


def _chunk_html(data: bytes) -> str:
    if data.lstrip()[:13].lower() == b"mime-version:" or b"multipart/related" in data[:2048].lower():
        message = email.message_from_bytes(data, policy=email.policy.default)
        for part in message.walk():
            if part.get_content_type() == "text/html":
                return part.get_content()
        raise DecodeError("an MHT part with no text/html page")
    return decode(data)[0]


def _rows(tbl: etree._Element) -> list[etree._Element]:
    return tbl.xpath("./w:tr | ./w:sdt/w:sdtContent/w:tr | ./w:customXml/w:tr", namespaces=_NS)


def _cells(tr: etree._Element) -> list[etree._Element]:
    return tr.xpath("./w:tc | ./w:sdt/w:sdtContent/w:tc | ./w:customXml/w:tc", namespaces=_NS)


def paragraph_text(p: etree._Element) -> str:
    out = []
    for el in p.iter(_T, _TAB, _BR, _CR):
        if any(a.tag == _FALLBACK for a in el.iterancestors()):
            continue  # the same text box again, for readers that do not understand mc:Choice
        if _hidden(el.getparent()):
            continue  # hidden text (a template's instructions): Word does not show or print it
        if el.tag == _T:
            out.append(el.text or "")
        elif el.tag == _TAB:
            out.append("\t")
        else:
            out.append("\n")
    return "".join(out)


def _hidden(run: etree._Element | None) -> bool:
    vanish = run.find("w:rPr/w:vanish", _NS) if run is not None else None
    return vanish is not None and vanish.get(_VAL, "true") not in ("0", "false", "off")


def _int(el: etree._Element | None, default: int) -> int:
    try:
        return int(el.get(_VAL)) if el is not None else default
    except (TypeError, ValueError):
        return default


def _core_title(parts: dict[str, bytes], name: str) -> str | None:
    data = parts.get("docProps/core.xml")
    if not data:
        return None
    try:
        title = parse_xml(data, "docProps/core.xml", name).findtext(f"{{{_DC}}}title")
    except ExtractError:
        return None  # the metadata part is only a hint: a broken one must not lose the document
    return squash(title) if title else None
