"""The saved portal site: report pages are the fixtures' bytes, and the local server answers like a portal
(by Host header or as a proxy; with and without charset, ETag/Last-Modified, gzip on request, 304, 404)."""

from __future__ import annotations

import gzip
import http.client
import json

from crawlkit import FIXTURE_PAGES, SEEDS

from govcrawl.seedsite.site import load_site


def test_report_pages_are_the_fixture_bytes_untouched():
    site = {r.url: r for r in load_site(SEEDS / "site").values()}
    for name in ("000_gbk", "001_trs", "002_jiyue", "003_county", "004_zoom", "005_attachment_only",
                 "006_2021_format", "007_notice"):
        meta = json.loads((FIXTURE_PAGES / f"{name}.headers.json").read_text())
        assert site[meta["url"]].body == (FIXTURE_PAGES / f"{name}.html").read_bytes(), name


def get(server, url: str, **headers) -> http.client.HTTPResponse:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", url, headers=headers)  # absolute URI: the server acts as a proxy
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def test_server_answers_like_the_portals(portal_server):
    gbk = get(portal_server, "http://www.jlgxj.gov.cn/zwgk/ndbg/201501/t20150120_1129.html")
    assert gbk.status == 200 and gbk.getheader("Content-Type") == "text/html; charset=ISO-8859-1"
    assert gbk.body == (FIXTURE_PAGES / "000_gbk.html").read_bytes()
    assert gbk.getheader("Content-Length") == str(len(gbk.body))

    zipped = get(portal_server, "http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/201503/t20150318_1290521.html",
                 **{"Accept-Encoding": "gzip, deflate"})
    assert zipped.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == (FIXTURE_PAGES / "002_jiyue.html").read_bytes()
    plain = get(portal_server, "http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/201503/t20150318_1290521.html")
    assert plain.getheader("Content-Encoding") is None

    trs = get(portal_server, "http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/202001/t20200114_687214.html")
    assert trs.getheader("Content-Type") == "text/html" and trs.getheader("Last-Modified")
    etag = trs.getheader("ETag")
    assert get(portal_server, "http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/202001/t20200114_687214.html",
               **{"If-None-Match": etag}).status == 304

    assert get(portal_server, "http://www.jlcity.gov.cn/robots.txt").body.startswith(b"User-agent: *")
    assert get(portal_server, "http://dt.smesd.gov.cn/robots.txt").status == 404
    assert get(portal_server, "http://www.jlcity.gov.cn/no/such/page.html").status == 404

    # ordinary (non-proxy) requests are served by their Host header
    host, port = portal_server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", "/xxgk/zfxxgknb/202101/P020210125583127615802.pdf", headers={"Host": "www.tiedong.gov.cn"})
    pdf = conn.getresponse()
    assert pdf.getheader("Content-Type") == "application/pdf"
    body = pdf.read()
    assert body.startswith(b"%PDF-") and body == (
        SEEDS / "site/www.tiedong.gov.cn/xxgk/zfxxgknb/202101/P020210125583127615802.pdf").read_bytes()
    conn.close()
