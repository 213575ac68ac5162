"""robots.txt that cannot be read forbids the host (RFC 9309); a missing one (404) allows it."""

from __future__ import annotations

import pytest
from crawlkit import FIXTURE_PAGES, crawl_one_portal
from dbstate import snapshot
from test_crawl_failures import HOST, save

COLUMN = f"http://{HOST}/zwgk/ndbg/index.html"
REPORT = f"http://{HOST}/zwgk/ndbg/t20200114_1.html"
LIST = ('<html><head><meta charset="utf-8"></head><body><ul>'
        '<li><a href="./t20200114_1.html">吉林市科技局2019年政府信息公开工作年度报告</a></li></ul></body></html>')


@pytest.mark.parametrize(("robots_status", "fetched"), [(500, False), (404, True)])
def test_unreadable_robots_txt_forbids_the_host(tmp_path, robots_status, fetched):
    site = tmp_path / "site"
    save(site, f"http://{HOST}/robots.txt", b"<html>error</html>", status=robots_status)
    save(site, COLUMN, LIST.encode())
    save(site, REPORT, (FIXTURE_PAGES / "001_trs.html").read_bytes())
    database_url, server, _ = crawl_one_portal(tmp_path, site, COLUMN, HOST, "-s", "RETRY_TIMES=0")
    pages = snapshot(database_url)["pages"]
    if fetched:
        assert pages[REPORT]["error"] is None and REPORT in server.requests_seen
    else:
        assert pages[COLUMN]["error"].startswith(f"refused: robots.txt of http://{HOST} is unreachable (HTTP 500)")
        assert COLUMN not in server.requests_seen and REPORT not in server.requests_seen
