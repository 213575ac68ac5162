"""Nightly harvest: two nights over a generated portal of N reports served locally, and a re-extraction.

    python benchmarks/harvest_bench.py [--reports 1000] [--keep DIR]

The site is one generated portal (TRS platform) served by govcrawl's portal server on loopback: a column of
list pages (50 items each, paged by createPageHTML) and N report pages made from the seed reports with every
table number varied, each with a Last-Modified date (so the server answers conditional requests). Night 1
harvests it from scratch, night 2 again with nothing changed; `GOVCRAWL_RECENT_YEARS=5` makes the seed
reports of 2022 (one in six) "recent", so night 2 revalidates those and skips the others, as a real night
does. Then `govcrawl reextract` runs the extractor over the archived pages. Requests and bytes are the
downloader's counters of each night (`downloader/request_count`, `downloader/response_bytes`). The last line
reads `second_night_bytes_ratio=<..> second_night_requests_ratio=<..> reextract_pages_per_s=<..>`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from replay_bench import CELL_NUMBER, PER_LIST_PAGE, seed_pages
from sqlalchemy import create_engine, select

from govcrawl.db import models as m
from govcrawl.seedsite.server import serve

HOST = "www.harvest-bench.gov.cn"
COLUMN = f"http://{HOST}/zwgk/ndbg/"
LAST_MODIFIED = "Mon, 15 Jan 2024 08:00:00 GMT"
REGISTRY = f"""id = "999998-bench"
name = "harvest benchmark portal"
agency = "benchmark agency"
region = "nowhere"
platform = "trs"
columns = ["{COLUMN}index.html"]
allowed_hosts = ["{HOST}"]
"""
# A local benchmark: the politeness limits protect real portals, not this loopback server.
FAST = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s", "GOVCRAWL_RECENT_YEARS=5", "-s", "LOG_LEVEL=WARNING",
        # the portal server answers every host itself (as a proxy): there is no address for the guard to check
        "-s", "GOVCRAWL_PROXY_CHECKS_ADDRESSES=True")


def _write(root: Path, url: str, body: bytes, headers: dict[str, str], *, gzip: bool) -> None:
    path = root / HOST / url.split(HOST + "/", 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    sidecar = {"url": url, "status": 200, "headers": headers, "gzip": gzip}
    Path(f"{path}.headers.json").write_text(json.dumps(sidecar, ensure_ascii=False), encoding="utf-8")


def build_site(root: Path, n_reports: int, rng: random.Random) -> None:
    seeds = seed_pages()
    list_pages = (n_reports + PER_LIST_PAGE - 1) // PER_LIST_PAGE
    html = {"Content-Type": "text/html; charset=utf-8", "Last-Modified": LAST_MODIFIED}
    for page_no in range(list_pages):
        items = range(page_no * PER_LIST_PAGE, min(n_reports, (page_no + 1) * PER_LIST_PAGE))
        lis = "".join(f'<li><a href="./2024{(i % 12) + 1:02d}/t2024{(i % 12) + 1:02d}15_{100000 + i}.html">'
                      f"单位{i}年度政府信息公开工作年度报告</a><span>2024-01-15</span></li>" for i in items)
        name = "index.html" if page_no == 0 else f"index_{page_no}.html"
        body = (f'<html><head><meta charset="utf-8"><title>年度报告</title></head><body><ul class="list">{lis}</ul>'
                f'<script>createPageHTML({list_pages}, {page_no}, "index", "html");</script></body></html>').encode()
        _write(root, COLUMN + name, body, html, gzip=True)
    for i in range(n_reports):
        body, headers = seeds[i % len(seeds)]
        body = CELL_NUMBER.sub(lambda mt: mt.group(1) + str(rng.randint(0, 999)).encode() + mt.group(3), body)
        kept = {k: v for k, v in headers if k.lower() not in ("etag", "last-modified", "set-cookie")}
        url = f"{COLUMN}2024{(i % 12) + 1:02d}/t2024{(i % 12) + 1:02d}15_{100000 + i}.html"
        _write(root, url, body, {**kept, "Last-Modified": LAST_MODIFIED}, gzip=True)
    _write(root, f"http://{HOST}/robots.txt", b"User-agent: *\nDisallow: /search/\n",
           {"Content-Type": "text/plain"}, gzip=False)


def _env(proxy: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env.pop("GOVCRAWL_DATABASE_URL", None)
    if proxy:
        env["http_proxy"] = proxy
    return env


def night(folder: Path, registry: Path, database: str, proxy: str) -> dict:
    command = [sys.executable, "-m", "govcrawl.cli", "harvest", "--db", database, "--data", str(folder / "data"),
               "--registry", str(registry), *FAST]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=folder, env=_env(proxy), capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"harvest failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-4000:]}")
    engine = create_engine(database)
    with engine.connect() as conn:
        stats = conn.execute(select(m.CrawlRun.stats).order_by(m.CrawlRun.id.desc()).limit(1)).scalar_one()
    engine.dispose()
    return {"wall": wall, "stats": stats, "table": result.stdout}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="build and keep the site, archives and database here")
    parser.add_argument("--seed", type=int, default=20240115)
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="govcrawl-harvest-bench-"))
    try:
        if base.exists():
            shutil.rmtree(base)
        (base / "portals").mkdir(parents=True)
        (base / "portals" / "999998-bench.toml").write_text(REGISTRY, encoding="utf-8")
        build_site(base / "site", args.reports, random.Random(args.seed))
        database = f"sqlite:///{base / 'harvest.db'}"
        server = serve(base / "site")
        server.start_in_thread()
        try:
            nights = [night(base, base / "portals", database, server.url) for _ in range(2)]
        finally:
            server.stop()
        first, second = (n["stats"] for n in nights)
        for number, run in enumerate(nights, 1):
            s = run["stats"]
            print(f"night {number}: {s['downloader/request_count']} requests, "
                  f"{s['downloader/response_bytes'] / 1e6:.2f} MB received, {s['elapsed_time_seconds']:.1f} s "
                  f"({run['wall']:.1f} s with start-up); {s.get('govcrawl/incremental/skipped', 0)} skipped, "
                  f"{s.get('govcrawl/incremental/conditional', 0)} conditional, "
                  f"{s.get('govcrawl/incremental/not_modified', 0)} not modified")
            print("  " + run["table"].strip().replace("\n", "\n  "))
        result = subprocess.run([sys.executable, "-m", "govcrawl.cli", "reextract", "--db", database],
                                cwd=base, env=_env(), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"reextract failed:\n{result.stdout}\n{result.stderr[-4000:]}")
        print(result.stdout.strip())
        crawl_rate = first.get("govcrawl/extract/pages", 0) / first["elapsed_time_seconds"]
        print(f"reference: night 1 crawled and extracted {crawl_rate:.1f} report pages/s")
        rate = float(re.search(r"\(([\d.]+)/s\)", result.stdout).group(1))
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    bytes_ratio = second["downloader/response_bytes"] / first["downloader/response_bytes"]
    requests_ratio = second["downloader/request_count"] / first["downloader/request_count"]
    print(f"second_night_bytes_ratio={bytes_ratio:.3f} second_night_requests_ratio={requests_ratio:.3f} "
          f"reextract_pages_per_s={rate:.1f}")


if __name__ == "__main__":
    main()
