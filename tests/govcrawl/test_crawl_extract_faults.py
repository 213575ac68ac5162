"""A page that kills, hangs or exhausts its extraction worker costs that page only, with its reason; the
other pages in flight are extracted. Workers never outlive the crawl, even a `kill -9`ed one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from crawlkit import FIXTURE_PAGES, TEST_SERVER_DOOR, crawl_env, crawl_one_portal
from dbstate import snapshot

HOST = "www.poison.gov.cn"
BASE = f"http://{HOST}/zwgk/ndbg/"
HOOK = ("-s", "GOVCRAWL_EXTRACT_WORKER_HOOK=tests.govcrawl.poison:act", "-s", "GOVCRAWL_EXTRACT_WORKERS=2")


def save(site, url: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
    path = site / HOST / url.split(HOST + "/", 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    meta = {"url": url, "status": 200, "headers": {"Content-Type": content_type}}
    (path.parent / (path.name + ".headers.json")).write_text(json.dumps(meta), encoding="utf-8")


def site_with_eight_reports(tmp_path, poison: dict[int, bytes]):
    """A column of 8 report pages (a real report page, each made distinct); page i carries poison[i]."""
    site = tmp_path / "site"
    report = (FIXTURE_PAGES / "001_trs.html").read_bytes()
    links = []
    for i in range(8):
        url = f"{BASE}t20200114_{i}.html"
        save(site, url, report.replace(b"</body>", f"<!-- copy {i} -->".encode() + poison.get(i, b"") + b"</body>"))
        links.append(f'<li><a href="./t20200114_{i}.html">吉林市科技局2019年政府信息公开工作年度报告（{i}）</a></li>')
    save(site, BASE + "index.html", f'<html><head><meta charset="utf-8"></head><body><ul>{"".join(links)}'
         "</ul></body></html>".encode())
    save(site, f"http://{HOST}/robots.txt", b"User-agent: *\nAllow: /\n", content_type="text/plain")
    return site


def documents(state) -> dict[str, dict]:
    return {url: page for url, page in state["pages"].items() if page["kind"] == "document"}


def test_a_worker_that_dies_fails_only_its_own_page(tmp_path):
    # A slow neighbour keeps the crawl going while the pool replaces the dead worker: a replacement still
    # starting when the pool shuts down prints the forkserver's traceback, which would fail run_crawl.
    site = site_with_eight_reports(tmp_path, {5: b"<!-- poison: exit -->", 6: b"<!-- poison: slow -->"})
    database_url, _, result = crawl_one_portal(tmp_path, site, BASE + "index.html", HOST, *HOOK)
    state = snapshot(database_url)
    pages = documents(state)
    poisoned = f"{BASE}t20200114_5.html"
    assert len(pages) == 8
    assert pages[poisoned]["error"] == "extraction failed: the worker process died (exit code 70)"
    assert set(state["reports"]) == set(pages) - {poisoned}
    assert result.stderr.count("The extraction worker died") == 1
    assert f"while extracting {poisoned}" in result.stderr


def test_an_extractor_error_is_logged_with_the_worker_traceback(tmp_path):
    site = site_with_eight_reports(tmp_path, {3: b"<!-- poison: raise -->"})
    result = run_site_crawl(tmp_path, site, *HOOK)
    state = snapshot(f"sqlite:///{tmp_path / 'govcrawl.db'}")
    failing = f"{BASE}t20200114_3.html"
    assert documents(state)[failing]["error"] == "extraction failed: RuntimeError: the extractor broke on this page"
    assert set(state["reports"]) == set(documents(state)) - {failing}
    logged = result.stderr[result.stderr.index(f"Extraction failed for {failing}"):]
    # the traceback from inside the worker process, down to the frame that raised
    assert "RemoteTraceback" in logged and 'poison.py", line' in logged and "in act" in logged


def test_a_page_that_spins_in_c_code_is_stopped_at_the_time_limit(tmp_path):
    site = site_with_eight_reports(tmp_path, {2: b"<!-- poison: spin -->"})
    # The spinning page is the crawl's last: its worker's replacement may still be starting when the pool shuts
    # down, and the forkserver then prints that child's traceback, so the log is not required to be clean.
    result = run_site_crawl(tmp_path, site, *HOOK, "-s", "GOVCRAWL_EXTRACT_TIMEOUT=3")
    state = snapshot(f"sqlite:///{tmp_path / 'govcrawl.db'}")
    pages = documents(state)
    spinning = f"{BASE}t20200114_2.html"
    assert pages[spinning]["error"] == "extraction failed: took longer than the 3 s limit"
    assert set(state["reports"]) == set(pages) - {spinning}
    assert f"Extracting {spinning} took longer than 3 s; its worker was killed and replaced" in result.stderr


def test_a_page_over_the_worker_memory_limit_fails_alone_and_retires_its_worker(tmp_path, monkeypatch):
    # A real page, 4 MB of statistics tables: under the HTML size limit, over a 150 MiB worker.
    report = (FIXTURE_PAGES / "001_trs.html").read_bytes()
    table = report[report.find(b"<table"):report.rfind(b"</table>") + 8]
    # The column's last link (Scrapy's scheduler is last-in first-out: fetched first) and one worker: the other
    # pages are extracted after it, by a fresh worker (what libxml2 leaves behind after a failed allocation is
    # not known to be sound).
    site = site_with_eight_reports(tmp_path, {7: table * (4 * 1024 * 1024 // len(table))})
    worker_log = tmp_path / "workers.log"
    monkeypatch.setenv("GOVCRAWL_TEST_WORKER_LOG", str(worker_log))
    database_url, _, _ = crawl_one_portal(tmp_path, site, BASE + "index.html", HOST, *HOOK,
                                          "-s", "GOVCRAWL_EXTRACT_WORKERS=1",
                                          "-s", "GOVCRAWL_EXTRACT_WORKER_MEMORY_MB=150")
    state = snapshot(database_url)
    pages = documents(state)
    huge = f"{BASE}t20200114_7.html"
    assert pages[huge]["error"] == "extraction failed: out of memory (worker limit 150 MiB)"
    assert set(state["reports"]) == set(pages) - {huge}, {u: p["error"] for u, p in pages.items()}
    extracted = [line.split(" ", 1) for line in worker_log.read_text(encoding="utf-8").splitlines()]
    retired = next(pid for pid, url in extracted if url == huge)
    after = extracted[[url for _, url in extracted].index(huge) + 1:]
    assert after and all(pid != retired for pid, _ in after), extracted


def test_a_page_over_the_html_size_limit_is_not_parsed(tmp_path):
    site = site_with_eight_reports(tmp_path, {1: b"<!--" + b"x" * 300_000 + b"-->"})
    database_url, _, _ = crawl_one_portal(tmp_path, site, BASE + "index.html", HOST,
                                          "-s", "GOVCRAWL_EXTRACT_MAX_HTML_BYTES=200000")
    state = snapshot(database_url)
    pages = documents(state)
    big = f"{BASE}t20200114_1.html"
    assert pages[big]["error"].startswith("not extracted: ")
    assert "bytes is over the 0.190735 MiB limit for HTML pages (the bytes are archived)" in pages[big]["error"]
    assert pages[big]["content_length"] > 300_000 and pages[big]["warc_file"]
    assert set(state["reports"]) == set(pages) - {big}


def registry_for(tmp_path):
    registry = tmp_path / "portals"
    registry.mkdir()
    (registry / "220200-test.toml").write_text(
        f'id = "220200-test"\nname = "测试"\nagency = "测试局"\nregion = "吉林省吉林市"\nplatform = "generic"\n'
        f'columns = ["{BASE}index.html"]\nallowed_hosts = ["{HOST}"]\n{TEST_SERVER_DOOR}', encoding="utf-8")
    return registry


def crawl_command(tmp_path, *settings: str) -> list[str]:
    return [sys.executable, "-m", "scrapy", "crawl", "portals", "-s", f"GOVCRAWL_REGISTRY={registry_for(tmp_path)}",
            "-s", f"DATABASE_URL=sqlite:///{tmp_path / 'govcrawl.db'}", "-s", "DOWNLOAD_DELAY=0", *settings]


def run_site_crawl(tmp_path, site, *settings: str) -> subprocess.CompletedProcess:
    """Crawl `site` live, keeping the log whatever it holds (tracebacks are what is asserted)."""
    from govcrawl.seedsite.server import serve

    server = serve(site)
    server.start_in_thread()
    try:
        return subprocess.run(crawl_command(tmp_path, *settings), cwd=tmp_path, env=crawl_env(http_proxy=server.url),
                              capture_output=True, text=True, timeout=300, check=True)
    finally:
        server.stop()


def _process_tree(root: int) -> dict[int, str]:
    """pid → start time (to tell a pid from its reuse) of `root` and every descendant, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):  # noqa: PTH208 - the names are the pids
        if entry.isdigit():
            try:
                ppid = int(_stat(int(entry))[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            tree[pid] = _stat(pid)[19]
        except OSError:
            continue
        todo.extend(children.get(pid, []))
    return tree


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()  # fields after the command name: state, ppid, …


def _running(pid: int, started: str) -> bool:
    try:
        fields = _stat(pid)
    except OSError:
        return False
    return fields[19] == started and fields[0] != "Z"


def test_kill_9_of_the_crawl_leaves_no_worker_process(tmp_path):
    from govcrawl.seedsite.server import serve

    site = site_with_eight_reports(tmp_path, dict.fromkeys(range(8), b"<!-- poison: block -->"))
    server = serve(site)
    server.start_in_thread()
    crawl = subprocess.Popen(crawl_command(tmp_path, *HOOK), cwd=tmp_path, env=crawl_env(http_proxy=server.url),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # wait (at most a minute) until both workers are blocked on a page: crawl, resource tracker,
        # forkserver and two workers
        for _ in range(600):
            tree = _process_tree(crawl.pid)
            if len(tree) >= 5 and sum(url.endswith(".html") and "t2020" in url for url in server.requests_seen) >= 2:
                break
            time.sleep(0.1)
        time.sleep(1)
        tree = _process_tree(crawl.pid)
        assert len(tree) >= 5, f"the crawl did not start its extraction workers: {tree}"
        crawl.send_signal(signal.SIGKILL)
        crawl.wait(timeout=30)
        left = {}
        for _ in range(300):  # at most 30 s
            left = {pid: started for pid, started in tree.items() if _running(pid, started)}
            if not left:
                break
            time.sleep(0.1)
    finally:
        if crawl.poll() is None:
            crawl.kill()
            crawl.wait()
        server.stop()
    commands = {pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120] for pid in left}
    for pid in left:  # do not leave them behind for the next test either
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes outlived the killed crawl: {commands}"
