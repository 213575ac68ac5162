"""The fault matrix: one live crawl (per database backend) of made-up portals served by the fault-injecting
server, every fault of issue 8 on its own URL; each test reads one case back from the stored rows: the reports
expected are stored, and every URL that was not fetched or failed has a row with its reason.

Portals on made-up hosts are reached through the server as an HTTP proxy and open the private-address door in
their registry entries (the server is 127.0.0.1); the portals on 127.0.0.1/localhost are reached directly, some
without the door, to show that the production default keeps it shut."""

from __future__ import annotations

import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from crawlkit import FIXTURE_PAGES, TEST_SERVER_DOOR, crawl_env, fresh_postgres_database
from dbstate import snapshot
from faultserver import (
    FaultServer,
    drip,
    gzip_bomb,
    gzipped,
    hang,
    page,
    redirect,
    reset,
    sequence,
    status,
    truncated,
)

M = "http://www.matrix.gov.cn"
FILES = "http://files.matrix.gov.cn"  # the matrix portal's second host
OTHER = "http://www.other.gov.cn"
REPORT = (FIXTURE_PAGES / "001_trs.html").read_bytes()
REPORT_2 = (FIXTURE_PAGES / "004_zoom.html").read_bytes()
GBK_REPORT = (FIXTURE_PAGES / "000_gbk.html").read_bytes()  # GBK bytes, <meta charset=gb2312>
LATIN1 = "text/html; charset=ISO-8859-1"
LONG_PATH = "/ndbg/" + "a" * 2100 + ".html"
ROBOTS_HOSTS = {  # host: how its robots.txt answers
    "www.r404.gov.cn": status(404, b"<html>no such file</html>"),
    "www.r500.gov.cn": status(500, b"<html>error</html>"),
    "www.rslow.gov.cn": hang(6),
    "www.rreset.gov.cn": reset,
    "www.rmoved.gov.cn": redirect("/robots-real.txt", 301),
    "www.raway.gov.cn": redirect(f"{OTHER}/robots.txt", 301),
}
SETTINGS = {
    # The hangs below last 6 s; 3 s is long enough that a loaded test machine does not time out good pages.
    "DOWNLOAD_TIMEOUT": "3",
    "RETRY_TIMES": "1",
    "GOVCRAWL_RETRY_BACKOFF_BASE": "0.2",
    "DOWNLOAD_MAXSIZE": str(2 * 1024 * 1024),  # the gzip bomb inflates to 64 MB
    "DOWNLOAD_WARNSIZE": "0",
    "GOVCRAWL_MAX_LIST_PAGES": "3",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_START_DELAY": "0",
    "AUTOTHROTTLE_MAX_DELAY": "1",
    "GOVCRAWL_EXTRACT_WORKERS": "1",
}


def listing(*links: tuple[str, str], charset: str = "utf-8", extra: str = "") -> bytes:
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    html = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            f"<title>政府信息公开年度报告</title></head><body><ul>{items}</ul>{extra}</body></html>")
    return html.encode(charset)


def report_link(path: str, what: str) -> tuple[str, str]:
    return path, f"某局2019年政府信息公开工作年度报告（{what}）"


MATRIX_LINKS = [
    report_link("/ndbg/ok.html", "正常"),
    report_link("/ndbg/slow.html", "超时"),
    report_link("/ndbg/drip.html", "慢速"),
    report_link("/ndbg/flaky.html", "先503后成功"),
    report_link("/ndbg/reset.html", "连接重置"),
    report_link("/ndbg/truncated.html", "截断"),
    report_link("/ndbg/badgzip.html", "损坏的gzip"),
    report_link("/ndbg/bomb.html", "gzip炸弹"),
    report_link("/ndbg/gbk.html", "GBK标成ISO-8859-1"),
    report_link("/ndbg/empty.html", "空白"),
    report_link("/ndbg/loop.html", "重定向循环"),
    report_link("/ndbg/to-other.html", "重定向到别的网站"),
    report_link("/ndbg/to-metadata.html", "重定向到元数据地址"),
    report_link("/ndbg/to-loopback.html", "重定向到回环地址"),
    report_link("/ndbg/to-ftp.html", "重定向到ftp"),
    report_link("/ndbg/to-files.html", "重定向到本门户另一主机"),
    report_link("/ndbg/to-files-private.html", "重定向到另一主机robots禁止的地址"),
    report_link("/ndbg/refresh-away.html", "meta refresh 到别的网站"),
    report_link("/ndbg/refresh-here.html", "meta refresh 站内"),
    report_link(LONG_PATH, "网址过长"),
    report_link("ftp://www.matrix.gov.cn/ndbg/report.pdf", "ftp"),
    report_link(f"{OTHER}/ndbg/report.html", "别的网站"),
    report_link("/private/report.html", "robots禁止"),
]


def endless_page(url: str):
    number = int(url.rsplit("_", 1)[1].split(".", maxsplit=1)[0]) if "_" in url.rsplit("/", 1)[1] else 0
    return page(listing(extra=f'<div class="page"><a href="index_{number + 1}.html">下一页</a></div>'))


def trs_page(_url: str):
    script = '<script>createPageHTML(10000000, 0, "index", "html");</script>'
    return page(listing(report_link("./202001/t20200114_1.html", "TRS"), extra=script))


def build(server: FaultServer, registry: Path, closed_port: int) -> None:
    local = server.url  # http://127.0.0.1:PORT
    port = server.server_address[1]
    routes = {
        f"{M}/robots.txt": page(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
        f"{M}/ndbg/index.html": page(listing(*MATRIX_LINKS)),
        f"{M}/ndbg/ok.html": page(REPORT),
        f"{M}/ndbg/slow.html": hang(6, page(REPORT)),
        f"{M}/ndbg/drip.html": drip(REPORT[:80], 0.1),
        f"{M}/ndbg/flaky.html": sequence(status(503, b"<html>busy</html>"), page(REPORT_2)),
        f"{M}/ndbg/reset.html": reset,
        f"{M}/ndbg/truncated.html": truncated(REPORT, 300),
        f"{M}/ndbg/badgzip.html": gzipped(REPORT, corrupt=True),
        f"{M}/ndbg/bomb.html": gzip_bomb(64 * 1024 * 1024),
        f"{M}/ndbg/gbk.html": page(GBK_REPORT, LATIN1),
        f"{M}/ndbg/empty.html": page(b""),
        f"{M}/ndbg/loop.html": redirect(f"{M}/ndbg/loop-2.html"),
        f"{M}/ndbg/loop-2.html": redirect(f"{M}/ndbg/loop.html"),
        f"{M}/ndbg/to-other.html": redirect(f"{OTHER}/ndbg/report.html"),
        f"{M}/ndbg/to-metadata.html": redirect("http://169.254.169.254/latest/meta-data/iam/"),
        f"{M}/ndbg/to-loopback.html": redirect("http://127.0.0.2/admin/"),
        f"{M}/ndbg/to-ftp.html": redirect("ftp://www.matrix.gov.cn/report.pdf"),
        f"{M}/ndbg/to-files.html": redirect(f"{FILES}/pub/report.html"),
        f"{M}/ndbg/to-files-private.html": redirect(f"{FILES}/private/report.html"),
        f"{FILES}/robots.txt": page(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
        f"{FILES}/pub/report.html": page(REPORT),
        f"{FILES}/private/report.html": page(REPORT),
        f"{M}/ndbg/refresh-away.html": page(b'<html><head><meta http-equiv="refresh" content="0;url='
                                            + f"{OTHER}/moved.html".encode() + b'"></head><body></body></html>'),
        f"{M}/ndbg/refresh-here.html": page(b'<html><head><meta http-equiv="refresh" content="0; url=ok-new.html">'
                                            b"</head><body>moved</body></html>"),
        f"{M}/ndbg/ok-new.html": page(REPORT_2),
        f"{M}/private/report.html": page(REPORT),
        # a column whose list page is gone
        f"{M}/missing/": status(404, b"<html>not found</html>"),
        # a GBK list page the server calls ISO-8859-1 (item 10)
        "http://www.gbk.gov.cn/lm/": page(listing(("/lm/t20200114_1.html",
                                                   "吉林市科技局2019年政府信息公开工作年度报告"),
                                                  charset="gbk"), LATIN1),
        "http://www.gbk.gov.cn/lm/t20200114_1.html": page(REPORT),
        # the portals reached directly on 127.0.0.1
        f"{local}/door/index.html": page(listing(report_link("/door/t20200114_1.html", "本机"))),
        f"{local}/door/t20200114_1.html": page(REPORT),
        "http://www.rmoved.gov.cn/robots-real.txt": page(b"User-agent: *\nDisallow: /ndbg/t\n", "text/plain"),
    }
    for host, robots in ROBOTS_HOSTS.items():
        routes[f"http://{host}/robots.txt"] = robots
        routes[f"http://{host}/ndbg/index.html"] = page(listing(report_link("/ndbg/t20200114_1.html", host)))
        routes[f"http://{host}/ndbg/t20200114_1.html"] = page(REPORT)
    server.routes.update(routes)
    server.prefixes.update({f"{M}/endless/": endless_page, "http://www.trs.gov.cn/col/index": trs_page})
    server.routes["http://www.trs.gov.cn/col/202001/t20200114_1.html"] = page(REPORT)

    portals = {
        "110000-matrix": ("generic", [f"{M}/ndbg/index.html", f"{M}/missing/", f"{M}/endless/index.html"],
                          ["www.matrix.gov.cn", "files.matrix.gov.cn"], True),
        "110000-gbk": ("generic", ["http://www.gbk.gov.cn/lm/"], ["www.gbk.gov.cn"], True),
        "110000-trs": ("trs", ["http://www.trs.gov.cn/col/index.html"], ["www.trs.gov.cn"], True),
        "110000-door": ("generic", [f"{local}/door/index.html"], [f"127.0.0.1:{port}"], True),
        "110000-literal": ("generic", [f"{local}/shut/index.html"], [f"127.0.0.1:{port}"], False),
        "110000-localhost": ("generic", [f"http://localhost:{port}/shut/index.html"], [f"localhost:{port}"], False),
        "110000-unchecked": ("generic", ["http://www.nodoor.gov.cn/ndbg/"], ["www.nodoor.gov.cn"], False),
        "110000-refused": ("generic", [f"http://127.0.0.1:{closed_port}/ndbg/index.html"],
                           [f"127.0.0.1:{closed_port}"], True),
    }
    for number, host in enumerate(ROBOTS_HOSTS):
        portals[f"11000{number}-robots"] = ("generic", [f"http://{host}/ndbg/index.html"], [host], True)
    registry.mkdir()
    for portal_id, (platform, columns, hosts, door) in portals.items():
        quoted = ", ".join(f'"{c}"' for c in columns)
        (registry / f"{portal_id}.toml").write_text(
            f'id = "{portal_id}"\nname = "测试"\nagency = "测试局"\nregion = "北京市"\nplatform = "{platform}"\n'
            f'columns = [{quoted}]\nallowed_hosts = [{", ".join(f"{h!r}".replace(chr(39), chr(34)) for h in hosts)}]\n'
            + (TEST_SERVER_DOOR if door else ""), encoding="utf-8")


@dataclass
class Matrix:
    pages: dict
    reports: set
    requested: list[str]
    log: str
    port: int
    closed_port: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_matrix(tmp_path: Path, database_url: str) -> Matrix:
    closed_port = free_port()
    with FaultServer() as server:
        build(server, tmp_path / "portals", closed_port)
        settings = [arg for name, value in SETTINGS.items() for arg in ("-s", f"{name}={value}")]
        command = [sys.executable, "-W", "error", "-m", "scrapy", "crawl", "portals",
                   "-s", f"GOVCRAWL_REGISTRY={tmp_path / 'portals'}", "-s", f"DATABASE_URL={database_url}", *settings]
        # The run's exit status is the CLI's business; this matrix reads the rows.
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
                                env=crawl_env(http_proxy=server.url, no_proxy="127.0.0.1,localhost"))
        requested = server.requests_seen
    assert "Traceback" not in result.stderr, result.stderr[-6000:]
    assert "Crawl finished: " in result.stderr, result.stderr[-6000:]  # the summary: the run was not stopped
    state = snapshot(database_url)
    return Matrix(state["pages"], set(state["reports"]), requested, result.stderr, server.server_address[1],
                  closed_port)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def matrix(request, tmp_path_factory) -> Matrix:
    tmp_path = tmp_path_factory.mktemp(f"faults-{request.param}")
    if request.param == "sqlite":
        return run_matrix(tmp_path, f"sqlite:///{tmp_path / 'govcrawl.db'}")
    with fresh_postgres_database() as database_url:
        return run_matrix(tmp_path, database_url)


def error_of(matrix: Matrix, url: str) -> str:
    assert url in matrix.pages, f"no row for {url}"
    return matrix.pages[url]["error"] or ""


# -- what already held ---------------------------------------------------------------------------------------

def test_a_good_page_among_faults_is_stored(matrix):
    assert f"{M}/ndbg/ok.html" in matrix.reports and error_of(matrix, f"{M}/ndbg/ok.html") == ""


def test_timeout(matrix):
    assert "took longer than 3.0 seconds" in error_of(matrix, f"{M}/ndbg/slow.html")
    assert f"{M}/ndbg/slow.html" not in matrix.reports
    assert matrix.requested.count(f"{M}/ndbg/slow.html") == 2  # retried once


def test_slow_drip(matrix):
    assert "took longer than 3.0 seconds" in error_of(matrix, f"{M}/ndbg/drip.html")


def test_5xx_then_success(matrix):
    assert f"{M}/ndbg/flaky.html" in matrix.reports and error_of(matrix, f"{M}/ndbg/flaky.html") == ""


def test_connection_reset(matrix):
    error = error_of(matrix, f"{M}/ndbg/reset.html")
    assert error.startswith("DownloadFailedError: ") and "ConnectionLost" in error


def test_truncated_body(matrix):
    assert error_of(matrix, f"{M}/ndbg/truncated.html") == "ResponseDataLossError: ResponseDataLossError"


def test_corrupt_gzip(matrix):
    assert error_of(matrix, f"{M}/ndbg/badgzip.html").startswith("error: Error -3 while decompressing data")
    assert f"{M}/ndbg/badgzip.html" not in matrix.reports


def test_gzip_bomb(matrix):
    error = error_of(matrix, f"{M}/ndbg/bomb.html")
    assert error.startswith("IgnoreRequest") and "exceeded DOWNLOAD_MAXSIZE (2097152 B)" in error


def test_gbk_document_served_as_latin1(matrix):
    assert f"{M}/ndbg/gbk.html" in matrix.reports
    assert matrix.pages[f"{M}/ndbg/gbk.html"]["encoding"] == "gb18030"


def test_empty_200(matrix):
    assert error_of(matrix, f"{M}/ndbg/empty.html").startswith("undecodable body: empty input")


def test_404_list_page(matrix):
    assert error_of(matrix, f"{M}/missing/").startswith("HTTP 404 Not Found")


def test_robots_disallow(matrix):
    assert error_of(matrix, f"{M}/private/report.html") == f"refused: forbidden by robots.txt of {M}"
    assert f"{M}/private/report.html" not in matrix.requested


def test_endless_pagination_stops_at_the_limit(matrix):
    fetched = [url for url in matrix.requested if url.startswith(f"{M}/endless/")]
    assert sorted(fetched) == [f"{M}/endless/index.html", f"{M}/endless/index_1.html", f"{M}/endless/index_2.html"]
    assert error_of(matrix, f"{M}/endless/index_3.html").startswith(
        f"refused: column {M}/endless/index.html reached GOVCRAWL_MAX_LIST_PAGES (3 list pages)")


# -- item 1: nothing leaves the portal -----------------------------------------------------------------------

def test_redirect_to_another_portal_host_is_refused(matrix):
    assert error_of(matrix, f"{M}/ndbg/to-other.html") == (
        f"refused: redirect to {OTHER}/ndbg/report.html leaves the portal's hosts "
        "(www.matrix.gov.cn, files.matrix.gov.cn)")
    assert matrix.pages[f"{M}/ndbg/to-other.html"]["final_url"] == f"{OTHER}/ndbg/report.html"
    assert not any(url.startswith(OTHER) for url in matrix.requested)


def test_redirect_to_cloud_metadata_is_refused(matrix):
    assert error_of(matrix, f"{M}/ndbg/to-metadata.html") == (
        "refused: redirect to http://169.254.169.254/latest/meta-data/iam/ leaves the portal's hosts "
        "(www.matrix.gov.cn, files.matrix.gov.cn)")
    assert not any("169.254.169.254" in url for url in matrix.requested)


def test_redirect_to_loopback_is_refused(matrix):
    assert error_of(matrix, f"{M}/ndbg/to-loopback.html").startswith(
        "refused: redirect to http://127.0.0.2/admin/ leaves the portal's hosts")
    assert not any("127.0.0.2" in url for url in matrix.requested)


def test_redirect_to_another_host_of_the_portal_obeys_that_hosts_robots(matrix):
    assert f"{FILES}/robots.txt" in matrix.requested
    assert matrix.pages[f"{M}/ndbg/to-files.html"]["final_url"] == f"{FILES}/pub/report.html"
    assert f"{FILES}/pub/report.html" in matrix.reports
    assert error_of(matrix, f"{M}/ndbg/to-files-private.html") == f"refused: forbidden by robots.txt of {FILES}"
    assert f"{FILES}/private/report.html" not in matrix.requested


def test_redirect_to_another_scheme_is_refused(matrix):
    assert error_of(matrix, f"{M}/ndbg/to-ftp.html") == (
        "refused: redirect to ftp://www.matrix.gov.cn/report.pdf has scheme 'ftp': only http and https are fetched")


def test_redirect_loop(matrix):
    assert error_of(matrix, f"{M}/ndbg/loop.html") == (
        f"refused: redirect loop: {M}/ndbg/loop.html -> {M}/ndbg/loop-2.html -> {M}/ndbg/loop.html")


def test_loopback_literal_address_is_refused_without_the_registry_door(matrix):
    column = f"http://127.0.0.1:{matrix.port}/shut/index.html"
    assert error_of(matrix, column) == (f"refused: {column} resolves to 127.0.0.1, a loopback address (allowed only "
                                        "for portals whose registry entry sets private_addresses)")
    assert column not in matrix.requested


def test_name_resolving_to_loopback_is_refused_without_the_registry_door(matrix):
    column = f"http://localhost:{matrix.port}/shut/index.html"
    assert error_of(matrix, column).startswith(f"refused: {column} resolves to 127.0.0.1, a loopback address")
    assert column not in matrix.requested


def test_the_registry_door_lets_a_local_portal_in(matrix):
    assert f"http://127.0.0.1:{matrix.port}/door/t20200114_1.html" in matrix.reports


def test_a_host_that_only_the_proxy_could_resolve_is_not_fetched_unchecked(matrix):
    assert error_of(matrix, "http://www.nodoor.gov.cn/ndbg/").startswith(
        "refused: http://www.nodoor.gov.cn/ndbg/ cannot be checked: www.nodoor.gov.cn does not resolve here")
    assert "http://www.nodoor.gov.cn/ndbg/" not in matrix.requested


# -- item 7: every URL not fetched has a row -----------------------------------------------------------------

def test_meta_refresh_to_another_host_leaves_a_row(matrix):
    assert error_of(matrix, f"{M}/ndbg/refresh-away.html") == (
        f"refused: meta refresh to {OTHER}/moved.html leaves the portal's hosts "
        "(www.matrix.gov.cn, files.matrix.gov.cn)")


def test_meta_refresh_within_the_portal_is_followed(matrix):
    row = matrix.pages[f"{M}/ndbg/refresh-here.html"]
    assert row["final_url"] == f"{M}/ndbg/ok-new.html" and row["error"] is None
    assert f"{M}/ndbg/ok-new.html" in matrix.reports  # a report is stored under the URL that served it


def test_overlong_link_leaves_a_row(matrix):
    url = M + LONG_PATH
    assert error_of(matrix, url) == f"refused: {url} is {len(url)} characters long, over URLLENGTH_LIMIT (2083)"


def test_link_with_another_scheme_leaves_a_row(matrix):
    assert error_of(matrix, "ftp://www.matrix.gov.cn/ndbg/report.pdf").endswith(
        "has scheme 'ftp': only http and https are fetched")


def test_report_link_to_another_host_leaves_a_row(matrix):
    assert error_of(matrix, f"{OTHER}/ndbg/report.html") == (
        f"refused: {OTHER}/ndbg/report.html leaves the portal's hosts (www.matrix.gov.cn, files.matrix.gov.cn)")


# -- items 8 and 10 ------------------------------------------------------------------------------------------

def test_trs_page_count_of_ten_million_is_bounded(matrix):
    fetched = [url for url in matrix.requested if url.startswith("http://www.trs.gov.cn/col/index")]
    assert sorted(fetched) == [f"http://www.trs.gov.cn/col/index{suffix}.html" for suffix in ("", "_1", "_2")]
    assert error_of(matrix, "http://www.trs.gov.cn/col/index_3.html").startswith("refused: column ")
    assert "http://www.trs.gov.cn/col/202001/t20200114_1.html" in matrix.reports


def test_gbk_list_page_served_as_latin1_yields_its_report_links(matrix):
    assert matrix.pages["http://www.gbk.gov.cn/lm/"]["encoding"] == "gb18030"
    assert "http://www.gbk.gov.cn/lm/t20200114_1.html" in matrix.reports


# -- item 11: every robots.txt branch ------------------------------------------------------------------------

def test_robots_404_allows_everything(matrix):
    assert "http://www.r404.gov.cn/ndbg/t20200114_1.html" in matrix.reports


@pytest.mark.parametrize(("host", "reason"), [
    ("www.r500.gov.cn", "HTTP 500"),
    ("www.rslow.gov.cn", "DownloadTimeoutError: "),
    ("www.rreset.gov.cn", "DownloadFailedError: "),
    ("www.raway.gov.cn", f"refused: redirect to {OTHER}/robots.txt leaves the portal's hosts"),
])
def test_unreachable_robots_forbids_the_host(matrix, host, reason):
    column = f"http://{host}/ndbg/index.html"
    assert error_of(matrix, column).startswith(f"refused: robots.txt of http://{host} is unreachable ({reason}")
    assert column not in matrix.requested


def test_robots_connection_refused_forbids_the_host(matrix):
    column = f"http://127.0.0.1:{matrix.closed_port}/ndbg/index.html"
    assert error_of(matrix, column).startswith(
        f"refused: robots.txt of http://127.0.0.1:{matrix.closed_port} is unreachable "
        "(DownloadConnectionRefusedError: ")


def test_robots_redirect_within_the_portal_is_followed(matrix):
    assert error_of(matrix, "http://www.rmoved.gov.cn/ndbg/index.html") == ""
    assert error_of(matrix, "http://www.rmoved.gov.cn/ndbg/t20200114_1.html") == (
        "refused: forbidden by robots.txt of http://www.rmoved.gov.cn")
