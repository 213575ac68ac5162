"""Nothing lost in storage: one page's bad values cost at most that page, never its batch neighbours."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session
from test_crawl_store import document, report_2019, store  # noqa: F401 - the store fixture

from extractors.model import Cell
from govcrawl.db import models as m
from govcrawl.items import FetchedPage

PORTALS = ("220200-szf", "220300-szf", "350128-gwh", "370724-xzf")


def several_portals_batch() -> list[FetchedPage]:
    batch = []
    for portal in PORTALS:
        for j in range(3):
            url = f"http://www.{portal}.gov.cn/ndbg/t2020_{j}.html"
            page = document(url, url.encode(), dataclasses.replace(report_2019(), url=url) if j else None)
            page.portal_id = portal
            batch.append(page)
    return batch


def test_a_400_digit_number_is_stored_raw_with_a_warning_and_loses_nothing(store):  # noqa: F811
    batch = several_portals_batch()
    absurd = int("9" * 400)
    poisoned = batch[4]
    poisoned.report.cells.append(Cell("applications", "new", "natural_person", absurd, "9" * 400, "件"))
    result = store.write_pages(batch)
    assert (result.pages, result.reports, result.failed_pages, result.lost_pages) == (12, 8, 0, 0)
    with Session(store.engine) as conn:
        assert {p.url for p in conn.scalars(select(m.Page))} == {p.url for p in batch}
        report = conn.scalars(select(m.Report).where(m.Report.url == poisoned.url)).one()
        cell = conn.scalars(select(m.ReportCell).where(
            m.ReportCell.report_id == report.id, m.ReportCell.row_key == "new",
            m.ReportCell.col_key == "natural_person")).one()
    assert cell.value is None and cell.value_is_integer is None and cell.raw == "9" * 400
    assert any("applications/new/natural_person" in w and "stored as null, raw kept" in w for w in report.warnings)
    assert store.table_counts()["report_cells"] == 8 * 5 + 1


def test_a_page_that_cannot_be_encoded_is_a_failed_row_blamed_on_its_own_url(store, caplog):  # noqa: F811
    batch = several_portals_batch()
    # A lone surrogate (what a surrogateescape decode leaves) cannot be encoded by either database's driver,
    # which raises UnicodeEncodeError: not a database error.
    poisoned = batch[7]
    poisoned.report.title = "吉林市\udcff年报"
    result = store.write_pages(batch)
    assert (result.pages, result.reports, result.failed_pages, result.lost_pages) == (12, 7, 1, 0)
    with Session(store.engine) as conn:
        pages = {p.url: p for p in conn.scalars(select(m.Page))}
        reported = set(conn.scalars(select(m.Report.url)))
    assert set(pages) == {p.url for p in batch}
    assert reported == {p.url for p in batch if p.report is not None} - {poisoned.url}
    assert pages[poisoned.url].error.startswith("not stored: UnicodeEncodeError: ")
    assert all(p.error is None for url, p in pages.items() if url != poisoned.url)
    blamed = {r.getMessage().split()[1] for r in caplog.records if "could not be stored" in r.getMessage()}
    assert blamed == {poisoned.url}


def test_a_nul_character_in_a_cell_costs_only_its_page_on_the_bulk_path(store):  # noqa: F811
    # PostgreSQL text cannot hold NUL: COPY (new reports' cells) refuses it like INSERT does.
    batch = several_portals_batch()
    poisoned = batch[10]
    poisoned.report.cells.append(Cell("applications", "new", "legal_person", 1, "1\x00", "件"))
    result = store.write_pages(batch)
    with Session(store.engine) as conn:
        pages = {p.url: p for p in conn.scalars(select(m.Page))}
        reported = set(conn.scalars(select(m.Report.url)))
    assert set(pages) == {p.url for p in batch} and result.lost_pages == 0
    others = {p.url for p in batch if p.report is not None} - {poisoned.url}
    if store.engine.dialect.name == "postgresql":
        assert reported == others and pages[poisoned.url].error.startswith("not stored: ")
    else:
        assert reported == others | {poisoned.url}
