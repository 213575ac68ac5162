"""Store fetched pages and extracted reports in SQL, in batches, from one writer thread.

The database is created/upgraded through the Alembic migrations when the spider opens. Writes go through a
single-thread executor: the reactor never waits on the database, and writes stay in order.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from scrapy import signals

from govcrawl.asyncutil import run_in_executor
from govcrawl.db.engine import describe, make_engine, resolve_database_url, upgrade
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
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="db-writer")
        self.buffer: list[FetchedPage] = []
        self.last_flush = time.monotonic()
        self.totals = BatchResult()
        self.store: Store | None = None
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def open_spider(self) -> None:
        spider = self.crawler.spider
        self.store = await run_in_executor(self.writer, self._open_store)
        await run_in_executor(self.writer, self.store.upsert_portals, spider.portals)
        self.run_id = await run_in_executor(
            self.writer,
            lambda: self.store.start_run(
                mode=self.crawler.settings.get("GOVCRAWL_RUN_MODE") or ("replay" if spider.replay else "crawl"),
                portal_ids=[p.id for p in spider.portals],
                archive_path=self.stats.get_value("govcrawl/archive_path"),
                replay_source=spider.replay,
            ),
        )
        self.stats.set_value("govcrawl/run_id", self.run_id)  # for `govcrawl harvest`'s own record of the run
        logger.info("Storing into %s (crawl run %d)", describe(self.database_url), self.run_id)

    def _open_store(self) -> Store:
        engine = make_engine(self.database_url)
        upgrade(engine)
        return Store(engine)

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
        result = await run_in_executor(self.writer, self.store.write_pages, batch, self.run_id)
        self.stats.inc_value("govcrawl/store/seconds", time.perf_counter() - started)
        self.stats.inc_value("govcrawl/store/batches")
        for name in ("pages", "reports", "cells", "failed_pages", "failed_checks"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(result, name))
            self.stats.inc_value(f"govcrawl/store/{name}", getattr(result, name))

    async def close_spider(self) -> None:
        await self._flush()

    async def spider_closed(self, spider, reason: str) -> None:
        if self.store is None:
            return
        try:
            stats = dict(self.stats.get_stats())
            await run_in_executor(self.writer, lambda: self.store.finish_run(self.run_id, stats=stats, reason=reason))
            counts = await run_in_executor(self.writer, self.store.table_counts)
            logger.info(
                format_summary(
                    portals=len(spider.portals),
                    run=self.totals,
                    counts=counts,
                    database=describe(self.database_url),
                    archive=self.stats.get_value("govcrawl/archive_path") or spider.replay,
                    replay=bool(spider.replay),
                    replay_misses=self.stats.get_value("govcrawl/replay/miss", 0),
                    archive_files=len(self.stats.get_value("govcrawl/archive_files", [])),
                )
            )
        finally:
            self.store.engine.dispose()
            self.writer.shutdown(wait=True)
