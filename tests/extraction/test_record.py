"""The record's own plumbing: to_dict gives exactly what dataclasses.asdict would (the JSON contract and the
stored reports' fingerprint depend on it), and a report survives the trip from an extraction worker intact."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from extractors import extract
from extractors.model import Report
from tests.conftest import PAGES, TEXTS


def reports() -> list[Report]:
    found = [extract(path.read_bytes(), url=f"http://www.example.gov.cn/{path.name}")
             for path in sorted(PAGES.glob("*.html")) + sorted(TEXTS.glob("*.txt"))]
    assert sum(r.is_report for r in found) >= 8
    return found


@pytest.fixture(scope="module")
def all_reports() -> list[Report]:
    return reports()


def test_to_dict_is_asdict_without_the_encoding(all_reports):
    for report in all_reports:
        expected = {"path": "x.html", **dataclasses.asdict(report)}
        del expected["encoding"]
        record = report.to_dict(path="x.html")
        assert record == expected
        assert list(record) == list(expected)  # the JSON lines keep the contract's field order
        record["cells"].clear()  # a copy: changing the record leaves the report alone
        assert len(report.to_dict()["cells"]) == len(report.cells)


def test_a_report_survives_pickling_with_every_leaf_intact(all_reports):
    for report in all_reports:
        back = pickle.loads(pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL))  # noqa: S301 - its own bytes
        assert back == report
        assert [type(c) for c in back.cells] == [type(c) for c in report.cells]
        for cell in back.cells[:1]:
            with pytest.raises(dataclasses.FrozenInstanceError):
                cell.value = 1
