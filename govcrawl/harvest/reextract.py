"""`govcrawl reextract`: run the current extractor over the archived report pages (document pages, and
files a column links as reports of their own), without the network,
and store a new report version wherever the result differs from the page's newest stored one.

Pages come from the database (their WARC record locations); `--archive PATH` reads them from that WARC file
or folder instead (matched by WARC-Record-ID, so an archive moved or copied elsewhere works). The body is
checked against the stored content hash before it is extracted, in the same worker pool as the crawl's
ExtractPipeline.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from sqlalchemy import Engine, select
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader

from govcrawl.archive.warc import TruncatedRecord, read_response, warc_files
from govcrawl.attachments import judge
from govcrawl.db import models as m
from govcrawl.db.engine import make_engine, resolve_database_url, upgrade
from govcrawl.db.store import Store
from govcrawl.items import FetchedPage, WarcLocation

logger = logging.getLogger(__name__)

BATCH = 200  # pages read, extracted and written together


@dataclass(slots=True)
class ReextractResult:
    pages: int = 0
    new_versions: int = 0
    unchanged: int = 0
    not_in_archive: int = 0
    not_report: int = 0  # stored as a report, but the current extractor says it is not one
    failed: int = 0
    seconds: float = 0.0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def extraction_pool(kind: str, workers: int) -> Executor:
    """Worker processes for the extractor. A plain executor, not the crawl pipeline's pebble pool: `map` over
    a batch is all re-extraction needs. forkserver preloading the extractor, as the pipeline does (a fork of
    this process would copy its threads)."""
    if kind == "thread":
        return ThreadPoolExecutor(workers, thread_name_prefix="extract")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["govcrawl.extraction", "extractors.core"])
    return ProcessPoolExecutor(workers, mp_context=context)


def extract_or_error(body: bytes, url: str, headers: dict[str, str]):
    """(Report, None) or (None, reason): one bad page must not end the run (runs in a worker)."""
    from extractors import extract

    try:
        return extract(body, url=url, headers=headers), None
    except Exception as exc:  # noqa: BLE001 - any extractor bug costs this page, not the run
        return None, f"{type(exc).__name__}: {exc}"


def content_decoded(body: bytes, headers: Sequence[tuple[str, str]]) -> bytes:
    """The body as the crawl's HttpCompressionMiddleware handed it on (the archive keeps it as received)."""
    encoding = next((v.strip().lower() for k, v in headers if k.lower() == "content-encoding"), "")
    if encoding in ("", "identity"):
        return body
    kind = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate", "br": "br"}.get(encoding)
    if kind is None:
        raise ValueError(f"unsupported Content-Encoding {encoding!r}")
    return DecompressingBufferedReader(BytesIO(body), decomp_type=kind).read()


def index_archive(source: str | Path) -> dict[str, WarcLocation]:
    """WARC-Record-ID -> location of every complete response record under `source`."""
    found: dict[str, WarcLocation] = {}
    files = warc_files(source)
    if not files:
        raise FileNotFoundError(f"{source}: no WARC files (.warc, .warc.gz) in it")
    for path in files:
        with open(path, "rb") as fh:
            iterator = ArchiveIterator(fh)
            try:
                for record in iterator:
                    if record.rec_type != "response":
                        continue
                    record_id = record.rec_headers.get_header("WARC-Record-ID")
                    offset = iterator.get_record_offset()
                    iterator.read_to_end(record)
                    found[record_id] = WarcLocation(str(path), offset, iterator.get_record_length(), record_id)
            except Exception as exc:  # noqa: BLE001 - warcio fails on damage in many ways; keep what was read
                logger.warning("%s: stopped reading at a damaged record (%s)", path, exc)
    return found


def _pages(engine: Engine, portals: Sequence[str] | None) -> Iterator[tuple]:
    newest = (select(m.Report.result_hash).where(m.Report.page_id == m.Page.id)
              .order_by(m.Report.id.desc()).limit(1).scalar_subquery())
    has_report = select(m.Report.id).where(m.Report.page_id == m.Page.id).exists()
    query = (select(m.Page.id, m.Page.portal_id, m.Page.kind, m.Page.url, m.Page.final_url, m.Page.link_text,
                    m.Page.content_hash, m.Page.warc_file, m.Page.warc_offset, m.Page.warc_length,
                    m.Page.warc_record_id, newest)
             .where(m.Page.error.is_(None), m.Page.content_hash != "", m.Page.status >= 200, m.Page.status < 300,
                    # documents, and attached files that are reports of their own (a column links them)
                    (m.Page.kind == "document") | ((m.Page.kind == "attachment") & has_report))
             .order_by(m.Page.id))
    if portals:
        query = query.where(m.Page.portal_id.in_(list(portals)))
    with engine.connect() as conn:
        yield from conn.execute(query)


def reextract(database_url: str | None = None, *, archive: str | None = None, portals: Sequence[str] | None = None,
              workers: int = 0, executor: str = "process") -> ReextractResult:
    engine = make_engine(resolve_database_url(database_url))
    upgrade(engine)
    store = Store(engine)
    result = ReextractResult()
    by_record = index_archive(archive) if archive else None
    pool = extraction_pool(executor, workers or os.cpu_count() or 1)
    handles: dict[str, object] = {}
    started = time.perf_counter()
    try:
        rows = list(_pages(engine, portals))
        for start in range(0, len(rows), BATCH):
            batch = []
            for row in rows[start : start + BATCH]:
                page = _read(row, by_record, handles, result)
                if page is not None:
                    batch.append(page)
            outcomes = pool.map(extract_or_error, [p.body for _, p, _ in batch],
                                [p.final_url or p.url for _, p, _ in batch],
                                [dict(p.headers) for _, p, _ in batch], chunksize=4)
            changed = []
            for (page_id, page, stored_hash), (report, error) in zip(batch, outcomes, strict=True):
                result.pages += 1
                if error is not None:
                    result.failed += 1
                    logger.error("Re-extracting %s failed: %s", page.url, error)
                    continue
                # Judged as the crawl judges it: an attachment-only page stands for a report, a file the
                # column links keeps its link text as title; otherwise every such report would seem changed.
                page.report = report
                judge(page)
                if page.error is not None:
                    result.failed += 1
                    logger.error("Re-extracting %s failed: %s", page.url, page.error)
                    continue
                if not report.is_report:
                    # Versions are of reports; a page the extractor no longer takes for one keeps its rows.
                    result.unchanged += stored_hash is None
                    result.not_report += stored_hash is not None
                elif report.fingerprint() == stored_hash:
                    result.unchanged += 1
                else:
                    changed.append((page_id, page, report))
            result.new_versions += store.add_report_versions(changed)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for handle in handles.values():
            handle.close()
        engine.dispose()
    result.seconds = time.perf_counter() - started
    return result


def _read(row, by_record: dict[str, WarcLocation] | None, handles: dict, result: ReextractResult):
    """(page id, FetchedPage with the archived body, newest stored result hash), or None if unreadable."""
    page_id, portal, kind, url, final_url, link_text, content_hash, file, offset, length, record_id, stored_hash = row
    if by_record is not None:
        location = by_record.get(record_id)
        if location is None:
            result.not_in_archive += 1
            return None
    elif file is None:
        result.not_in_archive += 1
        return None
    else:
        location = WarcLocation(file, offset, length or 0, record_id or "")
    try:
        handle = handles.get(location.file)
        if handle is None:
            handle = handles[location.file] = open(location.file, "rb")  # noqa: SIM115 - closed when the run ends
        archived = read_response(location, handle)
        body = content_decoded(archived.body, archived.headers)
    except (OSError, TruncatedRecord, ValueError, EOFError) as exc:
        result.failed += 1
        logger.error("Cannot read the archived response of %s at %s:%s: %s", url, location.file, location.offset, exc)
        return None
    if hashlib.sha256(body).hexdigest() != content_hash:
        result.failed += 1
        logger.error("Archived response of %s at %s:%s is not the stored page (content hash differs)",
                     url, location.file, location.offset)
        return None
    headers = [(k, v) for k, v in archived.headers if k.lower() != "transfer-encoding"]
    # An attached file selected here is a report of its own: the column links it (see _pages).
    page = FetchedPage(portal_id=portal, kind=kind, url=url, final_url=final_url, status=archived.status,
                       headers=headers, body=body, link_text=link_text,
                       parent_kind="list" if kind == "attachment" else None)
    return page_id, page, stored_hash
