"""The report text of an HTML page is trafilatura's text of the content container, except that each table's
lines are written from the table reader's grid (trafilatura reads the container without its tables, which
halves the cost of extraction). These tests pin what that changes in the text and what it does not."""

import copy
import re

import pytest
import trafilatura

from extractors import extract
from extractors.chrome import clean_lines
from extractors.content import CONTAINER_OPTIONS, find_container, parse_html
from extractors.decode import decode
from extractors.normalize import nfkc
from extractors.rows import leaf_tables, read_table
from tests.extraction.golden import corpus

HTML = {name: (body, url, headers) for name, body, url, headers in corpus() if not name.startswith("texts/")}
# Pages from the Word-exported 2014 report (the fixture and the seed site's copy of it).
WORD_TABLE_PAGES = {"pages/000_gbk.html", "site/http://www.jlgxj.gov.cn/zwgk/ndbg/201501/t20150120_1129.html"}


def _container(body, headers):
    return find_container(parse_html(decode(body, headers)[0]))


def _trafilatura_on_the_whole_container(body, headers, title):
    """The text as it was made before: trafilatura on the container with its tables in it."""
    return clean_lines(nfkc(trafilatura.extract(copy.deepcopy(_container(body, headers)), **CONTAINER_OPTIONS)), title)


# Pages whose text is made the new way; on the others (no container, or none with a table) nothing changed.
WITH_TABLES = sorted(name for name, (body, _, headers) in HTML.items()
                     if (c := _container(body, headers)) is not None and leaf_tables(c))


def test_the_corpus_has_pages_with_tables_in_their_container():
    assert len(WITH_TABLES) >= 30


@pytest.mark.parametrize("name", sorted(set(WITH_TABLES) - WORD_TABLE_PAGES))
def test_text_is_what_trafilatura_makes_of_the_whole_container(name):
    body, url, headers = HTML[name]
    report = extract(body, url=url, headers=headers)
    assert report.text == _trafilatura_on_the_whole_container(body, headers, report.title)


@pytest.mark.parametrize("name", sorted(WORD_TABLE_PAGES))
def test_word_table_rows_lose_only_their_indentation_and_the_blank_spacer_row(name):
    """Word indents sub-rows with a run of spaces (`<span style="mso-spacerun:yes">    </span>其中：…`) and puts a
    spacer row of `<o:p> </o:p>` cells under the title rows. trafilatura kept both (`|     其中:…`, `|  |  |  |`);
    the grid writes each cell as the reader sees it. No text is lost: the prose lines are the same, and each
    table line differs only in whitespace or is a row of blank cells."""
    body, url, headers = HTML[name]
    report = extract(body, url=url, headers=headers)
    before = _trafilatura_on_the_whole_container(body, headers, report.title).splitlines()
    after = report.text.splitlines()
    assert [line for line in after if "|" not in line] == [line for line in before if "|" not in line]
    blank_row = re.compile(r"^[|\s]+$")

    def squashed(line: str) -> str:
        return re.sub(r"\s+", " ", line)

    assert [squashed(line) for line in before if not blank_row.match(line)] == [squashed(line) for line in after]
    assert [line for line in before if blank_row.match(line)] == ["|  |  |  |"]
    assert "| 其中:主动公开规范性文件数 | 条 | 1 |" in after
    assert not any(re.match(r"^\|\s{2,}\S", line) for line in after)


@pytest.mark.parametrize("name", sorted(HTML))
def test_every_table_in_the_container_is_written_back_at_its_place(name):
    body, url, headers = HTML[name]
    report = extract(body, url=url, headers=headers)
    assert "govcrawltable" not in report.text
    container = _container(body, headers)
    if container is None:
        return
    position = 0
    for table in leaf_tables(container):
        lines = nfkc(read_table(table)[1])
        if not lines or report.text == "":
            continue
        found = report.text.find(lines, position)
        assert found >= position, f"table text missing or out of order: {lines[:80]!r}"
        position = found + len(lines)


def test_a_table_inside_running_text_keeps_its_rows_and_the_text_around_it():
    """trafilatura flattened a table that sits inside a run of text into one line of words (`项目 数量 本年新收…
    5`), which then read as prose with figures in it; written from the grid, the table keeps its rows and no
    character of the text around it is lost."""
    page = """<html><head><meta charset="utf-8"><title>某局2020年政府信息公开工作年度报告</title></head><body>
<div class="TRS_Editor"><p>一、总体情况</p><div>本年度共收到申请5件，详见下表：<table><tr><th>项目</th><th>数量</th></tr>
<tr><td>本年新收政府信息公开申请数量</td><td>5</td></tr></table>以上为全部申请。</div>
<p>二、主动公开政府信息情况</p><p>全年主动公开政府信息120条，较上年有所增加。</p></div></body></html>"""  # noqa: E501 - markup: a line break would change it
    report = extract(page.encode())
    before = _trafilatura_on_the_whole_container(page.encode(), {}, report.title).splitlines()
    assert "项目 数量 本年新收政府信息公开申请数量 5" in before
    assert report.text.splitlines() == [
        "一、总体情况", "本年度共收到申请5件,详见下表:", "| 项目 | 数量 |", "|---|---|",
        "| 本年新收政府信息公开申请数量 | 5 |",
        "以上为全部申请。", "二、主动公开政府信息情况", "全年主动公开政府信息120条,较上年有所增加。"]
    assert [s.heading for s in report.sections] == ["一、总体情况", "二、主动公开政府信息情况"]
