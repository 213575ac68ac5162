"""What a format reader hands the shared pipeline: a report file's text and its tables as logical rows.

Every format (HTML, plain text, PDF, Word, WPS, Excel) has a sibling reader module that turns the file's
bytes into a `Document`; `core.from_document` then reads metadata, sections, cells and checks from it with
the same label-driven code whatever the format was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ExtractError
from .rows import Row

__all__ = ["Document", "ExtractError"]


@dataclass(slots=True)
class Document:
    format: str  # html | text | pdf | docx | doc | wps | xlsx | xls | et
    text: str  # the report's text in reading order, one paragraph or table row per line
    tables: list[list[Row]] = field(default_factory=list)  # each statistics-table candidate, in document order
    title_hint: str | None = None  # the file's own metadata title: only a hint (often a generic template name)
    warnings: list[str] = field(default_factory=list)
