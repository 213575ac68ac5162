"""Batched, idempotent writes of crawled pages and extracted reports.

Every insert is `ON CONFLICT DO NOTHING` against the tables' natural keys, so writing the same batch twice
(re-crawl, replay of the same archive) adds no rows. One batch is one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from w3lib.url import safe_url_string

from extractors import __version__ as EXTRACTOR_VERSION  # noqa: N812 - a constant here
from govcrawl.db import models as m
from govcrawl.db import versions
from govcrawl.db.attachments import file_record, join_reports
from govcrawl.db.bulk import insert_rows
from govcrawl.db.outage import is_transient
from govcrawl.db.values import abbreviate, cell_value

if TYPE_CHECKING:
    from govcrawl.items import FetchedPage
    from govcrawl.registry import PortalEntry


log = logging.getLogger(__name__)


def url_hash(url: str) -> str:
    """The pages' key for a URL: fixed-size, unlike URLs (which may be longer than an index entry allows)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def attachment_url(url: str) -> str:
    """An attachment link as the spider requests and stores it (percent-encoded UTF-8, no fragment), so a
    report_attachments row joins its `pages` row."""
    return safe_url_string(url, encoding="utf-8").split("#", 1)[0]


def _one_line(exc: Exception) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return " ".join(f"{type(cause).__name__}: {cause}".split())[:1000]


@dataclass(slots=True)
class BatchResult:
    pages: int = 0
    reports: int = 0
    cells: int = 0
    failed_pages: int = 0
    failed_checks: int = 0
    lost_pages: int = 0  # neither stored nor recorded as failed
    spooled_pages: int = 0  # kept on disk for the next run (govcrawl.db.spool)

    def add(self, other: BatchResult) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def page_content_hash(page: FetchedPage) -> str:
    """sha256 of the content-decoded body; '' when no response arrived at all (timeout, DNS, replay miss)."""
    page.seal()
    return page.content_hash


class Store:
    def __init__(self, engine: Engine, *, bulk: bool = True) -> None:
        """`bulk`: insert new reports' children through the driver's bulk path (govcrawl.db.bulk) rather than
        SQLAlchemy's INSERT; False only to measure one against the other."""
        self.engine = engine
        dialect = engine.dialect.name
        self.bulk = bulk
        if dialect == "postgresql":
            self._insert = postgresql.insert
        elif dialect == "sqlite":
            self._insert = sqlite.insert
        else:
            raise ValueError(f"unsupported database {dialect!r}: govcrawl supports sqlite and postgresql")

    # -- portals and runs ---------------------------------------------------------------------------

    def upsert_portals(self, portals: Iterable[PortalEntry]) -> None:
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "agency": p.agency,
                "region": p.region,
                "division_code": p.division_code,
                "platform": p.platform,
                "column_urls": list(p.column_urls),
                "allowed_hosts": list(p.allowed_hosts),
            }
            for p in portals
        ]
        if not rows:
            return
        statement = self._insert(m.Portal)
        statement = statement.on_conflict_do_update(
            index_elements=["id"],
            set_={k: statement.excluded[k] for k in rows[0] if k != "id"},
        )
        with self.engine.begin() as conn:
            conn.execute(statement, rows)

    def start_run(self, *, mode: str, portal_ids: Sequence[str], archive_path: str | None,
                  replay_source: str | None, batch: str | None = None, worker: str | None = None) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                self._insert(m.CrawlRun).returning(m.CrawlRun.id),
                {
                    "mode": mode,
                    "portal_ids": list(portal_ids),
                    "started_at": _utcnow(),
                    "archive_path": archive_path,
                    "replay_source": replay_source,
                    "batch": batch,
                    "worker": worker,
                },
            )
            return int(result.scalar_one())

    def finish_run(self, run_id: int, *, stats: dict[str, Any], reason: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(m.CrawlRun)
                .where(m.CrawlRun.id == run_id)
                .values(finished_at=_utcnow(), stats=_jsonable(stats), finish_reason=reason)
            )

    # -- pages and reports --------------------------------------------------------------------------

    def write_pages(self, pages: Sequence[FetchedPage], run_id: int | None = None) -> BatchResult:
        """Write a batch in one transaction. A page whose values cannot be converted, or that the database
        rejects, costs only itself: the batch is then written page by page, and the page is stored as a failed
        page carrying the reason (or counted in `lost_pages` if even that is impossible). Errors that say the
        database is unavailable (`outage.is_transient`) escape, so the caller can retry the whole batch."""
        prepared = [_prepare(page, run_id) for page in pages]
        try:
            return self._write_batch(prepared)
        except Exception as exc:
            if is_transient(exc):
                raise
            if len(prepared) <= 1:
                return self._write_rejected(prepared, run_id, exc)
            log.warning("Batch of %d pages rejected by the database (%s); writing them one by one",
                        len(prepared), _one_line(exc))
        result = BatchResult()
        for one in prepared:
            try:
                result.add(self._write_batch([one]))
            except Exception as exc:
                if is_transient(exc):
                    raise
                result.add(self._write_rejected([one], run_id, exc))
        return result

    def _write_rejected(self, prepared: Sequence[_Prepared], run_id: int | None, exc: Exception) -> BatchResult:
        result = BatchResult()
        error = f"not stored: {_one_line(exc)}"
        for one in prepared:
            page = one.page
            # An error that is not the database's is a bug in the store: its traceback is needed to fix it.
            log.error("Page %s could not be stored: %s", page.url, error,
                      exc_info=None if isinstance(exc, SQLAlchemyError) else exc)
            row = _failed_row(page, run_id, error)
            # The failure row without the page's other values; then also without its references.
            for candidate in (row, {**row, "portal_id": None, "run_id": None}):
                try:
                    with self.engine.begin() as conn:
                        conn.execute(self._insert(m.Page).on_conflict_do_nothing(), [candidate])
                except Exception as second:
                    if is_transient(second):
                        raise
                    continue
                log.error("Page %s is recorded as failed", page.url)
                result.pages += 1
                result.failed_pages += 1
                break
            else:
                log.error("Page %s is NOT stored, not even as a failed page", page.url)
                result.lost_pages += 1
        return result

    def _write_batch(self, prepared: Sequence[_Prepared]) -> BatchResult:
        result = BatchResult()
        if not prepared:
            return result
        page_rows: dict[tuple[str, str], dict[str, Any]] = {}
        for one in prepared:
            if one.key not in page_rows:
                page_rows[one.key] = one.row
                result.pages += 1
                result.failed_pages += one.row["error"] is not None
        files = {f["content_hash"]: f for f in (one.file for one in prepared) if f is not None}
        read_files = sorted({one.page.url for one in prepared if one.file is not None})
        with self.engine.begin() as conn:
            conn.execute(self._insert(m.Page).on_conflict_do_nothing(), list(page_rows.values()))
            page_ids = self._page_ids(conn, page_rows.keys())
            versions.mark_withdrawn(conn, [one.page for one in prepared], url_hash)
            if files:
                conn.execute(self._insert(m.AttachmentFile).on_conflict_do_nothing(), list(files.values()))
            reported = {page_ids[one.key]: one for one in prepared if one.report is not None}
            if not reported and not read_files:
                return result
            # A page's report is written once, with all its children, by the batch that first stores it;
            # re-writing the same page (re-crawl, replay) must not mix in cells from another extraction.
            existing = set(conn.scalars(select(m.Report.page_id).where(m.Report.page_id.in_(list(reported)))))
            fresh = [{"page_id": page_id, **one.report} for page_id, one in reported.items()
                     if page_id not in existing]
            # RETURNING names exactly the reports this transaction inserted: their children cannot conflict
            # with anything, which is what lets them take the bulk path (govcrawl.db.bulk).
            inserted = dict(conn.execute(
                self._insert(m.Report).on_conflict_do_nothing().returning(m.Report.page_id, m.Report.id),
                fresh).all()) if fresh else {}
            versions.refresh_current(conn, (url_hash(reported[page_id].page.url) for page_id in inserted))
            children: dict[type, list[dict[str, Any]]] = {
                m.ReportCell: [], m.ReportSection: [], m.CheckResult: [], m.ReportAttachment: []}
            joined: set[int] = set()  # reports to bring to their joined state (govcrawl.db.attachments)
            for page_id, one in reported.items():
                result.reports += 1
                result.cells += one.cell_count
                result.failed_checks += one.failed_checks
                report_id = inserted.get(page_id)
                if report_id is None:
                    continue  # stored before
                for model, rows in one.children.items():
                    parent = {"report_id": report_id}
                    if model is m.ReportCell:
                        parent["document_page_id"] = page_id  # the page each cell was read from: its own
                    children[model].extend({**parent, **row} for row in rows)
                if one.children[m.ReportAttachment]:
                    joined.add(report_id)
            for model, rows in children.items():
                if rows:
                    self._insert_new_rows(conn, model, rows)
            result.cells += join_reports(conn, self._insert, joined, read_files, url_hash)
        return result

    def add_report_versions(self, versions_: Sequence[tuple[int, FetchedPage, Any]]) -> int:
        """Store re-extractions (page id, the page, its new Report) of already stored pages as new report
        versions, each the current one of its URL; returns how many were inserted."""
        prepared = {}
        for page_id, page, report in versions_:
            page.report = report
            prepared[page_id] = _prepare(page, None)
        prepared = {page_id: one for page_id, one in prepared.items() if one.report is not None}
        if not prepared:
            return 0
        with self.engine.begin() as conn:
            inserted = dict(conn.execute(
                self._insert(m.Report).on_conflict_do_nothing().returning(m.Report.page_id, m.Report.id),
                [{"page_id": page_id, **one.report} for page_id, one in prepared.items()]).all())
            joined = set()
            for page_id, report_id in inserted.items():
                one = prepared[page_id]
                for model, rows in one.children.items():
                    parent = {"report_id": report_id}
                    if model is m.ReportCell:
                        parent["document_page_id"] = page_id
                    if rows:
                        self._insert_new_rows(conn, model, [{**parent, **row} for row in rows])
                if one.children[m.ReportAttachment]:
                    joined.add(report_id)
            # a page without a table of its own takes its cells from its attached files (govcrawl.db.attachments)
            join_reports(conn, self._insert, joined, (), url_hash)
            versions.refresh_current(conn, (url_hash(prepared[page_id].page.url) for page_id in inserted))
        return len(inserted)

    def _insert_new_rows(self, conn, model, rows: list[dict[str, Any]]) -> None:
        """Insert rows that cannot conflict (children of reports inserted in this transaction)."""
        if self.bulk:
            insert_rows(conn, model.__table__, rows)
        else:
            conn.execute(self._insert(model).on_conflict_do_nothing(), rows)

    @staticmethod
    def _page_ids(conn, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        keys = set(keys)
        hashes = sorted({url_hash(url) for url, _ in keys})
        rows = conn.execute(
            select(m.Page.id, m.Page.url, m.Page.content_hash).where(m.Page.url_hash.in_(hashes)))
        return {(url, h): page_id for page_id, url, h in rows if (url, h) in keys}

    # -- reading back -------------------------------------------------------------------------------

    def table_counts(self) -> dict[str, int]:
        counts = {}
        with self.engine.connect() as conn:
            for model in (m.Portal, m.CrawlRun, m.Page, m.AttachmentFile, m.Report, m.ReportCell,
                          m.ReportSection, m.CheckResult, m.ReportAttachment):
                counts[model.__tablename__] = conn.execute(select(func.count()).select_from(model)).scalar_one()
        return counts


@dataclass(slots=True)
class _Prepared:
    """One page converted to the rows it is stored as (children without their report_id yet)."""

    page: FetchedPage
    key: tuple[str, str]  # (url, content_hash): the pages table's natural key
    row: dict[str, Any]
    file: dict[str, Any] | None = None
    report: dict[str, Any] | None = None
    children: dict[type, list[dict[str, Any]]] = field(default_factory=dict)
    cell_count: int = 0
    failed_checks: int = 0


def _prepare(page: FetchedPage, run_id: int | None) -> _Prepared:
    """Convert a page to rows; a page that cannot be converted becomes its own failed row with the reason,
    never an exception that would cost the rest of the batch."""
    try:
        content_hash = page_content_hash(page)
        one = _Prepared(page, (page.url, content_hash), _page_row(page, content_hash, run_id))
        report = page.report
        if page.kind == "attachment" and page.error is None and report is not None:
            # the file's reading, kept for the reports that link it (govcrawl.db.attachments)
            one.file = {"content_hash": content_hash, "size": page.content_length, "format": report.format,
                        "extracted": file_record(report)}
        if page.is_own_report:  # a file linked from a report page lends that report its cells instead
            warnings = list(report.warnings)
            one.children = {
                m.ReportCell: _cell_rows(report.cells, warnings),
                m.ReportSection: [{"position": i, "heading": s.heading, "text": s.text}
                                  for i, s in enumerate(report.sections)],
                m.CheckResult: [{"position": i, "rule": c.rule, "scope": c.scope, "status": c.status,
                                 "detail": c.detail} for i, c in enumerate(report.checks)],
                m.ReportAttachment: [{"position": i, "url": attachment_url(a.url), "text": a.text}
                                     for i, a in enumerate(report.attachments)],
            }
            one.report = _report_row(page, report, warnings)
            one.cell_count = len(report.cells)
            one.failed_checks = sum(c.status == "fail" for c in report.checks)
    except Exception as exc:  # whatever one page holds must cost that page only
        error = f"not stored: its values could not be converted: {_one_line(exc)}"
        log.exception("Page %s %s", page.url, error)
        return _Prepared(page, (page.url, ""), _failed_row(page, run_id, error))
    else:
        return one


def _failed_row(page: FetchedPage, run_id: int | None, error: str) -> dict[str, Any]:
    return {"portal_id": page.portal_id, "run_id": run_id, "kind": page.kind, "url": page.url,
            "url_hash": url_hash(page.url), "content_hash": "", "fetched_at": page.fetched_at, "error": error}


def _page_row(page: FetchedPage, content_hash: str, run_id: int | None) -> dict[str, Any]:
    warc = page.warc
    return {
        "portal_id": page.portal_id,
        "run_id": run_id,
        "kind": page.kind,
        "url": page.url,
        "url_hash": url_hash(page.url),
        "final_url": page.final_url,
        "status": page.status,
        "headers": [list(h) for h in page.headers],
        "content_type": page.content_type,
        "encoding": page.encoding,
        "content_hash": content_hash,
        "content_length": page.content_length,
        "fetched_at": page.fetched_at,
        "warc_file": warc.file if warc else None,
        "warc_offset": warc.offset if warc else None,
        "warc_length": warc.length if warc else None,
        "warc_record_id": warc.record_id if warc else None,
        "parent_url": page.parent_url,
        "link_text": page.link_text,
        "is_report": page.report.is_report if page.report is not None else None,
        "error": page.error,
    }


INT32 = range(-(2**31), 2**31)  # the reports.report_year column (INTEGER)


def _report_row(page: FetchedPage, report, warnings: list[str]) -> dict[str, Any]:
    year = report.report_year
    if year is not None and year not in INT32:
        warnings.append(f"report_year {abbreviate(year)} does not fit the database column; stored as null")
        year = None
    return {
        "portal_id": page.portal_id,
        "url": report.url or page.final_url or page.url,
        "title": report.title,
        "agency": report.agency,
        "report_year": year,
        "published_date": _parse_date(report.published_date),
        "source": report.source,
        "generation": report.generation,
        "format": report.format,
        "text": report.text or "",
        "warnings": warnings,
        "extractor_version": EXTRACTOR_VERSION,
        # the worker fingerprinted the report it returned, unless something changed it since
        "result_hash": page.report_fingerprint or report.fingerprint(),
    }


def _cell_rows(cells, warnings: list[str]) -> list[dict[str, Any]]:
    """Cell rows, one per (table, row, col); a value the float column cannot hold is stored as null with
    its raw text, and the report gets a warning saying which cell."""
    rows = {}
    for c in cells:
        # The extractor promises one cell per (table,row,col); keep the first if a page repeats a table.
        key = (c.table, c.row, c.col)
        if key in rows:
            continue
        value = cell_value(c.value)
        if c.value is not None and value is None:
            warnings.append(f"cell {'/'.join(key)}: value {abbreviate(c.value)} does not fit the database's "
                            "floating-point column; stored as null, raw kept")
        rows[key] = {
            "table_name": c.table,
            "row_key": c.row,
            "col_key": c.col,
            "value": value,
            "value_is_integer": None if value is None else isinstance(c.value, int),
            "raw": c.raw,
            "unit": c.unit,
        }
    return list(rows.values())


def _jsonable(value: Any) -> Any:
    """Scrapy stats hold datetimes and other objects; JSON columns need plain values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)
