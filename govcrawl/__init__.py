"""Crawl government information-disclosure annual reports (政府信息公开工作年度报告) into SQL rows.

    govcrawl crawl [--registry DIR] [--portal ID[,ID...]] [--replay PATH|demo]   (= scrapy crawl portals -a ...)
    govcrawl export [--format jsonl|csv|csv-wide|parquet]    stored reports out
    govcrawl browse                                          the SQLite database in Datasette
    govcrawl portal check URL                                what the crawl takes from a column page
    govcrawl dictionary | migrate | build-seeds | serve-seeds

Layout: `config` checks what a crawl is told (commands/crawl.py runs it before Scrapy starts); `spiders.portals`
hands each portal to a platform adapter (`adapters`); every response is archived (`archive.middlewares`, WARC)
and becomes a `items.FetchedPage`; `pipelines.extract` runs the shared extractor in worker processes;
`pipelines.store` writes batches through `db.store` (SQLAlchemy models in `db.models`, schema by the Alembic
migrations in `migrations/`, views in `db.views`); `export` and `tabular` read the reports back out.
"""
