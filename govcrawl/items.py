"""What the spider yields: one FetchedPage per response (or failure) it handled."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extractors.model import Report

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
    kind: str  # list | document | attachment
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
    parent_kind: str | None = None  # "list" for a file the column links itself (a report of its own)
    link_text: str | None = None
    error: str | None = None
    # Filled by the extraction pipeline for document and attachment pages.
    report: Report | None = None
    report_fingerprint: str | None = None  # `report.fingerprint()` as the worker computed it; None: not known
    # Filled by seal(): what storage needs once the body itself is no longer kept.
    content_hash: str | None = None
    content_length: int | None = None

    @property
    def is_own_report(self) -> bool:
        """Stored as a report of its own: a document page, or a file the column links itself, that the extractor
        read as a report. A file linked from a report page lends that page's report its cells instead
        (govcrawl.db.attachments)."""
        own = self.kind == "document" or self.parent_kind == "list"
        return own and self.error is None and self.report is not None and self.report.is_report

    def seal(self) -> None:
        """Fix the content hash and length, and drop the body (the WARC keeps the bytes): a batch waiting to
        be written then holds rows, not pages."""
        if self.content_hash is None:
            self.content_hash = "" if self.status is None else hashlib.sha256(self.body).hexdigest()
            self.content_length = None if self.status is None else len(self.body)
        self.body = b""

    def __repr__(self) -> str:
        # Scrapy logs every item; the body would flood the log.
        state = f"error={self.error!r}" if self.error else f"status={self.status} bytes={len(self.body)}"
        return f"<FetchedPage {self.kind} {self.url} {state}>"
