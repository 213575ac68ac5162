"""TRS WCM portals: documents are named tYYYYMMDD_N.html and pagination is written by a script,
`createPageHTML(count, current, "index", "html")` (newer templates: `createPageHTML("div", count, current,
"index", "html", total)`), so the page links exist only in that call's arguments."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from govcrawl.adapters.base import Link, PlatformAdapter

TRS_DOCUMENT = re.compile(r"/t\d{8}_\d+\.s?html?$")
CREATE_PAGE_HTML = re.compile(r"(\bfunction\s+)?\bcreatePageHTML\s*\(([^)]*)\)")
STRING_ARG = re.compile(r"""^(?:"([^"]*)"|'([^']*)')$""")
NUMBER_ARG = re.compile(r"^-?\d+$")
IDENTIFIER = re.compile(r"^[A-Za-z_$][\w$]*$")
# `var countPage = 5`, `currentPage = 0;`, `var sPageName = "index";` (ended by ; , } a newline or a comment)
ASSIGNMENT = r"""(?<![\w$.])%s\s*=(?!=)\s*(?:"([^"]*)"|'([^']*)'|(-?\d+))(?=\s*(?:[;,}\r\n]|//|/\*|$))"""


def _split_arguments(text: str) -> list[str]:
    """The call's argument list split at its top-level commas (not those inside quotes)."""
    args, current, quote = [], [], None
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
            current.append(char)
        elif char == ",":
            args.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    args.append("".join(current).strip())
    return args if any(args) else []


def _assigned_value(script: str, name: str, before: int) -> str | int | None:
    """The value last assigned to `name` (an integer or string literal) before the call, else anywhere."""
    matches = list(re.finditer(ASSIGNMENT % re.escape(name), script))
    if not matches:
        return None
    preceding = [match for match in matches if match.start() < before]
    dq, sq, number = (preceding or matches)[-1].groups()
    return int(number) if number is not None else (dq if dq is not None else sq)


def _argument_value(script: str, arg: str, before: int) -> str | int | None:
    if NUMBER_ARG.match(arg):
        return int(arg)
    if literal := STRING_ARG.match(arg):
        dq, sq = literal.groups()
        return dq if dq is not None else sq
    if IDENTIFIER.match(arg):
        return _assigned_value(script, arg, before)
    return None  # an expression: not worked out


def _as_int(value: str | int | None) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and NUMBER_ARG.match(value.strip()):
        return int(value.strip())
    return None


def parse_create_page_html(script: str) -> tuple[int, int, str, str] | None:
    """(page count, current page, file prefix, suffix) from the first createPageHTML(...) call.

    Arguments may be literals or names of variables the page's scripts assign an integer or a string to:
    `var countPage = 5; var currentPage = 0; createPageHTML(countPage, currentPage, "index", "html");`
    """
    for match in CREATE_PAGE_HTML.finditer(script):
        if match.group(1):
            continue  # the function's own definition, whose parameters are names
        args = [_argument_value(script, arg, match.start()) for arg in _split_arguments(match.group(2))]
        if len(args) >= 5 and isinstance(args[0], str) and _as_int(args[0]) is None:
            args = args[1:]  # newer templates lead with the id of the element to write into
        if len(args) < 4:
            continue
        count, current, prefix, suffix = _as_int(args[0]), _as_int(args[1]), args[2], args[3]
        if count is not None and current is not None and isinstance(prefix, str) and isinstance(suffix, str):
            return count, current, prefix, suffix
    return None


class TrsAdapter(PlatformAdapter):
    platform = "trs"

    def is_report_link(self, link: Link) -> bool:
        # Every document of an annual-report column is a candidate, whatever its title says (the extractor
        # tells reports from notices); the column's navigation links to other columns are not.
        return bool(TRS_DOCUMENT.search(urlsplit(link.url).path))

    def next_pages(self, response) -> Iterator[str]:
        parsed = parse_create_page_html("\n".join(response.css("script::text").getall()))
        if parsed is None or parsed[0] < 2:
            yield from self.text_pagination(response)
            return
        count, _current, prefix, suffix = parsed
        # Page 0 is the column itself, where the crawl of this column started. A generator: the count is the
        # page's word (createPageHTML(10000000, ...) has been seen), the spider takes only what the limit allows.
        for number in range(1, count):
            yield response.urljoin(f"{prefix}_{number}.{suffix}")
