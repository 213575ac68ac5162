"""Downloader middlewares at the network edge: archive what arrives (crawl) or answer from an archive (replay).

Both sit next to the downloader (order 950), outside HttpCompressionMiddleware, so the archive holds the
body as it came over the wire (still gzip-encoded if it was) and a replayed response goes through the same
decompression, redirect and retry handling as a live one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from http import HTTPStatus
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes

from govcrawl.archive.warc import (
    ArchiveIndex,
    Exchange,
    TruncatedRecord,
    WarcFile,
    warc_files,
)

logger = logging.getLogger(__name__)

META_WARC = "govcrawl_warc"
META_HEADERS = "govcrawl_raw_headers"
META_FETCHED_AT = "govcrawl_fetched_at"
ARCHIVED = "archived"  # flag of a response answered from the archive (govcrawl.harvest): not written again


class ReplayMiss(IgnoreRequest):
    """The request is not in the replay archive; in replay mode nothing goes to the network."""


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, values in headers.items() for v in values]


class WarcArchiveMiddleware:
    """Write every response (list pages, documents, attachments, robots.txt) with its request to WARC,
    starting a new file when the current one reaches GOVCRAWL_ARCHIVE_MAX_BYTES (files sort in write order)."""

    def __init__(self, crawler, folder: Path, max_bytes: int) -> None:
        self.crawler = crawler
        self.folder = folder.resolve()
        self.max_bytes = max_bytes
        self.stem = f"govcrawl-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}"
        self.files: list[Path] = []
        self.archive: WarcFile | None = None
        crawler.stats.set_value("govcrawl/archive_path", str(self.folder))
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        if crawler.settings.get("GOVCRAWL_REPLAY"):
            raise NotConfigured  # replaying: the archive being replayed is not written again
        folder = Path(crawler.settings.get("GOVCRAWL_ARCHIVE_DIR") or "archive")
        return cls(crawler, folder, crawler.settings.getint("GOVCRAWL_ARCHIVE_MAX_BYTES"))

    def _current(self) -> WarcFile:
        if self.archive is not None and self.archive.size >= self.max_bytes:
            self.archive.close()
            self.archive = None
        if self.archive is None:
            path = self.folder / f"{self.stem}-{len(self.files):05d}.warc.gz"
            self.archive = WarcFile(path, info={"operator": self.crawler.settings.get("USER_AGENT", "")})
            self.files.append(path)
            self.crawler.stats.set_value("govcrawl/archive_files", [str(p) for p in self.files])
        return self.archive

    def process_response(self, request: Request, response: Response) -> Response:
        if ARCHIVED in response.flags:
            return response
        fetched_at = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
        raw_headers = header_pairs(response.headers)
        location = self._current().write(
            Exchange(
                url=request.url,
                method=request.method,
                request_headers=header_pairs(request.headers),
                request_body=request.body,
                status=response.status,
                reason=reason_phrase(response.status),
                response_headers=raw_headers,
                body=response.body,
                fetched_at=fetched_at,
            )
        )
        self.crawler.stats.inc_value("govcrawl/archive/records")
        request.meta[META_WARC] = location
        request.meta[META_HEADERS] = [(k, v) for k, v in raw_headers if k.lower() != "transfer-encoding"]
        request.meta[META_FETCHED_AT] = fetched_at
        return response

    def spider_closed(self, spider) -> None:
        if self.archive is not None:
            self.archive.close()
            logger.info("Archive: %d WARC file(s) in %s", len(self.files), self.folder)


class ReplayMiddleware:
    """Answer every request from the WARC files under GOVCRAWL_REPLAY; a request that is not archived, or whose
    record is truncated, is a replay miss (IgnoreRequest), recorded by the spider's errback, and never reaches the
    network. Which record answers a URL when several crawls archived it: see govcrawl.archive.warc."""

    def __init__(self, crawler, index: ArchiveIndex) -> None:
        self.crawler = crawler
        self.index = index
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        source = crawler.settings.get("GOVCRAWL_REPLAY")
        if not source:
            raise NotConfigured  # a live crawl
        files = warc_files(source)
        if not files:
            raise FileNotFoundError(f"replay source {source!r} holds no .warc or .warc.gz files")
        index = ArchiveIndex(files)
        logger.info("Replaying %d archived responses from %d WARC file(s) under %s", len(index), len(files), source)
        crawler.stats.set_value("govcrawl/replay/archived_responses", len(index))
        return cls(crawler, index)

    def process_request(self, request: Request) -> Response:
        try:
            archived = self.index.next_response(request.url)
        except TruncatedRecord as exc:  # archived, but cut short: never served as if it were the page
            self.crawler.stats.inc_value("govcrawl/replay/miss")
            self.crawler.stats.inc_value("govcrawl/replay/truncated")
            raise ReplayMiss(f"replay miss: {request.url}: {exc}") from exc
        if archived is None:
            self.crawler.stats.inc_value("govcrawl/replay/miss")
            raise ReplayMiss(f"replay miss: {request.url} is not in the archive")
        self.crawler.stats.inc_value("govcrawl/replay/hit")
        headers = Headers([(k, v) for k, v in archived.headers if k.lower() != "transfer-encoding"])
        response_class = responsetypes.from_args(headers=headers, url=request.url, body=archived.body)
        request.meta[META_WARC] = archived.location
        request.meta[META_HEADERS] = [(k, v) for k, v in archived.headers if k.lower() != "transfer-encoding"]
        request.meta[META_FETCHED_AT] = archived.fetched_at
        return response_class(url=request.url, status=archived.status, headers=headers, body=archived.body,
                              request=request, flags=["replay"])

    def spider_closed(self, spider) -> None:
        self.index.close()


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
