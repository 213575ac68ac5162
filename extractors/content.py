"""The report body of an HTML page: the CMS content container, its text, its attachments.

trafilatura prunes the tree it is given, so it gets a copy: metadata and tables are read from the original.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from .model import Attachment
from .normalize import squash

# Content containers of the CMS families behind Chinese government portals, most specific first.
_CONTAINER_CLASSES = ("trs_editor", "trs_ueditor", "ucapcontent", "article-content", "article_content",
                      "articlecontent", "bt_content", "news_content", "pages_content", "content_text", "detail-content",
                      "zw", "view")
_CONTAINER_IDS = ("zoom", "zoomcon", "ucapcontent", "ucap-content", "fontzoom", "article-content", "content_text", "nr")
_ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|ofd|zip|rar|jpe?g|png|gif|tiff?)$", re.IGNORECASE)
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
    """The best-ranked content container that holds something (20 characters, a table or a link); among
    equals, the one with the most text."""
    candidates: list[tuple[int, int, lxml_html.HtmlElement]] = []  # (rank, document order, element)
    for el in root.iter("div", "td", "article", "section", "span"):
        classes, ident = el.get("class"), el.get("id")
        if not classes and not ident:
            continue
        rank = _class_rank(classes.lower()) if classes else None
        if rank is None and ident and ident.lower() in _CONTAINER_IDS:
            rank = len(_CONTAINER_CLASSES) + _CONTAINER_IDS.index(ident.lower())
        if rank is not None:
            candidates.append((rank, len(candidates), el))
    # Sizes only for the best rank that has a container holding something: text_content is the costly part.
    for rank in sorted({rank for rank, _, _ in candidates}):
        sized = [(len(el.text_content().strip()), order, el) for r, order, el in candidates if r == rank]
        holding = [(size, order, el) for size, order, el in sized
                   if size >= 20 or el.find(".//table") is not None or el.find(".//a") is not None]
        if holding:
            return min(holding, key=lambda item: (-item[0], item[1]))[2]
    return None


def _class_rank(classes: str) -> int | None:
    names = set(classes.split())
    return next((i for i, name in enumerate(_CONTAINER_CLASSES) if name in names), None)


def body_text(root: lxml_html.HtmlElement, container: lxml_html.HtmlElement | None,
              tables: Sequence[tuple[lxml_html.HtmlElement, str]] = ()) -> str:
    """trafilatura on the container (all of it is content), or on the whole page with precision favoured.

    `tables` are the container's leaf tables with the text the table reader already made of each: trafilatura
    reads the container without them (its fallback would otherwise walk every statistics table once more,
    most of its cost) and each table's text is written back at its place.
    """
    if container is not None:
        text = _container_text(container, tables)
        if text and len(text) >= min(len(container.text_content().strip()) // 3, 200):
            return text
        return "\n".join(line for line in (squash(t) for t in container.itertext()) if line)
    text = trafilatura.extract(copy.deepcopy(root), include_tables=True, include_comments=False, favor_precision=True)
    return text or ""


# The container is the article: no need for trafilatura's fallback extractors and their comparison.
CONTAINER_OPTIONS = {"include_tables": True, "include_comments": False, "favor_recall": True, "deduplicate": False,
                     "fast": True}


def _container_text(container: lxml_html.HtmlElement,
                    tables: Sequence[tuple[lxml_html.HtmlElement, str]]) -> str | None:
    options = CONTAINER_OPTIONS
    tree = copy.deepcopy(container)
    if not tables:
        return trafilatura.extract(tree, **options)
    # The copy has the same shape as the container, so its tables are met in the same order.
    where = {id(table): i for i, (table, _) in enumerate(tables)}
    marks = {}
    for table, copied in zip(container.iter("table"), tree.iter("table"), strict=True):
        if id(table) in where:
            mark = f"govcrawltable{where[id(table)]}x{len(marks)}"
            marks[mark] = tables[where[id(table)]][1]
            placeholder = etree.Element("p")
            placeholder.text, placeholder.tail = mark, copied.tail
            copied.getparent().replace(copied, placeholder)
    text = trafilatura.extract(tree, **options) or ""
    if not all(mark in text for mark in marks):
        # trafilatura dropped a placeholder (never seen): read the container as it is
        return trafilatura.extract(copy.deepcopy(container), **options)

    def table_lines(m: re.Match) -> str:
        # text running on before or after the placeholder on its line: the table still gets lines of its own
        before = "\n" if m.start() > 0 and text[m.start() - 1] != "\n" else ""
        after = "\n" if m.end() < len(text) and text[m.end()] != "\n" else ""
        return before + marks[m.group(0)] + after

    return _MARK.sub(table_lines, text)


_MARK = re.compile(r"govcrawltable\d+x\d+")


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
