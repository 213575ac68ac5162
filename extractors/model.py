"""The extractor's record: the fields of the data dictionary (§2-§4), nothing else."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields


class _Leaf:
    """Pickled as its constructor's arguments: a report crosses from an extraction worker to the crawl
    process with a hundred cells or more, and the default frozen-dataclass state costs 2.5× as much to load."""

    __slots__ = ()

    def __reduce__(self):
        return type(self), tuple(getattr(self, name) for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class Cell(_Leaf):
    table: str
    row: str
    col: str
    value: int | float | None
    raw: str
    unit: str | None


@dataclass(frozen=True, slots=True)
class Check(_Leaf):
    rule: str
    scope: str
    status: str  # pass | fail | warn | not_assessable
    detail: str


@dataclass(frozen=True, slots=True)
class Section(_Leaf):
    heading: str
    text: str


@dataclass(frozen=True, slots=True)
class Attachment(_Leaf):
    url: str
    text: str


@dataclass(slots=True)
class Report:
    url: str | None = None
    title: str | None = None
    agency: str | None = None
    report_year: int | None = None
    published_date: str | None = None
    source: str | None = None
    generation: str | None = None
    is_report: bool = False
    format: str = "html"  # what the report was read from: html | text | pdf | docx | doc | wps | xlsx | xls
    text: str = ""
    sections: list[Section] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # How the bytes were decoded: for the crawler's page record, not part of the report's JSON.
    encoding: str | None = None

    def to_dict(self, path: str | None = None) -> dict:
        """The JSON object of extract-output.md (`path` first, then the report's fields)."""
        # What dataclasses.asdict gives, without its deep copy of every leaf: that copy was most of the
        # crawl process's CPU per page (fingerprint() hashes this record for every stored report).
        record = {"path": path}
        for name in _REPORT_FIELDS:
            value = getattr(self, name)
            record[name] = [_leaf_dict(v) for v in value] if isinstance(value, list) else value
        return record

    def fingerprint(self) -> str:
        """sha256 of the record as `python -m extractors` prints it, without `path` and `url` (they name the
        input; the crawl keys versions by the page already): two extractions of a page differ exactly when
        their fingerprints do. ASCII JSON: text read from undecodable bytes may hold lone surrogates, which
        must hash, not fail."""
        record = self.to_dict()
        del record["path"], record["url"]
        return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()

    def cell(self, table: str, row: str, col: str) -> Cell | None:
        for c in self.cells:
            if (c.table, c.row, c.col) == (table, row, col):
                return c
        return None


_REPORT_FIELDS = tuple(f.name for f in fields(Report) if f.name != "encoding")


def _leaf_dict(value):
    return {name: getattr(value, name) for name in value.__slots__} if hasattr(value, "__slots__") else value
