"""The report body of an HTML page: the CMS content container, its text, its attachments.

trafilatura prunes the tree it is given, so it gets a copy: metadata and tables are read from the original.
"""

from __future__ import annotations

import copy
import re
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from .model import Attachment
from .normalize import squash

# Content containers of the CMS families behind Chinese government portals, most specific first.
_CONTAINER_CLASSES = ("trs_editor", "trs_ueditor", "ucapcontent", "article-content", "article_content", "articlecontent",
                      "bt_content", "news_content", "pages_content", "content_text", "detail-content", "zw", "view")
_CONTAINER_IDS = ("zoom", "zoomcon", "ucapcontent", "ucap-content", "fontzoom", "article-content", "content_text", "nr")
_ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|ofd|zip|rar|jpe?g|png|gif|tiff?)$", re.I)
_MIN_BODY = 120  # chars of own text below which a page is a shell around its attachment(s)


# Comments and processing instructions are not content (CMS markers such as `<!-- TRS_PubDate -->` sit inside
# the info line) and would reach text code as nodes that are not elements: dropped at parse time. No network,
# no huge trees; libxml2's HTML parser never expands DTD entities (tests/fixtures/hostile proves it).
_PARSER = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, huge_tree=False)


def parse_html(text: str) -> lxml_html.HtmlElement:
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    try:
        return lxml_html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return lxml_html.document_fromstring(f"<html><body><pre>{_escape(text)}</pre></body></html>", parser=_PARSER)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def find_container(root: lxml_html.HtmlElement) -> lxml_html.HtmlElement | None:
    ranked: list[tuple[int, int, lxml_html.HtmlElement]] = []
    for el in root.iter("div", "td", "article", "section", "span"):
        classes = (el.get("class") or "").lower().split()
        ident = (el.get("id") or "").lower()
        rank = next((i for i, name in enumerate(_CONTAINER_CLASSES) if name in classes), None)
        if rank is None and ident in _CONTAINER_IDS:
            rank = len(_CONTAINER_CLASSES) + _CONTAINER_IDS.index(ident)
        if rank is None:
            continue
        size = len(el.text_content().strip())
        if size >= 20 or el.find(".//table") is not None or el.find(".//a") is not None:
            ranked.append((rank, -size, el))
    if not ranked:
        return None
    return min(ranked, key=lambda item: (item[0], item[1]))[2]


def body_text(root: lxml_html.HtmlElement, container: lxml_html.HtmlElement | None) -> str:
    """trafilatura on the container (all of it is content), or on the whole page with precision favoured."""
    if container is not None:
        # The container is the article: no need for trafilatura's fallback extractors and their comparison.
        text = trafilatura.extract(copy.deepcopy(container), include_tables=True, include_comments=False, favor_recall=True,
                                   deduplicate=False, fast=True)
        if text and len(text) >= min(len(container.text_content().strip()) // 3, 200):
            return text
        return "\n".join(line for line in (squash(t) for t in container.itertext()) if line)
    text = trafilatura.extract(copy.deepcopy(root), include_tables=True, include_comments=False, favor_precision=True)
    return text or ""


def attachments(root: lxml_html.HtmlElement, base_url: str | None) -> list[Attachment]:
    base = base_url or ""
    base_el = root.find(".//base")
    if base_el is not None and base_el.get("href"):
        base = urljoin(base, base_el.get("href"))
    found: dict[str, Attachment] = {}
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        path = urlsplit(href).path
        if not _ATTACHMENT_EXT.search(path):
            continue
        url = urljoin(base, href) if base else href
        if url not in found:
            found[url] = Attachment(url=url, text=squash(a.text_content()) or path.rsplit("/", 1)[-1])
    return list(found.values())


def is_attachment_shell(text: str, files: list[Attachment]) -> bool:
    """The page's own text is only a pointer to its attachment(s)."""
    if not files:
        return False
    own = text
    for f in files:
        own = own.replace(f.text, "")
    own = re.sub(r"附件\s*\d*\s*[:：]?|点击下载|下载|查看附件|[|\s]", "", own)
    return len(own) < _MIN_BODY
