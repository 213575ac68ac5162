"""Reading a crawl's database back as plain, comparable values (for the crawl/replay tests)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govcrawl.db import models as m
from govcrawl.db.engine import make_engine
from govcrawl.db.store import Store

PAGE_FIELDS = ("portal_id", "kind", "url", "final_url", "status", "headers", "content_type", "encoding",
               "content_hash", "content_length", "fetched_at", "warc_file", "warc_offset", "warc_length",
               "warc_record_id", "parent_url", "link_text", "is_report", "error")
REPORT_FIELDS = ("portal_id", "url", "title", "agency", "report_year", "published_date", "source", "generation",
                 "format", "text", "warnings")


def snapshot(database_url: str) -> dict:
    """Pages by URL, reports by URL with their cells, sections, checks and the documents their cells came
    from; counts of every table."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            pages = {p.url: {f: getattr(p, f) for f in PAGE_FIELDS} for p in session.scalars(select(m.Page))}
            page_urls = dict(session.execute(select(m.Page.id, m.Page.url)).all())
            reports = {}
            for report in session.scalars(select(m.Report)):
                cells = session.scalars(select(m.ReportCell).where(m.ReportCell.report_id == report.id)).all()
                sections = session.scalars(select(m.ReportSection).where(m.ReportSection.report_id == report.id)
                                           .order_by(m.ReportSection.position))
                checks = session.scalars(select(m.CheckResult).where(m.CheckResult.report_id == report.id)
                                         .order_by(m.CheckResult.position))
                reports[report.url] = {
                    **{f: getattr(report, f) for f in REPORT_FIELDS},
                    "cells": {(c.table_name, c.row_key, c.col_key): (c.value, c.value_is_integer, c.raw, c.unit)
                              for c in cells},
                    "sections": [(s.heading, s.text) for s in sections],
                    "checks": [(c.rule, c.scope, c.status, c.detail) for c in checks],
                    # the URLs of the pages (report page, attached files) the cells were read from
                    "documents": sorted({page_urls[c.document_page_id] for c in cells}),
                }
        counts = Store(engine).table_counts()
    finally:
        engine.dispose()
    return {"pages": pages, "reports": reports, "counts": counts}
