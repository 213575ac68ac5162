"""WARC files: bytes exactly as received, records addressable by offset, the seed archive reproducible."""

from __future__ import annotations

import datetime as dt
import gzip

from warcio.archiveiterator import ArchiveIterator

from govcrawl.archive.warc import ArchiveIndex, Exchange, WarcFile, iter_responses, read_response, warc_files
from govcrawl.seedsite.build import build_archive
from govcrawl.seedsite.site import load_site, render

from crawlkit import FIXTURE_PAGES, SEEDS

WHEN = dt.datetime(2015, 1, 21, 2, 41, 7)


def exchange(url: str, body: bytes, headers, status: int = 200) -> Exchange:
    return Exchange(url=url, method="GET", request_headers=[("User-Agent", "govcrawl/0.1")], status=status,
                    reason="OK", response_headers=headers, body=body, fetched_at=WHEN)


def test_records_keep_raw_bytes_and_are_addressable(tmp_path):
    gbk = (FIXTURE_PAGES / "000_gbk.html").read_bytes()
    zipped = gzip.compress("二连浩特市".encode(), mtime=0)
    archive = WarcFile(tmp_path / "a.warc.gz")
    wrong_header = [("Content-Type", "text/html; charset=ISO-8859-1"), ("Transfer-Encoding", "chunked")]
    first = archive.write(exchange("http://www.jlgxj.gov.cn/a.html", gbk, wrong_header))
    second = archive.write(exchange("http://www.elht.gov.cn/b.html", zipped,
                                    [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]))
    archive.close()

    got = read_response(first)
    assert got.body == gbk  # GBK stays GBK
    assert ("Content-Type", "text/html; charset=ISO-8859-1") in got.headers
    assert not any(k.lower() == "transfer-encoding" for k, _ in got.headers)  # the body is no longer chunked
    assert got.fetched_at == WHEN and got.status == 200
    assert read_response(second).body == zipped  # still gzip-encoded, as it came over the wire
    with open(tmp_path / "a.warc.gz", "rb") as fh:
        types = [r.rec_type for r in ArchiveIterator(fh)]
    assert types == ["warcinfo", "response", "request", "response", "request"]
    assert [r.location.offset for r in iter_responses(tmp_path / "a.warc.gz")] == [first.offset, second.offset]


def test_index_serves_repeated_fetches_in_archive_order(tmp_path):
    archive = WarcFile(tmp_path / "a.warc.gz")
    archive.write(exchange("http://h.gov.cn/p.html", b"busy", [("Content-Type", "text/html")], status=503))
    archive.write(exchange("http://h.gov.cn/p.html", b"ok", [("Content-Type", "text/html")]))
    archive.close()
    index = ArchiveIndex(warc_files(tmp_path))
    assert [index.next_response("http://h.gov.cn/p.html").status for _ in range(3)] == [503, 200, 200]
    assert index.next_response("http://h.gov.cn/missing.html") is None
    index.close()


def test_seed_archive_is_exactly_what_the_site_source_builds(tmp_path):
    rebuilt = build_archive(SEEDS / "site", tmp_path / "seeds.warc.gz")
    assert rebuilt.read_bytes() == (SEEDS / "archive" / "seeds.warc.gz").read_bytes(), (
        "seeds/archive/seeds.warc.gz is stale: run `govcrawl build-seeds`")


def test_seed_archive_holds_every_saved_page_as_served():
    site = load_site(SEEDS / "site")
    archived = {r.url: r for r in iter_responses(SEEDS / "archive" / "seeds.warc.gz")}
    assert set(archived) == {r.url for r in site.values()}
    for resource in site.values():
        served = render(resource, accept_encoding="gzip, deflate")
        assert archived[resource.url].body == served.body
        assert archived[resource.url].status == resource.status
    gbk = archived["http://www.jlgxj.gov.cn/zwgk/ndbg/201501/t20150120_1129.html"]
    assert gbk.body == (FIXTURE_PAGES / "000_gbk.html").read_bytes()


def test_direct_record_reading_agrees_with_warcio():
    for archived in iter_responses(SEEDS / "archive" / "seeds.warc.gz"):
        direct = read_response(archived.location)
        location = archived.location
        general = read_response(type(location)(location.file, location.offset, 0, location.record_id))
        assert (direct.url, direct.status, direct.reason, direct.headers, direct.body, direct.fetched_at) == (
            general.url, general.status, general.reason, general.headers, general.body, general.fetched_at)
