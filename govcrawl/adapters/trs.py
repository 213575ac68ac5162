"""TRS WCM portals: documents are named tYYYYMMDD_N.html and pagination is written by a script,
`createPageHTML(count, current, "index", "html")` (newer templates: `createPageHTML("div", count, current,
"index", "html", total)`), so the page links exist only in that call's arguments."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from govcrawl.adapters.base import Link, PlatformAdapter

TRS_DOCUMENT = re.compile(r"/t\d{8}_\d+\.s?html?$")
CREATE_PAGE_HTML = re.compile(r"createPageHTML\s*\(([^)]*)\)")
ARGUMENT = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|(-?\d+))\s*(?:,|$)""")


def parse_create_page_html(script: str) -> tuple[int, int, str, str] | None:
    """(page count, current page, file prefix, suffix) from the first createPageHTML(...) call."""
    # The page usually also carries the function's own definition, whose parameters are names: skip it.
    for match in CREATE_PAGE_HTML.finditer(script):
        args: list[str | int] = []
        for arg in ARGUMENT.finditer(match.group(1)):
            dq, sq, number = arg.groups()
            args.append(int(number) if number is not None else (dq if dq is not None else sq))
        if len(args) >= 5 and isinstance(args[0], str):
            args = args[1:]  # newer templates lead with the id of the element to write into
        if len(args) < 4:
            continue
        count, current, prefix, suffix = args[:4]
        if isinstance(count, int) and isinstance(current, int) and isinstance(prefix, str) and isinstance(suffix, str):
            return count, current, prefix, suffix
    return None


class TrsAdapter(PlatformAdapter):
    platform = "trs"

    def is_report_link(self, link: Link) -> bool:
        # Every document of an annual-report column is a candidate, whatever its title says (the extractor
        # tells reports from notices); the column's navigation links to other columns are not.
        return bool(TRS_DOCUMENT.search(urlsplit(link.url).path))

    def next_pages(self, response) -> list[str]:
        pages: list[str] = []
        parsed = parse_create_page_html(" ".join(response.css("script::text").getall()))
        if parsed is not None:
            count, _current, prefix, suffix = parsed
            # Page 0 is the column itself, where the crawl of this column started.
            pages = [response.urljoin(f"{prefix}_{number}.{suffix}") for number in range(1, count)]
        return [url for url in pages if self.portal.allows(url)] or self.text_pagination(response)
