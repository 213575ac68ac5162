"""Platform adapters on the realistic fixture pages and the saved seed site."""

from __future__ import annotations

import itertools
import json
import tracemalloc

import pytest
from crawlkit import FIXTURE_PAGES, SEEDS
from hypothesis import given
from hypothesis import strategies as st
from scrapy.http import HtmlResponse
from w3lib.url import canonicalize_url

from govcrawl.adapters import GenericAdapter, TrsAdapter, adapter_for
from govcrawl.adapters.trs import parse_create_page_html
from govcrawl.netguard import static_refusal
from govcrawl.registry import load_registry
from govcrawl.seedsite.site import load_site

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
    assert list(adapter.next_pages(response)) == [f"{base}index_{n}.html" for n in range(1, 5)]
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
    assert list(adapter.next_pages(first)) == ["http://dt.smesd.gov.cn/Article/ShowClass.asp?ClassID=54&page=2"]
    second = site_response("dt.smesd.gov.cn/Article/ShowClass.asp@ClassID=54@page=2",
                           "http://dt.smesd.gov.cn/Article/ShowClass.asp?ClassID=54&page=2")
    [link] = adapter.report_links(second)
    assert link.url == "http://dt.smesd.gov.cn/Article/ShowArticle.asp?ArticleID=1187"
    assert link.text == "菏泽市定陶区中小企业局2017年政府信息公开报告"


def test_generic_adapter_index_n_pagination():
    adapter = GenericAdapter(REGISTRY["152501-szf"])
    body = ('<html><body><ul>'
            '<li><a href="./201503/t20150318_1290521.html">二连浩特市2014年度政府信息公开年度报告</a></li>'
            '<li><a href="./201502/t20150201_1.html">关于报送年报的通知</a></li>'
            '<li><a href="/zwgk/tzgg/201502/t20150201_2.html">春节值班安排</a></li></ul>'
            '<a href="index_1.html">2</a> <a href="index_2.html">3</a> <a href="/zwgk/">政务公开</a></body></html>')
    response = HtmlResponse(url="http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/", body=body.encode(), encoding="utf-8")
    assert list(adapter.next_pages(response)) == ["http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/index_1.html",
                                            "http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/index_2.html"]
    # Items under the column's xxgknb/ path are candidates, whatever their title; the extractor classifies them.
    assert [link.text for link in adapter.report_links(response)] == ["二连浩特市2014年度政府信息公开年度报告",
                                                                      "关于报送年报的通知"]


# A column list page of a county portal: its header and side navigation link other columns' list pages (an
# index_3.html of 通知公告, an index_1.html of 政策文件) and a nav link whose text starts with 下一页; only the
# pager area at the bottom pages through this column (the picture-news slider's › arrow is not a pager).
NAV_LIST_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报_二连浩特市人民政府</title></head>
<body>
<div class="header"><ul class="nav">
  <li><a href="/">首页</a></li>
  <li><a href="/xwzx/tzgg/index_3.html">通知公告</a></li>
  <li><a href="/zwgk/zcwj/index_1.html">政策文件</a></li>
  <li><a href="/ldjs/">下一页领导之窗</a></li>
  <li><a href="/hdjl/">互动交流</a></li>
</ul></div>
<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="./">政府信息公开年报</a></div>
<div class="side"><a href="../../xwzx/tzgg/index_3.html">更多通知 &gt;&gt;</a> <a href="/zwgk/zcwj/index_1.html">&gt;</a></div>
<div class="focus"><img src="/images/tpxw1.jpg" alt="图片新闻"><a class="prev" href="/xwzx/tpxw/">‹</a><a class="next" href="/xwzx/tpxw/">›</a></div>
<div class="list"><ul>
  <li><a href="./202101/t20210129_1290521.html" title="二连浩特市人民政府2020年政府信息公开工作年度报告">二连浩特市人民政府2020年政府信息公开工作年度...</a><span>2021-01-29</span></li>
  <li><a href="./202001/t20200120_1190340.html">二连浩特市人民政府2019年政府信息公开工作年度报告</a><span>2020-01-20</span></li>
</ul></div>
<div class="page">共3页 <span>1</span> <a href="index_1.html">2</a> <a href="index_2.html">3</a>
  <a href="index_1.html"> 下一页 </a> <a href="index_2.html">尾页</a></div>
<div class="footer"><a href="/wzdt/">网站地图</a> 主办：二连浩特市人民政府办公室</div>
</body></html>"""  # noqa: E501 - markup: a line break would change it


def test_generic_pagination_stays_in_the_column():
    adapter = GenericAdapter(REGISTRY["152501-szf"])
    column = "http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/"
    assert list(adapter.next_pages(HtmlResponse(url=column, body=NAV_LIST_PAGE.encode(), encoding="utf-8"))) == [
        f"{column}index_1.html", f"{column}index_2.html"]
    # the same from a later page of the column (its directory is the column's)
    later = HtmlResponse(url=f"{column}index_1.html", body=NAV_LIST_PAGE.encode(), encoding="utf-8")
    assert list(adapter.next_pages(later)) == [f"{column}index_1.html", f"{column}index_2.html"]


def test_generic_pagination_takes_only_whole_pager_words_outside_a_pager_area():
    adapter = GenericAdapter(REGISTRY["371703-zxqyj"])
    body = ('<html><body><table><tr><td><a href="/Article/ShowClass.asp?ClassID=7">下一页领导活动</a></td>'
            '<td><a href="/Article/ShowClass.asp?ClassID=9">尾页说明</a></td></tr></table>'
            '<table><tr><td><a href="/Article/ShowArticle.asp?ArticleID=1187">2017年政府信息公开报告</a></td></tr>'
            '</table>'
            '<p>首页 上一页 <a href="ShowClass.asp?ClassID=54&amp;page=2">下一页&gt;</a> '
            '<a href="ShowClass.asp?ClassID=54&amp;page=3">[尾页]</a></p></body></html>')
    response = HtmlResponse(url="http://dt.smesd.gov.cn/Article/ShowClass.asp?ClassID=54", body=body.encode(),
                            encoding="utf-8")
    assert list(adapter.next_pages(response)) == ["http://dt.smesd.gov.cn/Article/ShowClass.asp?ClassID=54&page=2",
                                            "http://dt.smesd.gov.cn/Article/ShowClass.asp?ClassID=54&page=3"]


def test_create_page_html_with_variable_arguments():
    assert parse_create_page_html('var countPage = 5\nvar currentPage = 0;\n'
                                  'createPageHTML(countPage, currentPage, "index", "html");') == (5, 0, "index", "html")
    assert parse_create_page_html("countPage = 12;\ncurrentPage = 3; var sName = 'index', sExt = \"shtml\";\n"
                                  "createPageHTML('page_div', countPage, currentPage, sName, sExt, 236);"
                                  ) == (12, 3, "index", "shtml")
    # names nothing assigns cannot be worked out
    assert parse_create_page_html('createPageHTML(countPage, currentPage, "index", "html");') is None


TRS_VARIABLE_LIST_PAGE = """<html><head><meta charset="utf-8"><title>部门年度报告</title>
<script type="text/javascript" src="../../../images/createPageHTML.js"></script></head><body>
<div class="nav"><a href="/xwzx/tzgg/index_3.html">通知公告</a></div>
<ul class="list">
  <li><a href="./202101/t20210118_781234.html">吉林市科技局2020年政府信息公开工作年度报告</a><span>2021-01-18</span></li>
  <li><a href="./202001/t20200114_687214.html">吉林市科技局2019年政府信息公开工作年度报告</a><span>2020-01-14</span></li>
</ul>
<div class="page"><script>
var countPage = 5//共多少页
var currentPage = 0;//当前页
</script><script>
createPageHTML(countPage, currentPage, "index", "html");
</script></div></body></html>"""  # noqa: E501 - markup: a line break would change it


def test_trs_list_page_with_variable_pagination():
    adapter = TrsAdapter(REGISTRY["220200-szf"])
    base = "http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/"
    response = HtmlResponse(url=f"{base}index.html", body=TRS_VARIABLE_LIST_PAGE.encode(), encoding="utf-8")
    assert list(adapter.next_pages(response)) == [f"{base}index_{n}.html" for n in range(1, 5)]


def test_attachment_links_of_an_attachment_only_report():
    adapter = GenericAdapter(REGISTRY["220303-qzf"])
    links = adapter.attachment_links(fixture_response("005_attachment_only"))
    assert [link.url.rsplit(".", 1)[1] for link in links] == ["pdf", "docx"]
    assert links[0].text == "四平市铁东区教育局2020年政府信息公开工作年度报告.pdf"


def test_report_links_to_other_hosts_are_kept_for_the_guard_to_refuse_with_a_row():
    adapter = GenericAdapter(REGISTRY["220303-qzf"])
    body = '<a href="http://www.siping.gov.cn/x/2020年度报告.html">四平市2020年度报告</a>'
    response = HtmlResponse(url="http://www.tiedong.gov.cn/xxgk/zfxxgknb/", body=body.encode(), encoding="utf-8")
    [link] = adapter.report_links(response)
    assert static_refusal(REGISTRY["220303-qzf"], link.url, 2083) == (
        "leaves the portal's hosts (www.tiedong.gov.cn)")


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
        queue += list(adapter.next_pages(response))
    assert links, f"{portal_id}: no report link in its column"
    assert all(portal.allows(link.url) for link in links)


def test_trs_page_count_is_read_lazily():
    """createPageHTML(10000000, ...) once made the adapter build ten million URLs; the spider takes a few."""
    body = '<script>createPageHTML(10000000, 0, "index", "html");</script>'
    response = HtmlResponse(url="http://www.jlcity.gov.cn/col/index.html", body=body.encode(), encoding="utf-8")
    tracemalloc.start()
    try:
        first = list(itertools.islice(TrsAdapter(REGISTRY["220200-szf"]).next_pages(response), 3))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert first == [f"http://www.jlcity.gov.cn/col/index_{n}.html" for n in (1, 2, 3)]
    assert peak < 4 * 1024 * 1024
