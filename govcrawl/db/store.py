"""Batched, idempotent writes of crawled pages and extracted reports.

Every insert is `ON CONFLICT DO NOTHING` against the tables' natural keys, so writing the same batch twice
(re-crawl, replay of the same archive) adds no rows. One batch is one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from w3lib.url import safe_url_string

from extractors import __version__ as EXTRACTOR_VERSION
from govcrawl.db import models as m
from govcrawl.db import versions
from govcrawl.db.attachments import cell_rows, file_record, sync_reports

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
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect.name
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
                  replay_source: str | None) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                self._insert(m.CrawlRun).returning(m.CrawlRun.id),
                {
                    "mode": mode,
                    "portal_ids": list(portal_ids),
                    "started_at": _utcnow(),
                    "archive_path": archive_path,
                    "replay_source": replay_source,
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
        """Write a batch in one transaction; if the database rejects it, write the pages one by one so that
        only the offending page is lost (stored as a failed page carrying the database's error if even that
        is possible, else logged with its URL)."""
        try:
            return self._write_batch(pages, run_id)
        except SQLAlchemyError as exc:
            if len(pages) <= 1:
                return self._write_rejected(pages, run_id, exc)
            log.warning("Batch of %d pages rejected by the database (%s); writing them one by one",
                        len(pages), _one_line(exc))
        result = BatchResult()
        for page in pages:
            try:
                one = self._write_batch([page], run_id)
            except SQLAlchemyError as exc:
                one = self._write_rejected([page], run_id, exc)
            for name in ("pages", "reports", "cells", "failed_pages", "failed_checks"):
                setattr(result, name, getattr(result, name) + getattr(one, name))
        return result

    def _write_rejected(self, pages: Sequence[FetchedPage], run_id: int | None, exc: SQLAlchemyError) -> BatchResult:
        result = BatchResult()
        for page in pages:
            error = f"not stored: {_one_line(exc)}"
            row = {"portal_id": page.portal_id, "run_id": run_id, "kind": page.kind, "url": page.url,
                   "url_hash": url_hash(page.url), "content_hash": "", "fetched_at": page.fetched_at,
                   "error": error}
            # The failure row without the page's other values; then also without its references.
            for candidate in (row, {**row, "portal_id": None, "run_id": None}):
                try:
                    with self.engine.begin() as conn:
                        conn.execute(self._insert(m.Page).on_conflict_do_nothing(), [candidate])
                except SQLAlchemyError:
                    continue
                log.error("Page %s could not be stored and is recorded as failed: %s", page.url, error)
                result.pages += 1
                result.failed_pages += 1
                break
            else:
                log.error("Page %s could not be stored: %s", page.url, error)
        return result

    def _write_batch(self, pages: Sequence[FetchedPage], run_id: int | None) -> BatchResult:
        result = BatchResult()
        if not pages:
            return result
        hashes = [page_content_hash(p) for p in pages]
        page_rows: dict[tuple[str, str], dict[str, Any]] = {}
        for page, content_hash in zip(pages, hashes, strict=True):
            key = (page.url, content_hash)
            if key in page_rows:
                continue
            page_rows[key] = _page_row(page, content_hash, run_id)
            result.pages += 1
            result.failed_pages += page.error is not None
        # An attached file's reading, kept for the reports that link it (govcrawl.db.attachments).
        files = {
            h: {"content_hash": h, "size": p.content_length, "format": p.report.format,
                "extracted": file_record(p.report)}
            for p, h in zip(pages, hashes, strict=True)
            if p.kind == "attachment" and p.error is None and p.report is not None
        }
        with self.engine.begin() as conn:
            conn.execute(self._insert(m.Page).on_conflict_do_nothing(), list(page_rows.values()))
            page_ids = self._page_ids(conn, page_rows.keys())
            versions.mark_withdrawn(conn, pages, url_hash)
            if files:
                conn.execute(self._insert(m.AttachmentFile).on_conflict_do_nothing(), list(files.values()))
            reported = {}
            for page, content_hash in zip(pages, hashes, strict=True):
                report = page.report
                # A file is a report of its own when the column links it; linked from a report page, it
                # lends that page's report its cells instead (govcrawl.db.attachments).
                own = page.kind == "document" or page.parent_kind == "list"
                if report is not None and report.is_report and page.error is None and own:
                    reported[page_ids[(page.url, content_hash)]] = (page, report)
            read_files = [p.url for p, h in zip(pages, hashes, strict=True) if p.kind == "attachment" and h in files]
            if not reported and not read_files:
                return result
            # A page's report is written once, with all its children, by the batch that first stores it;
            # re-writing the same page (re-crawl, replay) must not mix in cells from another extraction.
            existing = set(conn.scalars(select(m.Report.page_id).where(m.Report.page_id.in_(list(reported)))))
            fresh = {page_id: value for page_id, value in reported.items() if page_id not in existing}
            if fresh:
                conn.execute(
                    self._insert(m.Report).on_conflict_do_nothing(),
                    [_report_row(page_id, page, report) for page_id, (page, report) in fresh.items()],
                )
                versions.refresh_current(conn, (url_hash(page.url) for page, _ in fresh.values()))
            report_ids = {
                page_id: report_id
                for page_id, report_id in conn.execute(
                    select(m.Report.page_id, m.Report.id).where(m.Report.page_id.in_(list(fresh))))
            }
            children, joined = [], set()
            for page_id, (_, report) in reported.items():
                result.reports += 1
                result.cells += len(report.cells)
                result.failed_checks += sum(c.status == "fail" for c in report.checks)
                report_id = report_ids.get(page_id)
                if report_id is None:
                    continue  # stored before
                children.append((report_id, page_id, report))
                if report.attachments:
                    joined.add(report_id)
            self._write_children(conn, children)
            if read_files:  # the reports, stored before or just now, that link a file read in this batch
                joined.update(conn.scalars(select(m.ReportAttachment.report_id)
                                           .where(m.ReportAttachment.url.in_(sorted(set(read_files))))))
            result.cells += sync_reports(conn, self._insert, joined, url_hash)
        return result

    def _write_children(self, conn, reports: Sequence[tuple[int, int, Any]]) -> None:
        """The cells, sections, checks and attachment links of newly inserted reports (report id, page id,
        extracted Report)."""
        cells, sections, checks, attachments = [], [], [], []
        for report_id, page_id, report in reports:
            cells.extend(cell_rows(report_id, page_id, report.cells))
            sections.extend(
                {"report_id": report_id, "position": i, "heading": s.heading, "text": s.text}
                for i, s in enumerate(report.sections)
            )
            checks.extend(
                {"report_id": report_id, "position": i, "rule": c.rule, "scope": c.scope,
                 "status": c.status, "detail": c.detail}
                for i, c in enumerate(report.checks)
            )
            attachments.extend(
                {"report_id": report_id, "position": i, "url": attachment_url(a.url), "text": a.text}
                for i, a in enumerate(report.attachments)
            )
        for model, rows in ((m.ReportCell, cells), (m.ReportSection, sections),
                            (m.CheckResult, checks), (m.ReportAttachment, attachments)):
            if rows:
                conn.execute(self._insert(model).on_conflict_do_nothing(), rows)

    def add_report_versions(self, versions_: Sequence[tuple[int, FetchedPage, Any]]) -> int:
        """Store re-extractions (page id, the page, its new Report) of already stored pages as new report
        versions, each the current one of its URL; returns how many were new."""
        if not versions_:
            return 0
        rows = {(page_id, versions.result_hash(report)): (page_id, page, report)
                for page_id, page, report in versions_}
        with self.engine.begin() as conn:
            conn.execute(self._insert(m.Report).on_conflict_do_nothing(),
                         [_report_row(page_id, page, report) for page_id, page, report in rows.values()])
            ids = {(page_id, h): report_id for report_id, page_id, h in conn.execute(
                select(m.Report.id, m.Report.page_id, m.Report.result_hash)
                .where(m.Report.page_id.in_({page_id for page_id, _ in rows})))}
            new = [(ids[key], page_id, report) for key, (page_id, _, report) in rows.items() if key in ids]
            self._write_children(conn, new)
            # a page without a table of its own takes its cells from its attached files (govcrawl.db.attachments)
            sync_reports(conn, self._insert, [r for r, _, report in new if report.attachments], url_hash)
            versions.refresh_current(conn, (url_hash(page.url) for _, page, _ in rows.values()))
        return len(rows)

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


def _report_row(page_id: int, page: FetchedPage, report) -> dict[str, Any]:
    return {
        "page_id": page_id,
        "portal_id": page.portal_id,
        "url": report.url or page.final_url or page.url,
        "title": report.title,
        "agency": report.agency,
        "report_year": report.report_year,
        "published_date": _parse_date(report.published_date),
        "source": report.source,
        "generation": report.generation,
        "format": report.format,
        "text": report.text or "",
        "warnings": list(report.warnings),
        "extractor_version": EXTRACTOR_VERSION,
        "result_hash": versions.result_hash(report),
    }


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
