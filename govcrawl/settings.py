"""Scrapy settings for govcrawl. Every value that differs from Scrapy's default says why."""

# The project's own name and spider package (the `portals` spider).
BOT_NAME = "govcrawl"
SPIDER_MODULES = ["govcrawl.spiders"]
NEWSPIDER_MODULE = "govcrawl.spiders"
# Our `crawl` command: checks the configuration before starting (one line and exit 2 for a mistake), keeps
# Scrapy's start-up lines out of the default log, and exits non-zero when the run lost pages.
COMMANDS_MODULE = "govcrawl.commands"

# Portals' operators must be able to tell who is crawling and how to reach them.
USER_AGENT = ("govcrawl/0.1 (+https://github.com/govcrawl/govcrawl; annual-report research crawler; "
              "contact: govcrawl@example.org)")

# Government portals publish robots.txt; a registry entry may opt out only with a written reason.
ROBOTSTXT_OBEY = True

# Politeness: portals are small municipal servers. AutoThrottle adapts the delay to their latency.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0  # start gently, AutoThrottle lowers it when the server is quick
AUTOTHROTTLE_MAX_DELAY = 30.0  # a struggling portal gets at most one request per 30 s, not one per minute
DOWNLOAD_DELAY = 0.5  # floor for AutoThrottle: never faster than 2 requests/s per host
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # the politeness bound: at most 2 in flight per host

# No session is needed to read public disclosure pages; cookies would only make the crawl stateful.
COOKIES_ENABLED = False

# A report page is well under 1 MB and attachments a few MB; anything huge is a mistake or a trap.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
# Slow portals answer within a minute or not at all; 180 s ties up a slot for nothing.
DOWNLOAD_TIMEOUT = 60

# One more retry than the default, each held back per host outside the downloader (govcrawl.retry).
RETRY_TIMES = 3
GOVCRAWL_RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry, doubled for each further one
GOVCRAWL_RETRY_BACKOFF_MAX = 60.0
GOVCRAWL_RETRY_AFTER_MAX = 120.0  # a server's Retry-After is honoured up to two minutes, not an hour

DOWNLOADER_MIDDLEWARES = {
    # Every request (links, redirect hops, meta refreshes, robots.txt) stays in its own portal's hosts and off
    # private addresses (govcrawl.netguard); Scrapy's offsite check skips dont_filter requests such as redirects.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "govcrawl.netguard.PortalGuardMiddleware": 50,
    # RFC 9309: a robots.txt that answers 5xx or not at all forbids everything (stock Scrapy allows all).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "govcrawl.robots.RobotsTxtMiddleware": 100,
    # Redirects and meta refreshes in one middleware whose hops the guard checks (govcrawl.redirects); after
    # HttpCompressionMiddleware (590) in the response chain, so a meta refresh is read from the plain body.
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "govcrawl.redirects.PortalRedirectMiddleware": 580,
    # Replaced by the subclass below, which delays retries per host instead of retrying at once.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "govcrawl.retry.DelayedRetryMiddleware": 550,
    # Next to the downloader, outside HttpCompressionMiddleware (590): archive bytes as received and
    # answer replayed requests before anything would touch the network.
    "govcrawl.archive.middlewares.WarcArchiveMiddleware": 950,
    "govcrawl.archive.middlewares.ReplayMiddleware": 960,
    # Inside the archive (it records the 304 as received) and DownloaderStats (850: a skipped request is
    # not counted as downloaded, a 304 counts its own bytes), outside decompression and redirects (590/580:
    # the stored list page it answers a 304 with is handled like a live one). Only on with
    # GOVCRAWL_INCREMENTAL (govcrawl harvest).
    "govcrawl.harvest.incremental.IncrementalMiddleware": 800,
}

SPIDER_MIDDLEWARES = {
    # It drops long links with an INFO line; the portal guard refuses them with a page row instead.
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
}

# Scrapy starts this many tasks for the output of every response; a callback here yields one page (a list
# page at most a page of requests), so the default 100 only burns reactor CPU the extraction workers need.
CONCURRENT_ITEMS = 16

# Extraction (in worker processes) first, then batched storage of the page with its extracted report.
ITEM_PIPELINES = {
    "govcrawl.pipelines.ExtractPipeline": 300,
    "govcrawl.pipelines.StorePipeline": 800,
}

# Per-item DEBUG lines for thousands of pages would bury the end-of-crawl summary.
LOG_LEVEL = "INFO"
# The crawl ends with its own summary (govcrawl.summary); Scrapy's 46-line stats dump after it would bury it.
# The stats are still stored with the crawl run (crawl_runs.stats).
STATS_DUMP = False
# Progress per portal (govcrawl.progress) replaces Scrapy's all-portals "Crawled N pages" line.
EXTENSIONS = {
    "scrapy.extensions.logstats.LogStats": None,
    "govcrawl.progress.PortalProgress": 500,
}
GOVCRAWL_PROGRESS_SECONDS = 60.0  # how often a long run logs its per-portal progress

# No remote console or code-execution endpoint on a crawler box; the log and the database report progress.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# -- govcrawl's own settings --------------------------------------------------------------------------

# SQLAlchemy URL; None means $GOVCRAWL_DATABASE_URL, else sqlite:///govcrawl.db in the working directory.
DATABASE_URL = None
# Portal registry folder or file; None means $GOVCRAWL_REGISTRY (the demo registry only when replaying the demo).
GOVCRAWL_REGISTRY = None
GOVCRAWL_ARCHIVE_DIR = "archive"  # where the crawl writes its WARC files
GOVCRAWL_ARCHIVE_MAX_BYTES = 1024**3  # start a new WARC file at 1 GiB, the customary size for tools and transfer
GOVCRAWL_REPLAY = None  # set by `-a replay=PATH`
GOVCRAWL_MAX_LIST_PAGES = 500  # per column; a 下一页 chain longer than this is a calendar trap, not a column
# Whether the HTTP proxy (when one is used) refuses private destinations itself; when False, a host the crawler
# cannot resolve is not fetched through a proxy, because its address could not be checked (govcrawl.netguard).
GOVCRAWL_PROXY_CHECKS_ADDRESSES = False
GOVCRAWL_DB_BATCH_SIZE = 200  # pages per write transaction
GOVCRAWL_DB_FLUSH_SECONDS = 5.0  # a slow crawl still gets its rows written every few seconds
# A write waits out a database outage (restart, failover, network cut, SQLite lock) this long, retrying with
# exponential backoff from BASE to MAX seconds; a batch still unwritten is then spooled (govcrawl.db.spool).
GOVCRAWL_DB_RETRY_SECONDS = 180.0
GOVCRAWL_DB_RETRY_BACKOFF_BASE = 0.5
GOVCRAWL_DB_RETRY_BACKOFF_MAX = 15.0
GOVCRAWL_SPOOL_DIR = "spool"  # per-database folders of batches the next run writes before it crawls
GOVCRAWL_EXTRACT_EXECUTOR = "process"  # "thread" keeps everything in one process (debugging)
GOVCRAWL_EXTRACT_WORKERS = 0  # 0 means one per CPU core
GOVCRAWL_INCREMENTAL = False  # skip/revalidate what is already stored (`govcrawl harvest` turns it on)
GOVCRAWL_FULL = False  # with GOVCRAWL_INCREMENTAL: revalidate every stored URL (`govcrawl harvest --full`)
GOVCRAWL_RESUME_ARCHIVE = None  # a killed night's archive folder: what it archived is not fetched again
GOVCRAWL_RECENT_YEARS = 2  # reports of this year and last year are still corrected; revalidate them nightly
GOVCRAWL_MONITORS = False  # run govcrawl.harvest.monitors at the end (`govcrawl harvest` turns it on)
GOVCRAWL_MONITOR_MAX_FAILED_RATIO = 0.2  # a night where more than a fifth of the pages failed lost too much
GOVCRAWL_RUN_MODE = None  # what crawl_runs.mode records; None means "crawl" or "replay"
# A distributed harvest's batch id and the worker running this crawl, recorded with the run (govcrawl.queue).
GOVCRAWL_RUN_BATCH = None
GOVCRAWL_RUN_WORKER = None
# What one extraction worker may hold, so that workers × the largest page fit a 2 GB crawl box (figures in the
# README, "Extraction limits"). Real report pages are well under 1 MB; an HTML page over the limit is a trap
# or an embedded-image dump and is recorded as a failed page, its bytes kept in the archive.
GOVCRAWL_EXTRACT_MAX_HTML_BYTES = 8 * 1024 * 1024
GOVCRAWL_EXTRACT_MAX_FILE_BYTES = 64 * 1024 * 1024  # PDF/Word/Excel report files: the download limit
GOVCRAWL_EXTRACT_MAX_TEXT_CHARS = 2_000_000  # a report's text is a few 10,000 characters; cut, with a warning
GOVCRAWL_EXTRACT_TIMEOUT = 120.0  # seconds per page; a parser spinning longer is killed and replaced
GOVCRAWL_EXTRACT_WORKER_MEMORY_MB = 768  # address-space cap per worker: MemoryError there, not the OOM killer
GOVCRAWL_EXTRACT_WORKER_HOOK = None  # "module:function" run in the worker before each page (fault injection)

# Replay answers from local files: the politeness limits above protect servers that are not involved.
REPLAY_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    "GOVCRAWL_RETRY_BACKOFF_BASE": 0.0,
}
