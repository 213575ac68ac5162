"""What the spider yields: one FetchedPage per response (or failure) it handled."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extractors.model import Report

PAGE_KINDS = ("list", "document", "attachment")


@dataclass(frozen=True, slots=True)
class WarcLocation:
    """Where the response record of a page lives: the archive file, the record's offset and length."""

    file: str
    offset: int
    length: int
    record_id: str


@dataclass(slots=True)
class FetchedPage:
    portal_id: str | None
    kind: str
    url: str
    final_url: str | None = None
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    content_type: str | None = None
    encoding: str | None = None
    fetched_at: dt.datetime | None = None
    warc: WarcLocation | None = None
    parent_url: str | None = None
    link_text: str | None = None
    error: str | None = None
    # Filled by the extraction pipeline for document pages.
    report: Report | None = None

    def __repr__(self) -> str:
        # Scrapy logs every item; the body would flood the log.
        state = f"error={self.error!r}" if self.error else f"status={self.status} bytes={len(self.body)}"
        return f"<FetchedPage {self.kind} {self.url} {state}>"

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None
