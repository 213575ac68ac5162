"""Text from PDF-to-markdown tools (tests/fixtures/markdown, built by make_markdown.py there from the seed
renderings): pipe tables, one table per row, OCR header rows, labels apart from their figures, `#` headings and a
title over two lines all give the page's canonical cells, and no markup reaches title, agency or sections."""

import json

import pytest

from extractors import extract
from tests.conftest import FIXTURES

MARKDOWN = FIXTURES / "markdown"
TITLES = {"004_varied": ("四平市城市管理行政执法局2020年政府信息公开工作年度报告", "四平市城市管理行政执法局", "2019"),
          "006_2021_format": ("临朐县自然资源和规划局2022年政府信息公开工作年度报告", "临朐县自然资源和规划局", "2021")}
MARKUP = ("#", "**", "|", "---", "[", "](")


@pytest.mark.parametrize("path", sorted(MARKDOWN.glob("*.md")), ids=lambda p: p.name)
def test_markdown_gives_the_canonical_cells(path):
    name = path.name.split(".")[0]
    report = extract(path.read_bytes())
    expected = json.loads((FIXTURES / "pages" / f"{name}.expected.json").read_text(encoding="utf-8"))
    got = {(c.table, c.row, c.col): (c.value, c.raw) for c in report.cells}
    assert got == {(c["table"], c["row"], c["col"]): (c["value"], c["raw"]) for c in expected}
    assert (report.title, report.agency, report.generation) == TITLES[name]
    assert report.is_report and report.format == "text" and report.warnings == []


@pytest.mark.parametrize("path", sorted(MARKDOWN.glob("*.md")), ids=lambda p: p.name)
def test_markdown_markup_never_reaches_title_agency_or_sections(path):
    report = extract(path.read_bytes())
    for field in (report.title, report.agency, *(s.heading for s in report.sections)):
        assert not any(mark in field for mark in MARKUP), field
    assert "**" not in report.text and "\n#" not in report.text and "---|" not in report.text
    assert [s.heading for s in report.sections][:2] == ["一、总体情况", "二、主动公开政府信息情况"]
    assert all(s.heading.startswith(("一", "二", "三", "四", "五", "六")) for s in report.sections)
    assert "四、结转下年度继续办理" not in [s.heading for s in report.sections]  # a table row, not a heading


def test_inline_markup_is_stripped_from_prose():
    text = ("# 某县某局\n# 2021年政府信息公开工作年度报告\n\n## 一、总体情况\n\n**（一）主动公开。**全年公开信息"
            "[12条](http://x.gov.cn/a.html)，详见![图](a.png)专栏。\n\n> 注：\\*不含转载\n\n---\n\n"
            "## 二、主动公开政府信息情况\n")
    report = extract(text.encode())
    assert report.title == "某县某局2021年政府信息公开工作年度报告"
    full_width = report.text.replace("(", "（").replace(")", "）").replace(",", "，")
    assert "（一）主动公开。全年公开信息12条，详见专栏。" in full_width
    assert "注:*不含转载" in report.text.replace("：", ":")
