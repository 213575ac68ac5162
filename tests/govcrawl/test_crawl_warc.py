"""WARC files: bytes exactly as received, records addressable by offset, the seed archive reproducible."""

from __future__ import annotations

import datetime as dt
import gzip
import logging

import pytest
from crawlkit import FIXTURE_PAGES, SEEDS
from scrapy import Request
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from govcrawl.archive.middlewares import ReplayMiddleware, ReplayMiss
from govcrawl.archive.warc import ArchiveIndex, Exchange, WarcFile, iter_responses, read_response, warc_files
from govcrawl.seedsite.build import build_archive
from govcrawl.seedsite.site import load_site, render

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


# --- archives cut short, several crawls in one folder, files that are not WARC -----------------------------

PAGES = {
    "http://www.jlgxj.gov.cn/zwgk/ndbg/index.html": "column",
    "http://www.jlgxj.gov.cn/zwgk/ndbg/201501/t20150120_1129.html": "report",
    "http://www.jlgxj.gov.cn/zwgk/ndbg/201501/t20150120_1130.html": "next report",
}
HTML = [("Content-Type", "text/html; charset=utf-8")]


def page_body(name: str) -> bytes:
    return (f"<html><body><h1>{name}</h1>" + "<p>2014年度政府信息公开工作年度报告</p>" * 200
            + "</body></html>").encode()


def three_page_archive(path):
    """A crawl's archive of three pages; returns each URL's response location."""
    archive = WarcFile(path)
    locations = {url: archive.write(exchange(url, page_body(name), HTML)) for url, name in PAGES.items()}
    archive.close()
    return locations


def cut_in_the_middle_of(path, location, *, plain: bool):
    """`path` as a .warc.gz or plain .warc (the same records, uncompressed) cut halfway into `location`'s
    record, as a full disk or an interrupted copy leaves it; returns the cut file and the record's offset."""
    data = path.read_bytes()
    if plain:
        before = len(gzip.decompress(data[:location.offset]))
        record = gzip.decompress(data[location.offset:location.offset + location.length])
        data, offset, length = gzip.decompress(data), before, len(record)
        cut = path.with_name("cut.warc")
    else:
        offset, length = location.offset, location.length
        cut = path.with_name("cut.warc.gz")
    cut.write_bytes(data[:offset + length // 2])
    return cut, offset


@pytest.mark.parametrize("plain", [True, False], ids=["warc", "warc.gz"])
def test_a_record_cut_short_is_not_replayed_and_the_miss_names_file_and_offset(tmp_path, caplog, plain):
    urls = list(PAGES)
    locations = three_page_archive(tmp_path / "crawl.warc.gz")
    cut, offset = cut_in_the_middle_of(tmp_path / "crawl.warc.gz", locations[urls[1]], plain=plain)
    (tmp_path / "crawl.warc.gz").unlink()

    with caplog.at_level(logging.WARNING, logger="govcrawl.archive.warc"):
        index = ArchiveIndex([cut])
    warning = f"{cut} at offset {offset}: truncated WARC record for {urls[1]}"
    assert any(warning in r.getMessage() for r in caplog.records), caplog.text
    assert index.next_response(urls[0]).body == page_body("column")  # the complete record still replays
    with pytest.raises(ValueError, match=f"^{cut} at offset {offset}: truncated record for {urls[1]}$"):
        index.next_response(urls[1])
    assert index.next_response(urls[2]) is None  # never archived: the file ends before it
    index.close()

    # in a replay crawl the page fails as a replay miss naming the file and offset, not as a shorter page
    crawler = get_crawler(settings_dict={"GOVCRAWL_REPLAY": str(cut)})
    middleware = ReplayMiddleware.from_crawler(crawler)
    assert middleware.process_request(Request(urls[0])).body == page_body("column")
    with pytest.raises(ReplayMiss) as miss:
        middleware.process_request(Request(urls[1]))
    assert str(miss.value) == f"replay miss: {urls[1]}: {cut} at offset {offset}: truncated record for {urls[1]}"
    assert crawler.stats.get_value("govcrawl/replay/miss") == 1
    middleware.spider_closed(None)


@pytest.mark.parametrize("plain", [True, False], ids=["warc", "warc.gz"])
def test_reading_a_record_cut_short_by_location_names_file_and_offset(tmp_path, plain):
    # the pages table points at a record; the file was cut after the crawl (copied to a full disk)
    url = list(PAGES)[1]
    locations = three_page_archive(tmp_path / "crawl.warc.gz")
    cut, offset = cut_in_the_middle_of(tmp_path / "crawl.warc.gz", locations[url], plain=plain)
    full_length = len(cut.read_bytes()) - offset + 1000  # as recorded before the cut: more than is left
    location = type(locations[url])(str(cut), offset, full_length, locations[url].record_id)
    with pytest.raises(ValueError, match=f"^{cut} at offset {offset}: truncated record for {url}$"):
        read_response(location)
    with pytest.raises(ValueError, match=f"^{cut} at offset {offset}: truncated record"):
        read_response(type(location)(location.file, location.offset, 0, location.record_id))


def test_a_gzip_record_cut_in_its_trailer_is_not_replayed(tmp_path, caplog):
    url = list(PAGES)[2]
    locations = three_page_archive(tmp_path / "crawl.warc.gz")
    data = (tmp_path / "crawl.warc.gz").read_bytes()
    # the last record is the request: cut the file so the last response's gzip member lacks its CRC and size
    end = locations[url].offset + locations[url].length
    (tmp_path / "crawl.warc.gz").write_bytes(data[:end - 4])
    with caplog.at_level(logging.WARNING, logger="govcrawl.archive.warc"):
        index = ArchiveIndex([tmp_path / "crawl.warc.gz"])
    assert f"offset {locations[url].offset}: truncated WARC record for {url}" in caplog.text
    with pytest.raises(ValueError, match=f"at offset {locations[url].offset}: truncated record for {url}"):
        index.next_response(url)
    assert index.next_response(next(iter(PAGES))).body == page_body("column")
    index.close()


def crawl_archive(folder, started: dt.datetime, pid: int, fetches, *, per_file: int = 10):
    """The WARC files one crawl writes (named as WarcArchiveMiddleware names them), rolling over every
    `per_file` exchanges."""
    stem = f"govcrawl-{started:%Y%m%dT%H%M%SZ}-{pid}"
    archive = None
    for n, (url, status, body) in enumerate(fetches):
        if n % per_file == 0:
            if archive is not None:
                archive.close()
            archive = WarcFile(folder / f"{stem}-{n // per_file:05d}.warc.gz", created=started)
        archive.write(Exchange(url=url, method="GET", request_headers=[], status=status, reason="",
                               response_headers=HTML, body=body,
                               fetched_at=started + dt.timedelta(seconds=n)))
    archive.close()


def test_a_folder_of_two_crawls_replays_each_url_from_the_newest_crawl_that_fetched_it(tmp_path):
    column, report, gone = list(PAGES)
    folder = tmp_path / "archive"
    # the second crawl: the report was revised, and the server was busy on the first try of the column
    crawl_archive(folder, dt.datetime(2025, 3, 2, 8, 0, 0), 48211, [
        (column, 503, b"busy"), (column, 200, b"column v2"), (report, 200, b"report, corrected")], per_file=2)
    # the first crawl, a pid that sorts later but a month older; it also fetched a page since removed
    crawl_archive(folder, dt.datetime(2025, 2, 1, 8, 0, 0), 99999, [
        (column, 200, b"column v1"), (report, 200, b"report"), (gone, 200, b"removed since")])
    assert len(warc_files(folder)) == 3

    index = ArchiveIndex(warc_files(folder))
    assert [(r.status, r.body) for r in (index.next_response(column) for _ in range(3))] == [
        (503, b"busy"), (200, b"column v2"), (200, b"column v2")]  # the retry sequence of the newest crawl
    assert index.next_response(report).body == b"report, corrected"
    assert index.next_response(gone).body == b"removed since"  # only the older crawl has it
    index.close()


def test_a_file_that_is_not_a_warc_is_named_in_the_error(tmp_path):
    notwarc = tmp_path / "notwarc.txt"
    notwarc.write_text("hello\n")
    with pytest.raises(ValueError, match=f"^{notwarc}: not a WARC file \\(.*hello"):
        ArchiveIndex(warc_files(notwarc))
    with pytest.raises(ValueError, match=f"^{notwarc}: not a WARC file"):
        ReplayMiddleware.from_crawler(get_crawler(settings_dict={"GOVCRAWL_REPLAY": str(notwarc)}))
