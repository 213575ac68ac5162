"""The data dictionary in docs/ is generated from the code: regenerating it must give the committed files."""

from __future__ import annotations

import json
from pathlib import Path

from extractors import extract
from extractors.checks import CHECK_RULES, carried_over_against_last_year
from extractors.dictionary import cell_labels, dictionary, render_markdown, write

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGES = REPO / "tests" / "fixtures" / "pages"


def test_committed_dictionary_matches_the_code(tmp_path):
    for generated in write(tmp_path):
        committed = DOCS / generated.name
        assert committed.is_file(), f"{committed} is missing: run `python -m extractors.dictionary --out docs`"
        assert committed.read_text(encoding="utf-8") == generated.read_text(encoding="utf-8"), (
            f"{committed} disagrees with the code: run `python -m extractors.dictionary --out docs`")


def test_every_field_of_the_record_is_described():
    for group in ("report_fields", "cell_fields"):
        undescribed = [f["key"] for f in dictionary()[group] if not f["description"]]
        assert not undescribed, f"describe {undescribed} in extractors.dictionary ({group})"


def test_the_extractor_output_contract_lives_in_docs():
    contract = (DOCS / "extract-output.md").read_text(encoding="utf-8")
    for field in (f["key"] for f in dictionary()["report_fields"]):
        assert f'"{field}"' in contract, f"extract-output.md does not show the field {field!r}"


def test_every_cell_and_check_the_extractor_produces_is_in_the_dictionary():
    labels = cell_labels()
    rules = set(CHECK_RULES)
    seen_cells = 0
    for page in sorted(PAGES.glob("*.html")):
        meta = json.loads(page.with_suffix(".headers.json").read_text())
        report = extract(page.read_bytes(), url=meta.get("url"), headers=meta["headers"])
        for cell in report.cells:
            if cell.row.startswith("unmapped."):
                continue
            entry = labels.get((cell.table, cell.row, cell.col))
            assert entry is not None, f"{page.name}: cell {cell} has no dictionary entry"
            assert report.generation in entry["generations"], (page.name, cell, entry["generations"])
            seen_cells += 1
        assert {c.rule for c in report.checks} <= rules, page.name
    assert seen_cells > 500
    cross = carried_over_against_last_year(
        extract((PAGES / "006_2021_format.html").read_bytes()).cells,
        extract((PAGES / "004_zoom.html").read_bytes()).cells)
    assert cross and {c.rule for c in cross} <= rules


def test_counts_match_the_official_tables():
    cells = dictionary()["cells"]
    apps = [c for c in cells if c["table"] == "applications"]
    assert sum("2019" in c["generations"] for c in apps) == 23 * 7
    assert sum("2021" in c["generations"] for c in apps) == 25 * 7
    assert sum(c["table"] == "appeals" for c in cells) == 15
    entry = cell_labels()[("applications", "denied.state_secret", "natural_person")]
    assert (entry["row_label"], entry["col_label"], entry["unit"]) == ("不予公开：属于国家秘密", "自然人", "件")
    assert cell_labels()[("active", "procurement", "procurement_amount")]["unit"] == "万元"
    assert "| `other.other` | 其他处理：其他 |" in render_markdown()
