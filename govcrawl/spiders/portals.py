"""The `portals` spider: list each portal's annual-report columns through its platform adapter, fetch
every candidate item and the attachments of document pages, and yield one FetchedPage per response."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import scrapy
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from extractors.decode import DecodeError, decode
from govcrawl.adapters import PlatformAdapter, adapter_for
from govcrawl.adapters.base import ATTACHMENT_HINT, Link, is_attachment_url
from govcrawl.archive.middlewares import (
    META_FETCHED_AT,
    META_HEADERS,
    META_WARC,
    reason_phrase,
)
from govcrawl.config import plan_crawl
from govcrawl.harvest import AlreadyHarvested
from govcrawl.items import FetchedPage
from govcrawl.netguard import Refused
from govcrawl.registry import PortalEntry
from govcrawl.settings import REPLAY_SETTINGS

META_PAGE = "govcrawl_page"  # {portal, kind, parent_url, parent_kind, link_text, column}


class PortalsSpider(scrapy.Spider):
    name = "portals"

    portals: list[PortalEntry]
    adapters: dict[str, PlatformAdapter]
    max_list_pages: int
    replay: str | None
    # list page URLs requested per (portal, column): the GOVCRAWL_MAX_LIST_PAGES bound, whatever the pages' depth
    list_pages: dict[tuple[str, str], set[str] | None]

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Unknown arguments, registry, portal ids and replay source: a ConfigError naming the input.
        plan = plan_crawl(kwargs, crawler.settings.get("GOVCRAWL_REGISTRY"), crawler.settings.get("GOVCRAWL_REPLAY"))
        spider.portals = plan.portals
        spider.adapters = {p.id: adapter_for(p) for p in spider.portals}
        spider.max_list_pages = crawler.settings.getint("GOVCRAWL_MAX_LIST_PAGES")
        spider.replay = plan.replay
        if spider.replay:
            crawler.settings.set("GOVCRAWL_REPLAY", spider.replay, priority="cmdline")
            for name, value in REPLAY_SETTINGS.items():
                crawler.settings.set(name, value, priority="spider")
        spider.list_pages = {}
        return spider

    async def start(self):
        for portal in self.portals:
            if portal.robots_exception:
                self.logger.warning("Portal %s ignores robots.txt: %s", portal.id, portal.robots_exception.reason)
            for url in portal.column_urls:
                self.list_pages[portal.id, url] = {url}
                yield self._request(portal, url, "list", self.parse_column)

    def portal_for(self, request: Request) -> PortalEntry | None:
        """The portal a request was made for (every request of the crawl carries it), else None."""
        portal_id = request.meta.get(META_PAGE, {}).get("portal")
        return next((p for p in self.portals if p.id == portal_id), None)

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
                # the column (its first list page) this request was found under
                "column": parent_info.get("column", url),
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
        listing = self._decoded(response, page)
        yield page
        if listing is None:
            return
        portal = self._portal(response)
        adapter = self.adapters[portal.id]
        for link in adapter.report_links(listing):
            if is_attachment_url(link.url):  # a column that links the PDF itself
                yield self._request(portal, link.url, "attachment", self.parse_attachment, parent=response, link=link)
            else:
                yield self._request(portal, link.url, "document", self.parse_document, parent=response, link=link)
        yield from self._pagination(portal, response, adapter.next_pages(listing))

    def _pagination(self, portal: PortalEntry, response: Response, next_pages: Iterable[str]):
        """Requests for the column's further list pages, at most GOVCRAWL_MAX_LIST_PAGES per column in all;
        `next_pages` is consumed lazily, so a page count of ten million costs nothing beyond the limit."""
        column = response.meta[META_PAGE]["column"]
        requested = self.list_pages.get((portal.id, column))
        for url in next_pages:
            if requested is None:  # the limit was reached and recorded
                return
            if url in requested:
                continue
            if len(requested) >= self.max_list_pages:
                self.list_pages[portal.id, column] = None  # the sets of finished columns are not kept
                yield self._refused(portal, url, "list", response,
                                    f"refused: column {column} reached GOVCRAWL_MAX_LIST_PAGES "
                                    f"({self.max_list_pages} list pages); this and any further list pages "
                                    "are not fetched")
                return
            requested.add(url)
            yield self._request(portal, url, "list", self.parse_column, parent=response)

    def parse_document(self, response: Response):
        page = self._page(response)
        if not isinstance(response, TextResponse):
            # The link led straight to a file: keep it raw, as an attachment of the column.
            page.kind = "attachment"
            yield page
            return
        yield page
        if page.error is None and ATTACHMENT_HINT.search(response.body):
            portal = self._portal(response)
            document = self._decoded(response, FetchedPage(portal.id, "document", response.url))
            for link in self.adapters[portal.id].attachment_links(document) if document is not None else ():
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
            url=request.meta.get("redirect_urls", [request.url])[0],  # the URL asked for, before redirects
            final_url=request.url if request.meta.get("redirect_urls") else None,  # the hop that failed
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

    def _refused(self, portal: PortalEntry, url: str, kind: str, parent: Response, reason: str) -> FetchedPage:
        """The row of a URL the crawl decided not to request."""
        self.crawler.stats.inc_value("govcrawl/failed_pages")
        self.logger.warning("Not fetched %s: %s", url, reason)
        return FetchedPage(portal_id=portal.id, kind=kind, url=url, parent_url=parent.url,
                           parent_kind=parent.meta[META_PAGE].get("kind"), error=reason)

    @staticmethod
    def _decoded(response: TextResponse, page: FetchedPage) -> TextResponse | None:
        """The page as the extractor decodes it (extractors.decode: the page's own charset over the header), for
        reading its links: Scrapy's TextResponse lets a wrong header charset win. Sets page.encoding, or
        page.error when the body is not text."""
        try:
            text, page.encoding, _ = decode(response.body, {"Content-Type": page.content_type or ""})
        except DecodeError as exc:
            page.error = f"undecodable body: {exc} (url {response.url})"
            return None
        return response.replace(body=text.encode("utf-8"), encoding="utf-8")

    def _portal(self, response: Response) -> PortalEntry:
        portal_id = response.meta[META_PAGE]["portal"]
        return next(p for p in self.portals if p.id == portal_id)

    def _page(self, response: Response) -> FetchedPage:
        info = response.meta.get(META_PAGE, {})
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        return FetchedPage(
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


def _describe_failure(failure: Failure) -> str:
    exc = failure.value
    if isinstance(exc, Refused):
        return str(exc)
    if isinstance(exc, HttpError):
        response = exc.response
        retries = failure.request.meta.get("retry_times", 0)
        return f"HTTP {response.status} {reason_phrase(response.status)}".strip() + (
            f" after {retries} retries" if retries else "")
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"

