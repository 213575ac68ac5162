"""Reports read from attached files: the join of a report page and the files it links.

A report page and its attachments are separate requests. They reach the store in either order, in different
batches, and (an incremental harvest skips unchanged files) in different runs. So each side is stored as it
arrives, and the join is recomputed from what is stored, never from what one batch happens to hold:

* every extracted file keeps the extractor's record of it in `attachment_files.extracted` (by content hash);
* every report page keeps its report row and its attachment links (`report_attachments`);
* after a batch, each report that gained a row or a linked file is brought to the state that is a function of
  its page's own rows and the stored records of its files, and is left alone when already in that state
  (replaying the same archive, or crawling the same site again, changes nothing).

That state: a page with its own statistics table stays primary; each attached file that is the same report
(same report year and generation where both are known) is compared cell by cell, and a cell on which they
disagree is a `warn` finding `attachment_vs_page`. A page without a table of its own (an attachment-only
page) takes its cells, sections, checks, text and format from its first linked file that is a report (the
first by link order among those of the page's report year), keeps its own metadata, and compares its other
files with that one (`attachment_vs_attachment`). Every cell row names the page it was read from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Connection, delete, select, update

from govcrawl.db import models as m
from govcrawl.db.values import cell_value

PAGE_RULE = "attachment_vs_page"
FILE_RULE = "attachment_vs_attachment"
DERIVED_RULES = (PAGE_RULE, FILE_RULE)


def file_record(report) -> dict[str, Any]:
    """What is kept of an attached file's extraction: extract-output.md's object (without `path`)."""
    record = report.to_dict(path=None)
    del record["path"]
    return record


def cell_rows(report_id: int, document_page_id: int, cells: Iterable) -> list[dict[str, Any]]:
    """report_cells rows for extractor cells (objects or extract-output dicts), first of a repeated key kept."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for c in cells:
        table, row, col, value, raw, unit = (
            (c["table"], c["row"], c["col"], c["value"], c["raw"], c["unit"]) if isinstance(c, dict)
            else (c.table, c.row, c.col, c.value, c.raw, c.unit))
        rows.setdefault((table, row, col), {
            "report_id": report_id,
            "document_page_id": document_page_id,
            "table_name": table,
            "row_key": row,
            "col_key": col,
            "value": cell_value(value),  # null when a double cannot hold it; raw keeps it
            "value_is_integer": None if cell_value(value) is None else isinstance(value, int),
            "raw": raw,
            "unit": unit,
        })
    return list(rows.values())


def sync_reports(conn: Connection, insert, report_ids: Iterable[int], url_hash) -> int:
    """Bring each report to its joined state (see the module docstring); returns the cell rows written."""
    report_ids = sorted(set(report_ids))
    if not report_ids:
        return 0
    files = _linked_files(conn, report_ids, url_hash)
    written = 0
    for report in conn.execute(select(m.Report).where(m.Report.id.in_([r for r in report_ids if r in files]))):
        own = conn.execute(select(m.ReportCell).where(m.ReportCell.report_id == report.id,
                                                      m.ReportCell.document_page_id == report.page_id)
                           .order_by(m.ReportCell.id)).all()
        if own:
            _cross_check(conn, insert, report, own, files[report.id])
        else:
            written += _take_from_file(conn, insert, report, files[report.id])
    return written


@dataclass(frozen=True, slots=True)
class _File:
    """A file a report links (at `position`), as downloaded (`page_id`) and read (`record`)."""

    position: int
    url: str
    page_id: int
    record: dict[str, Any]

    @property
    def name(self) -> str:
        return unquote(urlsplit(self.url).path.rsplit("/", 1)[-1]) or self.url


def _linked_files(conn: Connection, report_ids: Sequence[int], url_hash) -> dict[int, list[_File]]:
    """Per report, its linked files that were fetched and read, in link order (the newest download of a URL)."""
    links = conn.execute(select(m.ReportAttachment.report_id, m.ReportAttachment.position, m.ReportAttachment.url)
                         .where(m.ReportAttachment.report_id.in_(report_ids))).all()
    if not links:
        return {}
    hashes = {url_hash(url) for _, _, url in links}
    newest: dict[str, tuple[int, dict[str, Any]]] = {}
    rows = conn.execute(
        select(m.Page.id, m.Page.url, m.AttachmentFile.extracted)
        .join(m.AttachmentFile, m.AttachmentFile.content_hash == m.Page.content_hash)
        .where(m.Page.url_hash.in_(sorted(hashes)), m.Page.kind == "attachment", m.Page.error.is_(None),
               m.AttachmentFile.extracted.is_not(None))
        .order_by(m.Page.id))
    for page_id, url, record in rows:
        newest[url] = (page_id, record)
    found: dict[int, list[_File]] = defaultdict(list)
    for report_id, position, url in sorted(links):
        if url in newest:
            found[report_id].append(_File(position, url, *newest[url]))
    return found


def _same_report(year: int | None, generation: str | None, record: dict[str, Any]) -> bool:
    """Whether a file can be the report a page stands for: a report (not, say, a blank template of the
    tables), of no other year or generation."""
    if not record["is_report"]:
        return False
    return (year is None or record["report_year"] in (None, year)) and (
        generation is None or record["generation"] in (None, generation))


def _disagreements(rule: str, first_name: str, first: dict, other: _File) -> list[dict[str, Any]]:
    """warn findings for each cell both sides have with different values (blank and 0 differ)."""
    found = []
    for c in other.record["cells"]:
        key = (c["table"], c["row"], c["col"])
        mine = first.get(key)
        if mine is not None and mine[0] != c["value"]:
            found.append({"rule": rule, "scope": ".".join(key), "status": "warn",
                          "detail": f"{first_name} {mine[1]!r} ≠ {other.name} {c['raw']!r}"})
    return found


def _cross_check(conn: Connection, insert, report, own: Sequence, files: list[_File]) -> None:
    # (a stored 3.0 equals the file's 3: values compare as numbers)
    page_cells = {(c.table_name, c.row_key, c.col_key): (c.value, c.raw) for c in own}
    desired = [finding for f in files if _same_report(report.report_year, report.generation, f.record)
               for finding in _disagreements(PAGE_RULE, "page", page_cells, f)]
    checks = conn.execute(select(m.CheckResult).where(m.CheckResult.report_id == report.id)
                          .order_by(m.CheckResult.position)).all()
    derived = [c for c in checks if c.rule in DERIVED_RULES]
    if [(c.rule, c.scope, c.status, c.detail) for c in derived] == [tuple(d.values()) for d in desired]:
        return
    if derived:
        conn.execute(delete(m.CheckResult).where(m.CheckResult.id.in_([c.id for c in derived])))
    start = max((c.position for c in checks if c.rule not in DERIVED_RULES), default=-1) + 1
    if desired:
        conn.execute(insert(m.CheckResult), [{"report_id": report.id, "position": start + i, **d}
                                             for i, d in enumerate(desired)])


def _take_from_file(conn: Connection, insert, report, files: list[_File]) -> int:
    candidates = [f for f in files if _same_report(None, None, f.record)]
    if not candidates:
        return 0
    primary = min(candidates, key=lambda f: (report.report_year is not None
                                             and f.record["report_year"] not in (None, report.report_year),
                                             f.position))
    record = primary.record
    first = {(c["table"], c["row"], c["col"]): (c["value"], c["raw"]) for c in record["cells"]}
    checks = list(record["checks"]) + [
        finding for f in files if f is not primary and _same_report(record["report_year"], record["generation"],
                                                                    f.record)
        for finding in _disagreements(FILE_RULE, primary.name, first, f)]
    cells = cell_rows(report.id, primary.page_id, record["cells"])
    sections = [{"report_id": report.id, "position": i, "heading": s["heading"], "text": s["text"]}
                for i, s in enumerate(record["sections"])]
    check_rows = [{"report_id": report.id, "position": i, "rule": c["rule"], "scope": c["scope"],
                   "status": c["status"], "detail": c["detail"]} for i, c in enumerate(checks)]
    fields = {"format": record["format"], "text": record["text"] or "",
              "generation": record["generation"] or report.generation,
              "report_year": report.report_year or record["report_year"],
              "title": report.title or record["title"], "agency": report.agency or record["agency"]}
    if _current(conn, report, fields, cells, sections, check_rows):
        return 0
    for model in (m.ReportCell, m.ReportSection, m.CheckResult):
        conn.execute(delete(model).where(model.report_id == report.id))
    conn.execute(update(m.Report).where(m.Report.id == report.id).values(**fields))
    for model, rows in ((m.ReportCell, cells), (m.ReportSection, sections), (m.CheckResult, check_rows)):
        if rows:
            conn.execute(insert(model), rows)
    return len(cells)


def _current(conn: Connection, report, fields, cells, sections, checks) -> bool:
    """Whether the stored rows already are the joined state (then nothing is rewritten)."""
    if any(getattr(report, name) != value for name, value in fields.items()):
        return False
    stored_cells = conn.execute(select(m.ReportCell.document_page_id, m.ReportCell.table_name, m.ReportCell.row_key,
                                       m.ReportCell.col_key, m.ReportCell.value, m.ReportCell.value_is_integer,
                                       m.ReportCell.raw, m.ReportCell.unit)
                                .where(m.ReportCell.report_id == report.id)).all()
    keys = ("document_page_id", "table_name", "row_key", "col_key", "value", "value_is_integer", "raw", "unit")
    if {tuple(r) for r in stored_cells} != {tuple(c[k] for k in keys) for c in cells}:
        return False
    stored_sections = conn.execute(select(m.ReportSection.heading, m.ReportSection.text)
                                   .where(m.ReportSection.report_id == report.id)
                                   .order_by(m.ReportSection.position)).all()
    stored_checks = conn.execute(select(m.CheckResult.rule, m.CheckResult.scope, m.CheckResult.status,
                                        m.CheckResult.detail)
                                 .where(m.CheckResult.report_id == report.id).order_by(m.CheckResult.position)).all()
    return ([tuple(s) for s in stored_sections] == [(s["heading"], s["text"]) for s in sections]
            and [tuple(c) for c in stored_checks] == [(c["rule"], c["scope"], c["status"], c["detail"])
                                                      for c in checks])

