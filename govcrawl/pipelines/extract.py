"""Run the shared extractor on every fetched document page and attached file, in worker processes so that
the CPU-bound parsing uses every core and never blocks the reactor that keeps downloads flowing.

One bad page costs one page. The pool (pebble's ProcessPool, whose every task runs in a known worker) fails
only the task whose worker died, and replaces that worker; a page that takes longer than its time limit has
its worker killed and replaced; pages over their size limit are not parsed at all. Workers exit with the
crawl process (govcrawl.extraction.init_worker).
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver
import os
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from pebble import ProcessExpired, ProcessPool

from extractors.errors import ExtractError
from extractors.sniff import sniff
from govcrawl.asyncutil import await_future
from govcrawl.attachments import EXTRACTED_KINDS, judge
from govcrawl.extraction import OUT_OF_MEMORY_EXIT, extract_page, init_worker
from govcrawl.items import FetchedPage

logger = logging.getLogger(__name__)
MIB = 1024 * 1024


class ExtractPipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.kind = settings.get("GOVCRAWL_EXTRACT_EXECUTOR")
        if self.kind not in ("process", "thread"):
            raise ValueError(f"GOVCRAWL_EXTRACT_EXECUTOR must be 'process' or 'thread', not {self.kind!r}")
        self.workers = settings.getint("GOVCRAWL_EXTRACT_WORKERS") or os.cpu_count() or 1
        self.timeout = settings.getfloat("GOVCRAWL_EXTRACT_TIMEOUT") or None
        self.memory_limit = settings.getint("GOVCRAWL_EXTRACT_WORKER_MEMORY_MB") * MIB
        self.max_text_chars = settings.getint("GOVCRAWL_EXTRACT_MAX_TEXT_CHARS")
        self.max_html_bytes = settings.getint("GOVCRAWL_EXTRACT_MAX_HTML_BYTES")
        self.max_file_bytes = settings.getint("GOVCRAWL_EXTRACT_MAX_FILE_BYTES")
        self.hook = settings.get("GOVCRAWL_EXTRACT_WORKER_HOOK")
        self.pool: ProcessPool | ThreadPoolExecutor | None = None
        if self.kind == "process":
            # forkserver: forking the crawler process itself would copy the reactor and its threads. The server
            # preloads the extractor (workers start warm) instead of the default `__main__`, which would re-run
            # a script that starts a CrawlerProcess without a `__name__` guard. It is started now, not when the
            # first page arrives: its imports (about a second) then overlap the spider's opening and the
            # database's migrations instead of holding up the first page.
            self.context = multiprocessing.get_context("forkserver")
            self.context.set_forkserver_preload(["govcrawl.extraction", "extractors.core"])
            multiprocessing.forkserver.ensure_running()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        if self.kind == "thread":
            self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="extract")
            return
        self.pool = ProcessPool(self.workers, initializer=init_worker,
                                initargs=(os.getpid(), self.memory_limit, self.hook), context=self.context)

    def _process_pool(self) -> ProcessPool:
        """The pool, replaced if it broke (pebble gives up on a pool whose channel failed or whose worker died
        holding no task); the pages it held have failed with the reason."""
        if not self.pool.active:
            logger.error("The extraction pool broke; starting a new one")
            self.pool.stop()
            self.pool.join()
            self.open_spider()
        return self.pool

    def close_spider(self) -> None:
        if isinstance(self.pool, ProcessPool):
            self.pool.close()
            self.pool.join()
        elif self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None

    async def process_item(self, item):
        if not isinstance(item, FetchedPage) or item.kind not in EXTRACTED_KINDS or item.error is not None:
            return item
        url = item.final_url or item.url
        item.error = self.too_large(item)
        if item.error is None:
            await self._extract(item, url)
        if item.error is not None:
            self.stats.inc_value("govcrawl/extract/failed")
        return item

    def too_large(self, item: FetchedPage) -> str | None:
        """Why the page is not parsed, if it is larger than its type's limit (what a worker may hold): HTML
        and text pages versus report files (PDF, Word, …), told apart by the bytes' signature."""
        try:
            html = sniff(item.body) == "text"
        except ExtractError:
            html = False  # a corrupt Office file: the extractor will say so
        limit = self.max_html_bytes if html else self.max_file_bytes
        if limit and len(item.body) > limit:
            self.stats.inc_value("govcrawl/extract/too_large")
            return (f"not extracted: {len(item.body)} bytes is over the {limit / MIB:g} MiB limit for "
                    f"{'HTML pages' if html else 'report files'} (the bytes are archived)")
        return None

    def _out_of_memory(self) -> str:
        return (f"extraction failed: out of memory (worker limit {self.memory_limit // MIB} MiB)"
                if self.memory_limit and self.kind == "process" else "extraction failed: out of memory")

    async def _extract(self, item: FetchedPage, url: str) -> None:
        args = (item.body, url, dict(item.headers), self.max_text_chars)
        try:
            if isinstance(self.pool, ProcessPool):
                future = self._process_pool().schedule(extract_page, args=args, timeout=self.timeout)
            else:
                future = self.pool.submit(extract_page, *args)
            item.report, item.report_fingerprint, seconds, cpu_seconds = await await_future(future)
        except ExtractError as exc:
            item.error = f"undecodable body: {exc} (url {url})"
        except ProcessExpired as exc:
            if exc.exitcode == OUT_OF_MEMORY_EXIT:
                logger.error("Extracting %s ran out of memory; its worker was retired and replaced", url)
                item.error = self._out_of_memory()
                return
            # Only this page's worker died (a crash in C code, the kernel's OOM killer); it is replaced.
            logger.error("The extraction worker died (exit code %s) while extracting %s; it is replaced",
                         exc.exitcode, url)
            item.error = f"extraction failed: the worker process died (exit code {exc.exitcode})"
        except FutureTimeout:
            logger.error("Extracting %s took longer than %g s; its worker was killed and replaced", url,
                         self.timeout)
            item.error = f"extraction failed: took longer than the {self.timeout:g} s limit"
        except MemoryError as exc:  # in the thread executor, or sending the result
            # The cause is known and says more than a traceback into the parser would.
            logger.error("Extracting %s ran out of memory (%s)", url, exc)
            item.error = self._out_of_memory()
        except Exception as exc:  # any extractor bug must cost one page, not the crawl
            # exc_info: pebble chains the worker's own traceback to the exception.
            logger.error("Extraction failed for %s: %s: %s", url, type(exc).__name__, exc, exc_info=exc)
            item.error = f"extraction failed: {type(exc).__name__}: {exc}"
        else:
            # The charset the extractor actually decoded with is the page's encoding of record.
            item.encoding = item.report.encoding
            if judge(item):
                item.report_fingerprint = None  # the judgement changed the record
            self.stats.inc_value("govcrawl/extract/pages")
            self.stats.inc_value("govcrawl/extract/seconds", seconds)
            # CPU time apart from wall time: on a busy machine a worker waits for a core, and only the CPU
            # time says what extraction itself costs (benchmarks/replay_bench.py derives its bound from it)
            self.stats.inc_value("govcrawl/extract/cpu_seconds", cpu_seconds)
            if item.report.is_report:
                self.stats.inc_value("govcrawl/extract/reports")
