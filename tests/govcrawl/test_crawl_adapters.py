"""Platform adapters on the realistic fixture pages and the saved seed site."""

from __future__ import annotations

import json

import pytest
from scrapy.http import HtmlResponse
from w3lib.url import canonicalize_url

from govcrawl.adapters import GenericAdapter, TrsAdapter, adapter_for
from govcrawl.adapters.trs import parse_create_page_html
from govcrawl.registry import load_registry
from govcrawl.seedsite.site import load_site

from crawlkit import FIXTURE_PAGES, SEEDS

REGISTRY = load_registry(SEEDS / "portals")


def fixture_response(name: str, url: str | None = None) -> HtmlResponse:
    meta = json.loads((FIXTURE_PAGES / f"{name}.headers.json").read_text())
    return HtmlResponse(url=url or meta["url"], body=(FIXTURE_PAGES / f"{name}.html").read_bytes(),
                        headers=meta["headers"])


def site_response(relative: str, url: str) -> HtmlResponse:
    meta = json.loads((SEEDS / "site" / f"{relative}.headers.json").read_text())
    return HtmlResponse(url=url, body=(SEEDS / "site" / relative).read_bytes(), headers=meta["headers"])


def test_create_page_html_arguments():
    assert parse_create_page_html('createPageHTML(5, 0, "index", "html");') == (5, 0, "index", "html")
    assert parse_create_page_html("createPageHTML('page_div',7, 1,'index','shtml',68);") == (7, 1, "index", "shtml")
    # the definition the page also carries is not a call
    assert parse_create_page_html("function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt) {}") is None


def test_trs_list_page_pagination_and_items():
    adapter = TrsAdapter(REGISTRY["220200-szf"])
    response = fixture_response("008_list")
    base = "http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/"
    assert adapter.next_pages(response) == [f"{base}index_{n}.html" for n in range(1, 5)]
    links = adapter.report_links(response)
    assert len(links) == 15  # every document of the column, the 通知 included; no navigation links
    assert links[4].url == f"{base}202001/t20200114_687214.html"
    assert links[4].text == "吉林市科技局2019年政府信息公开工作年度报告"
    assert all("/t20" in link.url for link in links)


def test_generic_adapter_follows_next_page_links_and_picks_marked_reports():
    adapter = GenericAdapter(REGISTRY["371703-zxqyj"])
    first = site_response("dt.smesd.gov.cn/Article/ShowClass.asp@ClassID=54",
                          "http://dt.smesd.gov.cn/Article/ShowClass.asp?ClassID=54")
    assert first.encoding in ("gb2312", "gbk", "gb18030")
    assert adapter.report_links(first) == []  # a 工作要点 and a 通知: not annual reports
    assert adapter.next_pages(first) == ["http://dt.smesd.gov.cn/Article/ShowClass.asp?ClassID=54&page=2"]
    second = site_response("dt.smesd.gov.cn/Article/ShowClass.asp@ClassID=54@page=2",
                           "http://dt.smesd.gov.cn/Article/ShowClass.asp?ClassID=54&page=2")
    [link] = adapter.report_links(second)
    assert link.url == "http://dt.smesd.gov.cn/Article/ShowArticle.asp?ArticleID=1187"
    assert link.text == "菏泽市定陶区中小企业局2017年政府信息公开报告"


def test_generic_adapter_index_n_pagination():
    adapter = GenericAdapter(REGISTRY["152501-szf"])
    body = ('<html><body><ul><li><a href="./201503/t20150318_1290521.html">二连浩特市2014年度政府信息公开年度报告</a></li>'
            '<li><a href="./201502/t20150201_1.html">关于报送年报的通知</a></li>'
            '<li><a href="/zwgk/tzgg/201502/t20150201_2.html">春节值班安排</a></li></ul>'
            '<a href="index_1.html">2</a> <a href="index_2.html">3</a> <a href="/zwgk/">政务公开</a></body></html>')
    response = HtmlResponse(url="http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/", body=body.encode(), encoding="utf-8")
    assert adapter.next_pages(response) == ["http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/index_1.html",
                                            "http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/index_2.html"]
    # Items under the column's xxgknb/ path are candidates, whatever their title; the extractor classifies them.
    assert [link.text for link in adapter.report_links(response)] == ["二连浩特市2014年度政府信息公开年度报告",
                                                                      "关于报送年报的通知"]


def test_attachment_links_of_an_attachment_only_report():
    adapter = GenericAdapter(REGISTRY["220303-qzf"])
    links = adapter.attachment_links(fixture_response("005_attachment_only"))
    assert [link.url.rsplit(".", 1)[1] for link in links] == ["pdf", "docx"]
    assert links[0].text == "四平市铁东区教育局2020年政府信息公开工作年度报告.pdf"


def test_links_to_other_hosts_are_not_followed():
    adapter = GenericAdapter(REGISTRY["220303-qzf"])
    body = '<a href="http://www.siping.gov.cn/x/2020年度报告.html">四平市2020年度报告</a>'
    response = HtmlResponse(url="http://www.tiedong.gov.cn/xxgk/zfxxgknb/", body=body.encode(), encoding="utf-8")
    assert adapter.report_links(response) == []


from hypothesis import given
from hypothesis import strategies as st

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


@given(count=st.integers(0, 5000), current=st.integers(0, 5000), prefix=NAMES,
       suffix=st.sampled_from(["html", "htm", "shtml"]), quote=st.sampled_from(['"', "'"]),
       space=st.sampled_from(["", " ", "  "]), element=st.one_of(st.none(), NAMES))
def test_create_page_html_call_forms(count, current, prefix, suffix, quote, space, element):
    args = [str(count), str(current), f"{quote}{prefix}{quote}", f"{quote}{suffix}{quote}"]
    if element is not None:  # newer templates: ("div", count, current, "index", "html", total)
        args = [f"{quote}{element}{quote}", *args, str(count * 20)]
    script = f"function createPageHTML(a, b, c, d) {{}}\ncreatePageHTML({(',' + space).join(args)});"
    assert parse_create_page_html(script) == (count, current, prefix, suffix)


SITE = load_site(SEEDS / "site")


@pytest.mark.parametrize("portal_id", sorted(REGISTRY))
def test_every_registered_portal_starts_offline(portal_id):
    """Each registry entry's column pages are in the saved site, and its adapter pages through them to reports."""
    portal = REGISTRY[portal_id]
    adapter = adapter_for(portal)
    queue, seen, links = list(portal.column_urls), set(), []
    while queue and len(seen) < 20:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        resource = SITE.get(canonicalize_url(url))
        assert resource is not None, f"{portal_id}: list page {url} is not in seeds/site"
        response = HtmlResponse(url=url, body=resource.body, headers=dict(resource.headers))
        links += adapter.report_links(response)
        queue += adapter.next_pages(response)
    assert links, f"{portal_id}: no report link in its column"
    assert all(portal.allows(link.url) for link in links)
