"""Store fetched pages and extracted reports in SQL, in batches, from one writer thread.

The database is created/upgraded through the Alembic migrations when the spider opens. Writes go through a
single-thread executor: the reactor never waits on the database, and writes stay in order.

Nothing is lost: a batch is retried through a database outage (bounded, with backoff); a batch that still
cannot be written is spooled to disk and written by the next run before it crawls; a page that is neither
stored nor spooled is counted in the stats key `govcrawl/lost_pages`, which makes `scrapy crawl` exit
non-zero (govcrawl.commands.crawl).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from scrapy import signals

from govcrawl.asyncutil import run_in_executor
from govcrawl.db.engine import describe, make_engine, resolve_database_url, upgrade
from govcrawl.db.outage import RetryPolicy
from govcrawl.db.spool import Spool, SpoolError
from govcrawl.db.store import BatchResult, Store
from govcrawl.items import FetchedPage
from govcrawl.summary import format_summary

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.database_url = resolve_database_url(settings.get("DATABASE_URL"))
        self.batch_size = settings.getint("GOVCRAWL_DB_BATCH_SIZE")
        self.flush_seconds = settings.getfloat("GOVCRAWL_DB_FLUSH_SECONDS")
        self.retry = RetryPolicy(settings.getfloat("GOVCRAWL_DB_RETRY_SECONDS"),
                                 settings.getfloat("GOVCRAWL_DB_RETRY_BACKOFF_BASE"),
                                 settings.getfloat("GOVCRAWL_DB_RETRY_BACKOFF_MAX"))
        self.spool = Spool(settings.get("GOVCRAWL_SPOOL_DIR"), self.database_url)
        self.outage = False  # the last batch gave up waiting for the database
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="db-writer")
        self.buffer: list[FetchedPage] = []
        self.last_flush = time.monotonic()
        self.totals = BatchResult()
        self.store: Store | None = None
        self.run_id: int | None = None
        self.counts_before: dict[str, int] = {}
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def open_spider(self) -> None:
        spider = self.crawler.spider
        self.store = await run_in_executor(self.writer, self._open_store)
        self.counts_before = await run_in_executor(  # new vs already stored, for the summary
            self.writer, self.retry.call, self.store.table_counts, "counting rows")
        await run_in_executor(self.writer, self.retry.call,
                              lambda: self.store.upsert_portals(spider.portals), "storing the portals")
        self.run_id = await run_in_executor(
            self.writer,
            self.retry.call,
            lambda: self.store.start_run(
                mode=self.crawler.settings.get("GOVCRAWL_RUN_MODE") or ("replay" if spider.replay else "crawl"),
                portal_ids=[p.id for p in spider.portals],
                archive_path=self.stats.get_value("govcrawl/archive_path"),
                replay_source=spider.replay,
                batch=self.crawler.settings.get("GOVCRAWL_RUN_BATCH"),
                worker=self.crawler.settings.get("GOVCRAWL_RUN_WORKER"),
            ),
            "starting the crawl run",
        )
        self.stats.set_value("govcrawl/run_id", self.run_id)  # for `govcrawl harvest`'s own record of the run
        logger.info("Storing into %s (crawl run %d)", describe(self.database_url), self.run_id)
        await run_in_executor(self.writer, self._write_spooled)

    def _open_store(self) -> Store:
        engine = make_engine(self.database_url)
        self.retry.call(lambda: upgrade(engine), "migrating the database")
        return Store(engine)

    def _write_spooled(self) -> None:
        """Write what earlier runs spooled, before this run adds anything; a spool file is deleted only once
        every batch in it is written (a partly written file is written again: writes are idempotent)."""
        for path in self.spool.files():
            pages = 0
            try:
                for run_id, batch in self.spool.batches(path):
                    result = self.retry.call(lambda: self.store.write_pages(batch, run_id),  # noqa: B023
                                             f"writing pages spooled in {path}")
                    self._count(result)
                    pages += len(batch)
            except SpoolError:
                # e.g. written by a govcrawl whose record types differ: kept for a person, never retried
                # forever, never blocking this crawl.
                logger.exception("Spool file %s cannot be read; moved to %s", path, self.spool.set_aside(path))
                continue
            self.spool.remove(path)
            self.stats.inc_value("govcrawl/store/unspooled_pages", pages)
            logger.info("Wrote %d page(s) spooled by an earlier run (%s)", pages, path)

    async def process_item(self, item):
        if not isinstance(item, FetchedPage):
            return item
        item.seal()
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size or time.monotonic() - self.last_flush >= self.flush_seconds:
            await self._flush()
        return item

    async def _flush(self) -> None:
        batch, self.buffer = self.buffer, []
        self.last_flush = time.monotonic()
        if not batch:
            return
        started = time.perf_counter()
        result = await run_in_executor(self.writer, self._write_or_spool, batch)
        self.stats.inc_value("govcrawl/store/seconds", time.perf_counter() - started)
        self.stats.inc_value("govcrawl/store/batches")
        self._count(result)

    def _write_or_spool(self, batch: list[FetchedPage]) -> BatchResult:
        """Runs on the writer thread: the batch ends up in the database, in the spool, or counted lost.
        Once a batch had to be spooled, the following ones try once and spool at once until a write succeeds
        again: a database that stays down costs the crawl one retry window, not one per batch."""
        policy = self.retry if not self.outage else dataclasses.replace(self.retry, seconds=0)
        cpu = time.thread_time()
        try:
            result = policy.call(lambda: self.store.write_pages(batch, self.run_id), f"writing {len(batch)} page(s)")
            self.stats.inc_value("govcrawl/store/cpu_seconds", time.thread_time() - cpu)
        except Exception:
            logger.exception("%d page(s) could not be written to %s", len(batch), describe(self.database_url))
        else:
            self.outage = False
            return result
        self.outage = True
        try:
            path = self.spool.append(self.run_id, batch)
        except Exception:
            logger.exception("%d page(s) could not be spooled either and are NOT stored: %s", len(batch),
                             " ".join(page.url for page in batch))
            return BatchResult(lost_pages=len(batch))
        logger.error("%d page(s) spooled to %s; the next run against this database writes them first",
                     len(batch), path)
        return BatchResult(spooled_pages=len(batch))

    def _count(self, result: BatchResult) -> None:
        self.totals.add(result)
        for name in result.__slots__:
            # govcrawl/lost_pages (in neither the database nor the spool) decides the exit status
            # (govcrawl.commands.crawl); it and govcrawl/spooled_pages are the run's verdict, not store detail.
            verdict = name in ("lost_pages", "spooled_pages")
            self.stats.inc_value(f"govcrawl/{name}" if verdict else f"govcrawl/store/{name}", getattr(result, name))

    async def close_spider(self) -> None:
        await self._flush()

    async def spider_closed(self, spider, reason: str) -> None:
        if self.store is None:
            return
        try:
            stats = dict(self.stats.get_stats())
            try:
                await run_in_executor(self.writer, self.retry.call,
                                      lambda: self.store.finish_run(self.run_id, stats=stats, reason=reason),
                                      "finishing the crawl run")
                counts = await run_in_executor(self.writer, self.retry.call, self.store.table_counts,
                                               "counting rows")
            except Exception:
                logger.exception("The crawl run could not be closed in %s", describe(self.database_url))
                counts = {}
            if self.totals.spooled_pages:
                logger.error("%d page(s) are spooled in %s: the next run against this database writes them "
                             "before it crawls", self.totals.spooled_pages, self.spool.folder)
            if self.totals.lost_pages:
                logger.error("%d page(s) NOT stored (neither in the database nor in the spool); the crawl "
                             "exits with an error", self.totals.lost_pages)
            logger.info(
                format_summary(
                    portals=spider.portals,
                    run=self.totals,
                    before=self.counts_before,
                    after=counts,
                    stats=self.stats,
                    database=describe(self.database_url),
                    archive=self.stats.get_value("govcrawl/archive_path") or spider.replay,
                    replay=bool(spider.replay),
                    replay_misses=self.stats.get_value("govcrawl/replay/miss", 0),
                    archive_files=len(self.stats.get_value("govcrawl/archive_files", [])),
                    reason=reason,
                )
            )
        finally:
            self.store.engine.dispose()
            self.writer.shutdown(wait=True)
