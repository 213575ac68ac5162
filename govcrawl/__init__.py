"""Crawl government information-disclosure annual reports (政府信息公开工作年度报告) into SQL rows.

    scrapy crawl portals [-a portal=ID[,ID...]]       crawl the registry's portals (seeds/portals)
    scrapy crawl portals -a replay=PATH               the same, answered from WARC files, no network
    govcrawl export [--db URL] [--format jsonl|csv]   stored reports out
    govcrawl migrate | build-seeds | serve-seeds

Layout: `spiders.portals` hands each portal to a platform adapter (`adapters`); every response is archived
(`archive.middlewares`, WARC) and becomes a `items.FetchedPage`; `pipelines.extract` runs the shared
extractor in worker processes; `pipelines.store` writes batches through `db.store` (SQLAlchemy models in
`db.models`, schema by the Alembic migrations in `migrations/`).
"""
