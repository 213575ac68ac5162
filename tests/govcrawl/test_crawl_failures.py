"""Bad pages are recorded with their reason and never stop the run: server errors after retries with
backoff, timeouts, undecodable bodies, pages robots.txt forbids."""

from __future__ import annotations

import json
import time

from crawlkit import FIXTURE_PAGES, crawl_one_portal
from dbstate import snapshot
from sqlalchemy import select

from govcrawl.db import models as m
from govcrawl.db.engine import make_engine
from govcrawl.seedsite.server import _Handler

HOST = "www.fail.gov.cn"
BASE = f"http://{HOST}/zwgk/ndbg/"
LIST = """<html><head><meta charset="utf-8"><title>年度报告</title></head><body><ul>
<li><a href="./t20200114_1.html">吉林市科技局2019年政府信息公开工作年度报告</a></li>
<li><a href="./t20200114_2.html">某局2019年政府信息公开工作年度报告（服务器错误）</a></li>
<li><a href="./t20200114_3.html">某局2019年政府信息公开工作年度报告（超时）</a></li>
<li><a href="./t20200114_4.html">某局2019年政府信息公开工作年度报告（乱码）</a></li>
<li><a href="/private/t20200114_5.html">某局2019年政府信息公开工作年度报告（禁止抓取）</a></li>
</ul></body></html>"""


class SlowHandler(_Handler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.endswith("t20200114_3.html"):
            time.sleep(3)  # longer than the crawl's DOWNLOAD_TIMEOUT
        super().do_GET()


def save(site, url: str, body: bytes, status: int = 200, content_type: str = "text/html; charset=utf-8"):
    path = site / HOST / url.split(HOST + "/", 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    meta = {"url": url, "status": status, "headers": {"Content-Type": content_type, "Server": "nginx"}}
    (path.parent / (path.name + ".headers.json")).write_text(json.dumps(meta), encoding="utf-8")


def test_failed_pages_are_recorded_and_the_rest_is_stored(tmp_path):
    site = tmp_path / "site"
    save(site, f"http://{HOST}/robots.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    save(site, BASE + "index.html", LIST.encode())
    save(site, BASE + "t20200114_1.html", (FIXTURE_PAGES / "001_trs.html").read_bytes())
    save(site, BASE + "t20200114_2.html", b"<html>busy</html>", status=503)
    save(site, BASE + "t20200114_3.html", b"<html>late</html>")
    save(site, BASE + "t20200114_4.html", b'<html><meta charset="utf-8">' + b"\xff\xfe\xfa\x80\x81" * 50)
    save(site, f"http://{HOST}/private/t20200114_5.html", b"<html>private</html>")
    database_url, server, result = crawl_one_portal(
        tmp_path, site, BASE + "index.html", HOST, "-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=1",
        "-s", "GOVCRAWL_RETRY_BACKOFF_BASE=0.2", handler=SlowHandler)

    state = snapshot(database_url)
    pages, reports = state["pages"], state["reports"]
    assert list(reports) == [BASE + "t20200114_1.html"]  # the good page is stored despite its neighbours
    assert pages[BASE + "t20200114_2.html"]["error"] == "HTTP 503 Service Unavailable after 1 retries"
    assert "took longer than 1.0 seconds" in pages[BASE + "t20200114_3.html"]["error"]
    undecodable = pages[BASE + "t20200114_4.html"]
    assert undecodable["error"].startswith("undecodable body: not text: ")
    assert undecodable["status"] == 200 and undecodable["content_hash"] != ""
    forbidden = pages[f"http://{HOST}/private/t20200114_5.html"]
    assert forbidden["error"] == f"refused: forbidden by robots.txt of http://{HOST}"
    assert f"http://{HOST}/private/t20200114_5.html" not in server.requests_seen
    assert "1 report(s)" in result.stderr and "4 failed page(s)" in result.stderr

    engine = make_engine(database_url)
    with engine.connect() as conn:
        stats = conn.execute(select(m.CrawlRun.stats)).scalar_one()
    engine.dispose()
    assert stats["govcrawl/retry/backoff_seconds"] > 0  # retries waited before going again
    assert stats["retry/count"] >= 2
