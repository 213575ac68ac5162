"""Word, WPS and Excel report files: the same canonical cells as the HTML rendering they were made from."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from extractors import extract
from extractors.sniff import sniff
from tests.conftest import FIXTURES

OFFICE = FIXTURES / "office"
EXPECTED = json.loads((OFFICE / "expected.json").read_text(encoding="utf-8"))
NEEDS_SOFFICE = {"doc", "wps"}


def require_soffice() -> None:
    if shutil.which("soffice") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is required in CI to read DOC and WPS files")
        pytest.skip("LibreOffice (soffice) is not installed: DOC and WPS files cannot be converted")


def cells(items) -> dict:
    return {(c["table"], c["row"], c["col"]): (c["value"], c["raw"]) for c in items}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_office_file_gives_the_canonical_cells(name):
    want = EXPECTED[name]
    if want["format"] in NEEDS_SOFFICE:
        require_soffice()
    body = (OFFICE / name).read_bytes()
    assert sniff(body) == want["format"]
    report = extract(body, headers={"Content-Type": "application/octet-stream"})
    assert (report.format, report.title, report.report_year, report.generation, report.agency) == (
        want["format"], want["title"], want["report_year"], want["generation"], want["agency"])
    assert report.is_report
    expected = json.loads((OFFICE / want["cells"]).read_text(encoding="utf-8"))
    assert cells(_cell(c) for c in report.cells) == cells(expected)
    assert report.warnings == []


def _cell(cell) -> dict:
    return {"table": cell.table, "row": cell.row, "col": cell.col, "value": cell.value, "raw": cell.raw}


def test_docx_paragraphs_and_tables_stay_in_document_order():
    report = extract((OFFICE / "006_2021_format.docx").read_bytes())
    text = report.text
    assert (text.index("二、主动公开政府信息情况") < text.index("第二十条第(一)项")
            < text.index("三、收到和处理政府信息公开申请情况"))
    assert [s.heading for s in report.sections][:3] == ["一、总体情况", "二、主动公开政府信息情况",
                                                        "三、收到和处理政府信息公开申请情况"]


def test_word_file_named_pdf_and_sent_as_html_is_read_as_word():
    body = (OFFICE / "004_varied.docx").read_bytes()
    report = extract(body, url="http://example.gov.cn/P020210125.pdf",
                     headers={"Content-Type": "text/html; charset=big5"})
    assert report.format == "docx" and len(report.cells) == 198


def test_doc_without_libreoffice_is_kept_with_a_clear_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice on this PATH
    report = extract((OFFICE / "004_varied.doc").read_bytes())
    assert report.format == "doc" and not report.is_report and report.text == "" and report.cells == []
    assert report.warnings == ["DOC file: LibreOffice (soffice) is not installed, cannot convert; the file is kept"]


def test_doc_conversion_leaves_no_files_or_processes_behind(tmp_path, monkeypatch):
    require_soffice()
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    report = extract((OFFICE / "004_varied.doc").read_bytes())
    assert len(report.cells) == 198
    assert list(tmp_path.iterdir()) == []
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True, check=False).stdout
    assert leftover == ""


def test_cli_reads_a_word_file(tmp_path):
    path = tmp_path / "download.bin"
    path.write_bytes((OFFICE / "006_2021_format.xlsx").read_bytes())
    run = subprocess.run([sys.executable, "-m", "extractors", str(path)], capture_output=True, check=True)
    (obj,) = [json.loads(line) for line in run.stdout.decode().splitlines()]
    assert obj["format"] == "xlsx" and obj["is_report"] and len(obj["cells"]) == 200


def test_word_list_numbers_are_part_of_headings_and_labels():
    report = extract((OFFICE / "006_2021_format_numbered.docx").read_bytes())
    assert [s.heading for s in report.sections] == ["一、总体情况", "二、主动公开政府信息情况",
                                                   "三、收到和处理政府信息公开申请情况",
                                                   "四、政府信息公开行政复议、行政诉讼情况",
                                                   "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
    assert "（三）不予公开" in report.text.replace("(", "（").replace(")", "）")


@pytest.mark.parametrize(("damage", "cause"), [
    (lambda b: b[:1024] + bytes(len(b) - 2048) + b[-1024:],
     "DOC file is corrupt or unreadable: LibreOffice could not convert it"),
    (lambda b: b[: len(b) // 2], "OLE2 file (DOC, WPS or XLS) is truncated or corrupt"),
])
def test_corrupt_and_truncated_doc_name_the_cause(damage, cause):
    require_soffice()
    from extractors import ExtractError

    with pytest.raises(ExtractError, match=cause.replace("(", r"\(").replace(")", r"\)")):
        extract(damage((OFFICE / "004_varied.doc").read_bytes()))


def test_hidden_sheets_are_not_read(tmp_path):
    """A hidden sheet holding last year's figures must not lend them to this year's cells."""
    import openpyxl

    book = openpyxl.load_workbook(OFFICE / "006_2021_format.xlsx")
    stale = book.copy_worksheet(book.worksheets[1])
    for row in stale.iter_rows():
        for cell in row:
            if isinstance(cell.value, int):
                cell.value += 1000
    stale.sheet_state = "hidden"
    book.move_sheet(stale, offset=-len(book.worksheets) + 1)  # first, so it would win every duplicate
    book.save(tmp_path / "hidden.xlsx")
    report = extract((tmp_path / "hidden.xlsx").read_bytes())
    expected = json.loads((OFFICE / EXPECTED["006_2021_format.xlsx"]["cells"]).read_text(encoding="utf-8"))
    assert cells(_cell(c) for c in report.cells) == cells(expected)


def test_hidden_word_text_is_not_read():
    import io

    import docx

    document = docx.Document(str(OFFICE / "006_2021_format.docx"))
    note = document.paragraphs[1].add_run("（填写说明：本段请删除，示例数据999件）")
    note.font.hidden = True
    out = io.BytesIO()
    document.save(out)
    report = extract(out.getvalue())
    assert "填写说明" not in report.text and "999" not in report.text
    assert len(report.cells) == 200
