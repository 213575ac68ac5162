"""The bulk path (COPY on PostgreSQL, the driver's executemany on SQLite) stores exactly what SQLAlchemy's
INSERT stores: same cells, sections, checks and attachment links, same types, on real fixture reports."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from sqlalchemy import select
from test_crawl_store import document, store  # noqa: F401 - the store fixture

from extractors import extract
from govcrawl.db import models as m
from govcrawl.db.store import Store

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
CHILDREN = (m.ReportCell, m.ReportSection, m.CheckResult, m.ReportAttachment)


def fixture_reports():
    for path in sorted(PAGES.glob("*.html")):
        meta = json.loads(path.with_suffix(".headers.json").read_text(encoding="utf-8"))
        report = extract(path.read_bytes(), url=meta["url"], headers=meta["headers"])
        if report.is_report:
            yield path.stem, report


def stored_children(conn, url: str) -> dict[str, list[tuple]]:
    report_id = conn.scalar(select(m.Report.id).where(m.Report.url == url))
    rows = {}
    for model in CHILDREN:
        columns = [c for c in model.__table__.columns if c.name not in ("id", "report_id", "document_page_id")]
        rows[model.__tablename__] = sorted(
            conn.execute(select(*columns).where(model.report_id == report_id)).all(), key=repr)
    return rows


def test_the_bulk_path_stores_what_insert_stores(store):  # noqa: F811
    reports = list(fixture_reports())
    assert len(reports) >= 5 and sum(len(r.cells) for _, r in reports) > 300
    by_insert = Store(store.engine, bulk=False)
    urls = {}
    for side, writer in (("bulk", store), ("insert", by_insert)):
        batch = []
        for name, report in reports:
            url = f"http://www.jlcity.gov.cn/{side}/{name}.html"
            urls[side, name] = url
            batch.append(document(url, url.encode(), dataclasses.replace(report, url=url)))
        result = writer.write_pages(batch)
        assert (result.reports, result.failed_pages, result.lost_pages) == (len(reports), 0, 0)
    with store.engine.connect() as conn:
        for name, report in reports:
            bulk, insert = (stored_children(conn, urls[side, name]) for side in ("bulk", "insert"))
            assert bulk == insert, name
            assert len(bulk["report_cells"]) == len({(c.table, c.row, c.col) for c in report.cells})
            # integers stay integers, fractions fractions: the flag and the float agree on both paths
            for row in bulk["report_cells"]:
                if row.value is not None:
                    assert row.value_is_integer in (True, False)
