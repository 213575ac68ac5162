"""What every platform adapter does: list a column's report links, its further pages, a page's attachments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

if TYPE_CHECKING:
    from parsel import Selector
    from scrapy.http import TextResponse

    from govcrawl.registry import PortalEntry

ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx")
# Cheap test on the raw bytes (ASCII, so it works whatever the page's charset): most report pages link no
# attachment, and parsing a 100 KB page just to find that out costs more than the rest of the spider.
ATTACHMENT_HINT = re.compile(rb"\.(?:pdf|docx?|wps|xlsx?)\b", re.IGNORECASE)
NEXT_PAGE_TEXTS = ("下一页", "下页", "尾页", "末页")
INDEX_PAGE = re.compile(r"/index_\d+\.s?html?$")
SKIPPED_SCHEMES = ("javascript:", "mailto:", "tel:", "#")


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    text: str


def is_attachment_url(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(ATTACHMENT_EXTENSIONS)


class PlatformAdapter:
    platform: ClassVar[str]

    def __init__(self, portal: PortalEntry) -> None:
        self.portal = portal
        self.selectors = portal.selectors

    # -- overridable per platform -------------------------------------------------------------------

    def is_report_link(self, link: Link) -> bool:
        raise NotImplementedError

    def next_pages(self, response: TextResponse) -> list[str]:
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------------------

    def report_links(self, response: TextResponse) -> list[Link]:
        """Items of the column that may be annual reports (the extractor decides which really are)."""
        if "report_links" in self.selectors:
            return self.links(response, self.selectors["report_links"])
        return [link for link in self.links(response, self._list_area()) if self.is_report_link(link)]

    def attachment_links(self, response: TextResponse) -> list[Link]:
        if not ATTACHMENT_HINT.search(response.body):
            return []
        links = self.links(response, "a[href]", href_filter=lambda href: ATTACHMENT_HINT.search(href.encode()))
        return [link for link in links if is_attachment_url(link.url)]

    def links(self, response: TextResponse, css: str, href_filter=None) -> list[Link]:
        """Absolute, de-duplicated links on allowed hosts, in page order."""
        seen: dict[str, Link] = {}
        for anchor in response.css(css):
            if anchor.root.tag != "a":
                anchor_nodes = anchor.css("a[href]")
            else:
                anchor_nodes = [anchor]
            for node in anchor_nodes:
                if href_filter is not None and not href_filter(node.attrib.get("href") or ""):
                    continue
                link = self._link(response, node)
                if link is not None and link.url not in seen:
                    seen[link.url] = link
        return list(seen.values())

    def _link(self, response: TextResponse, node: Selector) -> Link | None:
        href = (node.attrib.get("href") or "").strip()
        if not href or href.lower().startswith(SKIPPED_SCHEMES):
            return None
        url = safe_url_string(response.urljoin(href), encoding="utf-8").split("#", 1)[0]
        if urlsplit(url).scheme not in ("http", "https") or not self.portal.allows(url):
            return None
        text = " ".join(" ".join(node.css("::text").getall()).split())
        title = (node.attrib.get("title") or "").strip()
        return Link(url=url, text=title if len(title) > len(text) else text)

    def _list_area(self) -> str:
        area = self.selectors.get("list_area")
        return f"{area} a[href]" if area else "a[href]"

    def text_pagination(self, response: TextResponse) -> list[str]:
        """下一页/尾页 links and `index_N.html` siblings, the pagination most portals share."""
        if "next_page" in self.selectors:  # the portal's own selector names its pagination links outright
            return [link.url for link in self.links(response, self.selectors["next_page"])]
        pages = []
        for link in self.links(response, "a[href]"):
            if any(mark in link.text for mark in NEXT_PAGE_TEXTS) or INDEX_PAGE.search(urlsplit(link.url).path):
                if not is_attachment_url(link.url):
                    pages.append(link.url)
        return pages
