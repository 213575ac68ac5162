"""Peak memory of a whole crawl (crawl process + forkserver + extraction workers + resource tracker) that
meets one huge report page, with the extraction limits off (as before they existed) and at their defaults.

    python benchmarks/extract_memory_bench.py [--mb 50] [--workers 2]

A one-portal site is served on 127.0.0.1: a column page linking a real report page (tests/fixtures) and the
same page padded with report prose to --mb MB, plus one page at the HTML size limit (the largest page a
worker may still hold). `scrapy crawl` runs in a subprocess; /proc is sampled every 20 ms and the peak of the
summed RSS of the crawl's process tree is reported per run. The last line reads
`peak_tree_mb_unbounded=<..> peak_tree_mb_limits=<..> peak_tree_mb_at_limit=<..> mb=<n> workers=<n>`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from govcrawl import settings as defaults
from govcrawl.seedsite.server import serve

HOST = "www.memory.gov.cn"
BASE = f"http://{HOST}/zwgk/ndbg/"
PARAGRAPH = ("<p>　　2019年，本局认真贯彻落实《中华人民共和国政府信息公开条例》，主动公开政府信息，"
             "及时回应社会关切，依法办理政府信息公开申请。</p>\n").encode()


def padded(report: bytes, size: int) -> bytes:
    at = report.find(b"<table")
    return report[:at] + PARAGRAPH * max(0, (size - len(report)) // len(PARAGRAPH)) + report[at:]


def build_site(root: Path, pages: dict[str, bytes]) -> None:
    links = "".join(f'<li><a href="./{name}">某局2019年政府信息公开工作年度报告</a></li>' for name in pages)
    files = {**pages, "index.html": f'<html><meta charset="utf-8"><ul>{links}</ul></html>'.encode()}
    for name, body in files.items():
        path = root / HOST / "zwgk" / "ndbg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        meta = {"url": BASE + name, "status": 200, "headers": {"Content-Type": "text/html; charset=utf-8"}}
        path.with_name(name + ".headers.json").write_text(json.dumps(meta), encoding="utf-8")


def tree_rss_kb(root: int) -> int:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):  # noqa: PTH208 - the names are the pids
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    children.setdefault(int(f.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except OSError:
                continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        except OSError:
            continue
        todo.extend(children.get(pid, []))
    return total


def crawl_peak(workdir: Path, site: Path, workers: int, *settings: str) -> tuple[float, str]:
    registry = workdir / "portals"
    registry.mkdir(exist_ok=True)
    (registry / "999999-memory.toml").write_text(
        f'id = "999999-memory"\nname = "memory"\nagency = "memory"\nregion = "nowhere"\nplatform = "generic"\n'
        f'columns = ["{BASE}index.html"]\nallowed_hosts = ["{HOST}"]\n'
        # the benchmark's server is on loopback, which a portal must be allowed explicitly
        'private_addresses = {allow = true, reason = "benchmark server on 127.0.0.1"}\n', encoding="utf-8")
    server = serve(site)
    server.start_in_thread()
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(PYTHONPATH=str(REPO), SCRAPY_SETTINGS_MODULE="govcrawl.settings", http_proxy=server.url)
    database = workdir / f"run{len(list(workdir.glob('*.db')))}.db"
    crawl = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "portals", "-s", f"GOVCRAWL_REGISTRY={registry}",
         "-s", f"DATABASE_URL=sqlite:///{database}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_START_DELAY=0",
         "-s", f"GOVCRAWL_EXTRACT_WORKERS={workers}", "-s", "LOG_LEVEL=WARNING", *settings],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.append(crawl.stderr.read()))
    reader.start()
    try:
        while crawl.poll() is None:
            peak = max(peak, tree_rss_kb(crawl.pid))
            time.sleep(0.02)
    finally:
        reader.join()
        server.stop()
    errors = [line for line in "".join(stderr).splitlines() if "ERROR" in line]
    return peak / 1024, "; ".join(errors)[:300]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    report = (REPO / "tests" / "fixtures" / "pages" / "001_trs.html").read_bytes()
    limit = defaults.GOVCRAWL_EXTRACT_MAX_HTML_BYTES
    with tempfile.TemporaryDirectory(prefix="govcrawl-memory-") as tmp:
        workdir = Path(tmp)
        build_site(workdir / "huge", {"report.html": report, "huge.html": padded(report, args.mb * 2**20)})
        build_site(workdir / "at-limit", {"report.html": report, "at_limit.html": padded(report, limit - 4096)})
        unbounded = crawl_peak(workdir, workdir / "huge", args.workers, "-s", "GOVCRAWL_EXTRACT_MAX_HTML_BYTES=0",
                               "-s", "GOVCRAWL_EXTRACT_WORKER_MEMORY_MB=0", "-s", "GOVCRAWL_EXTRACT_MAX_TEXT_CHARS=0")
        print(f"{args.mb} MB page, no extraction limits:   peak {unbounded[0]:.0f} MB  {unbounded[1]}")
        limited = crawl_peak(workdir, workdir / "huge", args.workers)
        print(f"{args.mb} MB page, default limits:        peak {limited[0]:.0f} MB  {limited[1]}")
        at_limit = crawl_peak(workdir, workdir / "at-limit", args.workers)
        print(f"{limit / 2**20:g} MB page (the HTML limit), defaults: peak {at_limit[0]:.0f} MB  {at_limit[1]}")
    print(f"peak_tree_mb_unbounded={unbounded[0]:.0f} peak_tree_mb_limits={limited[0]:.0f} "
          f"peak_tree_mb_at_limit={at_limit[0]:.0f} mb={args.mb} workers={args.workers}")


if __name__ == "__main__":
    main()
