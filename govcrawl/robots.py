"""robots.txt as RFC 9309 reads it, per host, on Scrapy's public API.

Before the first request to a host (scheme://host:port), its robots.txt is fetched through
`crawler.engine.download_async` (so it passes the portal guard, redirect handling and the WARC archive like any
other request) and the outcome decides every request to that host:

- 2xx: the rules, parsed by ROBOTSTXT_PARSER (Protego);
- 4xx (typically 404): no robots.txt, nothing is forbidden (RFC 9309 2.3.1.3);
- 5xx, no answer (refused connection, timeout, reset), or a redirect that cannot be followed (off the portal, a
  loop, too many hops): unreachable, everything is forbidden (RFC 9309 2.3.1.4; for redirects the RFC would
  allow treating them as 4xx, the crawl takes the cautious reading);
- not in the archive being replayed: the crawl that archived the pages already obeyed it, nothing is forbidden.

Written instead of subclassing Scrapy's RobotsTxtMiddleware, whose strictness could only be changed by
overriding its private methods. The robots.txt request is tried once: a retry would go out immediately
(download_async does not pass through the scheduler), and an unreachable robots.txt closes the host for this run.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured
from scrapy.http import Request
from scrapy.utils.misc import load_object

from govcrawl.archive.middlewares import ReplayMiss
from govcrawl.netguard import Refused

logger = logging.getLogger(__name__)


class RobotsRules:
    """What one host's robots.txt lets the crawl fetch."""

    def __init__(self, parser=None, *, forbid_all: str | None = None) -> None:
        self.parser = parser  # None with forbid_all None: no robots.txt, everything allowed
        self.forbid_all = forbid_all  # why nothing is allowed (robots.txt unreachable)

    def refusal(self, url: str, user_agent: str, origin: str) -> str | None:
        if self.forbid_all is not None:
            return f"robots.txt of {origin} is unreachable ({self.forbid_all}): RFC 9309 says assume complete disallow"
        if self.parser is not None and not self.parser.allowed(url, user_agent):
            return f"forbidden by robots.txt of {origin}"
        return None


class RobotsTxtMiddleware:
    def __init__(self, crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.parser_class = load_object(settings.get("ROBOTSTXT_PARSER"))
        self.rules: dict[str, asyncio.Task[RobotsRules]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return
        parts = urlsplit(request.url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.rules:
            self.rules[origin] = asyncio.ensure_future(self._fetch(origin, request))
        # shield: a cancelled download of one request must not cancel the fetch others wait for
        rules = await asyncio.shield(self.rules[origin])
        reason = rules.refusal(request.url, self.user_agent, origin)
        if reason is not None:
            self.crawler.stats.inc_value("robotstxt/forbidden")
            raise Refused(f"refused: {reason}")

    async def _fetch(self, origin: str, request: Request) -> RobotsRules:
        stats = self.crawler.stats
        robots = Request(f"{origin}/robots.txt", priority=1000, dont_filter=True,
                         meta={**{k: v for k, v in request.meta.items() if k == "govcrawl_page"},
                               "dont_obey_robotstxt": True, "dont_retry": True})
        stats.inc_value("robotstxt/request_count")
        try:
            response = await self.crawler.engine.download_async(robots)
        except ReplayMiss:
            return RobotsRules()
        except Exception as exc:  # noqa: BLE001 - every way of not getting an answer means "unreachable"
            stats.inc_value(f"robotstxt/exception_count/{type(exc).__name__}")
            return self._unreachable(origin, str(exc) if isinstance(exc, Refused) else f"{type(exc).__name__}: {exc}")
        stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        if response.status >= 500 or 300 <= response.status < 400:
            return self._unreachable(origin, f"HTTP {response.status}")
        if response.status >= 400:
            return RobotsRules()
        return RobotsRules(self.parser_class.from_crawler(self.crawler, response.body))

    @staticmethod
    def _unreachable(origin: str, reason: str) -> RobotsRules:
        logger.warning("robots.txt of %s is unreachable (%s): nothing on that host is fetched", origin, reason)
        return RobotsRules(forbid_all=reason)
