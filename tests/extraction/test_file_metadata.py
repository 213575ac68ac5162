"""Report-level fields in every format: unpadded dates, the labels portals use, body-only fragments' titles,
titles set over two lines; and files that sit in a report column without being a report."""

import pytest

from extractors import extract
from tests.conftest import FIXTURES

OFFICE = FIXTURES / "office"
BODY = "<p>一、总体情况</p><p>本年度主动公开政府信息12条，其中规范性文件3件。</p>"


@pytest.mark.parametrize(("line", "date"), [
    ("发布日期：2021-1-5", "2021-01-05"),
    ("发布时间：2021年1月5日 09:30", "2021-01-05"),
    ("时间：2021/1/5", "2021-01-05"),
    ("更新时间：2021-1-7", "2021-01-07"),
    ("成文日期：2021-1-3　　更新时间：2021-1-7", "2021-01-07"),
    ("成文日期：2021-1-3　　发布日期：2021-1-5　　更新时间：2021-1-7", "2021-01-05"),
    ("成文日期：2021年1月3日", None),
])
def test_published_date_labels_and_unpadded_dates(line, date):
    page = f"""<html><head><title>某县某局2020年政府信息公开工作年度报告</title></head><body>
<div class="info"><span>{line}</span></div><div id="zoom">{BODY}</div></body></html>"""
    assert extract(page.encode()).published_date == date


@pytest.mark.parametrize("heading", [
    '<p style="text-align: center;"><span>某县某局2020年政府信息公开工作年度报告</span></p>',
    '<p align="center">某县某局2020年政府信息公开工作年度报告</p>',
    "<p><strong>某县某局2020年政府信息公开工作年度报告</strong></p>",
    '<p style="font-weight:bold">某县某局2020年政府信息公开工作年度报告</p>',
])
def test_body_only_fragment_title_is_its_first_centred_or_bold_line(heading):
    report = extract(f"{heading}<p>发布时间：2021-1-5</p>{BODY}".encode())
    assert report.title == "某县某局2020年政府信息公开工作年度报告"
    assert report.agency == "某县某局" and report.published_date == "2021-01-05" and report.report_year == 2020


def test_plain_text_title_over_two_lines():
    text = "某县自然资源局\n2020年政府信息公开工作年度报告\n一、总体情况\n本年度主动公开政府信息12条。\n"
    report = extract(text.encode())
    assert report.title == "某县自然资源局2020年政府信息公开工作年度报告" and report.agency == "某县自然资源局"


@pytest.mark.parametrize("name", ["not_report_blank_template.docx", "not_report_comparison.docx",
                                  "not_report_letter.docx", "not_report_notice.docx"])
def test_files_in_a_report_column_that_are_no_report(name):
    report = extract((OFFICE / name).read_bytes())
    assert report.format == "docx" and report.text and not report.is_report


@pytest.mark.parametrize("text", [
    "临朐县自然资源和规划局\n关于报送政务公开材料的函\n县政务公开办公室：\n现将我局2022年政府信息公开工作年度报告等材料报送你们。\n",
    "某县人民政府办公室\n某政办字〔2023〕3号\n某县政务公开办公室：\n根据要求，现将2022年度政府信息公开工作年度报告编制情况报告如下。\n",
])
def test_a_letter_without_a_report_title_is_no_report(text):
    report = extract(text.encode())
    assert report.text and not report.is_report
