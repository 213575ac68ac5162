"""Per-portal counts of a crawl (stats `govcrawl/portal/<id>/<what>`) and a progress line while it runs.

Scrapy's LogStats prints one all-portals line ("Crawled N pages"); for a run over many portals the user wants
to see which ones move. The same counts feed the per-portal lines of the summary (govcrawl.summary).
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.utils.asyncio import create_looping_call

from govcrawl.items import FetchedPage

logger = logging.getLogger(__name__)
KINDS = ("pages", "reports", "failed")


def portal_stat(portal_id: str | None, what: str) -> str:
    return f"govcrawl/portal/{portal_id}/{what}"


def portal_counts(stats, portal_id: str) -> dict[str, int]:
    return {what: stats.get_value(portal_stat(portal_id, what), 0) for what in KINDS}


class PortalProgress:
    def __init__(self, crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.task = None
        self.last: dict[str, dict[str, int]] = {}
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getfloat("GOVCRAWL_PROGRESS_SECONDS"))

    def item_scraped(self, item, response, spider) -> None:
        if not isinstance(item, FetchedPage):
            return
        stats = self.crawler.stats
        stats.inc_value(portal_stat(item.portal_id, "pages"))
        if item.error is not None:
            stats.inc_value(portal_stat(item.portal_id, "failed"))
        elif item.is_own_report:  # as the store counts it (a report's attached file is not another report)
            stats.inc_value(portal_stat(item.portal_id, "reports"))

    def spider_opened(self, spider) -> None:
        if self.interval > 0:
            self.task = create_looping_call(self.log_progress, spider)
            self.task.start(self.interval, now=False)

    def log_progress(self, spider) -> None:
        """Totals, then the portals that moved since the last line (a registry of hundreds stays one line)."""
        portals = getattr(spider, "portals", [])
        counts = {p.id: portal_counts(self.crawler.stats, p.id) for p in portals}
        moved = [f"{pid} {c['pages']} page(s)/{c['reports']} report(s)"
                 + (f"/{c['failed']} failed" if c["failed"] else "")
                 for pid, c in counts.items() if c != self.last.get(pid, dict.fromkeys(KINDS, 0))]
        self.last = counts
        total = {what: sum(c[what] for c in counts.values()) for what in KINDS}
        reached = sum(bool(c["pages"]) for c in counts.values())
        logger.info("Progress: %d page(s), %d report(s), %d failed; %d of %d portal(s) reached%s",
                    total["pages"], total["reports"], total["failed"], reached, len(portals),
                    "; " + "; ".join(moved) if moved else "; no change")

    def spider_closed(self, spider) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
