"""Per-portal progress: each scraped page counts for its portal, and a long run logs a line naming them."""

from __future__ import annotations

import logging

from scrapy.utils.test import get_crawler

from extractors.model import Report
from govcrawl.items import FetchedPage
from govcrawl.progress import PortalProgress, portal_counts
from govcrawl.spiders.portals import PortalsSpider


def test_progress_counts_pages_reports_and_failures_per_portal(caplog):
    crawler = get_crawler(PortalsSpider, {"GOVCRAWL_PROGRESS_SECONDS": 60})
    spider = PortalsSpider.from_crawler(crawler, registry="demo", portal="220200-szf,371703-zxqyj,152501-szf")
    progress = PortalProgress.from_crawler(crawler)
    pages = [
        FetchedPage("220200-szf", "list", "http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/index.html", status=200),
        FetchedPage("220200-szf", "document", "http://www.jlcity.gov.cn/a.html", status=200,
                    report=Report(is_report=True)),
        FetchedPage("220200-szf", "document", "http://www.jlcity.gov.cn/b.html", status=200,
                    report=Report(is_report=False)),
        FetchedPage("371703-zxqyj", "document", "http://dt.smesd.gov.cn/x", error="HTTP 404 Not Found"),
    ]
    for page in pages:
        progress.item_scraped(page, None, spider)
    assert portal_counts(crawler.stats, "220200-szf") == {"pages": 3, "reports": 1, "failed": 0}
    assert portal_counts(crawler.stats, "371703-zxqyj") == {"pages": 1, "reports": 0, "failed": 1}
    with caplog.at_level(logging.INFO, logger="govcrawl.progress"):
        progress.log_progress(spider)
        progress.item_scraped(FetchedPage("152501-szf", "list", "http://www.elht.gov.cn/x", status=200), None, spider)
        progress.log_progress(spider)
        progress.log_progress(spider)
    assert caplog.messages == [
        ("Progress: 4 page(s), 1 report(s), 1 failed; 2 of 3 portal(s) reached; "
         "220200-szf 3 page(s)/1 report(s); 371703-zxqyj 1 page(s)/0 report(s)/1 failed"),
        "Progress: 5 page(s), 1 report(s), 1 failed; 3 of 3 portal(s) reached; 152501-szf 1 page(s)/0 report(s)",
        "Progress: 5 page(s), 1 report(s), 1 failed; 3 of 3 portal(s) reached; no change",
    ]


def test_the_summary_names_pages_the_store_could_not_write():
    from crawlkit import SEEDS

    from govcrawl.db.store import BatchResult
    from govcrawl.registry import load_registry
    from govcrawl.summary import format_summary

    crawler = get_crawler(PortalsSpider)
    portal = load_registry(SEEDS / "portals")["371703-zxqyj"]
    crawler.stats.set_value("govcrawl/portal/371703-zxqyj/pages", 3)
    crawler.stats.set_value("govcrawl/spooled_pages", 2)
    crawler.stats.set_value("govcrawl/lost_pages", 1)
    run = BatchResult(pages=3, reports=1, cells=70)
    text = format_summary(portals=[portal], run=run, before={"reports": 1, "report_cells": 70, "pages": 2},
                          after={"reports": 1, "report_cells": 70, "pages": 3}, stats=crawler.stats,
                          database="sqlite:///x.db", archive="archive", replay=False, archive_files=1,
                          reason="shutdown")
    assert text.splitlines() == [
        ("Crawl stopped (shutdown): 1 portal(s), 3 page(s), 1 report(s), 70 cell(s), 0 failed check(s), "
         "0 failed page(s), 2 page(s) spooled, 1 page(s) LOST"),
        "  new rows: 0 report(s), 0 cell(s), 1 page(s); already stored: 1 report(s), 70 cell(s), 2 page(s)",
        "  371703-zxqyj  3 page(s), 0 report(s), 0 failed  菏泽市定陶区中小企业局 信息公开年报",
        "  database: sqlite:///x.db (now holds 1 report(s), 70 cell(s), 3 page(s))",
        "  archive:  archive (1 WARC file(s) written)",
    ]
