"""The pages the benchmarks run on: every page layout the repository keeps, and varied-number copies of the
seed report pages (so that no two report pages are byte-identical, as in a real harvest)."""

from __future__ import annotations

import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from govcrawl.seedsite.site import load_site

FIXTURES = REPO / "tests" / "fixtures"
SEED_REPORT_PATHS = ("t20150120_1129.html", "t20200114_687214.html", "t20150318_1290521.html",
                     "ShowArticle.asp?ArticleID=1187", "t20210129_4419863.html", "t20230120_6152847.html")
# A number alone in a table cell: <td ...>123</td>, possibly wrapped in <p>/<span>.
CELL_NUMBER = re.compile(rb"(<t[dh][^>]*>(?:\s*<[^>]+>)*\s*)(\d{1,6})(\s*(?:<[^>]+>\s*)*</t[dh]>)")


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    body: bytes
    url: str | None
    headers: dict[str, str]


def seed_report_pages() -> list[Page]:
    """The seed site's report pages (one per seed report), as the server sends them."""
    site = load_site(REPO / "seeds" / "site")
    pages = [Page(r.url, r.body, r.url, {k: v for k, v in r.headers if k.lower() != "content-length"})
             for r in site.values() if r.url.endswith(SEED_REPORT_PATHS)]
    if len(pages) < 5:
        raise SystemExit(f"expected the seed report pages in seeds/site, found {len(pages)}")
    return pages


def vary_numbers(body: bytes, rng: random.Random) -> bytes:
    return CELL_NUMBER.sub(lambda m: m.group(1) + str(rng.randint(0, 999)).encode() + m.group(3), body)


def html_layouts() -> list[Page]:
    """Every HTML page the repository keeps: fixture pages, layout variants, the seed site's pages."""
    pages = []
    for path in sorted((FIXTURES / "pages").glob("*.html")):
        meta = json.loads(path.with_suffix(".headers.json").read_text(encoding="utf-8"))
        pages.append(Page(f"pages/{path.name}", path.read_bytes(), meta["url"], meta["headers"]))
    variants = json.loads((FIXTURES / "variants" / "expected.json").read_text(encoding="utf-8"))
    for name, spec in sorted(variants.items()):
        if name.endswith(".html"):
            pages.append(Page(f"variants/{name}", (FIXTURES / "variants" / name).read_bytes(), spec["url"],
                              spec["headers"]))
    for r in sorted(load_site(REPO / "seeds" / "site").values(), key=lambda r: r.url):
        kind = next((v for k, v in r.headers if k.lower() == "content-type"), "")
        if r.status == 200 and "html" in kind:
            pages.append(Page(f"site/{r.url}", r.body, r.url, dict(r.headers)))
    return pages


def varied_report_pages(n: int, rng: random.Random) -> list[Page]:
    seeds = seed_report_pages()
    return [Page(f"varied/{i}:{seeds[i % len(seeds)].name}", vary_numbers(seeds[i % len(seeds)].body, rng),
                 seeds[i % len(seeds)].url, seeds[i % len(seeds)].headers) for i in range(n)]


def layouts_without_files() -> list[Page]:
    """html_layouts() but the pages that link report files: an archive made of them answers every request the
    crawl makes (it holds no files)."""
    from extractors import extract

    return [p for p in html_layouts() if not extract(p.body, url=p.url, headers=p.headers).attachments]
