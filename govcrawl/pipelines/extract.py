"""Run the shared extractor on every fetched document page and attached file, in worker processes so that
the CPU-bound parsing uses every core and never blocks the reactor that keeps downloads flowing."""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from extractors import ExtractError
from govcrawl.asyncutil import run_in_executor
from govcrawl.attachments import EXTRACTED_KINDS, judge
from govcrawl.extraction import extract_page
from govcrawl.items import FetchedPage

logger = logging.getLogger(__name__)


def extraction_pool(kind: str, workers: int) -> Executor:
    """The extraction workers: processes (or threads, for debugging) running govcrawl.extraction."""
    if kind == "thread":
        return ThreadPoolExecutor(workers, thread_name_prefix="extract")
    # forkserver: forking the crawler process itself would copy the reactor and its threads. The server
    # preloads the extractor (workers start warm) instead of the default `__main__`, which would re-run
    # a script that starts a CrawlerProcess without a `__name__` guard.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["govcrawl.extraction", "extractors"])
    return ProcessPoolExecutor(workers, mp_context=context)


class ExtractPipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.kind = settings.get("GOVCRAWL_EXTRACT_EXECUTOR")
        if self.kind not in ("process", "thread"):
            raise ValueError(f"GOVCRAWL_EXTRACT_EXECUTOR must be 'process' or 'thread', not {self.kind!r}")
        self.workers = settings.getint("GOVCRAWL_EXTRACT_WORKERS") or os.cpu_count() or 1
        self.executor: Executor | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _new_executor(self) -> Executor:
        return extraction_pool(self.kind, self.workers)

    def open_spider(self) -> None:
        self.executor = self._new_executor()

    def close_spider(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    async def process_item(self, item):
        if not isinstance(item, FetchedPage) or item.kind not in EXTRACTED_KINDS or item.error is not None:
            return item
        headers = dict(item.headers)
        url = item.final_url or item.url
        try:
            item.report, seconds = await run_in_executor(self.executor, extract_page, item.body, url, headers)
        except BrokenProcessPool:
            # A worker died (e.g. out of memory on a huge page): record this page, keep crawling the rest.
            logger.error("Extraction worker died while extracting %s; restarting the pool", url)
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self._new_executor()
            item.error = "extraction failed: the worker process died"
        except ExtractError as exc:
            item.error = f"undecodable body: {exc} (url {url})"
        except Exception as exc:  # noqa: BLE001 - any extractor bug must cost one page, not the crawl
            logger.error("Extraction failed for %s: %s: %s", url, type(exc).__name__, exc)
            item.error = f"extraction failed: {type(exc).__name__}: {exc}"
        else:
            # The charset the extractor actually decoded with is the page's encoding of record.
            item.encoding = item.report.encoding
            judge(item)
            self.stats.inc_value("govcrawl/extract/pages")
            self.stats.inc_value("govcrawl/extract/seconds", seconds)
            if item.report.is_report:
                self.stats.inc_value("govcrawl/extract/reports")
        if item.error is not None:
            self.stats.inc_value("govcrawl/extract/failed")
        return item
