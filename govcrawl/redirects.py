"""HTTP redirects and meta refreshes, followed as new requests that the portal guard checks like any other.

Written on the public middleware API instead of subclassing Scrapy's RedirectMiddleware/MetaRefreshMiddleware,
whose hop bookkeeping lives in a private method. What differs from them:

- a hop is never dropped as a duplicate (dont_filter): `old.html → 301 → new.html` after `new.html` was fetched
  still gives `old.html` its row; a loop is refused by name instead, and REDIRECT_MAX_TIMES bounds the chain;
- a hop to another scheme (ftp:, file:) is not silently answered with the 3xx response: it is handed to the guard,
  which refuses it with its reason, as it does a hop off the portal's hosts or to a private address;
- a meta refresh is read from the text decoded the way the extractor decodes the page (one decoding decision),
  and only on a 200 page (an error page's refresh to the home page is not the document).

It sits after HttpCompressionMiddleware (590) in the response chain so a meta refresh is read from the
decompressed body; `redirect_urls`/`redirect_reasons` keep Scrapy's meaning, so the spider records the URL asked
for with the final URL.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request, Response
from w3lib.html import get_meta_refresh
from w3lib.url import safe_url_string

from extractors.decode import DecodeError, decode
from govcrawl.netguard import Refused

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Cheap tests on the raw bytes before decoding a page to look for <meta http-equiv="refresh">: the word first
# (a case-insensitive regular expression over every page cost more CPU than the rest of the replay's download
# path), then the attribute.
REFRESH_HINT = re.compile(rb"http-equiv\s*=\s*[\"']?\s*refresh", re.IGNORECASE)


class PortalRedirectMiddleware:
    def __init__(self, crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("REDIRECT_ENABLED"):
            raise NotConfigured
        self.max_hops = settings.getint("REDIRECT_MAX_TIMES")
        self.follow_refresh = settings.getbool("METAREFRESH_ENABLED")
        self.refresh_max_delay = settings.getfloat("METAREFRESH_MAXDELAY")
        self.refresh_ignore_tags = settings.getlist("METAREFRESH_IGNORE_TAGS")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_redirect"):
            return response
        if response.status in REDIRECT_STATUSES and b"Location" in response.headers:
            location = safe_url_string(response.headers[b"Location"].decode("latin-1"))
            return self._follow(request, urljoin(request.url, location), response.status)
        if self.follow_refresh and response.status == 200 and isinstance(response, HtmlResponse):
            target = self._meta_refresh(response)
            if target is not None:
                return self._follow(request, target, "meta refresh")
        return response

    def _meta_refresh(self, response: HtmlResponse) -> str | None:
        head = response.body[:65536]
        if b"refresh" not in head.lower() or not REFRESH_HINT.search(head):
            return None
        try:
            text, _, _ = decode(head, {"Content-Type": response.headers.get(b"Content-Type", b"")
                                                        .decode("latin-1")})
        except DecodeError:
            return None
        delay, url = get_meta_refresh(text, response.url, ignore_tags=self.refresh_ignore_tags)
        if url is None or delay is None or delay >= self.refresh_max_delay:
            return None
        return safe_url_string(url)

    def _follow(self, request: Request, url: str, reason: int | str) -> Request:
        url = url.split("#", 1)[0]
        hops = [*request.meta.get("redirect_urls", []), request.url]
        what = "meta refresh" if reason == "meta refresh" else f"redirect ({reason})"
        if url in hops:
            raise Refused(f"refused: redirect loop: {' -> '.join([*hops, url])}")
        if len(hops) > self.max_hops:
            raise Refused(f"refused: {what} to {url}: more than REDIRECT_MAX_TIMES ({self.max_hops}) hops")
        meta = {**request.meta, "redirect_urls": hops,
                "redirect_reasons": [*request.meta.get("redirect_reasons", []), reason]}
        return request.replace(url=url, method="GET", body=b"", meta=meta, dont_filter=True)
