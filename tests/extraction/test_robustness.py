"""Malformed input never escapes as an unexpected exception: a Report, or ExtractError naming the cause."""

import json
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors import ExtractError, Report, extract
from tests.conftest import PAGES, TEXTS

REAL_PAGES = [p.read_bytes() for p in sorted(PAGES.glob("*.html"))] + [p.read_bytes() for p in sorted(TEXTS.glob("*.txt"))]


def _survives(body: bytes) -> None:
    try:
        report = extract(body)
    except ExtractError as exc:
        assert str(exc)
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
            body[at:at] = draw(st.sampled_from([b"<table>", b"</td>", b"<td rowspan=99999 colspan=0>", b"\x00", b"\xff\xfe",
                                                b"<tr><td>", b"|", b"\n", b"<!--", b"]]>", "（七）总计".encode()]))
        elif op == "duplicate":
            body[at:at] = body[at : at + draw(st.integers(1, 3000))]
    return bytes(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_pages())
def test_mutated_real_pages(body):
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
    filler = b"<div class='sidebar'><ul>" + b"<li><a href='/x.html'>\xe6\x96\xb0\xe9\x97\xbb\xe6\xa0\x87\xe9\xa2\x98</a></li>" * 250_000 + b"</ul></div>"
    report = extract(head + filler + b"</body>" + tail)
    assert len(head + filler) > 10_000_000
    assert report.title == "吉林市科技局2019年政府信息公开工作年度报告"
    assert len([c for c in report.cells if c.table == "active"]) == 22


def test_cli_reports_bad_files_and_goes_on(tmp_path):
    good = TEXTS / sorted(p.name for p in TEXTS.glob("001_*.txt"))[0]
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    binary = tmp_path / "scan.pdf"
    binary.write_bytes(bytes(range(256)) * 20)  # no signature of any format: not text either
    missing = tmp_path / "missing.html"
    run = subprocess.run([sys.executable, "-m", "extractors", str(empty), str(good), str(binary), str(missing)],
                         capture_output=True)
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
