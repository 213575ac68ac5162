"""What the five seed reports (../shared/seeds/*.txt, carried by seeds/site) and the site's report files
(PDF, DOCX: seeds/report_files.py) must be stored as."""

from __future__ import annotations

import datetime as dt
import json

from crawlkit import FIXTURE_PAGES, SEEDS

from extractors import extract

SEED_REPORTS = {
    # url: (fixture, title, report_year, generation, {(table,row,col): value read in the seed text})
    "http://www.jlgxj.gov.cn/zwgk/ndbg/201501/t20150120_1129.html": (
        "000_gbk", "吉林市工业和信息化局2014年度政府信息公开工作年度报告", 2014, "pre2019",
        {("legacy", "active.via.website", "value"): 17, ("legacy", "response.hot_topics", "value"): 94}),
    "http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/202001/t20200114_687214.html": (
        "001_trs", "吉林市科技局2019年政府信息公开工作年度报告", 2019, "2019",
        {("active", "licensing", "decisions"): 79, ("active", "other_services", "decisions"): 365}),
    "http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/201503/t20150318_1290521.html": (
        "002_jiyue", "二连浩特市2014年度政府信息公开年度报告", 2014, "pre2019", {}),
    "http://dt.smesd.gov.cn/Article/ShowArticle.asp?ArticleID=1187": (
        "003_county", "菏泽市定陶区中小企业局2017年政府信息公开报告", 2017, "pre2019",
        {("legacy", "active", "value"): 98, ("legacy", "meetings.trainees", "value"): 350}),
    "http://www.siping.gov.cn/zwgk/zfxxgkzl/ndbg/bmndbg/202101/t20210129_4419863.html": (
        "004_zoom", "四平市城市管理行政执法局2020年政府信息公开工作年度报告", 2020, "2019", {}),
}
NOTICE_URL = "http://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/201502/t20150210_112367.htm"
ATTACHMENT_ONLY_URL = "http://www.tiedong.gov.cn/xxgk/zfxxgknb/202101/t20210125_780413.html"
ATTACHMENT_PDF_URL = "http://www.tiedong.gov.cn/xxgk/zfxxgknb/202101/P020210125583127615802.pdf"
MISSING_DOCX_URL = "http://www.tiedong.gov.cn/xxgk/zfxxgknb/202101/P020210125583127945311.docx"
COLUMN_DOCX_URL = "http://www.linqu.gov.cn/zwgk/zfxxgknb/202301/P020230119385216704223.docx"
REPORT_FILES = {
    # report url: (file, format, fixture whose tables the file carries, title, report year, generation, published)
    ATTACHMENT_ONLY_URL: (ATTACHMENT_PDF_URL, "pdf", "004_varied", "四平市铁东区教育局2020年政府信息公开工作年度报告",
                          2020, "2019", "2021-01-25"),
    COLUMN_DOCX_URL: (COLUMN_DOCX_URL, "docx", "006_2021_format", "临朐县农业农村局2022年政府信息公开工作年度报告",
                      2022, "2021", None),
}


def site_file(url: str) -> bytes:
    return (SEEDS / "site" / url.removeprefix("http://")).read_bytes()


def cell_values(cells) -> dict:
    """Cells as the snapshot holds them: (table, row, col) -> (value as stored, is integer, raw, unit)."""
    return {(c.table, c.row, c.col): (None if c.value is None else float(c.value),
                                      None if c.value is None else isinstance(c.value, int), c.raw, c.unit)
            for c in cells}


def assert_seed_reports_stored(state: dict) -> None:
    reports = state["reports"]
    for url, (fixture, title, year, generation, values) in SEED_REPORTS.items():
        assert url in reports, f"seed report {fixture} ({url}) was not stored"
        stored = reports[url]
        assert (stored["title"], stored["report_year"], stored["generation"]) == (title, year, generation)
        for key, value in values.items():
            assert stored["cells"][key][0] == value, (fixture, key)
        # Storage is faithful: the rows hold exactly what the extractor reads from the same bytes.
        meta = json.loads((FIXTURE_PAGES / f"{fixture}.headers.json").read_text())
        report = extract((FIXTURE_PAGES / f"{fixture}.html").read_bytes(), url=url, headers=meta["headers"])
        assert stored["cells"] == cell_values(report.cells)
        assert stored["checks"] == [(c.rule, c.scope, c.status, c.detail) for c in report.checks]
    pages = state["pages"]
    assert pages[NOTICE_URL]["is_report"] is False and NOTICE_URL not in reports  # the 函: a page, not a report
    assert pages[ATTACHMENT_PDF_URL]["kind"] == "attachment" and pages[ATTACHMENT_PDF_URL]["status"] == 200
    assert pages[ATTACHMENT_PDF_URL]["parent_url"] == ATTACHMENT_ONLY_URL
    assert pages[MISSING_DOCX_URL]["error"] == "HTTP 404 Not Found"
    assert_report_files_stored(state)


def assert_report_files_stored(state: dict) -> None:
    """The attachment-only report has the cells of its PDF, the DOCX the column links is a report: every cell
    read from the file (and the file's numbers are the fixture's)."""
    for url, (file_url, fmt, fixture, title, year, generation, published) in REPORT_FILES.items():
        stored = state["reports"][url]
        assert (stored["title"], stored["report_year"], stored["generation"], stored["format"]) == (
            title, year, generation, fmt), url
        assert stored["published_date"] == (published and dt.date.fromisoformat(published))
        assert stored["documents"] == [file_url]
        report = extract(site_file(file_url), url=file_url)
        assert stored["cells"] == cell_values(report.cells)
        expected = json.loads((FIXTURE_PAGES / f"{fixture}.expected.json").read_text(encoding="utf-8"))
        assert {key: value[0] for key, value in stored["cells"].items()} == {
            (c["table"], c["row"], c["col"]): c["value"] for c in expected}
        assert [heading for heading, _ in stored["sections"]] == [s.heading for s in report.sections]
