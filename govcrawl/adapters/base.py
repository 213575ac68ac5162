"""What every platform adapter does: list a column's report links, its further pages, a page's attachments."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

if TYPE_CHECKING:
    from parsel import Selector
    from scrapy.http import TextResponse

    from govcrawl.registry import PortalEntry

# Report files: PDF, Word, WPS, Excel, WPS spreadsheets and OFD (China's fixed-layout format; no reader yet,
# but fetched so that the page row says a report exists in that format).
ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd")
# Cheap test on the raw bytes (ASCII, so it works whatever the page's charset): most report pages link no
# attachment, and parsing a 100 KB page just to find that out costs more than the rest of the spider.
ATTACHMENT_HINT = re.compile(rb"\.(?:pdf|docx?|wps|xlsx?|et|ofd)\b", re.IGNORECASE)
NEXT_PAGE_TEXTS = ("下一页", "下页", "尾页", "末页")
# An anchor is a pager link only when its whole text is a pager word (a navigation link "下一页领导…" is not):
# 下一页, 下页, 后页, 尾页, 末页, 最后一页, optionally followed by an arrow, or an arrow alone (>, ›, », >>, >|).
PAGER_TEXT = re.compile(r"^(?:(?:下一?页|后一?页|尾页|末页|最后一?页|最末页)[>›»]{0,2}|[>›»]{1,2}\|?)$")
PAGER_TEXT_TRIM = "[]【】()（）<>"
# Elements that hold a list page's pagination: <div class="page">, <div id="page_div">, .pagination, .fenye ...
PAGER_AREA = re.compile(r"(?<![a-z])pag(?:e|er|es|ing|ination|bar|list|nav)?(?![a-z])|fenye|fanye|paging",
                        re.IGNORECASE)
INDEX_PAGE = re.compile(r"/index_\d+\.s?html?$")
# 年度报告, 年报, and titles that drop 年度: 2017年政府信息公开报告 / 政府信息公开工作报告
REPORT_TEXT = re.compile(r"年度报告|年报|信息公开(?:工作)?报告")
SKIPPED_SCHEMES = ("javascript:", "mailto:", "tel:", "#")


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    text: str


def is_pager_text(text: str) -> bool:
    """Whether an anchor's whole text is a pager word (下一页, 尾页, >, ...), brackets and spaces aside."""
    compact = "".join(text.split())
    if compact in (">", ">>", ">|"):
        return True
    return bool(compact) and bool(PAGER_TEXT.match(compact.strip(PAGER_TEXT_TRIM) or compact))


def directory_of(path: str) -> str:
    """The directory part of a URL path, with its trailing slash: /a/b/index_2.html -> /a/b/, /a/b/ -> /a/b/."""
    return path[: path.rfind("/") + 1] if "/" in path else "/"


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

    def next_pages(self, response: TextResponse) -> Iterable[str]:
        """The column's further list pages linked from this one, lazily: the spider stops taking them at
        GOVCRAWL_MAX_LIST_PAGES, however many a page announces."""
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------------------

    def report_links(self, response: TextResponse) -> list[Link]:
        """Items of the column that may be annual reports (the extractor decides which really are)."""
        if "report_links" in self.selectors:
            return self.links(response, self.selectors["report_links"])
        return [link for link in self.links(response, self._list_area()) if self.takes(link)]

    def takes(self, link: Link) -> bool:
        """The platform's rule, or a report file the column links itself, or the portal entry's
        `report_link_pattern` when it has one."""
        return self.is_report_link(link) or self.is_report_file(link) or self._matches_portal_pattern(link)

    @staticmethod
    def is_report_file(link: Link) -> bool:
        """A file (PDF, Word ...) the column links itself, named as a report: on every platform a candidate."""
        return is_attachment_url(link.url) and REPORT_TEXT.search(link.text) is not None

    def _matches_portal_pattern(self, link: Link) -> bool:
        pattern = self.portal.report_link_pattern
        return bool(pattern) and bool(re.search(pattern, link.text) or re.search(pattern, link.url))

    def skip_reason(self, link: Link) -> str:
        """Why the platform's rule does not take a link (for `govcrawl portal check`)."""
        return "not a report link by the platform's rule"

    def attachment_links(self, response: TextResponse) -> list[Link]:
        if not ATTACHMENT_HINT.search(response.body):
            return []
        links = self.links(response, "a[href]", href_filter=lambda href: ATTACHMENT_HINT.search(href.encode()))
        return [link for link in links if is_attachment_url(link.url)]

    def links(self, response: TextResponse, css: str, href_filter=None) -> list[Link]:
        """Absolute, de-duplicated links, in page order."""
        seen: dict[str, Link] = {}
        for anchor in response.css(css):
            anchor_nodes = anchor.css("a[href]") if anchor.root.tag != "a" else [anchor]
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
        # Links off the portal or to other schemes are kept: the crawl's guard refuses them with a page row
        # (govcrawl.netguard), so a report linked on another host is visible instead of silently skipped.
        url = safe_url_string(response.urljoin(href), encoding="utf-8").split("#", 1)[0]
        text = " ".join(" ".join(node.css("::text").getall()).split())
        title = (node.attrib.get("title") or "").strip()
        return Link(url=url, text=title if len(title) > len(text) else text)

    def _list_area(self) -> str:
        area = self.selectors.get("list_area")
        return f"{area} a[href]" if area else "a[href]"

    def text_pagination(self, response: TextResponse) -> list[str]:
        """下一页/尾页 links and `index_N.html` siblings, the pagination most portals share.

        Only links that stay in the column: `index_N.html` pages of the column's own directory, and anchors
        whose whole text is a pager word. When some of those sit in the page's pager area (div.page,
        #page_div, .pagination ...), only those are taken, so a stray match elsewhere on the page is not.
        """
        if "next_page" in self.selectors:  # the portal's own selector names its pagination links outright
            return [link.url for link in self.links(response, self.selectors["next_page"])]
        directories = self._column_directories(response)
        in_pager: dict[str, None] = {}
        elsewhere: dict[str, None] = {}
        for node in response.css("a[href]"):
            link = self._link(response, node)
            if link is None or is_attachment_url(link.url) or link.url in in_pager:
                continue
            parts = urlsplit(link.url)
            if INDEX_PAGE.search(parts.path):
                if (parts.netloc, directory_of(parts.path)) not in directories:
                    continue  # another column's list page: it would start a chain of its own
            elif not self._is_pager_anchor(node):
                continue
            if self._in_pager_area(node):
                in_pager[link.url] = None
            else:
                elsewhere.setdefault(link.url, None)
        return list(in_pager or elsewhere)

    @staticmethod
    def _is_pager_anchor(node: Selector) -> bool:
        text = " ".join(" ".join(node.css("::text").getall()).split())
        if text:
            return is_pager_text(text)
        # an image button: <a href="..." title="下一页"><img src="next.gif"></a>
        return is_pager_text(node.attrib.get("title") or "") or any(
            is_pager_text(alt) for alt in node.css("img::attr(alt)").getall())

    @staticmethod
    def _in_pager_area(node: Selector) -> bool:
        for ancestor in node.xpath("ancestor::*[@class or @id]"):
            if ancestor.root.tag in ("html", "body"):
                continue
            if PAGER_AREA.search(f"{ancestor.attrib.get('class', '')} {ancestor.attrib.get('id', '')}"):
                return True
        return False

    def _column_directories(self, response: TextResponse) -> set[tuple[str, str]]:
        """(host, directory) of the column the list page being parsed belongs to: the page's own directory."""
        here = urlsplit(response.url)
        directories = {(here.netloc, directory_of(here.path))}
        last = here.path.rsplit("/", 1)[-1]
        if last and "." not in last:  # /zwgk/ndbg served without its trailing slash
            directories.add((here.netloc, here.path + "/"))
        return directories
