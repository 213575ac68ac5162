"""Storage throughput on PostgreSQL: new reports' cells (and sections, checks, attachment links) written
with COPY against the same rows written with INSERT … ON CONFLICT DO NOTHING.

    python benchmarks/store_bench.py [--reports 2000] [--batch 200] [--url postgresql+psycopg://…]

Reports are the real fixture report pages (tests/fixtures/pages), extracted once, each copied under
distinct URLs with its numbers varied, written in batches of --batch pages as the crawl writes them (one
transaction per batch, through Store.write_pages). Each side writes into its own fresh database; rounds
alternate COPY and INSERT so that a slower machine moment costs both sides alike. The rate counts every row a
batch writes (pages, reports and their children). The last line reads
`copy_rows_per_s=<..> insert_rows_per_s=<..> ratio=<copy/insert> rows=<n>`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from extractors import extract  # noqa: E402
from govcrawl.db.engine import make_engine, upgrade  # noqa: E402
from govcrawl.db.store import Store  # noqa: E402
from govcrawl.items import FetchedPage  # noqa: E402
from govcrawl.registry import load_registry  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--url", default=ADMIN_URL, help="a PostgreSQL URL whose server may create databases")
    args = parser.parse_args()

    admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
    names = {mode: f"govcrawl_bench_{mode}_{uuid.uuid4().hex[:8]}" for mode in ("copy", "insert")}
    reports = fixture_reports()
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    stores = {}
    try:
        for mode, name in names.items():
            engine = make_engine(make_url(args.url).set(database=name).render_as_string(hide_password=False))
            upgrade(engine)
            stores[mode] = Store(engine, bulk_copy=mode == "copy")
            stores[mode].upsert_portals(load_registry(REPO / "seeds" / "portals").values())
        work = {mode: make_batches(reports, args.reports, args.batch, mode) for mode in stores}
        seconds = dict.fromkeys(stores, 0.0)
        for round_ in range(len(work["copy"])):
            order = ("copy", "insert") if round_ % 2 == 0 else ("insert", "copy")
            for mode in order:
                started = time.perf_counter()
                stores[mode].write_pages(work[mode][round_])
                seconds[mode] += time.perf_counter() - started
        rows = {}
        for mode, store in stores.items():
            counts = store.table_counts()
            rows[mode] = sum(v for k, v in counts.items() if k not in ("portals", "crawl_runs"))
            print(f"{mode:>6}: {rows[mode]} rows ({counts['reports']} reports, {counts['report_cells']} cells) "
                  f"in {seconds[mode]:.2f} s = {rows[mode] / seconds[mode]:.0f} rows/s")
        assert rows["copy"] == rows["insert"], "both sides must write the same rows"
    finally:
        for store in stores.values():
            store.engine.dispose()
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    copy_rate, insert_rate = rows["copy"] / seconds["copy"], rows["insert"] / seconds["insert"]
    print(f"copy_rows_per_s={copy_rate:.0f} insert_rows_per_s={insert_rate:.0f} "
          f"ratio={copy_rate / insert_rate:.2f} rows={rows['copy']}")


if __name__ == "__main__":
    main()
