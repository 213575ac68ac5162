"""Fetch only what can have changed since the last night (enabled by GOVCRAWL_INCREMENTAL).

* List pages are always requested, conditionally when a stored copy and its validators are known; a
  304 Not Modified is answered with the stored copy from the archive, so the spider still follows the
  column's pagination and sees every report link.
* A report or attachment URL with a definitive stored outcome (stored, report or not; or 404/410) is not
  requested again, except recent reports (report_year this year or last year, GOVCRAWL_RECENT_YEARS) and,
  with GOVCRAWL_FULL, every URL: those are revalidated conditionally, and a 304 means "unchanged".
* Transient failures (timeouts, 5xx, ...) are not definitive, so the URL is simply fetched again.
* A stored document one of whose attachments has no definitive outcome yet, or that a run which never
  finished (killed) stored, must have its attachment links followed again: it is answered with its stored
  copy from the archive (flagged ARCHIVED, so it is not archived twice), not fetched.
* Resuming a killed night (GOVCRAWL_RESUME_ARCHIVE), a page the killed run archived but did not store is
  answered from that archive when its answer was final (2xx, 404, 410).

Validators (ETag, Last-Modified) are remembered per URL in `url_validators`.

Scrapy's HttpCacheMiddleware with its RFC 2616 policy does conditional requests too, but it answers from
its own cache store by freshness rules (a portal's Last-Modified would make pages "fresh" for days, never
requested) and keeps a second copy of every body; here the archive already holds the bodies and SQL the
outcomes, and which URL to skip is a question about stored reports, not about HTTP caching.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from sqlalchemy import func, inspect, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from govcrawl.archive.middlewares import (
    ARCHIVED,
    META_FETCHED_AT,
    META_HEADERS,
    META_WARC,
)
from govcrawl.archive.warc import (
    ArchiveIndex,
    TruncatedRecord,
    read_response,
    warc_files,
)
from govcrawl.db import models as m
from govcrawl.db.engine import make_engine, resolve_database_url
from govcrawl.db.store import url_hash
from govcrawl.db.versions import GONE
from govcrawl.harvest import AlreadyHarvested
from govcrawl.items import WarcLocation

logger = logging.getLogger(__name__)

META_PAGE = "govcrawl_page"  # the spider's request info: {portal, kind, ...} (govcrawl.spiders.portals)
META_CONDITIONAL = "govcrawl_conditional"  # set on a request sent with validators
STATS = "govcrawl/incremental"


def report_links_stat(portal: str) -> str:
    return f"govcrawl/harvest/report_links/{portal}"


def unchanged_stat(portal: str) -> str:
    return f"govcrawl/harvest/unchanged/{portal}"


@dataclass(slots=True)
class KnownState:
    """What the database knows before the night starts (loaded once, kept in memory)."""

    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    definitive: set[str] = field(default_factory=set)  # url hashes of documents/attachments
    recent: set[str] = field(default_factory=set)  # url hashes of recent reports (and their attachments)
    # documents whose attachment links must be followed again: url hash -> stored copy (from the archive)
    revisit: dict[str, WarcLocation | None] = field(default_factory=dict)
    list_copies: dict[str, WarcLocation] = field(default_factory=dict)  # newest stored list page


def load_state(engine, *, recent_since: int) -> KnownState:
    state = KnownState()
    if "url_validators" not in inspect(engine).get_table_names():
        return state  # a new database: nothing is known yet
    ok = (m.Page.error.is_(None)) & (m.Page.content_hash != "")
    with engine.connect() as conn:
        for h, etag, modified in conn.execute(
                select(m.UrlValidator.url_hash, m.UrlValidator.etag, m.UrlValidator.last_modified)):
            state.validators[h] = (etag, modified)
        state.definitive.update(conn.scalars(
            select(m.Page.url_hash).where(m.Page.kind.in_(("document", "attachment")),
                                          or_(ok, m.Page.status.in_(GONE))).distinct()))
        report_hashes = set(conn.scalars(
            select(m.Page.url_hash).join(m.Report, m.Report.page_id == m.Page.id)
            .where(m.Report.report_year >= recent_since).distinct()))
        state.recent.update(report_hashes)
        revisit: set[str] = set()
        for h, parent in conn.execute(select(m.Page.url_hash, m.Page.parent_url)
                                      .where(m.Page.kind == "attachment", m.Page.parent_url.is_not(None))):
            if url_hash(parent) in report_hashes:
                state.recent.add(h)
            if h not in state.definitive:
                revisit.add(url_hash(parent))
        # documents stored (not failed) by a run killed since the last run that finished
        last_finished = select(func.coalesce(func.max(m.CrawlRun.id), 0)).where(
            m.CrawlRun.finished_at.is_not(None)).scalar_subquery()
        revisit.update(conn.scalars(
            select(m.Page.url_hash).join(m.CrawlRun, m.CrawlRun.id == m.Page.run_id)
            .where(m.Page.kind == "document", ok, m.CrawlRun.finished_at.is_(None), m.CrawlRun.id > last_finished)
            .distinct()))
        state.revisit = dict.fromkeys(revisit)
        copies = _stored_copies(conn, m.Page.kind == "document", m.Page.url_hash.in_(revisit)) if revisit else {}
        state.revisit.update(copies)
        state.list_copies = _stored_copies(conn, m.Page.kind == "list")
    return state


def _stored_copies(conn, *where) -> dict[str, WarcLocation]:
    """url hash -> archive location of the newest successfully stored response of each URL matching where."""
    rows = conn.execute(
        select(m.Page.url_hash, m.Page.warc_file, m.Page.warc_offset, m.Page.warc_length, m.Page.warc_record_id)
        .where(*where, m.Page.error.is_(None), m.Page.status == 200, m.Page.warc_file.is_not(None))
        .order_by(m.Page.fetched_at, m.Page.id))
    return {h: WarcLocation(file, offset, length or 0, record_id or "") for h, file, offset, length, record_id in rows}


class IncrementalMiddleware:
    def __init__(self, crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.full = settings.getbool("GOVCRAWL_FULL")
        this_year = dt.date.today().year  # noqa: DTZ011 - local, as the nightly timer's clock (OnCalendar)
        self.recent_since = this_year - settings.getint("GOVCRAWL_RECENT_YEARS") + 1
        self.engine = make_engine(resolve_database_url(settings.get("DATABASE_URL")))
        self.state = KnownState()
        self.seen_validators: dict[str, tuple[str, str | None, str | None]] = {}
        self.resume_index: ArchiveIndex | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("GOVCRAWL_INCREMENTAL") or crawler.settings.get("GOVCRAWL_REPLAY"):
            raise NotConfigured
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        # The item pipelines have created/upgraded the schema by now; one read before the first request.
        self.state = load_state(self.engine, recent_since=self.recent_since)
        resume = self.crawler.settings.get("GOVCRAWL_RESUME_ARCHIVE")
        files = warc_files(resume) if resume and Path(resume).is_dir() else []
        if files:
            # What the killed run archived but did not store is answered from its archive, not fetched twice.
            self.resume_index = ArchiveIndex(files)
        logger.info("Incremental harvest%s: %d known report/attachment URL(s) (%d recent, %d to revisit), "
                    "%d list page(s)", " (--full: revalidating everything)" if self.full else "",
                    len(self.state.definitive), len(self.state.recent), len(self.state.revisit),
                    len(self.state.list_copies))

    def spider_closed(self, spider) -> None:
        try:
            self._save_validators()
        finally:
            self.engine.dispose()
            if self.resume_index is not None:
                self.resume_index.close()

    def process_request(self, request: Request) -> None:
        info = request.meta.get("govcrawl_page")
        if not info or request.meta.get(META_CONDITIONAL) is False:
            return None
        kind, portal = info.get("kind"), info.get("portal")
        key = url_hash(request.url)
        if kind == "list":
            if key not in self.state.list_copies:
                return None
        else:
            self.stats.inc_value(report_links_stat(portal))
            if key not in self.state.definitive:
                return self._from_killed_run(request)
            location = self.state.revisit.get(key)
            if location is not None and not self.full:
                # the page itself is stored: its links are read from the stored copy, not fetched again
                stored = self._stored(request, location)
                if stored is not None:
                    self.stats.inc_value(f"{STATS}/from_archive")
                    self.stats.inc_value(unchanged_stat(portal))
                    return stored
            if not (self.full or key in self.state.recent or key in self.state.revisit):
                self.stats.inc_value(f"{STATS}/skipped")
                self.stats.inc_value(unchanged_stat(portal))
                raise AlreadyHarvested(f"already harvested: {request.url}")
        etag, modified = self.state.validators.get(key, (None, None))
        if etag:
            request.headers[b"If-None-Match"] = etag
        if modified:
            request.headers[b"If-Modified-Since"] = modified
        if etag or modified:
            request.meta[META_CONDITIONAL] = True
            self.stats.inc_value(f"{STATS}/conditional")
        return None

    def process_response(self, request: Request, response: Response) -> Request | Response:
        info = request.meta.get("govcrawl_page")
        if not info:  # robots.txt
            return response
        if response.status == 200:
            etag, modified = response.headers.get(b"ETag"), response.headers.get(b"Last-Modified")
            if etag or modified:
                self.seen_validators[url_hash(request.url)] = (
                    request.url, etag and etag.decode("latin-1"), modified and modified.decode("latin-1"))
        if response.status != 304 or not request.meta.get(META_CONDITIONAL):
            return response
        self.stats.inc_value(f"{STATS}/not_modified")
        if info.get("kind") != "list":
            self.stats.inc_value(unchanged_stat(info.get("portal")))
            raise AlreadyHarvested(f"not modified: {request.url}")
        stored = self._stored(request, self.state.list_copies[url_hash(request.url)])
        if stored is None:  # the stored copy is gone (archive moved or cut): ask again, unconditionally
            retry = request.replace(dont_filter=True)
            for name in (b"If-None-Match", b"If-Modified-Since"):
                retry.headers.pop(name, None)
            retry.meta[META_CONDITIONAL] = False
            return retry
        return stored

    def _from_killed_run(self, request: Request) -> Response | None:
        """The response the killed run of this night archived for the request, if it is a final one."""
        if self.resume_index is None:
            return None
        try:
            archived = self.resume_index.next_response(request.url)
        except TruncatedRecord:
            return None
        if archived is None or not (200 <= archived.status < 300 or archived.status in GONE):
            return None  # not archived, or a transient failure: fetch it
        self.stats.inc_value(f"{STATS}/from_killed_run")
        return self._stored(request, archived.location)

    def _stored(self, request: Request, location: WarcLocation) -> Response | None:
        """The stored response at `location` as the answer to `request` (flagged ARCHIVED: the archive
        middleware does not write it again), or None if it cannot be read."""
        try:
            stored = read_response(location)
        except (OSError, TruncatedRecord, ValueError) as exc:
            logger.warning("Stored copy of %s unreadable (%s)", request.url, exc)
            return None
        raw = [(k, v) for k, v in stored.headers if k.lower() != "transfer-encoding"]
        headers = Headers(raw)
        request.meta[META_WARC] = stored.location
        request.meta[META_HEADERS] = raw
        request.meta[META_FETCHED_AT] = stored.fetched_at
        cls = responsetypes.from_args(headers=headers, url=request.url, body=stored.body)
        return cls(url=request.url, status=stored.status, headers=headers, body=stored.body, request=request,
                   flags=[ARCHIVED])

    def _save_validators(self) -> None:
        if not self.seen_validators:
            return
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        rows = [{"url_hash": h, "url": url, "etag": etag, "last_modified": modified, "checked_at": now}
                for h, (url, etag, modified) in self.seen_validators.items()]
        insert = (postgresql if self.engine.dialect.name == "postgresql" else sqlite).insert(m.UrlValidator)
        statement = insert.on_conflict_do_update(
            index_elements=["url_hash"],
            set_={name: insert.excluded[name] for name in ("etag", "last_modified", "checked_at")})
        with self.engine.begin() as conn:
            for start in range(0, len(rows), 500):
                conn.execute(statement, rows[start : start + 500])
