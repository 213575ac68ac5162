"""robots.txt that cannot be read forbids the host (RFC 9309); a missing one (404) allows it."""

from __future__ import annotations

import pytest

from govcrawl.seedsite.server import serve

from crawlkit import FIXTURE_PAGES, crawl_env, run_crawl
from dbstate import snapshot
from test_crawl_failures import HOST, save

COLUMN = f"http://{HOST}/zwgk/ndbg/index.html"
REPORT = f"http://{HOST}/zwgk/ndbg/t20200114_1.html"
LIST = '<html><head><meta charset="utf-8"></head><body><ul><li><a href="./t20200114_1.html">吉林市科技局2019年政府信息公开工作年度报告</a></li></ul></body></html>'


@pytest.mark.parametrize(("robots_status", "fetched"), [(500, False), (404, True)])
def test_unreadable_robots_txt_forbids_the_host(tmp_path, robots_status, fetched):
    site = tmp_path / "site"
    save(site, f"http://{HOST}/robots.txt", b"<html>error</html>", status=robots_status)
    save(site, COLUMN, LIST.encode())
    save(site, REPORT, (FIXTURE_PAGES / "001_trs.html").read_bytes())
    registry = tmp_path / "portals"
    registry.mkdir()
    (registry / "220200-robots.toml").write_text(
        f'id = "220200-robots"\nname = "robots"\nagency = "测试局"\nregion = "吉林省吉林市"\nplatform = "generic"\n'
        f'columns = ["{COLUMN}"]\nallowed_hosts = ["{HOST}"]\n', encoding="utf-8")
    server = serve(site)
    server.start_in_thread()
    database_url = f"sqlite:///{tmp_path / 'govcrawl.db'}"
    try:
        run_crawl(tmp_path, "-s", f"GOVCRAWL_REGISTRY={registry}", "-s", f"DATABASE_URL={database_url}",
                  "-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_START_DELAY=0",
                  env=crawl_env(http_proxy=server.url))
    finally:
        server.stop()
    pages = snapshot(database_url)["pages"]
    if fetched:
        assert pages[REPORT]["error"] is None and REPORT in server.requests_seen
    else:
        assert pages[COLUMN]["error"].startswith("IgnoreRequest: robots.txt unreachable (HTTP 500)")
        assert COLUMN not in server.requests_seen and REPORT not in server.requests_seen
