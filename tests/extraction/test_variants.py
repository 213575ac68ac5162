"""Layout variants of real portals (one file each, numbers all different so a misplaced cell shows).

`tests/fixtures/variants/expected.json` names, per file, how it was served and the fields and cells it must give.
"""

import json
from pathlib import Path

import pytest

from extractors import extract
from extractors.values import parse_value

VARIANTS = Path(__file__).parent.parent / "fixtures" / "variants"
EXPECTED = json.loads((VARIANTS / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_variant(name):
    spec = EXPECTED[name]
    report = extract((VARIANTS / name).read_bytes(), url=spec["url"], headers=spec["headers"])
    cells = {f"{c.table}|{c.row}|{c.col}": c.value for c in report.cells}
    problems = []
    for key, want in spec["expect"].items():
        if "|" in key:
            value = None if want is None else parse_value(want.replace("&nbsp;", ""), money=True)
            got = cells.get(key, "absent")
            if got != value:
                problems.append(f"{key}: want {value!r}, got {got!r}")
        elif key == "text_has":
            if want not in report.text:
                problems.append(f"text lacks {want!r}")
        elif key == "text_not":
            if want in report.text:
                problems.append(f"text keeps {want!r}")
        elif getattr(report, key) != want:
            problems.append(f"{key}: want {want!r}, got {getattr(report, key)!r}")
    assert problems == []
