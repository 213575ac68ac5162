"""The command line explains itself: configuration mistakes are one line and exit 2 (for `scrapy crawl` as for
`govcrawl`), unknown spider arguments are refused, the log ends with the summary, everything runs from any
folder, and `govcrawl portal check` shows what the crawl would take from a column page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from crawlkit import SEEDS, crawl_env, run_crawl

from govcrawl.cli import build_parser, main

JLCITY_COLUMN = "http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/index.html"
SMESD_COLUMN = "http://dt.smesd.gov.cn/Article/ShowClass.asp?ClassID=54"


def scrapy_crawl(cwd: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "error", "-m", "scrapy", "crawl", "portals", *args], cwd=cwd,
                          env=env or crawl_env(), capture_output=True, text=True, timeout=300, check=False)


def govcrawl(cwd: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "error", "-m", "govcrawl.cli", *args], cwd=cwd,
                          env=env or crawl_env(), capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize(("args", "message"), [
    (["-a", "replays=seeds"], "unknown spider argument -a replays=seeds (known: -a portal=, -a registry=, -a replay=)"),
    (["-a", "replay=demo", "-a", "portal=999999-xxx"], "-a portal=999999-xxx: unknown portal id(s) 999999-xxx"),
    (["-a", "replay=/nonexistent"], "replay source '/nonexistent': no such file or folder"),
    (["-a", "replay=demo", "-s", "DATABASE_URL=bogus://x"], "database URL 'bogus://x': Can't load plugin"),
    (["-a", "replay=demo", "-s", "DATABASE_URL=bogus://u:s3cret@h/db"], "database URL 'bogus://u:***@h/db'"),
    (["-a", "replay=demo", "-s", "DATABASE_URL=sqlite:////nonexistent/dir/x.db"],
     "database sqlite:////nonexistent/dir/x.db: cannot connect: unable to open database file"),
    (["-a", "registry=demo", "-s", "GOVCRAWL_ARCHIVE_DIR=/proc/none/archive"],
     "archive folder '/proc/none/archive': cannot create it"),
    ([], "no portal registry: pass -a registry=FOLDER or set GOVCRAWL_REGISTRY"),
])
def test_a_configuration_mistake_is_one_line_and_exit_2_before_anything_starts(tmp_path, args, message):
    if not any(arg.startswith("DATABASE_URL=") for arg in args):
        args = [*args, "-s", f"DATABASE_URL=sqlite:///{tmp_path / 'x.db'}"]
    result = scrapy_crawl(tmp_path, *args)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("scrapy crawl portals: ") and message in result.stderr
    assert "s3cret" not in result.stderr
    assert not (tmp_path / "archive").exists()  # nothing was crawled: no archive started


def test_a_bad_registry_entry_names_file_portal_and_field(tmp_path):
    registry = tmp_path / "portals"
    registry.mkdir()
    (registry / "220200-test.toml").write_text('id = "220200-test"\nname = "x"\n', encoding="utf-8")
    result = scrapy_crawl(tmp_path, "-a", f"registry={registry}")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "220200-test.toml: portal '220200-test': field 'agency': missing" in result.stderr


def test_govcrawl_crawl_gives_the_same_line_from_any_folder(tmp_path):
    result = govcrawl(tmp_path, "crawl", "--portal", "nope", "--replay", "demo")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "-a portal=nope: unknown portal id(s) nope" in result.stderr


def test_govcrawl_crawl_replays_the_demo_from_another_folder_and_the_summary_ends_the_log(tmp_path):
    database = f"sqlite:///{tmp_path / 'demo.db'}"
    first = govcrawl(tmp_path, "crawl", "--replay", "demo", "--db", database)
    assert first.returncode == 0, first.stderr[-3000:]
    lines = first.stderr.strip().splitlines()
    # Quiet start-up: our own lines and warnings only; the summary is the end of the log.
    assert not [line for line in lines if "[scrapy." in line or "[alembic" in line], lines
    assert len(lines) < 25, lines
    summary = lines[next(i for i, line in enumerate(lines) if "Replay finished" in line):]
    assert summary[0].endswith("Replay finished: 7 portal(s), 21 page(s), 8 report(s), 955 cell(s), "
                               "0 failed check(s), 2 failed page(s), 0 replay miss(es)")
    assert summary[1] == ("  new rows: 8 report(s), 955 cell(s), 21 page(s); "
                          "already stored: 0 report(s), 0 cell(s), 0 page(s)")
    assert "  220200-szf    4 page(s), 2 report(s), 0 failed  吉林市人民政府 部门年度报告" in summary
    # the attachment-only report counts once (its PDF lends it the cells), the column's own DOCX is a report
    assert "  220303-qzf    5 page(s), 1 report(s), 2 failed  四平市铁东区人民政府 政府信息公开年报" in summary
    assert "  370724-xzf    3 page(s), 2 report(s), 0 failed  临朐县人民政府 政府信息公开年报" in summary
    assert summary[-1] == f"  replayed from: {SEEDS.resolve()}"
    second = govcrawl(tmp_path, "crawl", "--replay", "demo", "--db", database)
    (again,) = [line for line in second.stderr.splitlines() if line.startswith("  new rows: ")]
    assert again.startswith("  new rows: 0 report(s), 0 cell(s), 0 page(s); already stored: 8 report(s), ")
    assert again.endswith(" 21 page(s)")
    assert not (tmp_path / "archive").exists()  # a replay writes no archive


def test_debug_level_shows_scrapys_own_lines_again(tmp_path):
    result = run_crawl(tmp_path, "-a", "replay=demo", "-a", "portal=371703-zxqyj", "-L", "DEBUG",
                       "-s", f"DATABASE_URL=sqlite:///{tmp_path / 'x.db'}")
    assert "[scrapy.core.engine] INFO: Spider opened" in result.stderr


def test_a_live_crawl_needs_a_registry_but_a_named_one_works(tmp_path, portal_server):
    database = f"sqlite:///{tmp_path / 'live.db'}"
    # The test proxy answers for the portals' real (here unresolvable) hosts and keeps addresses in check.
    proxied = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
               "-s", "GOVCRAWL_PROXY_CHECKS_ADDRESSES=True")
    result = run_crawl(tmp_path, "-a", "registry=demo", "-a", "portal=371703-zxqyj", "-s", f"DATABASE_URL={database}",
                       *proxied, env=crawl_env(http_proxy=portal_server.url))
    assert "Crawl finished: 1 portal(s)" in result.stderr and "1 report(s)" in result.stderr
    env = crawl_env(http_proxy=portal_server.url, GOVCRAWL_REGISTRY=str(SEEDS / "portals"))
    result = run_crawl(tmp_path, "-a", "portal=371703-zxqyj", "-s", f"DATABASE_URL={database}", *proxied, env=env)
    assert "already stored: 1 report(s)" in result.stderr


def test_version_and_every_option_has_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("govcrawl 0.")
    parser = build_parser()

    def check(p, name):
        for action in p._actions:  # noqa: SLF001 - argparse keeps no public list of a parser's options
            if action.dest == "help":
                continue
            if action.__class__.__name__ == "_SubParsersAction":
                for sub_name, sub in action.choices.items():
                    check(sub, f"{name} {sub_name}")
                continue
            assert action.help, f"{name}: option {action.option_strings or action.dest} has no help text"

    check(parser, "govcrawl")


def test_serve_seeds_from_another_folder_serves_the_demo_site(tmp_path):
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "govcrawl.cli", "serve-seeds", "--port", str(port)],
                              cwd=tmp_path, env=crawl_env(), stderr=subprocess.PIPE, text=True)
    try:
        assert "serving " in server.stderr.readline()  # printed once it listens
        proxy = urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{port}"})
        with urllib.request.build_opener(proxy).open(JLCITY_COLUMN, timeout=10) as response:
            assert response.status == 200 and "部门年度报告".encode() in response.read()
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()


def test_portal_check_shows_taken_skipped_and_pagination_from_an_archive(capsys):
    assert main(["portal", "check", JLCITY_COLUMN, "--archive", "demo"]) == 0
    out = capsys.readouterr().out
    taken = out.split("taken as reports: ")[1]
    assert taken.startswith("1\n  吉林市科技局2019年政府信息公开工作年度报告  "
                            "http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/202001/t20200114_687214.html")
    assert "pagination: 1\n  http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/index_1.html" in out
    assert "its URL path does not name a TRS document" in out
    assert "  登录  http://www.jlcity.gov.cn/member/login.jsp" in out
    assert "not on the portal's hosts (allowed_hosts): 1\n    吉ICP备05002735号  https://beian.miit.gov.cn/" in out


def test_portal_check_live_explains_a_skipped_link_and_a_pattern_widens_the_rule(tmp_path, capsys, portal_server,
                                                                                  monkeypatch):
    monkeypatch.setenv("http_proxy", portal_server.url)
    monkeypatch.delenv("GOVCRAWL_REGISTRY", raising=False)
    assert main(["portal", "check", SMESD_COLUMN]) == 0
    out = capsys.readouterr().out
    assert "read live" in out and "taken as reports: 0" in out
    assert "pagination: 1\n  http://dt.smesd.gov.cn/Article/ShowClass.asp?ClassID=54&page=2" in out
    assert ("neither its text matches /年度报告|年报|信息公开(?:工作)?报告/ nor its URL path" in out
            and "定陶区中小企业局2018年政务公开工作要点  "
                "http://dt.smesd.gov.cn/Article/ShowArticle.asp?ArticleID=1203" in out)
    assert "outside the list area (selectors.list_area = 'div.list'): 4" in out
    registry = tmp_path / "portals"
    registry.mkdir()
    entry = (SEEDS / "portals" / "371703-zxqyj.toml").read_text(encoding="utf-8")
    (registry / "371703-zxqyj.toml").write_text('report_link_pattern = "政务公开工作要点"\n' + entry, encoding="utf-8")
    assert main(["portal", "check", SMESD_COLUMN, "--registry", str(registry)]) == 0
    out = capsys.readouterr().out
    assert "report_link_pattern '政务公开工作要点'" in out
    assert "taken as reports: 1\n  定陶区中小企业局2018年政务公开工作要点" in out


def test_portal_check_names_an_unreachable_page_in_one_line(capsys):
    assert main(["portal", "check", "http://nowhere.example/x", "--archive", "demo"]) == 2
    err = capsys.readouterr().err
    assert err == f"govcrawl portal check: http://nowhere.example/x: not in the archive {SEEDS.resolve()}\n"


def test_govcrawl_dictionary_writes_the_committed_documents(tmp_path):
    assert main(["dictionary", "--out", str(tmp_path)]) == 0
    for name in ("data-dictionary.md", "data-dictionary.json"):
        assert (tmp_path / name).read_bytes() == (SEEDS.parent / "docs" / name).read_bytes()


def test_portal_check_never_fetches_a_loopback_address_directly(portal_server, capsys, monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert main(["portal", "check", f"{portal_server.url}/index.html"]) == 2
    assert "is a loopback address (127.0.0.1); portal check fetches public portals only" in capsys.readouterr().err
    assert portal_server.requests_seen == []


def test_the_stores_own_check_rules_are_in_the_dictionary():
    from extractors.checks import CHECK_RULES
    from govcrawl.db.attachments import FILE_RULE, PAGE_RULE

    assert {PAGE_RULE, FILE_RULE} <= set(CHECK_RULES)


def test_portal_check_refuses_a_file_url_even_for_a_named_portal_that_may_fetch_private_addresses(tmp_path, capsys):
    # Before the fix only a URL matched against the registry was checked for its scheme: with --portal, urllib
    # read the local file and the command died with a traceback.
    secret = tmp_path / "secret.html"
    secret.write_text("<html><a href='/x'>2023年政府信息公开工作年度报告</a></html>", encoding="utf-8")
    registry = tmp_path / "portals"
    registry.mkdir()
    (registry / "000001-lan.toml").write_text(
        'id = "000001-lan"\nname = "内网门户"\nagency = "某局"\nregion = "某地"\nplatform = "generic"\n'
        'columns = ["http://10.0.0.5/ndbg/"]\nallowed_hosts = ["10.0.0.5"]\n'
        'private_addresses = {allow = true, reason = "the agency publishes on its intranet mirror"}\n',
        encoding="utf-8")
    url = secret.as_uri()
    assert main(["portal", "check", url, "--registry", str(registry), "--portal", "000001-lan"]) == 2
    assert capsys.readouterr().err == f"govcrawl portal check: {url!r}: not an http(s) URL\n"
