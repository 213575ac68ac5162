"""Redirects that land on an already-fetched URL still reach the spider.

Stock Scrapy gives a redirected request its origin's dupefilter flag, so `old.html → 301 → new.html` after
`new.html` was fetched is dropped silently and `old.html` leaves no row. A redirect hop is never a
duplicate of the crawl's own choosing; REDIRECT_MAX_TIMES still bounds the chain.
"""

from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.http import Request


class RecordingRedirectMiddleware(RedirectMiddleware):
    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        redirected = super()._redirect(redirected, request, reason)
        redirected.dont_filter = True
        return redirected
