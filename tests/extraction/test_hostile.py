"""Hostile files (tests/fixtures/hostile, built by make_hostile.py there): entity expansion, external entities,
zip bombs, truncated and corrupt Office files. Each ends in a clear ExtractError or, for HTML, in a page whose
entities were never expanded nor fetched; the XML parser itself is hardened too."""

import io
import resource
import zipfile

import pytest

from extractors import ExtractError, extract
from extractors.package import parse_xml
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "hostile"
REFUSED = {
    "billion_laughs.docx": "declares a DOCTYPE", "xxe.docx": "declares a DOCTYPE",
    "billion_laughs.xlsx": "declares a DOCTYPE", "xxe.xlsx": "declares a DOCTYPE",
    "zip_bomb.docx": "refused as a zip bomb", "zip_bomb.xlsx": "refused as a zip bomb",
    "zip_bomb_lying.docx": "truncated or corrupt", "truncated.docx": "truncated or corrupt",
    "truncated.xlsx": "truncated or corrupt", "corrupt.doc": "truncated or corrupt",
    "encrypted.docx": "encrypted \\(password-protected\\)",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_office_file_is_refused_with_its_cause(name):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ExtractError, match=REFUSED[name]) as caught:
        extract((HOSTILE / name).read_bytes())
    assert str(caught.value).startswith((name.rsplit(".", 1)[1].upper(), "OLE2", "Office"))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 300  # a 200 MB part is never inflated whole


@pytest.mark.parametrize("name", ["billion_laughs.html", "xxe.html"])
def test_html_entities_are_neither_expanded_nor_fetched(name):
    report = extract((HOSTILE / name).read_bytes())
    assert "lollol" not in report.text and "root:" not in report.text
    assert len(report.text) < 200
    assert report.title == "某局2020年政府信息公开工作年度报告"


def test_the_ooxml_parser_expands_and_fetches_nothing():
    """Behind the DOCTYPE refusal, the parser itself resolves no entity (libxml2 even stops at the first
    amplifying one)."""
    data = zipfile.ZipFile(HOSTILE / "xxe.docx").read("word/document.xml")
    text = "".join(parse_xml(data, "word/document.xml", "DOCX").itertext())
    assert "root:" not in text and "某局2020年" in text
    data = zipfile.ZipFile(HOSTILE / "billion_laughs.docx").read("word/document.xml")
    with pytest.raises(ExtractError, match="amplification"):
        parse_xml(data, "word/document.xml", "DOCX")


def test_a_huge_word_table_is_refused_not_expanded():
    """6,000 rows of one cell spanning 100 grid columns: 600,000 grid positions from 600 KB of XML."""
    body = (FIXTURES / "office" / "004_varied.docx").read_bytes()
    row = '<w:tr><w:tc><w:tcPr><w:gridSpan w:val="100"/></w:tcPr><w:p><w:r><w:t>x</w:t></w:r></w:p></w:tc></w:tr>'
    document = ('<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f"<w:body><w:tbl>{row * 6000}</w:tbl></w:body></w:document>")
    source, out = zipfile.ZipFile(io.BytesIO(body)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, document if name == "word/document.xml" else source.read(name))
    with pytest.raises(ExtractError, match=r"^DOCX file: table too large"):
        extract(out.getvalue())


def test_a_merged_range_over_the_whole_sheet_is_clipped_to_the_cells_there():
    report = extract((HOSTILE / "merge_bomb.xlsx").read_bytes())
    assert report.format == "xlsx"
    assert not any(c.table == "active" for c in report.cells)  # the first sheet's cells are one merged cell now
    assert any(c.table == "applications" for c in report.cells)  # the other sheets are intact
