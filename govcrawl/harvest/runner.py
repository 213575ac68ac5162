"""`govcrawl harvest`: one night's incremental crawl of the registered portals, under a lock, into a dated
archive folder, recorded as a run with per-portal figures and monitor results.

The data folder (GOVCRAWL_DATA_DIR, default ./govcrawl-data) holds everything a harvest writes besides the
database: `archive/<date>/*.warc.gz`, `jobs/<date>/` (Scrapy's JOBDIR, so a killed night resumes where it
stopped) and `harvest.lock`. The crawl runs in-process through Scrapy's public CrawlerProcess API with the
project settings, so the command works from any directory.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy import update

from govcrawl.db import models as m
from govcrawl.db.engine import describe, make_engine, resolve_database_url
from govcrawl.harvest.figures import FAILING, format_table, portal_figures
from govcrawl.harvest.lock import HarvestLock
from govcrawl.harvest.monitors import RESULTS_STAT
from govcrawl.harvest.resume import prepare_night

logger = logging.getLogger(__name__)

DATA_DIR_ENV = "GOVCRAWL_DATA_DIR"
DEFAULT_DATA_DIR = "govcrawl-data"
SCHEMA = Path(__file__).with_name("page_schema.json")

# What a harvest adds to the project settings (govcrawl/settings.py).
HARVEST_SETTINGS: dict[str, Any] = {
    # Skip what is stored, revalidate lists and recent reports conditionally (govcrawl.harvest.incremental).
    "GOVCRAWL_INCREMENTAL": True,
    "GOVCRAWL_RUN_MODE": "harvest",
    # Monitors (govcrawl.harvest.monitors, a spidermon suite) run when the spider closes.
    "GOVCRAWL_MONITORS": True,
    "SPIDERMON_ENABLED": True,  # for spidermon's ItemValidationPipeline
    "SPIDERMON_VALIDATION_SCHEMAS": [str(SCHEMA)],
}
# Added to the project's own components.
HARVEST_EXTENSIONS = {"govcrawl.harvest.monitors.MonitorsExtension": 500}
# Validate each page after the store pipeline (800) sealed it: the schema is of the stored item.
HARVEST_PIPELINES = {"spidermon.contrib.scrapy.pipelines.ItemValidationPipeline": 900}


def data_dir(setting: str | None = None) -> Path:
    return Path(setting or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR).resolve()


@dataclass
class Outcome:
    run_id: int | None
    finish_reason: str | None
    figures: dict[str, dict[str, int]] = field(default_factory=dict)
    monitors: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return (self.error is None and self.finish_reason == "finished"
                and not any(r["status"] in FAILING for r in self.monitors))


def harvest(*, data: Path, database_url: str | None = None, portals: str | None = None, full: bool = False,
            settings: dict[str, Any] | None = None, night: dt.date | None = None) -> Outcome:
    """Run one night. Raises HarvestLocked when another harvest holds the data folder's lock."""
    night = night or dt.datetime.now(dt.UTC).date()
    database_url = resolve_database_url(database_url)
    jobdir = data / "jobs" / night.isoformat()
    archive = data / "archive" / night.isoformat()
    with HarvestLock(data / "harvest.lock"):
        killed, notes = prepare_night(jobdir, archive)
        for note in notes:
            logger.warning("Resuming: %s", note)
        outcome = crawl(database_url=database_url, archive=archive, portals=portals, full=full, settings={
            "JOBDIR": str(jobdir),
            "GOVCRAWL_RESUME_ARCHIVE": str(archive) if killed else None,
            **(settings or {}),
        })
        if outcome.finish_reason == "finished":
            # The night is complete: the next harvest of the same day starts afresh instead of resuming.
            shutil.rmtree(jobdir, ignore_errors=True)
        return outcome


def crawl(*, database_url: str, archive: Path, portals: str | None = None, full: bool = False,
          settings: dict[str, Any] | None = None) -> Outcome:
    """One harvest crawl in this process (Twisted's reactor runs once per process): the portals into the
    database, the WARC files into `archive`, the run's figures and monitor results stored with its run.
    `govcrawl harvest` runs it under its lock; a queue worker (govcrawl.queue) runs it for one portal in a
    child process."""
    crawl_settings = Settings()
    crawl_settings.setmodule("govcrawl.settings", priority="project")
    crawl_settings.update({
        **HARVEST_SETTINGS,
        "EXTENSIONS": {**crawl_settings.getdict("EXTENSIONS"), **HARVEST_EXTENSIONS},
        "ITEM_PIPELINES": {**crawl_settings.getdict("ITEM_PIPELINES"), **HARVEST_PIPELINES},
        "DATABASE_URL": database_url,
        "GOVCRAWL_ARCHIVE_DIR": str(archive),
        "GOVCRAWL_FULL": full,
        **(settings or {}),
    }, priority="cmdline")
    process = CrawlerProcess(crawl_settings)
    crawler = process.create_crawler("portals")
    errors: list[str] = []
    deferred = process.crawl(crawler, **({"portal": portals} if portals else {}))
    deferred.addErrback(lambda failure: errors.append(f"{failure.type.__name__}: {failure.value}"))
    process.start()
    try:
        stats = crawler.stats.get_stats()
    except RuntimeError:  # the crawler failed before its stats existed (e.g. a bad portal id)
        stats = {}
    outcome = Outcome(run_id=stats.get("govcrawl/run_id"), finish_reason=stats.get("finish_reason"),
                      monitors=list(stats.get(RESULTS_STAT, [])),
                      error=errors[0] if errors else None)
    if outcome.run_id is None:
        outcome.error = outcome.error or "the crawl did not start (no run was recorded)"
        return outcome
    if not outcome.monitors:
        outcome.error = outcome.error or "the monitors did not run (see the log)"
    portal_ids = [p.id for p in crawler.spider.portals]
    engine = make_engine(database_url)
    try:
        outcome.figures = portal_figures(engine, outcome.run_id, portal_ids, stats)
        with engine.begin() as conn:
            conn.execute(update(m.CrawlRun).where(m.CrawlRun.id == outcome.run_id).values(
                portal_counts=outcome.figures, monitors=outcome.monitors,
                stats=json.loads(json.dumps(stats, default=str))))
    finally:
        engine.dispose()
    return outcome


def report(outcome: Outcome, database_url: str | None, out=sys.stdout) -> None:
    print(f"harvest run {outcome.run_id or '(not recorded)'}: finish reason {outcome.finish_reason or '(none)'}, "
          f"database {describe(resolve_database_url(database_url))}", file=out)
    if outcome.figures or outcome.monitors:
        print(format_table(outcome.figures, outcome.monitors), file=out)
    if outcome.error:
        print(f"error: {outcome.error}", file=out)
    print("harvest " + ("succeeded" if outcome.ok else "FAILED"), file=out)
