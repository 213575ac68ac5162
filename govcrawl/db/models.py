"""SQLAlchemy models: the schema the Alembic migrations create (names follow data-dictionary.md).

Every table that the crawl writes has a natural unique key, so a write can be `INSERT ... ON CONFLICT DO
NOTHING` and crawling or replaying the same content twice adds no rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012 - as SQLAlchemy documents it


class Portal(Base):
    """One annual-report column owner, as declared in the seeds/ registry."""

    __tablename__ = "portals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    agency: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(Text)
    division_code: Mapped[str] = mapped_column(String(12))
    platform: Mapped[str] = mapped_column(String(32))
    column_urls: Mapped[list[Any]] = mapped_column(JSON)
    allowed_hosts: Mapped[list[Any]] = mapped_column(JSON)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(16))  # crawl | replay
    portal_ids: Mapped[list[Any]] = mapped_column(JSON)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finish_reason: Mapped[str | None] = mapped_column(Text)
    archive_path: Mapped[str | None] = mapped_column(Text)
    replay_source: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Filled by `govcrawl harvest` (govcrawl.harvest): {portal: {new, changed, ...}} and monitor outcomes.
    portal_counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    monitors: Mapped[list[Any] | None] = mapped_column(JSON)
    # A distributed harvest (govcrawl.queue): the night's batch id, one run per portal, and who ran it.
    batch: Mapped[str | None] = mapped_column(String(64), index=True)
    worker: Mapped[str | None] = mapped_column(Text)


class Page(Base):
    """One fetched (or failed) URL. Successful fetches are keyed by (url_hash, content_hash), url_hash being
    the sha256 hex of `url` (a btree key on the URL itself fails for URLs of a few KB on PostgreSQL);
    failures carry content_hash '' and the reason in `error`."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("url_hash", "content_hash"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    portal_id: Mapped[str | None] = mapped_column(ForeignKey("portals.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    kind: Mapped[str] = mapped_column(String(16))  # list | document | attachment
    url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(64))
    final_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[list[Any] | None] = mapped_column(JSON)
    content_type: Mapped[str | None] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    content_length: Mapped[int | None] = mapped_column(BigInteger)
    fetched_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    warc_file: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_length: Mapped[int | None] = mapped_column(BigInteger)
    warc_record_id: Mapped[str | None] = mapped_column(Text)
    parent_url: Mapped[str | None] = mapped_column(Text)
    link_text: Mapped[str | None] = mapped_column(Text)
    is_report: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)


class AttachmentFile(Base):
    """One downloaded attachment (pdf, docx, ...) by content hash, and what the extractor read from it.

    The bytes themselves are only in the WARC record its `pages` row points at. `extracted` is the
    extractor's record of the file (extract-output.md's object): the reports whose pages link the file take
    their cells from it, whichever of page and file is stored first (govcrawl.db.attachments)."""

    __tablename__ = "attachment_files"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    format: Mapped[str | None] = mapped_column(String(16))
    extracted: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Report(Base):
    """data-dictionary.md §2; one version of an annual report: a page the extractor classified as a report,
    as one extractor version read it. A URL whose bytes changed has a page and a report per content; a page
    re-extracted with a different result (govcrawl reextract) has a report per result. Exactly one version
    per URL is current (the newest), and nothing is deleted: a URL that now answers 404/410 is withdrawn."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("page_id", "result_hash", name="uq_reports_page_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id"))
    portal_id: Mapped[str | None] = mapped_column(ForeignKey("portals.id"), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    agency: Mapped[str | None] = mapped_column(Text)
    report_year: Mapped[int | None] = mapped_column(Integer)
    published_date: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(Text)
    generation: Mapped[str | None] = mapped_column(String(16))
    # What the cells and sections were read from: html | text | pdf | docx | doc | wps | xlsx | xls.
    format: Mapped[str] = mapped_column(String(16), server_default="html")
    text: Mapped[str] = mapped_column(Text)
    warnings: Mapped[list[Any]] = mapped_column(JSON)
    is_current: Mapped[bool] = mapped_column(Boolean, server_default=true(), default=True, index=True)
    withdrawn_at: Mapped[dt.date | None] = mapped_column(Date)
    extractor_version: Mapped[str | None] = mapped_column(String(32))
    # sha256 of the extracted record (extractors Report.fingerprint): tells re-extractions apart
    result_hash: Mapped[str | None] = mapped_column(String(64))


class ReportCell(Base):
    """data-dictionary.md §3: one number of a statistics table."""

    __tablename__ = "report_cells"
    __table_args__ = (UniqueConstraint("report_id", "table_name", "row_key", "col_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    # The page (the report page itself, or an attached file) whose bytes the number was read from.
    document_page_id: Mapped[int] = mapped_column(ForeignKey("pages.id"))
    # Not `table`/`row`: reserved words in SQL, which every user query would have to quote.
    table_name: Mapped[str] = mapped_column(String(32))
    row_key: Mapped[str] = mapped_column(Text)
    col_key: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    # The JSON output distinguishes 3 from 3.0; a float column alone cannot.
    value_is_integer: Mapped[bool | None] = mapped_column(Boolean)
    raw: Mapped[str] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(16))


class ReportSection(Base):
    __tablename__ = "report_sections"
    __table_args__ = (UniqueConstraint("report_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)


class CheckResult(Base):
    """data-dictionary.md §4: one consistency check (勾稽关系) outcome."""

    __tablename__ = "check_results"
    __table_args__ = (UniqueConstraint("report_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    detail: Mapped[str] = mapped_column(Text)


class ReportAttachment(Base):
    """A link to an attached file as the report page lists it; the download is the `pages` row with that url
    (kind 'attachment'), its reading the `attachment_files` row of that page's content hash."""

    __tablename__ = "report_attachments"
    __table_args__ = (UniqueConstraint("report_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)


class UrlValidator(Base):
    """The validators (ETag, Last-Modified) a URL last answered with, for the next night's conditional
    request (govcrawl.harvest.incremental)."""

    __tablename__ = "url_validators"

    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime)


# Hash indexes on PostgreSQL: a btree entry is limited to ~2.7 KB and URLs can be longer.
Index("ix_pages_parent_url", Page.parent_url, postgresql_using="hash")
# A file read in a batch finds the reports that link it (govcrawl.db.attachments).
Index("ix_report_attachments_url", ReportAttachment.url, postgresql_using="hash")


class CellLabel(Base):
    """The data dictionary's labels of each canonical cell, rewritten from extractors.dictionary after every
    upgrade (govcrawl.db.views); the views cells_labelled and reports_overview (migration 0006) use it."""

    __tablename__ = "cell_labels"

    table_name: Mapped[str] = mapped_column(String(32), primary_key=True)
    row_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    col_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    table_title: Mapped[str] = mapped_column(Text)
    row_label: Mapped[str] = mapped_column(Text)
    col_label: Mapped[str] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(16))
    generations: Mapped[str] = mapped_column(String(64))  # comma list: pre2019,2019,2021
