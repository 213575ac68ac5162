"""Storage throughput: new reports' cells (and sections, checks, attachment links) written through the bulk
path (govcrawl.db.bulk: COPY on PostgreSQL, the driver's executemany on SQLite) against the same rows written
with SQLAlchemy's INSERT … ON CONFLICT DO NOTHING.

    python benchmarks/store_bench.py [--reports 2000] [--batch 200] [--url postgresql+psycopg://… | sqlite]

Reports are the real fixture report pages (tests/fixtures/pages), extracted once, each copied under
distinct URLs with its numbers varied, written in batches of --batch pages as the crawl writes them (one
transaction per batch, through Store.write_pages). Each side writes into its own fresh database; rounds
alternate COPY and INSERT so that a slower machine moment costs both sides alike. The rate counts every row a
batch writes (pages, reports and their children). The last line reads
`bulk_rows_per_s=<..> insert_rows_per_s=<..> ratio=<bulk/insert> rows=<n>`. The time includes converting
each batch's pages to rows (Store.write_pages), as in the crawl.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from extractors import extract
from govcrawl.db.engine import make_engine, upgrade
from govcrawl.db.store import Store
from govcrawl.items import FetchedPage
from govcrawl.registry import load_registry

PAGES = REPO / "tests" / "fixtures" / "pages"
ADMIN_URL = os.environ.get("GOVCRAWL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fixture_reports():
    reports = []
    for page in sorted(PAGES.glob("*.html")):
        meta = json.loads(page.with_suffix(".headers.json").read_text(encoding="utf-8"))
        report = extract(page.read_bytes(), url=meta["url"], headers=meta["headers"])
        if report.is_report and report.cells:
            reports.append(report)
    return reports


def make_batches(reports, count: int, batch: int, tag: str) -> list[list[FetchedPage]]:
    rng = random.Random(7)
    pages = []
    for i in range(count):
        report = reports[i % len(reports)]
        url = f"http://www.bench.gov.cn/{tag}/ndbg/t{i}.html"
        cells = [dataclasses.replace(c, value=rng.randint(0, 9999), raw=str(i)) if isinstance(c.value, int) else c
                 for c in report.cells]
        pages.append(FetchedPage(
            portal_id="220200-szf", kind="document", url=url, final_url=url, status=200,
            headers=[("Content-Type", "text/html")], body=url.encode(), content_type="text/html", encoding="utf-8",
            fetched_at=dt.datetime(2026, 1, 1), report=dataclasses.replace(report, url=url, cells=cells)))
    return [pages[i:i + batch] for i in range(0, len(pages), batch)]


class Databases:
    """One fresh database per side: on the PostgreSQL server of --url, or SQLite files in a temporary folder."""

    def __init__(self, url: str, sides: tuple[str, ...]) -> None:
        self.server = None if url == "sqlite" else url
        self.folder = Path(tempfile.mkdtemp(prefix="govcrawl-store-bench-"))
        self.urls = {}
        for side in sides:
            if self.server is None:
                self.urls[side] = f"sqlite:///{self.folder / side}.db"
                continue
            name = f"govcrawl_bench_{side}_{uuid.uuid4().hex[:8]}"
            with create_engine(self.server, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self.urls[side] = make_url(self.server).set(database=name).render_as_string(hide_password=False)

    def drop(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.server is not None:
            admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                for url in self.urls.values():
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--url", default=ADMIN_URL,
                        help="a PostgreSQL URL whose server may create databases, or `sqlite`")
    args = parser.parse_args()

    sides = ("bulk", "insert")
    databases = Databases(args.url, sides)
    reports = fixture_reports()
    stores = {}
    try:
        for side, url in databases.urls.items():
            engine = make_engine(url)
            upgrade(engine)
            stores[side] = Store(engine, bulk=side == "bulk")
            stores[side].upsert_portals(load_registry(REPO / "seeds" / "portals").values())
        work = {side: make_batches(reports, args.reports, args.batch, side) for side in sides}
        seconds = dict.fromkeys(sides, 0.0)
        for round_ in range(len(work["bulk"])):
            for side in sides if round_ % 2 == 0 else reversed(sides):
                started = time.perf_counter()
                stores[side].write_pages(work[side][round_])
                seconds[side] += time.perf_counter() - started
        rows = {}
        for side, store in stores.items():
            counts = store.table_counts()
            rows[side] = sum(v for k, v in counts.items() if k not in ("portals", "crawl_runs"))
            print(f"{side:>6}: {rows[side]} rows ({counts['reports']} reports, {counts['report_cells']} cells) "
                  f"in {seconds[side]:.2f} s = {rows[side] / seconds[side]:.0f} rows/s "
                  f"({seconds[side] * 1000 / args.reports:.2f} ms per page)")
        assert rows["bulk"] == rows["insert"], "both sides must write the same rows"  # noqa: S101 - a sanity check
    finally:
        for store in stores.values():
            store.engine.dispose()
        databases.drop()
    bulk_rate, insert_rate = rows["bulk"] / seconds["bulk"], rows["insert"] / seconds["insert"]
    print(f"bulk_rows_per_s={bulk_rate:.0f} insert_rows_per_s={insert_rate:.0f} "
          f"ratio={bulk_rate / insert_rate:.2f} rows={rows['bulk']}")


if __name__ == "__main__":
    main()
