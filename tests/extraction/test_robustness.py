"""Malformed input never escapes as an unexpected exception: a Report, or ExtractError naming the cause."""

import io
import json
import subprocess
import sys
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors import ExtractError, Report, extract
from tests.conftest import FIXTURES, PAGES, TEXTS

REAL_PAGES = ([p.read_bytes() for p in sorted(PAGES.glob("*.html"))]
              + [p.read_bytes() for p in sorted(TEXTS.glob("*.txt"))]
              + [p.read_bytes() for p in sorted((FIXTURES / "markdown").glob("*.md"))])


def _survives(body: bytes) -> None:
    try:
        report = extract(body)
    except ExtractError as exc:
        assert str(exc)  # noqa: PT017 - raising is allowed, not required: the message must say why
        return
    assert isinstance(report, Report)
    json.dumps(report.to_dict(), ensure_ascii=False)


@st.composite
def mutated_pages(draw):
    body = bytearray(draw(st.sampled_from(REAL_PAGES)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["truncate", "flip", "delete", "insert", "duplicate"]))
        at = draw(st.integers(0, max(len(body) - 1, 0)))
        if op == "truncate":
            del body[at:]
        elif op == "flip" and body:
            body[at] = draw(st.integers(0, 255))
        elif op == "delete":
            del body[at : at + draw(st.integers(1, 4000))]
        elif op == "insert":
            body[at:at] = draw(st.sampled_from([
                b"<table>", b"</td>", b"<td rowspan=99999 colspan=0>", b"\x00", b"\xff\xfe",
                b"<tr><td>", b"|", b"\n", b"<!--", b"]]>", "（七）总计".encode(),
                b"<!-- TRS_PubDate -->", b"<?php echo 1; ?>", b"<?xml-stylesheet x?>",
                b"<td>" + b"9" * 5000 + b"</td>", b"1" * 400 + b".5", b"-" + b"7" * 4400,
                b"|---|---|", b"| | |", b"| \xe6\x95\xb0\xe6\x8d\xae1 |", b"# "]))
        elif op == "duplicate":
            body[at:at] = body[at : at + draw(st.integers(1, 3000))]
    return bytes(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_pages())
def test_mutated_real_pages(body):
    _survives(body)


OFFICE_FILES = [(FIXTURES / "office" / name).read_bytes() for name in ("004_varied.docx", "006_2021_format.xlsx")]
W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
XML_PIECES = [b"<w:tbl>", b"</w:tc>", b'<w:tc><w:tcPr><w:gridSpan w:val="99999"/><w:vMerge/></w:tcPr>', b"<!--", b"-->",
              b"<?pi x?>", b"<w:t>" + b"9" * 5000 + b"</w:t>", b"<w:sdt><w:sdtContent>", b"\x00", b"&amp;", b"&lol;",
              b'<w:gridBefore w:val="-5"/>', b'<w:vMerge w:val="restart"/>', "（七）总计".encode()]


@st.composite
def mutated_office_files(draw):
    """Byte-level damage to the package, or XML-level damage to its main part re-packed (so it gets parsed)."""
    body = draw(st.sampled_from(OFFICE_FILES))
    if draw(st.booleans()):
        damaged = bytearray(body)
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(damaged) - 1))
            if draw(st.booleans()):
                damaged[at] = draw(st.integers(0, 255))
            else:
                del damaged[at:]
                if not damaged:
                    break
        return bytes(damaged)
    archive = zipfile.ZipFile(io.BytesIO(body))
    main = next(n for n in archive.namelist() if n in ("word/document.xml", "xl/worksheets/sheet2.xml"))
    xml = bytearray(archive.read(main))
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(xml) - 1))
        xml[at:at] = draw(st.sampled_from(XML_PIECES))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in archive.namelist():
            target.writestr(name, bytes(xml) if name == main else archive.read(name))
    return out.getvalue()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_office_files())
def test_mutated_office_files(body):
    _survives(body)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=5000))
def test_random_bytes(body):
    _survives(body)


def test_truncated_pages_keep_what_they_have():
    body = (PAGES / "004_zoom.html").read_bytes()
    report = extract(body[: len(body) * 2 // 3])
    assert report.generation == "2019"
    assert any(c.table == "applications" for c in report.cells)


def test_a_10_mb_page():
    body = (PAGES / "001_trs.html").read_bytes()
    head, tail = body.split(b"</body>", 1)
    item = b"<li><a href='/x.html'>\xe6\x96\xb0\xe9\x97\xbb\xe6\xa0\x87\xe9\xa2\x98</a></li>"
    filler = b"<div class='sidebar'><ul>" + item * 250_000 + b"</ul></div>"
    report = extract(head + filler + b"</body>" + tail)
    assert len(head + filler) > 10_000_000
    assert report.title == "吉林市科技局2019年政府信息公开工作年度报告"
    assert len([c for c in report.cells if c.table == "active"]) == 22


def test_cli_reports_bad_files_and_goes_on(tmp_path):
    good = TEXTS / min(p.name for p in TEXTS.glob("001_*.txt"))
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    binary = tmp_path / "scan.pdf"
    binary.write_bytes(bytes(range(256)) * 20)  # no signature of any format: not text either
    missing = tmp_path / "missing.html"
    run = subprocess.run([sys.executable, "-m", "extractors", str(empty), str(good), str(binary), str(missing)],
                         capture_output=True, check=False)
    assert run.returncode == 1
    objects = [json.loads(line) for line in run.stdout.decode().splitlines()]
    assert [o["path"] for o in objects] == [str(good)]
    errors = run.stderr.decode().splitlines()
    assert len(errors) == 3
    assert errors[0].startswith(f"{empty}: ") and "empty" in errors[0]
    assert errors[1].startswith(f"{binary}: ") and "binary" in errors[1]
    assert errors[2].startswith(f"{missing}: ") and "No such file" in errors[2]


def test_cli_reads_standard_input_and_keeps_the_contract_keys():
    body = (PAGES / "002_jiyue.html").read_bytes()
    run = subprocess.run([sys.executable, "-m", "extractors", "-", "--url", "http://example.gov.cn/a.html"], input=body,
                         capture_output=True, check=True)
    (obj,) = [json.loads(line) for line in run.stdout.decode("utf-8").splitlines()]
    assert list(obj) == ["path", "url", "title", "agency", "report_year", "published_date", "source", "generation",
                         "is_report", "format", "text", "sections", "attachments", "cells", "checks", "warnings"]
    assert obj["path"] == "-" and obj["url"] == "http://example.gov.cn/a.html"
    assert "\\u" not in run.stdout.decode("utf-8")


def test_a_cms_comment_inside_the_info_line_is_not_text_code_input():
    page = """<html><body><div class="xxgk"><span><!-- TRS_PubDate -->发布日期：2021-01-05</span>
<span>来源：<?php echo $src; ?>某市某局</span></div><div id="zoom"><p>某市某局2020年政府信息公开工作年度报告</p>
<p>一、总体情况</p><p>本年度<!-- 注释 -->主动公开信息12条。</p></div></body></html>"""
    report = extract(page.encode())
    assert report.published_date == "2021-01-05"
    assert "本年度主动公开信息12条。" in report.text and "注释" not in report.text and "php" not in report.text


def test_absurd_numbers_stay_raw_with_a_warning():
    huge, long_decimal = "9" * 5000, "1" * 400 + ".5"
    page = f"""<html><body><div id="zoom"><p>某局2020年政府信息公开工作年度报告</p><table>
<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
<tr><td>规章</td><td>{huge}</td><td>{long_decimal}</td><td>3</td></tr></table></div></body></html>"""
    report = extract(page.encode())
    made, repealed = report.cell("active", "regulations", "issued"), report.cell("active", "regulations", "repealed")
    assert (made.value, made.raw) == (None, huge) and (repealed.value, repealed.raw) == (None, long_decimal)
    assert report.cell("active", "regulations", "in_force").value == 3
    assert sum("is not a sane number" in w for w in report.warnings) == 2
    text = json.dumps(report.to_dict(), ensure_ascii=False, allow_nan=False)  # no Infinity, no NaN
    assert huge in text
