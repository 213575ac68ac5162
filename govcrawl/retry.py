"""Retries that wait their turn outside the downloader, per host, honouring Retry-After.

Scrapy's RetryMiddleware retries at once, which hammers a portal that is already failing. Sleeping before
returning the retry (inside process_response) is worse: the request stays in the downloader's active set, so a
few hosts backing off at once fill CONCURRENT_REQUESTS and stall every other portal.

Here the retry request returned by RetryMiddleware carries a not-before time (exponential backoff, or the server's
Retry-After in seconds or as an HTTP date, capped by GOVCRAWL_RETRY_AFTER_MAX), and the host gets the same
not-before time. A `request_scheduled` handler holds back any request to a host that is backing off (raising
IgnoreRequest there is Scrapy's documented way to keep a request out of the scheduler) and hands it to
`engine.crawl` when its time has come; `spider_idle` keeps the spider open while requests are held. The
downloader and the other hosts never wait.
"""

from __future__ import annotations

import email.utils
import time
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.asyncio import CallLaterResult, call_later

META_NOT_BEFORE = "govcrawl_not_before"  # time.monotonic() before which the request is not sent


def retry_after_seconds(response: Response, now: float | None = None) -> float | None:
    """The delay a Retry-After header asks for (delta-seconds or an HTTP date), or None."""
    value = (response.headers.get(b"Retry-After") or b"").decode("latin-1").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class DelayedRetryMiddleware(RetryMiddleware):
    def __init__(self, crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        settings = crawler.settings
        self.backoff_base = settings.getfloat("GOVCRAWL_RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("GOVCRAWL_RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("GOVCRAWL_RETRY_AFTER_MAX")
        self.host_not_before: dict[str, float] = {}
        self.held: dict[int, tuple[Request, CallLaterResult]] = {}
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            self._delay(result, retry_after_seconds(response))
        return result

    def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self._delay(result, None)
        return result

    def _delay(self, retry: Request, asked: float | None) -> None:
        attempt = retry.meta.get("retry_times", 1)
        delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        if asked is not None:
            self.crawler.stats.inc_value("govcrawl/retry/retry_after")
            delay = max(delay, min(asked, self.retry_after_max))
        if delay <= 0:
            return
        self.crawler.stats.inc_value("govcrawl/retry/backoff_seconds", delay)
        not_before = time.monotonic() + delay
        retry.meta[META_NOT_BEFORE] = not_before
        host = urlsplit(retry.url).netloc
        self.host_not_before[host] = max(self.host_not_before.get(host, 0.0), not_before)

    # -- holding requests back until their host's time has come -------------------------------------

    def request_scheduled(self, request: Request, spider) -> None:
        due = max(request.meta.get(META_NOT_BEFORE, 0.0), self.host_not_before.get(urlsplit(request.url).netloc, 0.0))
        wait = due - time.monotonic()
        if wait <= 0:
            return
        self.held[id(request)] = (request, call_later(wait, self._release, request))
        raise IgnoreRequest(f"held back {wait:.1f} s: its host is backing off")

    def _release(self, request: Request) -> None:
        self.held.pop(id(request), None)
        self.crawler.engine.crawl(request)

    def spider_idle(self, spider) -> None:
        if self.held:
            raise DontCloseSpider

    def spider_closed(self, spider) -> None:
        for _, timer in self.held.values():
            timer.cancel()
        self.held.clear()
