"""`scrapy crawl portals`, checked before it starts and quiet while it runs.

Scrapy's own `crawl` command, extended through its public extension point (COMMANDS_MODULE): the spider
arguments, registry, portal ids, replay source, database and archive folder are checked first, and a mistake is
one line on standard error with exit status 2 instead of a traceback; Scrapy's start-up lines are hidden at the
default log level (our own lines and every warning stay) so the crawl's summary is the last thing printed; the
exit status is 1 when the run lost pages (stats key `govcrawl/lost_pages`) or could not start.
"""

from __future__ import annotations

import logging
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from govcrawl.config import (
    ConfigError,
    check_archive_dir,
    check_database,
    plan_crawl,
)

EXIT_CONFIG = 2
EXIT_LOST = 1
# Loggers whose INFO lines are start-up and shut-down noise for a user (versions, enabled components,
# overridden settings, migrations run, "Spider opened"); shown again with -L DEBUG. Warnings and errors stay.
QUIET_LOGGERS = ("scrapy", "alembic")


class Command(ScrapyCrawlCommand):
    def long_desc(self) -> str:
        return ("Run a spider of the project. The portals spider takes -a portal=ID[,ID...], "
                "-a registry=FOLDER (or demo), -a replay=PATH (or demo); any other -a argument is refused. "
                "A configuration mistake exits 2 with one line; lost pages exit 1.")

    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        # The crawler process about to be created logs Scrapy's version banner through this logger, after
        # resetting the levels of the "scrapy" loggers (hence a filter here, and levels in run()).
        if self._quiet():
            logging.getLogger("scrapy.utils.log").addFilter(lambda record: record.levelno >= logging.WARNING)

    def _quiet(self) -> bool:
        return self.settings.get("LOG_LEVEL") in ("INFO", logging.INFO)

    def run(self, args, opts) -> None:
        if self._quiet():
            for name in QUIET_LOGGERS:
                logging.getLogger(name).setLevel(logging.WARNING)
        if args != ["portals"]:
            super().run(args, opts)
            return
        try:
            plan = plan_crawl(opts.spargs, self.settings.get("GOVCRAWL_REGISTRY"), self.settings.get("GOVCRAWL_REPLAY"))
            check_database(self.settings.get("DATABASE_URL"))
            if not plan.replay:
                check_archive_dir(self.settings.get("GOVCRAWL_ARCHIVE_DIR"))
        except ConfigError as exc:
            print(f"scrapy crawl portals: {exc}", file=sys.stderr)
            self.exitcode = EXIT_CONFIG
            return
        crawler = self._create_crawler("portals")
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or crawler.stats.get_value("govcrawl/lost_pages", 0):
            self.exitcode = EXIT_LOST
