"""WARC (ISO 28500) files: writing HTTP exchanges exactly as received, and reading them back by URL.

Each record is its own gzip member, so a record can be read from its (file, offset) without the rest of the
file; that is what `pages.warc_file`/`warc_offset` point at.

Replay (`ArchiveIndex`) answers a URL from the archived response records for it:

* Records are grouped by crawl. Every WARC file one crawl writes is named `govcrawl-<timestamp>-<pid>-<n>.warc.gz`
  (see `WarcArchiveMiddleware`), so files sharing the stem `govcrawl-<timestamp>-<pid>` are one crawl; any other
  file is a crawl of its own. A crawl's time is the earliest WARC-Date in its files (the warcinfo record, written
  when the file is created), ties broken by the crawl's name.
* A URL is answered from the newest crawl that archived it, and from that crawl only: its records are served in
  archive order (files in name order, records in file order), so a request retried during the crawl gets the
  same sequence again (e.g. a 503, then the 200), and the last record answers any further repeat. Older crawls'
  records for the URL are not served; URLs that only an older crawl fetched still replay from that crawl.
* A record that is not complete (a gzip member cut short, or fewer block bytes than its WARC Content-Length, as
  in a file cut by a full disk or an interrupted copy) is never served: indexing logs a warning naming the file,
  offset and URL, and the request it would have answered fails with `TruncatedRecord` naming them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from govcrawl.archive.sidecar import read_sidecar, write_sidecar
from govcrawl.items import WarcLocation

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz")
# `govcrawl-<timestamp>-<pid>-<n>.warc[.gz]`: the files of one crawl share everything but `<n>`
CRAWL_FILE = re.compile(r"^(govcrawl-\d{8}T\d{6}Z-\d+)-\d+\.warc(?:\.gz)?$")
# The downloader has already removed the chunked framing from the body, so the header would lie about it.
HOP_BY_HOP_DROPPED = {"transfer-encoding"}


class TruncatedRecord(ValueError):  # noqa: N818 - the name says what went wrong
    """A WARC record cut short (its gzip member or its block is incomplete): it must not be served."""

    def __init__(self, file: str, offset: int, url: str | None) -> None:
        super().__init__(f"{file} at offset {offset}: truncated record for {url or '(unknown URL)'}")
        self.file, self.offset, self.url = file, offset, url


def warc_date(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_warc_date(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC).replace(tzinfo=None)


@dataclass(slots=True)
class Exchange:
    """One HTTP request and its response."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: bytes
    fetched_at: dt.datetime
    request_body: bytes = b""
    record_id: str | None = None


class WarcFile:
    """Append exchanges to one .warc.gz file (response record, then its request record)."""

    def __init__(self, path: str | Path, *, software: str = "govcrawl", info: dict[str, str] | None = None,
                 created: dt.datetime | None = None, warcinfo_id: str | None = None) -> None:
        self.path = Path(path).resolve()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "ab")  # noqa: SIM115 - kept open for the crawl's lifetime
        self._writer = WARCWriter(self._fh, gzip=True, warc_version="1.1")
        # the sidecar index (govcrawl.archive.sidecar) is written only for a file this object wrote whole
        self._indexed: list[tuple[str, WarcLocation]] | None = None
        self._started = ""
        if self._fh.tell() == 0:
            fields = {"software": software, "format": "WARC File Format 1.1",
                      "conformsTo": "https://iso.org/standard/68004.html", **(info or {})}
            record = self._writer.create_warcinfo_record(self.path.name, fields)
            self._started = warc_date(created or _utcnow())
            record.rec_headers.replace_header("WARC-Date", self._started)
            record.rec_headers.replace_header("WARC-Record-ID", warcinfo_id or _record_id())
            self._writer.write_record(record)
            self._indexed = []

    def write(self, exchange: Exchange) -> WarcLocation:
        indexed, self._indexed = self._indexed, None  # a write that fails leaves the file without a sidecar
        date = warc_date(exchange.fetched_at)
        self._started = min(self._started, date) if self._started else date
        response_id = exchange.record_id or _record_id()
        status_line = f"{exchange.status} {exchange.reason}".strip()
        headers = [(k, v) for k, v in exchange.response_headers if k.lower() not in HOP_BY_HOP_DROPPED]
        response = self._writer.create_warc_record(
            exchange.url,
            "response",
            payload=BytesIO(exchange.body),
            length=len(exchange.body),
            warc_headers_dict={"WARC-Record-ID": response_id, "WARC-Date": date},
            http_headers=StatusAndHeaders(status_line, headers, protocol="HTTP/1.1"),
        )
        offset = self._fh.tell()
        self._writer.write_record(response)
        length = self._fh.tell() - offset

        parts = urlsplit(exchange.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = list(exchange.request_headers)
        if not any(k.lower() == "host" for k, _ in request_headers):
            request_headers.insert(0, ("Host", parts.netloc))
        request = self._writer.create_warc_record(
            exchange.url,
            "request",
            payload=BytesIO(exchange.request_body),
            length=len(exchange.request_body),
            warc_headers_dict={
                "WARC-Record-ID": _record_id(response_id, "request"),
                "WARC-Date": date,
                "WARC-Concurrent-To": response_id,
            },
            http_headers=StatusAndHeaders(f"{exchange.method} {target}", request_headers,
                                          protocol="HTTP/1.1", is_http_request=True),
        )
        self._writer.write_record(request)
        self._fh.flush()
        location = WarcLocation(file=str(self.path), offset=offset, length=length, record_id=response_id)
        if indexed is not None:
            indexed.append((exchange.url, location))
            self._indexed = indexed
        return location

    @property
    def size(self) -> int:
        return self._fh.tell()

    def close(self) -> None:
        self._fh.close()
        if self._indexed is not None:
            write_sidecar(self.path, self._started, self._indexed)
            self._indexed = None


@dataclass(slots=True)
class ArchivedResponse:
    url: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: dt.datetime
    location: WarcLocation


def read_response(location: WarcLocation, fh=None) -> ArchivedResponse:
    """The response record at `location`, body bytes exactly as stored (no content decoding)."""
    own = fh is None
    fh = fh or open(location.file, "rb")  # noqa: SIM115 - closed below when opened here
    try:
        fh.seek(location.offset)
        if location.length:
            # Replay reads one record per request: parsing the known-length member directly is several
            # times cheaper than a general ArchiveIterator, and that CPU is the extraction workers'.
            return _parse_record(fh.read(location.length), location)
        try:
            record = next(iter(ArchiveIterator(fh)))
            archived = _archived(record, location)
        except (StopIteration, ArchiveLoadFailed, zlib.error, EOFError) as exc:
            raise TruncatedRecord(location.file, location.offset, None) from exc
        if _unread(record):
            raise TruncatedRecord(location.file, location.offset, archived.url)
        return archived
    finally:
        if own:
            fh.close()


def _decode_header(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _header_lines(block: bytes) -> tuple[str, list[tuple[str, str]]]:
    first, *lines = block.split(b"\r\n")
    headers = []
    for line in lines:
        name, _, value = line.partition(b":")
        headers.append((_decode_header(name.strip()), _decode_header(value.strip())))
    return _decode_header(first), headers


def _decompress_member(member: bytes) -> tuple[bytes, bool]:
    """The member's data as far as it goes, and whether the gzip member is complete (plain records: True)."""
    if member[:2] != b"\x1f\x8b":
        return member, True
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        data = decompressor.decompress(member)
    except zlib.error:
        return b"", False
    return data, decompressor.eof


def _record_fields(data: bytes) -> tuple[dict[str, str], bytes, bool]:
    """WARC header fields (lower-cased names), the block, and whether the block holds Content-Length bytes."""
    warc_block, separator, rest = data.partition(b"\r\n\r\n")
    if not separator:  # the headers are cut short: only the lines that ended are known
        warc_block = warc_block.rpartition(b"\r\n")[0]
    _, warc_headers = _header_lines(warc_block)
    fields = {name.lower(): value for name, value in warc_headers}
    try:
        length = int(fields["content-length"])
    except (KeyError, ValueError):
        return fields, rest, False
    return fields, rest[:length], bool(separator) and len(rest) >= length


def _parse_record(member: bytes, location: WarcLocation) -> ArchivedResponse:
    data, member_complete = _decompress_member(member)
    fields, block, block_complete = _record_fields(data)
    if not (member_complete and block_complete):
        raise TruncatedRecord(location.file, location.offset, fields.get("warc-target-uri"))
    if fields.get("warc-type") != "response":
        raise ValueError(f"{location.file} at offset {location.offset}: not a response record")
    http_block, _, body = block.partition(b"\r\n\r\n")
    status_line, headers = _header_lines(http_block)
    _protocol, status, *reason = status_line.split(" ", 2)
    return ArchivedResponse(
        url=fields["warc-target-uri"],
        status=int(status),
        reason=reason[0] if reason else "",
        headers=headers,
        body=body,
        fetched_at=parse_warc_date(fields["warc-date"]),
        location=location,
    )


def _archived(record, location: WarcLocation | None) -> ArchivedResponse:
    http = record.http_headers
    status_line = http.statusline.split(" ", 1)
    return ArchivedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(status_line[0]),
        reason=status_line[1] if len(status_line) > 1 else "",
        headers=list(http.headers),
        body=record.raw_stream.read(),
        fetched_at=parse_warc_date(record.rec_headers.get_header("WARC-Date")),
        location=location,
    )


def _unread(record) -> int:
    """Block bytes the record's WARC Content-Length announced but the file did not hold."""
    return getattr(record.raw_stream, "limit", 0) or 0


def _tail_url(fh, offset: int) -> str | None:
    """The WARC-Target-URI of the (possibly cut) record at `offset`, if its headers can be read at all."""
    fh.seek(offset)
    head = fh.read(1 << 16)
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(head)
        except zlib.error:
            return None
    fields, _, _ = _record_fields(head)
    return fields.get("warc-target-uri")


def _starts_like_warc(fh) -> bool:
    fh.seek(0)
    head = fh.read(1 << 12)
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(head)
        except zlib.error:
            return False
    return head.startswith(b"WARC/")


def iter_responses(path: str | Path) -> Iterator[ArchivedResponse]:
    path = Path(path).resolve()
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh)
        for record in iterator:
            if record.rec_type != "response":
                continue
            archived = _archived(record, None)  # read the body first: asking for the offset consumes the record
            archived.location = WarcLocation(str(path), iterator.get_record_offset(), iterator.get_record_length(),
                                             record.rec_headers.get_header("WARC-Record-ID"))
            yield archived


def warc_files(source: str | Path) -> list[Path]:
    """A WARC file, or every WARC file under a folder (sorted, so replay order is stable)."""
    source = Path(source)
    if source.is_file():
        return [source.resolve()]
    if source.is_dir():
        return sorted(p.resolve() for p in source.rglob("*") if p.is_file() and p.name.endswith(WARC_SUFFIXES))
    raise FileNotFoundError(f"replay source {str(source)!r} does not exist")


@dataclass(slots=True)
class _Cut:
    """A truncated response record: indexed so the request it would answer fails, naming it."""

    file: str
    offset: int
    url: str | None


@dataclass(slots=True)
class _Crawl:
    name: str
    started: str  # earliest WARC-Date, ISO 8601 UTC, so it sorts as a string
    records: dict[str, list[WarcLocation | _Cut]]


def crawl_name(path: Path) -> str:
    """The crawl a WARC file belongs to: the shared stem of govcrawl's files, otherwise the file itself."""
    match = CRAWL_FILE.match(path.name)
    return str(path.parent / match.group(1)) if match else str(path)


class ArchiveIndex:
    """URL -> the response records to replay for it (the newest crawl's, in archive order; see the module
    docstring); only locations are kept in memory."""

    def __init__(self, files: Iterable[Path]) -> None:
        self.files = list(files)
        self._served: dict[str, int] = defaultdict(int)
        self._handles: dict[str, object] = {}
        self.truncated: list[_Cut] = []
        self._count = 0
        crawls: dict[str, _Crawl] = {}
        for path in self.files:
            name = crawl_name(path)
            crawl = crawls.setdefault(name, _Crawl(name, "", defaultdict(list)))
            started = self._index_file(path, crawl.records)
            if started and (not crawl.started or started < crawl.started):
                crawl.started = started
        # newest crawl last, so it overwrites the older crawls' sequences URL by URL
        self._records: dict[str, list[WarcLocation | _Cut]] = {}
        for crawl in sorted(crawls.values(), key=lambda c: (c.started, c.name)):
            self._records.update(crawl.records)

    def _index_file(self, path: Path, records: dict[str, list[WarcLocation | _Cut]]) -> str:
        """Add the file's response records to `records`; return its earliest WARC-Date ('' if none)."""
        indexed = read_sidecar(path)
        if indexed is not None:
            started, responses = indexed
            for url, location in responses:
                records[_key(url)].append(location)
            self._count += len(responses)
            return started
        return self._scan_file(path, records)

    def _scan_file(self, path: Path, records: dict[str, list[WarcLocation | _Cut]]) -> str:
        """_index_file, reading every record: the file has no sidecar that matches it."""
        file = str(path)  # one string shared by all of the file's locations
        started = ""
        end = 0  # where the last complete record ended
        last: WarcLocation | None = None  # the file's last record, if it is a response
        seen_any = False
        with open(path, "rb") as fh:
            iterator = ArchiveIterator(fh)
            current: int | None = None  # offset of the record being read
            try:
                for record in iterator:
                    seen_any = True
                    offset = current = iterator.get_record_offset()
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    date = record.rec_headers.get_header("WARC-Date") or ""
                    if date and (not started or date < started):
                        started = date
                    is_response = record.rec_type == "response"
                    record_id = record.rec_headers.get_header("WARC-Record-ID")
                    iterator.read_to_end(record)
                    length = iterator.get_record_length()
                    if _unread(record) or record.rec_headers.get_header("Content-Length") is None:
                        # block shorter than its Content-Length, or headers cut before they announced one
                        self._cut(records, file, offset, _tail_url(fh, offset))
                        return started
                    end = offset + length
                    last = None
                    if is_response:
                        last = WarcLocation(file, offset, length, record_id)
                        records[_key(url)].append(last)
                        self._count += 1
                    current = None
            except Exception as exc:  # warcio fails in many ways on data that stops short
                if not seen_any and not _starts_like_warc(fh):
                    raise ValueError(f"{path}: not a WARC file ({str(exc).strip()})") from exc
                # the record being read when the data ran out (or the one after the last complete record)
                cut_at = current if current is not None else end
                self._cut(records, file, cut_at, _tail_url(fh, cut_at))
                return started
            if not seen_any and path.stat().st_size:
                raise ValueError(f"{path}: not a WARC file (no WARC record in it)")
            # a gzip member cut short ends warcio's iteration silently: anything after the last record is one
            fh.seek(end)
            rest = fh.read(4096)
            stripped = rest.lstrip(b"\r\n")
            if stripped:
                cut_at = end + len(rest) - len(stripped)
                self._cut(records, file, cut_at, _tail_url(fh, cut_at))
            elif last is not None:
                self._check_last(records, last, fh)
        return started

    def _check_last(self, records: dict[str, list[WarcLocation | _Cut]], last: WarcLocation, fh) -> None:
        """Verify a file's last record in full when it is a response (a gzip member cut in its trailer still
        yields a record); the records before it are followed by another one, so they are complete."""
        file = last.file
        fh.seek(last.offset)
        member = fh.read(last.length)
        data, member_complete = _decompress_member(member)
        fields, _, block_complete = _record_fields(data)
        if not (member_complete and block_complete):
            url = fields.get("warc-target-uri")
            entries = records[_key(url)] if url else []
            for i, entry in enumerate(entries):
                if entry is last:
                    entries[i] = _Cut(file, last.offset, url)
                    self._count -= 1
            self._warn(_Cut(file, last.offset, url))

    def _cut(self, records: dict[str, list[WarcLocation | _Cut]], file: str, offset: int, url: str | None) -> None:
        cut = _Cut(file, offset, url)
        if url:
            records[_key(url)].append(cut)
        self._warn(cut)

    def _warn(self, cut: _Cut) -> None:
        self.truncated.append(cut)
        logger.warning("%s at offset %d: truncated WARC record for %s; it will not be replayed",
                       cut.file, cut.offset, cut.url or "(unknown URL)")

    def __len__(self) -> int:
        """Complete response records indexed, in all crawls."""
        return self._count

    def next_response(self, url: str) -> ArchivedResponse | None:
        """The next archived response for `url`: a retried request gets the retry's record, as in the crawl.

        Raises TruncatedRecord (naming file and offset) when that record was cut short."""
        key = _key(url)
        records = self._records.get(key)
        if not records:
            return None
        served = self._served[key]
        self._served[key] = served + 1
        location = records[min(served, len(records) - 1)]
        if isinstance(location, _Cut):
            raise TruncatedRecord(location.file, location.offset, location.url or url)
        handle = self._handles.get(location.file)
        if handle is None:
            handle = self._handles[location.file] = open(location.file, "rb")  # noqa: SIM115 - closed by close()
        return read_response(location, handle)

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()


def _key(url: str) -> str:
    return canonicalize_url(url, keep_fragments=False)


def _record_id(*seed: str) -> str:
    if seed:
        return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, '/'.join(seed))}>"
    return f"<urn:uuid:{uuid.uuid4()}>"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
