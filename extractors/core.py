"""extract(): bytes in, Report out. Pure: no I/O, no Scrapy, the same code the crawler's pipelines run.

The reader is chosen by the bytes' own signature (`sniff`), never by a file name or Content-Type.
"""

from __future__ import annotations

import re

from . import chrome, content, metadata
from .checks import run_checks
from .convert import read_word97
from .decode import DecodeError, decode
from .document import Document
from .docx import read_docx
from .errors import ExtractError
from .markdown import is_markdown, read_markdown
from .model import Report
from .normalize import nfkc
from .pdf import read_pdf
from .rows import leaf_tables, read_table, text_rows
from .sections import split_sections
from .sniff import IMAGES, NAMES, sniff
from .spreadsheet import read_xls, read_xlsx
from .tables import TableReader, detect_generation

_HTML_SNIFF = re.compile(r"<\s*(?:!doctype\s+html|html|head|body|div|table|p|meta|title)\b", re.IGNORECASE)
# A letter or notice opens with its own title (`关于…的通知`) and its addressee (`各镇（街道）、县政府各部门：`,
# `县政务公开办公室：`); a report does neither.
_ADDRESSEE = re.compile(r"^(?:(?:各|有关)[^。|]{1,60}|"
                        r"[^。，,|:：]{2,30}(?:办公室|人民政府|政府|局|委员会|委|厅|部门|单位))[:：]$")
_LETTER_TITLE = re.compile(r"^关于.{2,80}的(?:函|复函|通知|批复|请示)$")


# Epoint WebBuilder, CMS list shells and other single-page portals that fetch the article by XHR.
_SCRIPT_LOADED = re.compile(r"getGovInfoDetail|/html/info/detail|new\s+CMS\(|\$\.ajax\(|axios\.|fetch\(|XMLHttpRequest")
_INFO_TEXT = '//text()[contains(., "日期") or contains(., "时间") or contains(., "来源")]'
_BOXES = re.compile(r"relat|xglj|xgwz|xgxx|foot|bottom|copyright|link|list", re.IGNORECASE)


def extract(body: bytes, *, url: str | None = None, headers: dict[str, str] | None = None,
            encoding: str | None = None) -> Report:
    """A Report from any report file: HTML page, plain text, PDF, DOCX, DOC, WPS, XLSX, XLS. Raises only
    ExtractError, naming the cause."""
    kind = sniff(body)
    if kind != "text":
        return from_document(read_file(body, kind), url)
    try:
        text, used, warnings = decode(body, headers, encoding)
    except DecodeError as exc:
        raise ExtractError(str(exc)) from None
    if is_markdown(text):
        report = from_document(read_markdown(text), url)
    elif _looks_like_html(text, headers):
        report = _from_html(text, url)
    else:
        report = from_document(Document("text", text), url)
    report.warnings[:0] = warnings
    report.encoding = used
    return report


def read_file(body: bytes, kind: str) -> Document:
    """The Document of a binary file whose format `sniff` found. A format without a reader (OFD, archives,
    images: no OCR) gives an empty Document whose warning names the format: nothing invented."""
    name = NAMES.get(kind, kind)
    try:
        if kind == "pdf":
            return read_pdf(body)
        if kind == "docx":
            return read_docx(body)
        if kind in ("doc", "wps"):
            return read_word97(body, kind=kind)
        if kind == "xlsx":
            return read_xlsx(body)
        if kind in ("xls", "et"):
            return read_xls(body, kind=kind)
    except ExtractError as exc:
        if str(exc).startswith(name.split()[0]):
            raise
        raise ExtractError(f"{name}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a parsing library failing on hostile bytes: name it, lose nothing else
        raise ExtractError(f"{name} could not be read ({type(exc).__name__}: {exc})") from None
    if kind in IMAGES:
        return Document(kind, "", warnings=[f"{name}: a scanned image with no text layer, no OCR; the file is kept"])
    return Document(kind, "", warnings=[f"{name}: format not supported, the file is kept"])


def _looks_like_html(text: str, headers: dict[str, str] | None) -> bool:
    content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "")
    return "html" in content_type.lower() or _HTML_SNIFF.search(text[:4096]) is not None


def from_document(document: Document, url: str | None) -> Report:
    """A report from a format reader's Document: metadata from its first lines, cells from its tables (or,
    when the reader found none, from the text through the plain-text table reader)."""
    text = nfkc(document.text)
    title = metadata.title_from_text(text) or document.title_hint
    info = [line for line in text.splitlines()[:15] if chrome.is_info_line(line)]
    report = Report(url=url, title=title, format=document.format)
    report.published_date = metadata.published_date(*info)
    report.source = metadata.source("\n".join(info))
    report.text = chrome.clean_lines(text, title)
    blocks = document.tables or [text_rows(report.text)]
    _finish(report, blocks)
    report.agency = metadata.filler_agency(report.text) or metadata.title_agency(title)
    report.warnings[:0] = document.warnings
    return report


def _from_html(raw: str, url: str | None) -> Report:
    root = content.parse_html(raw)
    metas = metadata.meta_tags(root)
    index = metadata.index_table(root)
    container = content.find_container(root)
    report = Report(url=url)
    if container is None:
        report.warnings.append("no content container found: read the whole page")
    report.title = metadata.title_from_page(root, metas, index)
    report.attachments = content.attachments(root, url)
    info = _info_lines(root, container)
    report.published_date = (metadata.iso_date(_first(metas, "pubdate", "publishdate", "firstpublishedtime"))
                             or metadata.iso_date(index.get("date")) or metadata.published_date(*info))
    report.source = _first(metas, "contentsource", "source") or metadata.source("\n".join(info)) or index.get("source")
    tables = leaf_tables(container if container is not None else root)
    read = [read_table(t) for t in tables]
    shown = list(zip(tables, (table_text for _, table_text in read), strict=True)) if container is not None else []
    text = nfkc(content.body_text(root, container, shown))
    report.text = chrome.clean_lines(text, report.title)
    if len(report.text) < 50 and _SCRIPT_LOADED.search(raw):
        report.warnings.append("page is a script shell: the article is loaded by JavaScript and is not in this page")
    if content.is_attachment_shell(report.text, report.attachments):
        report.warnings.append(f"attachment-only page: the report is in {len(report.attachments)} attachment(s)")
        report.text = ""
    blocks = [rows for rows, _ in read]
    _finish(report, blocks)
    report.agency = index.get("agency") or metadata.filler_agency(report.text) or metadata.title_agency(report.title)
    if report.report_year is None and report.text == "" and report.attachments:
        report.report_year = metadata.report_year(" ".join(a.text for a in report.attachments), "")
    return report


def _info_lines(root, container) -> list[str]:
    """Short lines that carry 发布日期/来源 above the article or at its top; below it only when nothing is
    said above, and never inside the related-links box or the footer."""
    top = container.sourceline if container is not None and container.sourceline else None
    above: list[str] = []
    below: list[str] = []
    for node in root.xpath(_INFO_TEXT):
        el = node.getparent()
        if el is None or el.tag in ("script", "style", "title", "option"):
            continue
        if any(_BOXES.search(f"{a.get('class', '')} {a.get('id', '')}") for a in (el, *el.iterancestors())):
            continue
        text = nfkc(" ".join(t.strip() for t in el.itertext() if t.strip()))
        if chrome.is_info_line(text):
            (below if top is not None and (el.sourceline or 0) > top + 3 else above).append(text)
    return above or below[:1]


def _first(metas: dict[str, str], *names: str) -> str | None:
    return next((metas[n] for n in names if metas.get(n)), None)


def _finish(report: Report, blocks) -> None:
    report.report_year = metadata.report_year(report.title, report.text)
    report.generation = detect_generation(blocks, report.text, report.report_year)
    reader = TableReader(report.generation)
    report.cells = reader.read(blocks)
    report.warnings += reader.warnings
    if report.generation is None and report.cells:
        report.warnings.append("report generation could not be determined")
    report.sections = split_sections(report.text)
    report.checks = run_checks(report.cells, report.generation, report.text)
    report.is_report = _is_report(report)


def _is_report(report: Report) -> bool:
    if not report.text:
        return False
    if report.title and metadata.NOT_REPORT_TITLE.search(report.title):
        return False
    if report.cells and all(c.value is None for c in report.cells):
        return False  # a blank template: the tables are there, no figure is
    head = [line.strip() for line in report.text.splitlines()[:10]]
    if any(_ADDRESSEE.match(line) or _LETTER_TITLE.match(line) for line in head):
        return False
    said = metadata.REPORT_PHRASE.search(report.title or "") or metadata.REPORT_PHRASE.search(report.text[:2000])
    return bool(said or report.cells)
