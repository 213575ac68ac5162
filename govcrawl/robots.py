"""robots.txt as RFC 9309 reads it: an unreachable robots.txt (5xx, or no answer) means "disallow everything".

Scrapy's stock middleware parses a 500 page as if it were robots.txt and treats a network error as "allow
all", so a portal whose robots.txt is down would be crawled in full, including what it forbids. A 4xx
(typically 404) still means no restrictions, as the RFC says.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

logger = logging.getLogger(__name__)


class Unreachable:
    """Stands in for the parser of a robots.txt that could not be read: nothing is allowed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def allowed(self, url: str, user_agent: str) -> bool:
        return False

    def sitemaps(self) -> list[str]:
        return []


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            self._unreachable(netloc, f"HTTP {response.status}")
            return
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._unreachable(netloc, f"{type(exc).__name__}: {exc}")

    def _unreachable(self, netloc: str, reason: str) -> None:
        logger.warning("robots.txt of %s is unreachable (%s): nothing on that host is fetched", netloc, reason)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser = Unreachable(reason)
        waiting.callback(parser)  # type: ignore[union-attr]

    def process_request_2(self, rp, request: Request) -> None:
        if isinstance(rp, Unreachable):
            self._stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest(f"robots.txt unreachable ({rp.reason}): RFC 9309 says assume complete disallow")
        super().process_request_2(rp, request)
