"""WARC (ISO 28500) files: writing HTTP exchanges exactly as received, and reading them back by URL.

Each record is its own gzip member, so a record can be read from its (file, offset) without the rest of the
file; that is what `pages.warc_file`/`warc_offset` point at.
"""

from __future__ import annotations

import datetime as dt
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
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from govcrawl.items import WarcLocation

WARC_SUFFIXES = (".warc", ".warc.gz")
# The downloader has already removed the chunked framing from the body, so the header would lie about it.
HOP_BY_HOP_DROPPED = {"transfer-encoding"}


def warc_date(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_warc_date(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC).replace(tzinfo=None)


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
        if self._fh.tell() == 0:
            fields = {"software": software, "format": "WARC File Format 1.1",
                      "conformsTo": "https://iso.org/standard/68004.html", **(info or {})}
            record = self._writer.create_warcinfo_record(self.path.name, fields)
            record.rec_headers.replace_header("WARC-Date", warc_date(created or _utcnow()))
            record.rec_headers.replace_header("WARC-Record-ID", warcinfo_id or _record_id())
            self._writer.write_record(record)

    def write(self, exchange: Exchange) -> WarcLocation:
        date = warc_date(exchange.fetched_at)
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
        return WarcLocation(file=str(self.path), offset=offset, length=length, record_id=response_id)

    @property
    def size(self) -> int:
        return self._fh.tell()

    def close(self) -> None:
        self._fh.close()


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
    fh = fh or open(location.file, "rb")  # noqa: SIM115
    try:
        fh.seek(location.offset)
        if location.length:
            # Replay reads one record per request: parsing the known-length member directly is several
            # times cheaper than a general ArchiveIterator, and that CPU is the extraction workers'.
            return _parse_record(fh.read(location.length), location)
        record = next(iter(ArchiveIterator(fh)))
        return _archived(record, location)
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


def _parse_record(member: bytes, location: WarcLocation) -> ArchivedResponse:
    data = zlib.decompress(member, zlib.MAX_WBITS | 16) if member[:2] == b"\x1f\x8b" else member
    warc_block, _, rest = data.partition(b"\r\n\r\n")
    _, warc_headers = _header_lines(warc_block)
    fields = {name.lower(): value for name, value in warc_headers}
    if fields.get("warc-type") != "response":
        raise ValueError(f"{location.file} at offset {location.offset}: not a response record")
    block = rest[: int(fields["content-length"])]
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


class ArchiveIndex:
    """URL -> the response records archived for it, in archive order; only locations are kept in memory."""

    def __init__(self, files: Iterable[Path]) -> None:
        self.files = list(files)
        self._records: dict[str, list[WarcLocation]] = defaultdict(list)
        self._served: dict[str, int] = defaultdict(int)
        self._handles: dict[str, object] = {}
        for path in self.files:
            file = str(path)  # one string shared by all of the file's locations
            with open(path, "rb") as fh:
                iterator = ArchiveIterator(fh)
                for record in iterator:
                    if record.rec_type != "response":
                        continue
                    offset = iterator.get_record_offset()
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    record_id = record.rec_headers.get_header("WARC-Record-ID")
                    iterator.read_to_end(record)
                    self._records[_key(url)].append(
                        WarcLocation(file, offset, iterator.get_record_length(), record_id))

    def __len__(self) -> int:
        return sum(len(v) for v in self._records.values())

    def next_response(self, url: str) -> ArchivedResponse | None:
        """The next archived response for `url`: a retried request gets the retry's record, as in the crawl."""
        key = _key(url)
        records = self._records.get(key)
        if not records:
            return None
        served = self._served[key]
        self._served[key] = served + 1
        location = records[min(served, len(records) - 1)]
        handle = self._handles.get(location.file)
        if handle is None:
            handle = self._handles[location.file] = open(location.file, "rb")  # noqa: SIM115
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
