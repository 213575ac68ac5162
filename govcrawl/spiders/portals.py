"""The `portals` spider: list each portal's annual-report columns through its platform adapter, fetch
every candidate item and the attachments of document pages, and yield one FetchedPage per response."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from extractors.decode import DecodeError, decode

from govcrawl.adapters import PlatformAdapter, adapter_for
from govcrawl.adapters.base import Link, is_attachment_url
from govcrawl.archive.middlewares import META_FETCHED_AT, META_HEADERS, META_WARC, reason_phrase
from govcrawl.harvest import AlreadyHarvested
from govcrawl.items import FetchedPage
from govcrawl.registry import PortalEntry, load_registry, select_portals
from govcrawl.settings import REPLAY_SETTINGS

META_PAGE = "govcrawl_page"  # {portal, kind, parent_url, parent_kind, link_text, list_depth}


class PortalsSpider(scrapy.Spider):
    name = "portals"

    portals: list[PortalEntry]
    adapters: dict[str, PlatformAdapter]
    max_list_pages: int
    replay: str | None

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        registry = load_registry(kwargs.get("registry") or crawler.settings.get("GOVCRAWL_REGISTRY"))
        spider.portals = select_portals(registry, kwargs.get("portal"))
        spider.adapters = {p.id: adapter_for(p) for p in spider.portals}
        spider.max_list_pages = crawler.settings.getint("GOVCRAWL_MAX_LIST_PAGES")
        replay = kwargs.get("replay") or crawler.settings.get("GOVCRAWL_REPLAY")
        spider.replay = str(Path(replay).resolve()) if replay else None
        if spider.replay:
            crawler.settings.set("GOVCRAWL_REPLAY", spider.replay, priority="cmdline")
            for name, value in REPLAY_SETTINGS.items():
                crawler.settings.set(name, value, priority="spider")
        # Scrapy's OffsiteMiddleware enforces the union; adapters enforce each portal's own hosts.
        spider.allowed_domains = sorted({h.split(":")[0] for p in spider.portals for h in p.allowed_hosts})
        return spider

    async def start(self):
        for portal in self.portals:
            if portal.robots_exception:
                self.logger.warning("Portal %s ignores robots.txt: %s", portal.id, portal.robots_exception.reason)
            for url in portal.column_urls:
                yield self._request(portal, url, "list", self.parse_column)

    def _request(self, portal: PortalEntry, url: str, kind: str, callback, *, parent: Response | None = None,
                 link: Link | None = None) -> Request:
        parent_info = parent.meta.get(META_PAGE, {}) if parent is not None else {}
        meta: dict[str, Any] = {
            META_PAGE: {
                "portal": portal.id,
                "kind": kind,
                "parent_url": parent.url if parent is not None else None,
                "parent_kind": parent_info.get("kind"),
                "link_text": link.text if link is not None else None,
                # how many list pages deep into the column (a runaway 下一页 chain stops at the limit)
                "list_depth": parent_info.get("list_depth", 0) + (kind == "list" and parent is not None),
            }
        }
        if portal.robots_exception:
            meta["dont_obey_robotstxt"] = True
        # Items before further list pages: the scheduler then holds one list page's worth of requests
        # instead of the whole column's (memory stays flat however long the column is).
        priority = 0 if kind == "list" else 1
        return Request(url, callback=callback, errback=self.on_error, meta=meta, priority=priority)

    # -- callbacks ----------------------------------------------------------------------------------

    def parse_column(self, response: Response):
        page = self._page(response)
        if not isinstance(response, TextResponse):
            page.error = f"not an HTML list page (Content-Type {page.content_type!r})"
            yield page
            return
        yield page
        portal = self._portal(response)
        adapter = self.adapters[portal.id]
        for link in adapter.report_links(response):
            if is_attachment_url(link.url):  # a column that links the PDF itself
                yield self._request(portal, link.url, "attachment", self.parse_attachment, parent=response, link=link)
            else:
                yield self._request(portal, link.url, "document", self.parse_document, parent=response, link=link)
        if response.meta[META_PAGE]["list_depth"] + 1 >= self.max_list_pages:
            self.logger.warning("Column of %s: not following pagination beyond %d list pages (at %s)",
                                portal.id, self.max_list_pages, response.url)
            return
        for url in adapter.next_pages(response):
            yield self._request(portal, url, "list", self.parse_column, parent=response)

    def parse_document(self, response: Response):
        page = self._page(response)
        if not isinstance(response, TextResponse):
            # The link led straight to a file: keep it raw, as an attachment of the column.
            page.kind = "attachment"
            yield page
            return
        yield page
        if page.error is None:
            portal = self._portal(response)
            for link in self.adapters[portal.id].attachment_links(response):
                yield self._request(portal, link.url, "attachment", self.parse_attachment, parent=response, link=link)

    def parse_attachment(self, response: Response):
        yield self._page(response)

    def on_error(self, failure: Failure):
        if failure.check(AlreadyHarvested):  # incremental harvest: the stored outcome stands
            return
        request = failure.request
        info = request.meta.get(META_PAGE, {})
        page = FetchedPage(
            portal_id=info.get("portal"),
            kind=info.get("kind", "document"),
            url=request.url,
            parent_url=info.get("parent_url"),
            parent_kind=info.get("parent_kind"),
            link_text=info.get("link_text"),
            error=_describe_failure(failure),
        )
        if isinstance(failure.value, HttpError):
            response = failure.value.response
            page = self._page(response)
            page.error = _describe_failure(failure)
        self.crawler.stats.inc_value("govcrawl/failed_pages")
        self.crawler.stats.inc_value(f"govcrawl/harvest/failed/{page.portal_id}")
        self.logger.warning("Failed %s: %s", request.url, page.error)
        yield page

    # -- helpers ------------------------------------------------------------------------------------

    def _portal(self, response: Response) -> PortalEntry:
        portal_id = response.meta[META_PAGE]["portal"]
        return next(p for p in self.portals if p.id == portal_id)

    def _page(self, response: Response) -> FetchedPage:
        info = response.meta.get(META_PAGE, {})
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        page = FetchedPage(
            portal_id=info.get("portal"),
            kind=info.get("kind", "document"),
            url=response.meta.get("redirect_urls", [response.url])[0],  # the URL asked for, before redirects
            final_url=response.url,
            status=response.status,
            headers=list(response.meta.get(META_HEADERS, [])),
            body=response.body,
            content_type=content_type,
            fetched_at=response.meta.get(META_FETCHED_AT),
            warc=response.meta.get(META_WARC),
            parent_url=info.get("parent_url"),
            parent_kind=info.get("parent_kind"),
            link_text=info.get("link_text"),
        )
        # Document pages are decoded by the extractor in its worker (ExtractPipeline); list pages here.
        if page.kind == "list" and isinstance(response, TextResponse):
            try:  # the extractor's own decoding decision, so every page row says the same
                _, page.encoding, _ = decode(response.body, {"Content-Type": content_type or ""})
            except DecodeError as exc:
                page.error = f"undecodable body: {exc} (url {response.url})"
        return page


def _describe_failure(failure: Failure) -> str:
    exc = failure.value
    if isinstance(exc, HttpError):
        response = exc.response
        retries = failure.request.meta.get("retry_times", 0)
        return f"HTTP {response.status} {reason_phrase(response.status)}".strip() + (
            f" after {retries} retries" if retries else "")
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"

