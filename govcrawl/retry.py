"""Retries with exponential backoff: Scrapy's RetryMiddleware retries at once, which hammers a portal that
is already failing (503, timeouts) and usually fails again for the same reason."""

from __future__ import annotations

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.asyncio import sleep


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("GOVCRAWL_RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("GOVCRAWL_RETRY_BACKOFF_MAX")

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._backoff(result)
        return result

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._backoff(result)
        return result

    async def _backoff(self, retry: Request) -> None:
        attempt = retry.meta.get("retry_times", 1)
        delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        if delay > 0:
            self.crawler.stats.inc_value("govcrawl/retry/backoff_seconds", delay)
            await sleep(delay)
