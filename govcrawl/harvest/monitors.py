"""The harvest's monitors (spidermon), run when the spider closes; `govcrawl harvest` stores their results
with the run, prints them, and fails the night when one fails.

* items: every stored page validates against govcrawl/harvest/page_schema.json (spidermon's
  ItemValidationPipeline counts the errors; StoredItemsMonitor fails on any);
* finish reason: the crawl ended with "finished" (not a shutdown, a timeout or an error);
* failed pages: at most GOVCRAWL_MONITOR_MAX_FAILED_RATIO of the pages handled failed;
* silent portals: a portal that gave report links in an earlier run and gives none now has most likely
  changed its column layout; the run fails naming it.

spidermon's own Scrapy extension cannot run them here: its runner (SpiderMonitorRunner) logs through
`Spider.log()`, which Scrapy 2.19 deprecates, so under `-W error` the ScrapyDeprecationWarning aborts the
suite before any monitor runs (spidermon 1.27). `MonitorsExtension` below runs the same spidermon suite
with spidermon's plain MonitorRunner instead; its ItemValidationPipeline works unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from scrapy import signals
from scrapy.exceptions import NotConfigured
from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.scrapy.monitors import FinishReasonMonitor
from spidermon.core.actions import Action
from spidermon.runners import MonitorRunner
from sqlalchemy import inspect, select

from govcrawl.db import models as m
from govcrawl.db.engine import make_engine, resolve_database_url
from govcrawl.harvest.incremental import report_links_stat

RESULTS_STAT = "govcrawl/monitors"
SILENT_STAT = "govcrawl/monitors/silent_portals"


@monitors.name("stored items")
class StoredItemsMonitor(Monitor):
    """spidermon's ItemValidationMonitor skips itself when no error stat exists, so a validation pipeline that
    never ran would pass unnoticed; this one also requires that every scraped page was validated."""

    @monitors.name("every stored page fits page_schema.json")
    def test_items_validate(self):
        stats = self.data.crawler.stats.get_stats()
        scraped, validated = stats.get("item_scraped_count", 0), stats.get("spidermon/validation/items", 0)
        if validated < scraped:
            self.fail(f"only {validated} of {scraped} pages were validated (is the validation pipeline on?)")
        prefix = "spidermon/validation/fields/errors/"
        errors = {k[len(prefix):]: v for k, v in stats.items() if k.startswith(prefix)}
        if errors:
            self.fail("pages not fitting the schema: " + ", ".join(f"{k} ({v})" for k, v in sorted(errors.items())))


@monitors.name("failed pages")
class FailedPagesMonitor(Monitor):
    @monitors.name("failed-page ratio")
    def test_failed_page_ratio(self):
        stats = self.data.crawler.stats
        night = _history(self.data.crawler).tonight
        failed = stats.get_value("govcrawl/failed_pages", 0) + sum(s.get("govcrawl/failed_pages", 0) for s in night)
        scraped = stats.get_value("item_scraped_count", 0) + sum(s.get("item_scraped_count", 0) for s in night)
        handled = failed + scraped
        limit = self.data.crawler.settings.getfloat("GOVCRAWL_MONITOR_MAX_FAILED_RATIO")
        ratio = failed / handled if handled else 0.0
        if ratio > limit:
            self.fail(f"{failed} of {handled} pages failed ({ratio:.0%} > {limit:.0%})")


@monitors.name("silent portals")
class SilentPortalMonitor(Monitor):
    @monitors.name("every portal that gave report links before still gives some")
    def test_no_portal_went_silent(self):
        crawler = self.data.crawler
        stats = crawler.stats
        history = _history(crawler)
        tonight = {p: stats.get_value(report_links_stat(p), 0) for p in (p.id for p in crawler.spider.portals)}
        for run_stats in history.tonight:
            for portal in tonight:
                tonight[portal] += run_stats.get(report_links_stat(portal), 0)
        silent = sorted(p for p, links in tonight.items() if p in history.portals_with_links and not links)
        stats.set_value(SILENT_STAT, silent)
        if silent:
            self.fail("no report links from " + ", ".join(silent) + " (links in earlier runs: has the column "
                      "layout changed?)")


@dataclass
class History:
    portals_with_links: set[str] = field(default_factory=set)  # in the runs up to the last finished one
    tonight: list[dict] = field(default_factory=list)  # stats of the interrupted runs since: this night's too


def _history(crawler) -> History:
    """Earlier runs: a night stopped and resumed is several runs, and counts as one."""
    history = History()
    engine = make_engine(resolve_database_url(crawler.settings.get("DATABASE_URL")))
    try:
        if "crawl_runs" not in inspect(engine).get_table_names():
            return history
        with engine.connect() as conn:
            rows = conn.execute(select(m.CrawlRun.finish_reason, m.CrawlRun.portal_counts, m.CrawlRun.stats)
                                .where(m.CrawlRun.id != crawler.stats.get_value("govcrawl/run_id"))
                                .order_by(m.CrawlRun.id)).all()
    finally:
        engine.dispose()
    for reason, counts, stats in rows:
        if reason == "finished":
            history.portals_with_links.update(p for p, c in (counts or {}).items() if c.get("report_links"))
            history.tonight.clear()
        elif stats:
            history.tonight.append(stats)
    return history


class KeepResults(Action):
    """Put the outcome of every monitor into the crawl stats, where `govcrawl harvest` reads them."""

    def run_action(self):
        stats = self.data.crawler.stats
        results = []
        for item in self.result.monitor_results:
            monitor = item.item
            result = {"name": monitor.name, "status": item.status.lower(), "detail": item.reason or ""}
            if isinstance(monitor, SilentPortalMonitor):
                result["portals"] = stats.get_value(SILENT_STAT, [])
            results.append(result)
        stats.set_value(RESULTS_STAT, results)


class HarvestMonitors(MonitorSuite):
    monitors: ClassVar[list] = [StoredItemsMonitor, FinishReasonMonitor, FailedPagesMonitor, SilentPortalMonitor]
    monitors_finished_actions: ClassVar[list] = [KeepResults]


class MonitorsExtension:
    """Run HarvestMonitors when the spider closes (enabled by GOVCRAWL_MONITORS)."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("GOVCRAWL_MONITORS"):
            raise NotConfigured
        return cls(crawler)

    def spider_closed(self, spider, reason: str) -> None:
        # CoreStats (connected first) has set finish_reason by now.
        MonitorRunner().run(HarvestMonitors(crawler=self.crawler), stats=self.crawler.stats.get_stats(),
                            stats_history=[], crawler=self.crawler, spider=spider, job=None)
