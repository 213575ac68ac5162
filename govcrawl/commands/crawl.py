"""`scrapy crawl` that tells the shell when the run lost data.

Stock `scrapy crawl` exits 0 whatever happened. The pipelines count every page that ended up neither in the
database nor in the spool in the stats key `govcrawl/lost_pages`; a run with any exits with LOST_PAGES_EXIT.
"""

from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

LOST_PAGES_EXIT = 1


class Command(ScrapyCrawlCommand):
    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        crawler = self.crawler_process.create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif crawler.stats.get_value("govcrawl/lost_pages", 0):
            self.exitcode = LOST_PAGES_EXIT
