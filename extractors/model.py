"""The extractor's record: the fields of the data dictionary (§2-§4), nothing else."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, slots=True)
class Cell:
    table: str
    row: str
    col: str
    value: int | float | None
    raw: str
    unit: str | None


@dataclass(frozen=True, slots=True)
class Check:
    rule: str
    scope: str
    status: str  # pass | fail | warn | not_assessable
    detail: str


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    text: str


@dataclass(frozen=True, slots=True)
class Attachment:
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
        record = asdict(self)
        del record["encoding"]
        return {"path": path, **record}

    def cell(self, table: str, row: str, col: str) -> Cell | None:
        for c in self.cells:
            if (c.table, c.row, c.col) == (table, row, col):
                return c
        return None
