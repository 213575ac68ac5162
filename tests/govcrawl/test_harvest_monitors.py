"""The stored-item monitor: spidermon's validation pipeline with govcrawl's page schema, and the monitor
that fails the night on any page that does not fit it."""

from __future__ import annotations

from typing import ClassVar

from scrapy.utils.test import get_crawler
from spidermon import MonitorSuite
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline
from spidermon.runners import MonitorRunner

from extractors.model import Report
from govcrawl.harvest import monitors as harvest_monitors
from govcrawl.harvest.runner import HARVEST_SETTINGS
from govcrawl.items import FetchedPage


class Suite(MonitorSuite):
    monitors: ClassVar[list] = [harvest_monitors.StoredItemsMonitor]  # not imported by name: pytest would collect it


def _run(pages: list[FetchedPage]):
    crawler = get_crawler(settings_dict={k: v for k, v in HARVEST_SETTINGS.items() if k.startswith("SPIDERMON")})
    crawler.stats.open_spider()
    pipeline = ItemValidationPipeline.from_crawler(crawler)
    for page in pages:
        page.seal()
        pipeline.process_item(page)
        crawler.stats.inc_value("item_scraped_count")
    result = MonitorRunner().run(Suite(crawler=crawler), stats=crawler.stats.get_stats(), crawler=crawler,
                                 spider=None, job=None, stats_history=[])
    return result.monitor_results[0]


def _page(**fields) -> FetchedPage:
    values = {"portal_id": "220200-szf", "kind": "document", "url": "http://www.jlcity.gov.cn/a.html", "status": 200,
              "body": b"<html></html>"}
    return FetchedPage(**{**values, **fields})


def test_pages_that_fit_the_schema_pass():
    report = Report(is_report=True, report_year=2023)
    outcome = _run([_page(report=report), _page(kind="list"), _page(status=None, error="TimeoutError: took too long")])
    assert outcome.status == "OK"


def test_a_page_that_does_not_fit_fails_naming_the_field():
    outcome = _run([_page(), _page(report=Report(is_report=True, report_year=1900))])
    assert outcome.status == "FAIL"
    assert "report.report_year" in outcome.reason
