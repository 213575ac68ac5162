"""PDF reports (tests/fixtures/pdf, rendered from the report pages by build.py): the same canonical cells as the
HTML extractor reads from the same report, whatever the page breaks, footers and label quirks do to the print."""

import ctypes
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from extractors import ExtractError, extract
from extractors.core import from_document
from extractors.pdf import read_pdf
from extractors.tables import lookup
from extractors.templates import APPLICATION_ROW_INDEX

PDFS = Path(__file__).resolve().parent.parent / "fixtures" / "pdf"
RULED = ["004_varied_2019", "006_2021", "000_pre2019", "hybrid_2021_active_2019_applications", "000_pre2019_open_sides"]


def _read(name: str, **limits):
    document = read_pdf((PDFS / f"{name}.pdf").read_bytes(), **limits)
    return document, from_document(document, f"http://example.gov.cn/{name}.pdf")


def _page_texts(name: str) -> list[str]:
    """What each printed page holds, in PDFium's order: shows the quirk is really in the fixture."""
    pdf = pdfium.PdfDocument(str(PDFS / f"{name}.pdf"))
    try:
        return [re.sub(r"\s", "", pdf[i].get_textpage().get_text_range()) for i in range(len(pdf))]
    finally:
        pdf.close()


def _cells(report) -> list[tuple]:
    return sorted((c.table, c.row, c.col, c.value, c.raw) for c in report.cells)


def _expected(name: str) -> dict:
    return json.loads((PDFS / f"{name}.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", RULED)
def test_ruled_pdf_gives_the_html_readings_cells(name):
    expected = _expected(name)
    _, report = _read(name)
    assert report.format == "pdf"
    assert _cells(report) == sorted((c["table"], c["row"], c["col"], c["value"], c["raw"]) for c in expected["cells"])
    assert (report.title, report.agency, report.report_year, report.generation) == (
        expected["title"], expected["agency"], expected["report_year"], expected["generation"])
    assert report.is_report
    assert [c for c in report.checks if c.status == "fail"] == []
    assert not [w for w in report.warnings if "not recognised" in w or "duplicate" in w]


def test_title_over_two_lines_is_one_title_and_the_file_title_only_a_hint():
    document, report = _read("004_varied_2019")
    assert document.title_hint == "政府信息公开工作年度报告"
    assert report.title == "四平市城市管理行政执法局2020年政府信息公开工作年度报告"
    assert document.text.splitlines()[0] == report.title


def test_page_numbers_never_reach_text_or_tables():
    for name, printed in [("004_varied_2019", "-3-"), ("006_2021", "—3—"), ("000_pre2019", "-3-")]:
        pages = _page_texts(name)
        assert printed in pages[2]
        document, _ = _read(name)
        assert not re.search(r"^\s*(?:[-—]\s*\d+\s*[-—]|\d{1,3})\s*$", document.text, re.MULTILINE)
    # 000 prints the number in the header: it starts each page's text, and the paragraph cut by the page
    # break is still one line.
    assert _page_texts("000_pre2019")[1].startswith("-2-")
    document, _ = _read("000_pre2019")
    assert any(line.startswith(("(二)调整职能", "（二）调整职能")) for line in document.text.splitlines())
    assert "有待于进一步健全完善" in document.text


def test_a_table_split_across_pages_is_one_table_and_a_cut_label_is_whole():
    pages = _page_texts("004_varied_2019")
    cut = next(i for i, text in enumerate(pages) if text.startswith("法提供"))
    assert "(四)无" in pages[cut - 1][-300:].replace("（", "(").replace("）", ")")
    document, report = _read("004_varied_2019")
    assert len(document.tables) == 3  # active, applications (two pages), appeals
    labels = [[c.text for c in row.labels] for row in document.tables[1]]
    unable = [row for row in labels if any("无法提供" in t for t in row)]
    assert [row[-1] for row in unable] == ["1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作",
                                           "3.补正后申请内容仍不明确"]
    assert all(row[1] == "(四)无法提供" for row in unable)
    assert report.cell("applications", "unable.needs_creation", "total").value == 1322


def test_heading_on_one_page_rows_on_the_next_and_a_row_split_by_the_break():
    pages = _page_texts("006_2021")
    assert pages[1].endswith("三、收到和处理政府信息公开申请情况—2—")
    document, report = _read("006_2021")
    rows = document.tables[1]
    fee_rows = [row for row in rows if any("逾期未按收费通知" in c.text for c in row.labels)]
    assert len(fee_rows) == 1  # the row the page break cut is one row again
    assert [c.text for c in fee_rows[0].values] == ["0"] * 7
    # the merged group labels the next page repeats as empty cells keep their text
    after_break = next(row for row in rows if any(c.text.startswith("7.属于行政执法案卷") for c in row.labels))
    assert [c.text for c in after_break.labels][:2] == ["三、本年度办理结果", "(三)不予公开"]
    assert report.cell("applications", "denied.enforcement_file", "total").raw == "0"


def test_vertical_group_label_cut_by_the_page_break():
    pages = _page_texts("hybrid_2021_active_2019_applications")
    assert any(text.startswith("理结果") for text in pages)
    document, _ = _read("hybrid_2021_active_2019_applications")
    groups = {row.labels[0].text for row in document.tables[1] if len(row.labels) == 3}
    assert groups == {"三、本年度办理结果"}


def test_letter_spaced_header_and_typo_label():
    pdf = pdfium.PdfDocument(str(PDFS / "004_varied_2019.pdf"))
    printed = pdf[2].get_textpage().get_text_range()
    pdf.close()
    assert "商 业 总计\r\n企 业" in printed  # letter-spaced, wrapped, and interleaved with its neighbour in text order
    document, report = _read("004_varied_2019")
    headers = [c.text for row in document.tables[1] for c in row.labels]
    assert headers.count("商业企业") == 1
    assert any("其他法律行政止公开" in h for h in headers)
    assert report.cell("applications", "denied.law_prohibited", "commercial").raw == "183"
    assert report.cell("applications", "commercial", "total") is None


def test_large_counts_and_decimal_fees():
    _, report = _read("hybrid_2021_active_2019_applications")
    assert report.cell("active", "licensing", "decisions").value == 3456789
    assert report.cell("active", "fees", "amount").value == 12.35
    assert report.generation == "2021"
    # the single （六）其他处理 row of a 2019-style table keeps its 2019 key, and the results sum uses it
    assert report.cell("applications", "other", "total").raw == "1321"
    assert report.cell("applications", "other.other", "total") is None
    assert {c.status for c in report.checks if c.rule == "applications.results_sum"} == {"pass"}
    _, report = _read("004_varied_2019")
    assert report.cell("active", "licensing", "decisions").value == 1583046


def test_a_bordered_paragraph_is_text_not_a_table():
    document, _ = _read("004_varied_2019")
    paragraph = next(line for line in document.text.splitlines() if line.startswith("(二)及时准确做好政务信息公开"))
    assert "接受社会监督" in paragraph or paragraph.endswith("接受")
    assert all(len(row.labels) + len(row.values) > 1 or not row.values for t in document.tables for row in t)
    assert not any("及时准确" in c.text for t in document.tables for row in t for c in row.labels)


@pytest.mark.parametrize("name", ["006_2021_borderless", "004_varied_borderless", "000_pre2019_borderless"])
def test_borderless_tables_are_rebuilt_from_text_alignment(name):
    """No ruling lines: columns from where the figures stack and the valleys between label words, rows from
    the figure lines, labels wrapped above and below their figures, stacked group labels spanning rows. A
    blank cell the print cannot show (no rule around it) may be missing; nothing else."""
    expected = _expected(name)
    _, report = _read(name)
    want = sorted((c["table"], c["row"], c["col"], c["value"], c["raw"]) for c in expected["cells"])
    got = _cells(report)
    assert [c for c in want if c not in got and c[4] != ""] == []
    assert [c for c in got if c not in want] == []
    assert (report.title, report.agency, report.report_year, report.generation) == (
        expected["title"], expected["agency"], expected["report_year"], expected["generation"])
    assert [c for c in report.checks if c.status == "fail"] == []


def test_scanned_pdf_is_reported_never_an_empty_report():
    document, report = _read("bad_scanned")
    assert document.text == "" and document.tables == []
    assert "scanned PDF: no text layer on 2 of 2 pages (OCR not available)" in report.warnings
    assert not report.is_report and report.cells == []


def test_text_drawn_as_outlines_is_no_text_layer():
    """A page of glyph outlines (a 'print to PDF' that converted the fonts) has paths but no characters."""
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(595, 842)
    for i in range(300):
        x, y = 60 + (i % 30) * 16, 780 - (i // 30) * 20
        path = pdfium_c.FPDFPageObj_CreateNewPath(x, y)
        pdfium_c.FPDFPath_LineTo(path, x + 6, y + 10)
        pdfium_c.FPDFPath_LineTo(path, x + 12, y)
        pdfium_c.FPDFPath_Close(path)
        pdfium_c.FPDFPath_SetDrawMode(path, pdfium_c.FPDF_FILLMODE_WINDING, False)  # noqa: FBT003 - a C function
        pdfium_c.FPDFPage_InsertObject(page.raw, path)
    page.gen_content()
    out = io.BytesIO()
    pdf.save(out)
    document = read_pdf(out.getvalue())
    assert document.text == ""
    assert document.warnings == ["scanned PDF: no text layer on 1 of 1 pages (OCR not available)"]


@pytest.mark.parametrize(("name", "cause"), [("bad_encrypted", "PDF is encrypted: it needs a password to open"),
                                         ("bad_truncated", "PDF is truncated")])
def test_unreadable_pdfs_raise_extract_error_with_the_cause(name, cause):
    body = (PDFS / f"{name}.pdf").read_bytes()
    with pytest.raises(ExtractError, match=re.escape(cause)):
        read_pdf(body)
    with pytest.raises(ExtractError, match="^" + re.escape(cause)):
        extract(body, headers={"Content-Type": "application/octet-stream"})


def test_not_a_pdf_and_corrupt_bytes():
    with pytest.raises(ExtractError, match="not a PDF"):
        read_pdf(b"<html>not a pdf</html>")
    with pytest.raises(ExtractError, match=r"PDF is corrupt|PDF is truncated"):
        read_pdf(b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")


def _many_pages(count: int) -> bytes:
    pdf = pdfium.PdfDocument.new()
    for _ in range(count):
        pdf.new_page(595, 842)
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()


def test_a_5000_page_pdf_reads_only_the_page_limit():
    document = read_pdf(_many_pages(5000), max_pages=20)
    assert "PDF has 5000 pages: read the first 20 (page limit)" in document.warnings


def test_time_budget_stops_between_pages():
    with pytest.raises(ExtractError, match=r"longer than the 0 s time limit: stopped at page \d+ of 4"):
        read_pdf((PDFS / "004_varied_2019.pdf").read_bytes(), deadline_seconds=0)


def test_label_typo_tolerance_is_for_long_labels_with_one_clear_match():
    assert lookup(APPLICATION_ROW_INDEX, "其他法律行政止公开") == "denied.law_prohibited"
    assert lookup(APPLICATION_ROW_INDEX, "属于国家秘蜜") == "denied.state_secret"
    assert lookup(APPLICATION_ROW_INDEX, "本年新收政府信息公开申请数") == "new"
    assert lookup(APPLICATION_ROW_INDEX, "总汁") is None  # short: never guessed
    assert lookup(APPLICATION_ROW_INDEX, "政府信息公开申请数量") is None  # as close to 新收 as to 结转


def _text_pdf(lines: list[tuple[float, float, str]]) -> bytes:
    """A page of Helvetica text objects at the given positions."""
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(595, 842)
    for x, y, text in lines:
        obj = pdfium_c.FPDFPageObj_NewTextObj(pdf.raw, b"Helvetica", ctypes.c_float(12))
        buffer = ctypes.create_string_buffer((text + "\x00").encode("utf-16-le"))
        pdfium_c.FPDFText_SetText(obj, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
        pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, y)
        pdfium_c.FPDFPage_InsertObject(page.raw, obj)
    page.gen_content()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_fake_bold_overprint_is_read_once_and_latin_words_keep_their_spaces():
    body = _text_pdf([(72, 700, "Annual report 2022"), (72.4, 700, "Annual report 2022"),
                      (100, 660, "Second paragraph")])
    document = read_pdf(body)
    assert document.text.splitlines()[0] == "Annual report 2022"


def test_running_headers_repeated_on_every_page_are_dropped():
    pages = [_text_pdf([(200, 800, "XX County Government Office"), (72, 700, f"Body text of page {n}")])
             for n in range(3)]
    merged = pdfium.PdfDocument.new()
    for body in pages:
        merged.import_pages(pdfium.PdfDocument(body))
    out = io.BytesIO()
    merged.save(out)
    document = read_pdf(out.getvalue())
    assert "XX County" not in document.text
    assert all(f"Body text of page {n}" in document.text for n in range(3))


@pytest.mark.parametrize("name", RULED)
def test_extract_chooses_the_pdf_reader_by_signature(name):
    """Portals send PDFs as text/html or octet-stream: extract() reads the bytes' signature."""
    body = (PDFS / f"{name}.pdf").read_bytes()
    report = extract(body, url=f"http://example.gov.cn/{name}.pdf", headers={"Content-Type": "text/html"})
    assert report.format == "pdf"
    assert _cells(report) == _cells(_read(name)[1])
    assert report.title == _expected(name)["title"]


def test_cli_reads_pdfs_and_names_the_bad_one():
    good, bad = PDFS / "006_2021.pdf", PDFS / "bad_encrypted.pdf"
    run = subprocess.run([sys.executable, "-m", "extractors", str(good), str(bad), str(PDFS / "bad_scanned.pdf")],
                         capture_output=True, check=False)
    assert run.returncode == 1
    objects = [json.loads(line) for line in run.stdout.decode().splitlines()]
    assert [(o["path"], o["format"], o["is_report"], len(o["cells"])) for o in objects] == [
        (str(good), "pdf", True, 200), (str(PDFS / "bad_scanned.pdf"), "pdf", False, 0)]
    assert objects[1]["warnings"] == ["scanned PDF: no text layer on 2 of 2 pages (OCR not available)"]
    assert run.stderr.decode().strip() == f"{bad}: PDF is encrypted: it needs a password to open"


@pytest.mark.parametrize(("name", "page"), [("006_2021", "006_2021_format"), ("000_pre2019", "000_gbk"),
                                        ("004_varied_2019", "004_varied"), ("006_2021_borderless", "006_2021_format"),
                                        ("000_pre2019_borderless", "000_gbk"), ("004_varied_borderless", "004_varied")])
def test_sections_and_checks_match_the_html_page_of_the_same_report(name, page):
    report = extract((PDFS / f"{name}.pdf").read_bytes())
    html = extract((PDFS.parent / "pages" / f"{page}.html").read_bytes())
    assert [s.heading for s in report.sections] == [s.heading for s in html.sections]
    assert [(c.rule, c.scope, c.status) for c in report.checks] == [(c.rule, c.scope, c.status) for c in html.checks]


def test_page_content_wrapped_in_a_scaled_form_xobject():
    """Printers and optimisers place each page as a Form XObject (here scaled to 90 % and moved): the rules
    inside it are in the form's space, the characters in the page's; the grid must still fit its text."""
    source = pdfium.PdfDocument(str(PDFS / "006_2021.pdf"))
    wrapped = pdfium.PdfDocument.new()
    for index in range(len(source)):
        xobject = pdfium_c.FPDF_NewXObjectFromPage(wrapped.raw, source.raw, index)
        form = pdfium_c.FPDF_NewFormObjectFromXObject(xobject)
        pdfium_c.FPDFPageObj_Transform(form, 0.9, 0, 0, 0.9, 30, 40)
        page = wrapped.new_page(595, 842)
        pdfium_c.FPDFPage_InsertObject(page.raw, form)
        page.gen_content()
        pdfium_c.FPDF_CloseXObject(xobject)
    out = io.BytesIO()
    wrapped.save(out)
    report = extract(out.getvalue())
    assert _cells(report) == _cells(_read("006_2021")[1])


def test_a_table_without_its_side_borders_is_still_one_ruled_grid():
    """Word's open-sided style: the label and figure columns lie outside the outermost vertical rules; the
    grid takes its outer edges from where the horizontal rules reach."""
    document, _ = _read("000_pre2019_open_sides")
    header = next(row for table in document.tables for row in table if row.labels and row.labels[0].text == "统计指标")
    assert [(c.text, c.col) for c in header.labels] == [("统计指标", 0), ("单位", 1), ("统计数", 2)]


def test_a_slanted_watermark_does_not_cut_through_the_lines():
    body = _text_pdf([(72, 700, "Annual report 2022"), (72, 680, "Second line of text")])
    pdf = pdfium.PdfDocument(body)
    page = pdf[0]
    mark = pdfium_c.FPDFPageObj_NewTextObj(pdf.raw, b"Helvetica", ctypes.c_float(40))
    buffer = ctypes.create_string_buffer("CONFIDENTIAL\x00".encode("utf-16-le"))
    pdfium_c.FPDFText_SetText(mark, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
    cos, sin = math.cos(math.pi / 4), math.sin(math.pi / 4)
    pdfium_c.FPDFPageObj_Transform(mark, cos, sin, -sin, cos, 150, 560)
    pdfium_c.FPDFPage_InsertObject(page.raw, mark)
    page.gen_content()
    out = io.BytesIO()
    pdf.save(out)
    document = read_pdf(out.getvalue())
    assert "C" not in document.text.replace("Annual", "")
    assert "Annual report 2022" in document.text
