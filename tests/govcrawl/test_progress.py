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
    assert caplog.messages == [("Progress: 220200-szf 3 page(s)/1 report(s); "
                                "371703-zxqyj 1 page(s)/0 report(s)/1 failed; 1 portal(s) not reached yet")]
