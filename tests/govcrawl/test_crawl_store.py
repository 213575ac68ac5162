"""The storage layer against SQLite and PostgreSQL: migrations, idempotent batched writes, faithful values."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging

import pytest
from crawlkit import SEEDS
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from extractors.model import Attachment, Cell, Check, Report, Section
from govcrawl.db import models as m
from govcrawl.db.engine import make_engine, resolve_database_url, upgrade
from govcrawl.db.store import Store
from govcrawl.items import FetchedPage, WarcLocation
from govcrawl.registry import load_registry

FETCHED = dt.datetime(2020, 1, 22, 1, 4, 29)


def report_2019() -> Report:
    return Report(
        url="http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/202001/t20200114_687214.html",
        title="吉林市科技局2019年政府信息公开工作年度报告",
        agency="吉林市科技局",
        report_year=2019,
        published_date="2020-01-14",
        source=None,
        generation="2019",
        is_report=True,
        text="一、总体情况\n……",
        sections=[Section("一、总体情况", "……"), Section("二、主动公开政府信息情况", "见下表")],
        attachments=[Attachment("http://www.jlcity.gov.cn/a.pdf", "附件：年报.pdf")],
        cells=[
            Cell("applications", "new", "total", 3, "3", "件"),
            Cell("applications", "carried_over", "total", 0, "0", "件"),
            Cell("applications", "carried_forward", "natural_person", None, "", "件"),
            Cell("active", "procurement", "procurement_amount", 25.1, "251000元", "万元"),
            Cell("active", "licensing", "items_change", -18, "-18", None),
        ],
        checks=[
            Check("applications.balance", "total", "fail", "3 + 0 ≠ 2 + 0"),
            Check("appeals.sum", "review", "pass", "0 = 0 + 0 + 0 + 0"),
        ],
        warnings=["encoding guessed"],
    )


def document(url: str, body: bytes, report: Report | None, **kw) -> FetchedPage:
    return FetchedPage(portal_id="220200-szf", kind="document", url=url, final_url=url, status=200,
                       headers=[("Content-Type", "text/html")], body=body, content_type="text/html",
                       encoding="utf-8", fetched_at=FETCHED, report=report,
                       warc=WarcLocation("/archive/x.warc.gz", 100, 2000, "<urn:uuid:1>"), **kw)


@pytest.fixture
def store(database_url) -> Store:
    engine = make_engine(database_url)
    upgrade(engine)
    store = Store(engine)
    store.upsert_portals(load_registry(SEEDS / "portals").values())
    yield store
    engine.dispose()


def test_migrations_create_every_table_and_are_rerunnable(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)  # a second crawl start finds the schema current and changes nothing
    tables = set(inspect(engine).get_table_names())
    assert {"portals", "crawl_runs", "pages", "attachment_files", "reports", "report_cells", "report_sections",
            "check_results", "report_attachments", "alembic_version"} <= tables
    # attachment bytes are kept once, in the WARC (migration 0005 dropped the database copy)
    assert "content" not in {c["name"] for c in inspect(engine).get_columns("attachment_files")}
    columns = {c["name"] for c in inspect(engine).get_columns("report_cells")}
    assert {"table_name", "row_key", "col_key", "value", "raw", "unit"} <= columns
    assert not {"table", "row"} & columns  # reserved words: plain SQL would have to quote them
    engine.dispose()


def test_writing_the_same_batch_twice_adds_no_rows(store):
    url = "http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/202001/t20200114_687214.html"
    batch = [
        document(url, b"<html>report</html>", report_2019()),
        FetchedPage(portal_id="220200-szf", kind="list",
                    url="http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/index.html", status=200,
                    body=b"<html>list</html>", fetched_at=FETCHED),
        FetchedPage(portal_id="220200-szf", kind="document", url="http://www.jlcity.gov.cn/gone.html",
                    error="TimeoutError: took longer than 60.0 seconds"),
    ]
    first = store.write_pages(batch)
    counts = store.table_counts()
    second = store.write_pages(batch)
    assert store.table_counts() == counts
    assert (first.pages, first.reports, first.cells, first.failed_pages, first.failed_checks) == (3, 1, 5, 1, 1)
    assert second.reports == 1  # the batch is still described; the rows are not duplicated
    assert counts["pages"] == 3 and counts["reports"] == 1 and counts["report_cells"] == 5
    assert counts["report_sections"] == 2 and counts["check_results"] == 2 and counts["report_attachments"] == 1


def test_duplicates_inside_one_batch_are_written_once(store):
    url = "http://www.jlcity.gov.cn/r.html"
    store.write_pages([document(url, b"same", report_2019()), document(url, b"same", report_2019())])
    assert store.table_counts()["reports"] == 1


def test_changed_content_is_a_new_page_version(store):
    url = "http://www.jlcity.gov.cn/r.html"
    store.write_pages([document(url, b"version 1", report_2019())])
    store.write_pages([document(url, b"version 2", report_2019())])
    counts = store.table_counts()
    assert counts["pages"] == 2 and counts["reports"] == 2


def test_values_round_trip_exactly(store):
    store.write_pages([document("http://www.jlcity.gov.cn/r.html", "正文".encode("gbk"), report_2019())])
    with Session(store.engine) as conn:
        report = conn.execute(select(m.Report)).scalar_one()
        cells = {(c.table_name, c.row_key, c.col_key): c for c in conn.execute(select(m.ReportCell)).scalars()}
        page = conn.execute(select(m.Page).where(m.Page.kind == "document")).scalar_one()
    assert report.title == "吉林市科技局2019年政府信息公开工作年度报告"
    assert report.published_date == dt.date(2020, 1, 14) and report.report_year == 2019
    assert report.portal_id == "220200-szf" and report.warnings == ["encoding guessed"]
    new = cells[("applications", "new", "total")]
    assert (new.value, new.value_is_integer, new.raw, new.unit) == (3, True, "3", "件")
    blank = cells[("applications", "carried_forward", "natural_person")]
    assert blank.value is None and blank.raw == ""  # blank is not zero
    money = cells[("active", "procurement", "procurement_amount")]
    assert (money.value, money.value_is_integer, money.raw) == (25.1, False, "251000元")
    assert cells[("active", "licensing", "items_change")].value == -18
    assert page.warc_file == "/archive/x.warc.gz" and page.warc_offset == 100 and page.is_report is True
    assert page.fetched_at == FETCHED and page.headers == [["Content-Type", "text/html"]]


def test_non_reports_and_failures_are_pages_only(store):
    notice = Report(url="http://www.pingtan.gov.cn/n.htm", title="关于……的函", is_report=False)
    store.write_pages([
        document("http://www.pingtan.gov.cn/n.htm", b"<html>letter</html>", notice),
        FetchedPage(portal_id="220303-qzf", kind="attachment", url="http://www.tiedong.gov.cn/a.docx", status=404,
                    body=b"Not Found", error="HTTP 404 Not Found"),
        FetchedPage(portal_id="220303-qzf", kind="attachment", url="http://www.tiedong.gov.cn/a.pdf", status=200,
                    body=b"%PDF-1.4 raw bytes", content_type="application/pdf"),
    ])
    with Session(store.engine) as conn:
        pages = {p.url: p for p in conn.execute(select(m.Page)).scalars()}
        files = conn.execute(select(m.AttachmentFile)).scalars().all()
    assert store.table_counts()["reports"] == 0
    assert pages["http://www.pingtan.gov.cn/n.htm"].is_report is False
    assert pages["http://www.tiedong.gov.cn/a.docx"].error == "HTTP 404 Not Found"
    assert files == []  # the file was not read (no extraction): nothing to keep; its bytes are in the WARC


def test_crawl_runs_keep_scrapy_stats(store):
    run_id = store.start_run(mode="crawl", portal_ids=["220200-szf"], archive_path="/a.warc.gz", replay_source=None)
    store.finish_run(run_id, stats={"item_scraped_count": 3, "start_time": FETCHED}, reason="finished")
    with Session(store.engine) as conn:
        run = conn.execute(select(m.CrawlRun)).scalar_one()
    assert run.stats == {"item_scraped_count": 3, "start_time": "2020-01-22T01:04:29"}
    assert run.finish_reason == "finished" and run.finished_at is not None


def test_database_url_resolution(monkeypatch):
    monkeypatch.delenv("GOVCRAWL_DATABASE_URL", raising=False)
    assert resolve_database_url(None) == "sqlite:///govcrawl.db"
    monkeypatch.setenv("GOVCRAWL_DATABASE_URL", "postgresql://u@h/db")
    assert resolve_database_url(None) == "postgresql+psycopg://u@h/db"
    assert resolve_database_url("sqlite:///x.db") == "sqlite:///x.db"  # the setting wins over the environment


def test_a_stored_report_is_not_mixed_with_a_later_extraction_of_the_same_page(store):
    url = "http://www.jlcity.gov.cn/r.html"
    store.write_pages([document(url, b"same bytes", report_2019())])
    changed = report_2019()
    changed.cells = [Cell("applications", "granted", "total", 1, "1", "件")]
    store.write_pages([document(url, b"same bytes", changed)])
    with Session(store.engine) as conn:
        rows = {(c.table_name, c.row_key, c.col_key) for c in conn.scalars(select(m.ReportCell))}
    assert len(rows) == 5 and ("applications", "granted", "total") not in rows


# 6000+ characters that do not compress (PostgreSQL compresses index entries before checking their size).
LONG_URL = "http://www.jlcity.gov.cn/search.jsp?q=" + "年报" * 50 + "&x=" + "".join(
    base64.urlsafe_b64encode(hashlib.sha256(str(i).encode()).digest()).decode().rstrip("=") for i in range(140))


def test_a_very_long_url_is_stored_with_the_rest_of_its_batch(store):
    batch = [
        document("http://www.jlcity.gov.cn/before.html", b"before", None),
        document(LONG_URL, b"long", report_2019()),
        # its child carries the long URL as parent_url, which is indexed too
        document("http://www.jlcity.gov.cn/child.html", b"child", None, parent_url=LONG_URL),
        document("http://www.jlcity.gov.cn/after.html", b"after", None),
    ]
    result = store.write_pages(batch)
    store.write_pages(batch)  # still idempotent
    assert (result.pages, result.reports, result.failed_pages) == (4, 1, 0)
    with Session(store.engine) as conn:
        pages = {p.url: p for p in conn.scalars(select(m.Page))}
    assert set(pages) == {b.url for b in batch} and store.table_counts()["reports"] == 1
    assert pages[LONG_URL].error is None and pages[LONG_URL].content_hash == hashlib.sha256(b"long").hexdigest()
    assert pages[LONG_URL].url_hash == hashlib.sha256(LONG_URL.encode()).hexdigest()
    assert pages["http://www.jlcity.gov.cn/child.html"].parent_url == LONG_URL


def test_one_page_the_database_rejects_loses_only_itself(store, caplog):
    bad = FetchedPage(portal_id="no-such-portal", kind="document", url="http://www.jlcity.gov.cn/bad.html",
                      status=200, body=b"bad", fetched_at=FETCHED)
    batch = [document(f"http://www.jlcity.gov.cn/{i}.html", f"{i}".encode(), report_2019() if i == 3 else None)
             for i in range(5)]
    batch.insert(2, bad)
    with caplog.at_level(logging.WARNING, logger="govcrawl.db.store"):
        result = store.write_pages(batch)
    assert result.reports == 1 and result.failed_pages == 1
    with Session(store.engine) as conn:
        pages = {p.url: p for p in conn.scalars(select(m.Page))}
    assert {b.url for b in batch} == set(pages)
    assert store.table_counts()["reports"] == 1 and store.table_counts()["report_cells"] == 5
    failed = pages["http://www.jlcity.gov.cn/bad.html"]
    assert failed.error.startswith("not stored: ") and failed.content_hash == "" and failed.portal_id is None
    assert any("http://www.jlcity.gov.cn/bad.html" in r.getMessage() for r in caplog.records
               if r.levelno == logging.ERROR)


def test_a_page_with_a_nul_character_does_not_lose_its_batch(store):
    # PostgreSQL text cannot hold NUL; SQLite can. Either way the batch is stored and the page is kept.
    nul = document("http://www.jlcity.gov.cn/nul.html", b"nul", None, link_text="年报\x00")
    ok = document("http://www.jlcity.gov.cn/ok.html", b"ok", report_2019())
    result = store.write_pages([nul, ok])
    assert result.pages == 2 and result.reports == 1
    with Session(store.engine) as conn:
        pages = {p.url: p for p in conn.scalars(select(m.Page))}
    assert set(pages) == {nul.url, ok.url}
    if store.engine.dialect.name == "postgresql":
        assert pages[nul.url].error.startswith("not stored: ")


def test_migration_0002_backfills_url_hash_and_rekeys_pages(database_url):
    engine = make_engine(database_url)
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO portals (id, name, agency, region, division_code, platform, column_urls,"
                          " allowed_hosts) VALUES ('p', 'n', 'a', 'r', '220200', 'trs', '[]', '[]')"))
        conn.execute(text("INSERT INTO pages (portal_id, kind, url, content_hash) VALUES"
                          " ('p', 'document', 'http://x.gov.cn/年报.html', 'h1'),"
                          " ('p', 'document', 'http://x.gov.cn/年报.html', '')"))
        conn.execute(text("INSERT INTO reports (page_id, portal_id, text, warnings)"
                          " SELECT id, 'p', 't', '[]' FROM pages WHERE content_hash = 'h1'"))
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as conn:
        hashes = dict(conn.execute(text("SELECT content_hash, url_hash FROM pages")).all())
        assert conn.execute(text("SELECT pages.content_hash FROM reports JOIN pages ON pages.id = reports.page_id"
                                 )).scalar_one() == "h1"
    assert hashes == {"h1": hashlib.sha256("http://x.gov.cn/年报.html".encode()).hexdigest(), "": hashes["h1"]}
    uniques = {tuple(u["column_names"]) for u in inspect(engine).get_unique_constraints("pages")}
    assert ("url_hash", "content_hash") in uniques and ("url", "content_hash") not in uniques
    assert not next(c for c in inspect(engine).get_columns("pages") if c["name"] == "url_hash")["nullable"]
    store = Store(engine)
    store.upsert_portals(load_registry(SEEDS / "portals").values())
    store.write_pages([document(LONG_URL, b"long", None)])
    assert store.table_counts()["pages"] == 3
    engine.dispose()


def test_report_attachments_join_the_attachment_pages_as_the_spider_requests_them(store):
    report = report_2019()
    report.attachments = [Attachment("http://www.jlcity.gov.cn/ndbg/附件/年报 2020.pdf#page=1", "附件：年报.pdf")]
    fetched = ("http://www.jlcity.gov.cn/ndbg/%E9%99%84%E4%BB%B6/%E5%B9%B4%E6%8A%A5%202020.pdf")
    store.write_pages([
        document("http://www.jlcity.gov.cn/r.html", b"report", report),
        FetchedPage(portal_id="220200-szf", kind="attachment", url=fetched, status=200, body=b"%PDF-1.4",
                    parent_url="http://www.jlcity.gov.cn/r.html",
                    report=Report(url=fetched, format="pdf", text="附件", is_report=False)),
    ])
    with Session(store.engine) as conn:
        joined = conn.execute(
            select(m.ReportAttachment.url, m.Page.kind, m.AttachmentFile.format, m.AttachmentFile.size)
            .join(m.Page, m.Page.url == m.ReportAttachment.url)
            .join(m.AttachmentFile, m.AttachmentFile.content_hash == m.Page.content_hash)
        ).all()
    assert joined == [(fetched, "attachment", "pdf", len(b"%PDF-1.4"))]


def test_cells_are_queried_with_plain_sql_and_the_rename_migrates_old_rows(tmp_path):
    """Migration 0003: cells stored under the old column names survive the rename, and a plain SQL query
    without quoting works (it failed on `table`/`row`, reserved words)."""
    from govcrawl.db.engine import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO portals (id, name, agency, region, division_code, platform, column_urls, "
                             "allowed_hosts) VALUES ('220200-x', 'n', 'a', 'r', '220200', 'generic', '[]', '[]')")
        conn.exec_driver_sql("INSERT INTO pages (id, kind, url, url_hash, content_hash) VALUES (1, 'document', 'u', "
                             "'h', 'c')")
        conn.exec_driver_sql("INSERT INTO reports (id, page_id, text, warnings) VALUES (1, 1, '', '[]')")
        conn.exec_driver_sql('INSERT INTO report_cells (report_id, "table", "row", col, value, raw) '
                             "VALUES (1, 'applications', 'new', 'total', 3, '3')")
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("select table_name, row_key, col_key, value from report_cells").all()
    engine.dispose()
    assert rows == [("applications", "new", "total", 3.0)]


def test_models_match_the_migrations(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), m.Base.metadata) == []
    engine.dispose()


def test_migration_0005_drops_the_attachment_bytes_and_names_each_cells_document(database_url):
    engine = make_engine(database_url)
    upgrade(engine, "0003")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO portals (id, name, agency, region, division_code, platform, column_urls, "
                             "allowed_hosts) VALUES ('220200-x', 'n', 'a', 'r', '220200', 'generic', '[]', '[]')")
        conn.exec_driver_sql("INSERT INTO pages (id, kind, url, url_hash, content_hash) VALUES (7, 'document', 'u', "
                             "'h', 'c'), (8, 'attachment', 'u.pdf', 'h2', 'f')")
        conn.execute(text("INSERT INTO attachment_files (content_hash, size, content) VALUES ('f', 3, :b)"),
                     {"b": b"%PD"})
        conn.exec_driver_sql("INSERT INTO reports (id, page_id, text, warnings) VALUES (1, 7, '', '[]')")
        conn.exec_driver_sql("INSERT INTO report_cells (report_id, table_name, row_key, col_key, value, raw) "
                             "VALUES (1, 'applications', 'new', 'total', 3, '3')")
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT document_page_id FROM report_cells").all() == [(7,)]
        assert conn.exec_driver_sql("SELECT format FROM reports").all() == [("html",)]
        assert conn.exec_driver_sql("SELECT content_hash, size FROM attachment_files").all() == [("f", 3)]
    assert "content" not in {c["name"] for c in inspect(engine).get_columns("attachment_files")}
    engine.dispose()
