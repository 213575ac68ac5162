"""The reader is chosen by the bytes' own signature; formats without a reader say so and invent nothing."""

import io
import json
import subprocess
import sys
import zipfile
import zlib

import pytest

from extractors import ExtractError, extract
from extractors.sniff import sniff
from tests.conftest import FIXTURES, PAGES

OFFICE = FIXTURES / "office"


def zipped(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name.replace("__", "/"), data)
    return out.getvalue()


OFD = zipped(**{"OFD.xml": b'<?xml version="1.0"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>',
                "Doc_0__Document.xml": b"<ofd:Document/>"})
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
SIGNED = {
    "ofd": OFD,
    "zip": zipped(**{"readme.txt": "2020年度政府信息公开工作年度报告".encode()}),
    "pptx": zipped(**{"ppt__presentation.xml": b"<p:presentation/>", "[Content_Types].xml": b"<Types/>"}),
    "odf": zipped(**{"mimetype": b"application/vnd.oasis.opendocument.text",
                     "content.xml": b"<office:document-content/>"}),
    "rar": b"Rar!\x1a\x07\x01\x00" + bytes(100),
    "7z": b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(100),
    "png": PNG,
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200),
    "gif": b"GIF89a" + bytes(100),
    "tiff": b"II*\x00\x08\x00\x00\x00" + bytes(100),
    "bmp": b"BM" + (1000).to_bytes(4, "little") + bytes(4) + (54).to_bytes(4, "little") + bytes(100),
}


@pytest.mark.parametrize("kind", sorted(SIGNED))
def test_signature_decides_the_format(kind):
    assert sniff(SIGNED[kind]) == kind


@pytest.mark.parametrize(("name", "kind"), [("004_varied.docx", "docx"), ("004_varied.xlsx", "xlsx"),
                                            ("004_varied.doc", "doc"), ("006_2021_format.wps", "wps"),
                                            ("004_varied.xls", "xls"), ("006_2021_format.et", "et")])
def test_office_signatures(name, kind):
    assert sniff((OFFICE / name).read_bytes()) == kind


def test_pdf_signature_after_junk_and_html_text_stays_text():
    assert sniff(b"\r\n" * 200 + b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n") == "pdf"
    assert sniff((PAGES / "001_trs.html").read_bytes()) == "text"
    assert sniff("BM 一、总体情况".encode()) == "text"  # a text starting with `BM` is not a bitmap


@pytest.mark.parametrize("kind", ["ofd", "zip", "rar", "7z", "pptx", "odf"])
def test_unsupported_format_is_kept_with_a_warning_and_nothing_invented(kind):
    report = extract(SIGNED[kind], headers={"Content-Type": "application/x-download"})
    assert (report.format, report.is_report, report.text, report.cells, report.title) == (kind, False, "", [], None)
    name = {"ofd": "OFD file", "zip": "ZIP archive", "rar": "RAR archive", "7z": "7z archive", "pptx": "PPTX file",
            "odf": "OpenDocument file"}[kind]
    assert report.warnings == [f"{name}: format not supported, the file is kept"]


@pytest.mark.parametrize("kind", ["png", "jpeg", "gif", "tiff", "bmp"])
def test_scanned_image_is_reported_as_an_image(kind):
    report = extract(SIGNED[kind])
    assert report.format == kind and not report.is_report and report.text == "" and report.cells == []
    assert len(report.warnings) == 1 and "scanned image with no text layer" in report.warnings[0]


def test_pdf_served_as_html_is_never_decoded_as_text():
    body = (PAGES / "005_attachment_only.pdf").read_bytes()
    try:
        report = extract(body, headers={"Content-Type": "text/html; charset=big5"})
    except ExtractError as exc:
        assert "PDF" in str(exc)  # noqa: PT017 - raising is allowed, not required
        return
    assert report.format == "pdf" and report.encoding is None
    assert "%PDF" not in report.text and "endobj" not in report.text


def test_cli_exits_0_for_a_kept_ofd_file(tmp_path):
    path = tmp_path / "report.ofd"
    path.write_bytes(OFD)
    run = subprocess.run([sys.executable, "-m", "extractors", str(path)], capture_output=True, check=False)
    assert run.returncode == 0, run.stderr
    (obj,) = [json.loads(line) for line in run.stdout.decode().splitlines()]
    assert obj["format"] == "ofd" and obj["is_report"] is False and obj["text"] == ""
    assert obj["warnings"] == ["OFD file: format not supported, the file is kept"]


def test_word_file_of_scanned_pages_says_so():
    import docx

    document = docx.Document()
    document.add_picture(io.BytesIO(PNG_1X1))
    out = io.BytesIO()
    document.save(out)
    report = extract(out.getvalue())
    assert report.format == "docx" and not report.is_report and report.text == ""
    assert report.warnings == ["DOCX file holds only images (scanned pages): no text, no OCR; the file is kept"]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


PNG_1X1 = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", bytes([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]))
           + _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + _png_chunk(b"IEND", b""))
