"""Backoff waits per host outside the downloader and honours Retry-After; other hosts go on meanwhile."""

from __future__ import annotations

import datetime as dt
import email.utils
import sys

from crawlkit import FIXTURE_PAGES, TEST_SERVER_DOOR, crawl_env
from dbstate import snapshot
from faultserver import FaultServer, hang, page, sequence, status
from scrapy.http import Response

from govcrawl.retry import retry_after_seconds

BUSY, CALM = "http://www.busy.gov.cn", "http://www.calm.gov.cn"
REPORT = (FIXTURE_PAGES / "001_trs.html").read_bytes()


def column(*paths: str) -> bytes:
    items = "".join(f'<li><a href="{p}">某局2019年政府信息公开工作年度报告{n}</a></li>' for n, p in enumerate(paths))
    return f'<html><head><meta charset="utf-8"></head><body><ul>{items}</ul></body></html>'.encode()


def test_retry_after_is_honoured_without_stalling_other_hosts(tmp_path, database_url):
    import subprocess

    busy_pages = [f"{BUSY}/ndbg/t2020011{n}_1.html" for n in range(2)]
    calm_pages = [f"{CALM}/ndbg/t2020012{n}_1.html" for n in range(3)]
    routes = {
        f"{BUSY}/ndbg/": page(column(*busy_pages)),
        # the calm column answers late, so its pages are asked for while the busy host is backing off
        f"{CALM}/ndbg/": hang(1.0, page(column(*calm_pages))),
        **{url: sequence(status(503, b"busy", Retry_After="2"), page(REPORT)) for url in busy_pages},
        **{url: page(REPORT) for url in calm_pages},
    }
    registry = tmp_path / "portals"
    registry.mkdir()
    for portal_id, base in (("110000-busy", BUSY), ("110000-calm", CALM)):
        host = base.split("//")[1]
        (registry / f"{portal_id}.toml").write_text(
            f'id = "{portal_id}"\nname = "测试"\nagency = "测试局"\nregion = "北京市"\nplatform = "generic"\n'
            f'columns = ["{base}/ndbg/"]\nallowed_hosts = ["{host}"]\n{TEST_SERVER_DOOR}', encoding="utf-8")
    with FaultServer(routes) as server:
        result = subprocess.run(
            [sys.executable, "-W", "error", "-m", "scrapy", "crawl", "portals", "-s", f"GOVCRAWL_REGISTRY={registry}",
             "-s", f"DATABASE_URL={database_url}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
             # two requests at a time in all: two held-back retries sleeping in the downloader would fill it
             "-s", "CONCURRENT_REQUESTS=2", "-s", "RETRY_TIMES=1", "-s", "GOVCRAWL_RETRY_BACKOFF_BASE=0.1"],
            cwd=tmp_path, env=crawl_env(http_proxy=server.url), capture_output=True, text=True, timeout=120,
            check=False)
        hits = list(server.hits)
    assert "Traceback" not in result.stderr, result.stderr[-4000:]

    for url in busy_pages:
        first, retry = [hit.at for hit in hits if hit.url == url]
        assert retry - first >= 2.0  # Retry-After: 2, not the 0.1 s backoff
        # every page of the other host was asked for while this one waited
        assert all(first < hit.at < retry for hit in hits if hit.url in calm_pages)
    reports = snapshot(database_url)["reports"]
    assert set(busy_pages + calm_pages) <= set(reports)


def test_retry_after_as_seconds_as_http_date_and_absent():
    def response(value: str | None) -> Response:
        return Response("http://www.busy.gov.cn/", status=503, headers={"Retry-After": value} if value else {})

    assert retry_after_seconds(response("30")) == 30.0
    now = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    later = email.utils.format_datetime(now + dt.timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(response(later), now=now.timestamp()) == 90.0
    assert retry_after_seconds(response("Wed, 21 Oct 2015 07:28:00 GMT"), now=now.timestamp()) == 0.0
    assert retry_after_seconds(response("soon")) is None
    assert retry_after_seconds(response(None)) is None
