"""Portal renderings of the seed reports: the same values come out of every page style."""

import json

import pytest

from tests.conftest import PAGES
from tests.extraction.seed_values import SEEDS

RENDERINGS = {
    "000_gbk": "000",  # GBK bytes, <meta charset=gb2312>, server says ISO-8859-1, Word-exported table
    "001_trs": "001",  # TRS WCM, .TRS_Editor, one table per 第二十条 block
    "002_jiyue": "002",  # 集约化 platform with a 信息索引表, no table
    "003_county": "003",  # table-layout county site, statistics table nested in the layout table
    "004_zoom": "004",  # #zoom, all 第二十条 blocks in one table, Word-template application matrix
}
CHROME = ("登录", "注册", "当前位置", "您现在的位置", "【打印】", "【关闭】", "字体", "分享到", "点击数", "浏览次数",
          "相关链接", "上一篇", "下一篇", "主办单位", "网站标识码", "ICP备", "公网安备")


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_rendering_gives_the_seed_values(extract_page, name):
    SEEDS[RENDERINGS[name]](extract_page(name))


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_rendering_text_is_free_of_portal_chrome(extract_page, name):
    report = extract_page(name)
    leaked = [word for word in CHROME if word in report.text]
    assert leaked == []
    assert report.is_report
    assert report.sections and report.sections[0].heading.startswith("一、")


def test_gbk_page_keeps_characters_outside_gb2312_and_the_text_after_them(extract_page):
    raw = (PAGES / "000_gbk.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb2312")
    report = extract_page("000_gbk")
    assert "李喆、王昇" in report.text
    assert "七、存在的主要问题及工作打算" in [s.heading for s in report.sections]
    assert any("trusted the page" in w for w in report.warnings)


def test_trs_page_metadata(extract_page):
    report = extract_page("001_trs")
    assert report.agency == "吉林市科技局"
    assert report.source == "吉林市科学技术局"
    assert report.url.startswith("http")


def test_index_table_gives_agency_and_date_not_the_related_links(extract_page):
    report = extract_page("002_jiyue")
    assert report.agency == "二连浩特市政务公开领导小组办公室"
    assert report.published_date == "2015-03-18"


def test_county_page_date_comes_from_the_info_line(extract_page):
    assert extract_page("003_county").published_date == "2018-01-26"


@pytest.mark.parametrize("name", ["004_varied", "006_2021_format"])
def test_every_value_lands_in_its_own_cell(extract_page, name):
    expected = json.loads((PAGES / f"{name}.expected.json").read_text(encoding="utf-8"))
    report = extract_page(name)
    got = {(c.table, c.row, c.col): (c.value, c.raw) for c in report.cells}
    want = {(c["table"], c["row"], c["col"]): (c["value"], c["raw"]) for c in expected}
    assert {k: v[0] for k, v in got.items()} == {k: v[0] for k, v in want.items()}
    assert {k: v[1] for k, v in got.items()} == {k: v[1] for k, v in want.items()}


def test_varied_page_values_are_distinct_enough_to_prove_placement():
    expected = json.loads((PAGES / "004_varied.expected.json").read_text(encoding="utf-8"))
    numbers = [c["value"] for c in expected if c["value"] not in (None, 0)]
    assert len(set(numbers)) > 0.8 * len(numbers)


def test_2021_page(extract_page):
    report = extract_page("006_2021_format")
    assert report.generation == "2021"
    assert report.report_year == 2022
    rows = {c.row for c in report.cells if c.table == "applications"}
    assert {"other.no_correction", "other.unpaid_fee", "other.other"} <= rows and "other" not in rows
    assert not {c.row for c in report.cells if c.table == "active"} & {"other_services", "procurement"}
    assert all(c.status == "pass" for c in report.checks if c.rule.startswith(("applications.", "appeals.")))


def test_attachment_only_page_lists_its_files_and_returns_no_chrome(extract_page):
    report = extract_page("005_attachment_only")
    assert report.text == "" and report.sections == [] and report.cells == []
    assert any("attachment-only" in w for w in report.warnings)
    assert [a.url.rsplit(".", 1)[-1] for a in report.attachments] == ["pdf", "docx"]
    assert all(a.url.startswith("http://") and "年度报告" in a.text for a in report.attachments)
    assert report.title == "四平市铁东区教育局2020年政府信息公开工作年度报告"
    assert report.report_year == 2020
    assert not report.is_report


def test_a_letter_in_the_report_column_is_not_a_report(extract_page):
    report = extract_page("007_notice")
    assert report.title == "关于2014年政府信息公开工作要点落实情况的函"
    assert report.agency != "关于"
    assert not report.is_report


def test_the_column_list_page_is_not_a_report(extract_page):
    report = extract_page("008_list")
    assert not report.is_report
    assert report.cells == []


def test_script_shell_page_says_the_article_is_not_there():
    from extractors import extract

    shell = """<html><head><meta charset="utf-8"><title>某市某局2021年政府信息公开工作年度报告</title></head><body>
<div id="app"></div><script>$.ajax({url: "/EpointWebBuilder/rest/getGovInfoDetail", data: {infoid: "8f2c"},
success: function (d) { $("#app").html(d.content); }});</script></body></html>""".encode()
    report = extract(shell)
    assert not report.is_report and report.text == ""
    assert any("loaded by JavaScript" in w for w in report.warnings)
