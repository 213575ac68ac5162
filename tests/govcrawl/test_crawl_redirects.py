"""A column that links both a moved page and its new address keeps a row for each."""

from __future__ import annotations

import json

from crawlkit import FIXTURE_PAGES, crawl_one_portal
from dbstate import snapshot
from test_crawl_failures import HOST, save

BASE = f"http://{HOST}/zwgk/ndbg/"
LIST = f"""<html><head><meta charset="utf-8"></head><body><ul>
<li><a href="{BASE}t20200114_1.html">吉林市科技局2019年政府信息公开工作年度报告</a></li>
<li><a href="{BASE}old_t20200114_1.html">吉林市科技局2019年政府信息公开工作年度报告（旧址）</a></li>
</ul></body></html>"""


def test_redirect_onto_a_fetched_page_is_recorded(tmp_path):
    site = tmp_path / "site"
    save(site, f"http://{HOST}/robots.txt", b"User-agent: *\nDisallow:\n", content_type="text/plain")
    save(site, BASE + "index.html", LIST.encode())
    save(site, BASE + "t20200114_1.html", (FIXTURE_PAGES / "001_trs.html").read_bytes())
    save(site, BASE + "old_t20200114_1.html", b"", status=301)
    sidecar = site / HOST / "zwgk/ndbg/old_t20200114_1.html.headers.json"
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    meta["headers"]["Location"] = BASE + "t20200114_1.html"
    sidecar.write_text(json.dumps(meta), encoding="utf-8")
    database_url, _, _ = crawl_one_portal(tmp_path, site, BASE + "index.html", HOST,
                                          "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
    pages = snapshot(database_url)["pages"]
    moved = pages[BASE + "old_t20200114_1.html"]
    assert moved["final_url"] == BASE + "t20200114_1.html" and moved["error"] is None
    assert pages[BASE + "t20200114_1.html"]["error"] is None
