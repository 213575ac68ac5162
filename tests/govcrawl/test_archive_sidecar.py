"""The index written beside a closed WARC file: replay reads it instead of scanning the file, serves exactly
what a scan would, and never trusts it once the file has changed."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from crawlkit import FIXTURE_PAGES

from govcrawl.archive.sidecar import read_sidecar, sidecar_path
from govcrawl.archive.warc import ArchiveIndex, Exchange, WarcFile

WHEN = dt.datetime(2015, 1, 21, 2, 41, 7)
HTML = [("Content-Type", "text/html")]


def exchange(url: str, body: bytes, status: int = 200, when: dt.datetime = WHEN) -> Exchange:
    return Exchange(url=url, method="GET", request_headers=[], status=status, reason="OK",
                    response_headers=HTML, body=body, fetched_at=when)


EXCHANGES = [
    exchange("http://h.gov.cn/zwgk/ndbg/index.html", b"<html>column</html>"),
    exchange("http://h.gov.cn/a.html", b"busy", status=503),  # retried: served 503, then 200
    exchange("http://h.gov.cn/a.html", (FIXTURE_PAGES / "000_gbk.html").read_bytes()),
    exchange("http://h.gov.cn/b.html?id=2&x=1", "第二份报告".encode(), when=WHEN - dt.timedelta(days=3)),
]


def write_archive(path):
    archive = WarcFile(path, created=WHEN)
    for one in EXCHANGES:
        archive.write(one)
    archive.close()


def served(index: ArchiveIndex) -> list:
    """Everything the index serves for the archive's URLs, in order (one more than archived per URL)."""
    out = []
    for url in dict.fromkeys(e.url for e in EXCHANGES):
        for _ in range(3):
            response = index.next_response(url)
            out.append((url, response.status, response.body, response.location))
    index.close()
    return out


def scanned(path) -> list:
    sidecar = sidecar_path(path)
    kept = sidecar.read_bytes()
    sidecar.unlink()
    try:
        return served(ArchiveIndex([path]))
    finally:
        sidecar.write_bytes(kept)


def test_a_closed_file_replays_from_its_sidecar_exactly_as_from_a_scan(tmp_path, monkeypatch):
    path = tmp_path / "crawl.warc.gz"
    write_archive(path)
    assert sidecar_path(path).is_file()
    by_scan = scanned(path)

    def no_scan(_self, path, _records):
        raise AssertionError(f"{path} was scanned although its sidecar matches it")

    monkeypatch.setattr(ArchiveIndex, "_scan_file", no_scan)
    index = ArchiveIndex([path])
    assert len(index) == len(EXCHANGES)
    assert served(index) == by_scan
    # the crawl's time (which crawl is newest) is the file's earliest WARC-Date, as a scan takes it
    assert read_sidecar(path)[0] == "2015-01-18T02:41:07Z"


@pytest.mark.parametrize("change", ["cut", "appended", "touched"])
def test_a_sidecar_that_no_longer_matches_its_file_is_ignored(tmp_path, caplog, change):
    path = tmp_path / "crawl.warc.gz"
    write_archive(path)
    if change == "cut":  # a full disk or an interrupted copy
        data = path.read_bytes()
        path.write_bytes(data[:len(data) - 100])
    elif change == "appended":  # another WarcFile adds to it: no sidecar for that file
        later = WarcFile(path)
        later.write(exchange("http://h.gov.cn/c.html", b"later"))
        later.close()
    else:
        path.touch()
    with caplog.at_level(logging.INFO, logger="govcrawl.archive.sidecar"):
        index = ArchiveIndex([path])
    assert "does not match" in caplog.text
    if change == "cut":
        # its last record (b.html's request) is cut: only a scan of the file can say so
        assert "truncated WARC record for http://h.gov.cn/b.html?id=2&x=1" in caplog.text
    elif change == "appended":
        assert index.next_response("http://h.gov.cn/c.html").body == b"later"
        assert len(index) == len(EXCHANGES) + 1
    else:
        assert served(index) == scanned(path)
    index.close()


def test_an_unreadable_sidecar_means_a_scan(tmp_path, caplog):
    path = tmp_path / "crawl.warc.gz"
    write_archive(path)
    by_scan = scanned(path)
    sidecar = sidecar_path(path)
    sidecar.write_text(sidecar.read_text().splitlines()[0] + "\n[not json\n")
    with caplog.at_level(logging.WARNING, logger="govcrawl.archive.sidecar"):
        assert served(ArchiveIndex([path])) == by_scan
    assert "cannot be read" in caplog.text
