"""Reports whose cells are in attached files: the store joins a report page and its files whatever order
they arrive in (same batch, later batch, earlier batch, another run), on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

import pytest
from crawlkit import SEEDS
from dbstate import snapshot
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_crawl_store import FETCHED

from extractors.model import Attachment, Cell, Check, Report, Section
from govcrawl.attachments import judge
from govcrawl.db import models as m
from govcrawl.db.engine import make_engine, upgrade
from govcrawl.db.store import Store
from govcrawl.items import FetchedPage
from govcrawl.registry import load_registry

PAGE_URL = "http://www.tiedong.gov.cn/xxgk/zfxxgknb/202101/t20210125_780413.html"
PDF_URL = "http://www.tiedong.gov.cn/xxgk/zfxxgknb/202101/P020210125583127615802.pdf"
DOCX_URL = "http://www.tiedong.gov.cn/xxgk/zfxxgknb/202101/P020210125583127945311.docx"
TITLE = "四平市铁东区教育局2020年政府信息公开工作年度报告"


def shell_report() -> Report:
    """What the extractor reads from an attachment-only page, after the crawl's judgement."""
    return Report(url=PAGE_URL, title=TITLE, agency="四平市铁东区教育局", report_year=2020,
                  published_date="2021-01-25", source="四平市铁东区教育局", generation="2019", is_report=True,
                  text="", attachments=[Attachment(PDF_URL, TITLE + ".pdf"), Attachment(DOCX_URL, TITLE + ".docx")],
                  warnings=["attachment-only page: the report is in 2 attachment(s)"])


def file_report(url: str, fmt: str, new_total: int, granted: int | None = 0) -> Report:
    cells = [Cell("applications", "new", "total", new_total, str(new_total), "件"),
             Cell("applications", "granted", "total", granted, "" if granted is None else str(granted), "件"),
             Cell("appeals", "review", "total", 0, "0", "件")]
    return Report(url=url, title="政府信息公开工作年度报告", agency=None, report_year=2020, generation="2019",
                  is_report=True, format=fmt, text="一、总体情况\n……\n二、主动公开政府信息情况\n……",
                  sections=[Section("一、总体情况", "……"), Section("二、主动公开政府信息情况", "……")],
                  cells=cells, checks=[Check("appeals.sum", "review", "pass", "0 = 0 + 0 + 0 + 0")],
                  warnings=["a table row was read from flattened text"])


def page(url: str, kind: str, body: bytes, report: Report | None, *, error: str | None = None,
         parent: str = "http://www.tiedong.gov.cn/xxgk/zfxxgknb/", parent_kind: str = "list",
         link_text: str | None = None) -> FetchedPage:
    return FetchedPage(portal_id="220303-qzf", kind=kind, url=url, final_url=url, status=200 if error is None else 404,
                       headers=[("Content-Type", "application/octet-stream")], body=body, fetched_at=FETCHED,
                       parent_url=parent, parent_kind=parent_kind, link_text=link_text, report=report, error=error)


def shell_page() -> FetchedPage:
    return page(PAGE_URL, "document", b"<html>shell</html>", shell_report(), link_text=TITLE)


def pdf_page(new_total: int = 3) -> FetchedPage:
    return page(PDF_URL, "attachment", b"%PDF-1.7 " + str(new_total).encode(), file_report(PDF_URL, "pdf", new_total),
                parent=PAGE_URL, parent_kind="document", link_text=TITLE + ".pdf")


def docx_page(new_total: int = 3) -> FetchedPage:
    return page(DOCX_URL, "attachment", b"PK docx " + str(new_total).encode(),
                file_report(DOCX_URL, "docx", new_total, granted=None), parent=PAGE_URL, parent_kind="document")


@pytest.fixture
def make_store(database_url):
    engines = []

    def make(url: str = database_url) -> Store:
        engine = make_engine(url)
        engines.append(engine)
        upgrade(engine)
        store = Store(engine)
        store.upsert_portals(load_registry(SEEDS / "portals").values())
        return store

    yield make
    for engine in engines:
        engine.dispose()


def joined_state(database_url: str) -> dict:
    state = snapshot(database_url)
    return {"reports": state["reports"], "counts": state["counts"]}


def test_an_attachment_only_page_takes_cells_and_sections_from_its_file_in_either_order(make_store, database_url,
                                                                                      tmp_path):
    # page first, file in a later batch
    store = make_store()
    store.write_pages([shell_page()])
    with Session(store.engine) as session:
        report = session.scalars(select(m.Report)).one()
        assert (report.title, report.format, report.text) == (TITLE, "html", "")  # the page stands on its own
    result = store.write_pages([pdf_page()])
    assert result.cells == 3
    first = joined_state(database_url)
    stored = first["reports"][PAGE_URL]
    assert (stored["title"], stored["agency"], stored["published_date"].isoformat(), stored["source"]) == (
        TITLE, "四平市铁东区教育局", "2021-01-25", "四平市铁东区教育局")  # metadata from the page
    assert stored["format"] == "pdf" and stored["documents"] == [PDF_URL]  # every cell read from the PDF
    assert stored["cells"][("applications", "new", "total")] == (3.0, True, "3", "件")
    assert stored["sections"][0] == ("一、总体情况", "……") and stored["text"].startswith("一、总体情况")
    assert stored["checks"] == [("appeals.sum", "review", "pass", "0 = 0 + 0 + 0 + 0")]
    assert stored["warnings"] == ["attachment-only page: the report is in 2 attachment(s)",
                                  "P020210125583127615802.pdf: a table row was read from flattened text"]

    # the file first, the page later, in another database: the same report
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    other = make_store(other_url)
    other.write_pages([pdf_page()])
    assert joined_state(other_url)["counts"]["reports"] == 0  # a linked file is not a report of its own
    other.write_pages([shell_page()])
    assert joined_state(other_url)["reports"] == first["reports"]

    # and both in one batch, in a third
    third_url = f"sqlite:///{tmp_path / 'third.db'}"
    make_store(third_url).write_pages([pdf_page(), shell_page()])
    assert joined_state(third_url)["reports"] == first["reports"]

    # writing everything again changes nothing
    store.write_pages([shell_page(), pdf_page()])
    store.write_pages([pdf_page()])
    assert joined_state(database_url) == first


def test_the_first_linked_file_is_primary_whatever_arrives_first_and_files_are_compared(make_store, tmp_path):
    states = []
    for n, order in enumerate(itertools.permutations([shell_page, pdf_page, docx_page])):
        url = f"sqlite:///{tmp_path / f'{n}.db'}"
        store = make_store(url)
        for make_page in order:  # one batch each
            store.write_pages([make_page()])
        states.append(joined_state(url))
    assert all(state == states[0] for state in states[1:])
    stored = states[0]["reports"][PAGE_URL]
    assert stored["documents"] == [PDF_URL]  # the PDF is linked first
    # the DOCX says blank where the PDF says 0: a soft finding, both values named
    assert stored["checks"][-1] == ("attachment_vs_attachment", "applications.granted.total", "warn",
                                    "P020210125583127615802.pdf '0' ≠ P020210125583127945311.docx ''")


def test_a_page_with_its_own_table_stays_primary_and_disagreeing_file_cells_are_warnings(make_store, database_url):
    html = file_report(PAGE_URL, "html", 3)
    html.title, html.published_date = TITLE, "2021-01-25"
    html.attachments = [Attachment(PDF_URL, "附件")]
    html_page = page(PAGE_URL, "document", b"<html>table</html>", html)
    store = make_store()
    store.write_pages([pdf_page(new_total=4)])
    store.write_pages([html_page])
    state = joined_state(database_url)
    stored = state["reports"][PAGE_URL]
    assert stored["format"] == "html" and stored["documents"] == [PAGE_URL]
    assert stored["cells"][("applications", "new", "total")] == (3.0, True, "3", "件")  # the page's value
    assert stored["checks"] == [("appeals.sum", "review", "pass", "0 = 0 + 0 + 0 + 0"),
                                ("attachment_vs_page", "applications.new.total", "warn",
                                 "page '3' ≠ P020210125583127615802.pdf '4'")]
    store.write_pages([html_page, pdf_page(new_total=4)])
    assert joined_state(database_url) == state
    # the export shows the finding with the report's checks
    from govcrawl.export import iter_reports

    [exported] = [r for r in iter_reports(store.engine) if r["url"] == PAGE_URL]
    assert {"rule": "attachment_vs_page", "scope": "applications.new.total", "status": "warn",
            "detail": "page '3' ≠ P020210125583127615802.pdf '4'"} in exported["checks"]
    assert exported["format"] == "html"


def test_a_file_of_another_year_or_a_blank_template_is_neither_primary_nor_compared(make_store, database_url):
    shell = shell_page()
    shell.report.attachments[:0] = [Attachment("http://www.tiedong.gov.cn/2019.pdf", "2019年报告.pdf"),
                                    Attachment("http://www.tiedong.gov.cn/template.xls", "统计表.xls")]
    old = file_report("http://www.tiedong.gov.cn/2019.pdf", "pdf", 9)
    old.report_year = 2019
    template = file_report("http://www.tiedong.gov.cn/template.xls", "xls", 0)
    template.is_report = False  # the extractor's verdict on a blank template of the tables
    store = make_store()
    store.write_pages([shell, page(old.url, "attachment", b"%PDF old", old, parent=PAGE_URL, parent_kind="document"),
                       page(template.url, "attachment", b"xls", template, parent=PAGE_URL, parent_kind="document"),
                       pdf_page()])
    stored = joined_state(database_url)["reports"][PAGE_URL]
    assert stored["documents"] == [PDF_URL] and stored["cells"][("applications", "new", "total")][0] == 3


def test_a_failed_attachment_is_a_page_with_its_reason_and_the_report_page_stands(make_store, database_url):
    store = make_store()
    scanned = Report(url=PDF_URL, format="pdf", text="",
                     warnings=["scanned PDF: no text layer on its 3 pages (OCR is not available)"])
    pdf = page(PDF_URL, "attachment", b"%PDF-1.4 scanned", scanned, parent=PAGE_URL, parent_kind="document")
    judge(pdf)
    missing = page(DOCX_URL, "attachment", b"Not Found", None, error="HTTP 404 Not Found", parent=PAGE_URL,
                   parent_kind="document")
    store.write_pages([shell_page(), pdf, missing])
    state = snapshot(database_url)
    assert state["pages"][PDF_URL]["error"] == ("attachment not readable (pdf): scanned PDF: no text layer on its 3"
                                                " pages (OCR is not available)")
    assert state["pages"][DOCX_URL]["error"] == "HTTP 404 Not Found"
    stored = state["reports"][PAGE_URL]
    assert stored["title"] == TITLE and stored["cells"] == {} and stored["format"] == "html"
    assert state["counts"]["attachment_files"] == 0


def test_a_file_the_column_links_is_a_report_titled_by_its_link(make_store, database_url):
    url = "http://www.tiedong.gov.cn/xxgk/zfxxgknb/202101/P020210126.docx"
    title = "四平市铁东区民政局2020年政府信息公开工作年度报告"
    linked = page(url, "attachment", b"PK docx", file_report(url, "docx", 5), link_text=title)
    judge(linked)
    make_store().write_pages([linked])
    stored = joined_state(database_url)["reports"][url]
    assert (stored["title"], stored["agency"], stored["report_year"], stored["format"]) == (
        title, "四平市铁东区民政局", 2020, "docx")
    assert stored["documents"] == [url] and stored["cells"][("applications", "new", "total")][0] == 5


def test_judging_pages():
    # judge() says whether it changed the report: the worker's fingerprint of the report is then stale.
    shell = Report(url=PAGE_URL, title=TITLE, text="", attachments=[Attachment(PDF_URL, "附件")])
    assert judge(page(PAGE_URL, "document", b"", shell)) is True
    assert shell.is_report is True  # the page and its file together are one report
    letter = Report(url=PAGE_URL, title="关于报送2020年政府信息公开工作年度报告的通知", text="",
                    attachments=[Attachment(PDF_URL, "附件")])
    assert judge(page(PAGE_URL, "document", b"", letter)) is False
    assert letter.is_report is False
    untitled = Report(url=PAGE_URL, title="四平市铁东区教育局", text="", attachments=[Attachment(PDF_URL, "附件")])
    assert judge(page(PAGE_URL, "document", b"", untitled, link_text=TITLE)) is True
    assert untitled.is_report is True  # the column's link names the report the page carries
    cut = file_report(PDF_URL, "pdf", 1)
    assert judge(page(PDF_URL, "attachment", b"", cut, link_text="四平市铁东区民政局2020年政府信息公开工...")) is False
    assert cut.title == "政府信息公开工作年度报告"  # a truncated link text is not a title
    linked = file_report(PDF_URL, "pdf", 1)
    before = linked.fingerprint()
    assert judge(page(PDF_URL, "attachment", b"", linked, link_text=TITLE, parent_kind="list")) is True
    assert linked.title == TITLE and linked.fingerprint() != before


def test_a_page_and_its_file_stored_at_once_by_two_crawls_are_joined(postgres_url):
    """PostgreSQL, two writers: while one transaction holds the page's new report (not yet committed), the
    other stores the file; it must wait for the first and then join the report, not miss it."""
    import threading
    import time

    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql

    from govcrawl.db.attachments import join_reports
    from govcrawl.db.store import url_hash

    engine = make_engine(postgres_url)
    upgrade(engine)
    store = Store(engine)
    store.upsert_portals(load_registry(SEEDS / "portals").values())
    first = engine.connect()
    transaction = first.begin()
    page_id = first.execute(postgresql.insert(m.Page).returning(m.Page.id), {
        "portal_id": "220303-qzf", "kind": "document", "url": PAGE_URL, "url_hash": url_hash(PAGE_URL),
        "content_hash": "c", "is_report": True}).scalar_one()
    report_id = first.execute(postgresql.insert(m.Report).returning(m.Report.id), {
        "page_id": page_id, "portal_id": "220303-qzf", "url": PAGE_URL, "title": TITLE, "text": "",
        "warnings": []}).scalar_one()
    first.execute(postgresql.insert(m.ReportAttachment), {"report_id": report_id, "position": 0, "url": PDF_URL,
                                                          "text": "附件"})
    assert join_reports(first, postgresql.insert, {report_id}, [], url_hash) == 0  # its file is not in yet

    second = threading.Thread(target=store.write_pages, args=([pdf_page()],))
    second.start()
    with engine.connect() as watcher:  # wait until the file's writer waits for the page's
        for _ in range(200):
            if watcher.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                                    )).scalar_one():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the transaction storing the file did not wait for the one storing its page")
    transaction.commit()
    first.close()
    second.join(timeout=60)
    with Session(engine) as session:
        documents = set(session.scalars(select(m.ReportCell.document_page_id)
                                        .where(m.ReportCell.report_id == report_id)))
        pdf_id = session.scalars(select(m.Page.id).where(m.Page.url == PDF_URL)).one()
    engine.dispose()
    assert documents == {pdf_id}
