"""Replay throughput: build a large archive from the seed pages, replay it through the real spider and
pipelines into SQLite, and report pages/s, time per stage and peak memory.

    python benchmarks/replay_bench.py [--pages 1000 5000] [--keep DIR]

The archive holds one generated portal (TRS platform): a column of list pages (50 items each, paged by
createPageHTML) and N report pages made from the five seed reports with every table number varied and
every URL distinct. The crawl runs as `python -m scrapy crawl portals -a replay=...` in a subprocess, as in
production. The last line reads `pages_per_s=<..> peak_rss_mb=<..> pages=<n>` (for the largest run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, func, select

from govcrawl.archive.warc import Exchange, WarcFile
from govcrawl.db import models as m
from govcrawl.seedsite.site import load_site

HOST = "www.bench.gov.cn"
COLUMN = f"http://{HOST}/zwgk/ndbg/"
PER_LIST_PAGE = 50
SEED_REPORT_PATHS = ("t20150120_1129.html", "t20200114_687214.html", "t20150318_1290521.html",
                     "ShowArticle.asp?ArticleID=1187", "t20210129_4419863.html", "t20230120_6152847.html")
# A number alone in a table cell: <td ...>123</td>, possibly wrapped in <p>/<span>.
CELL_NUMBER = re.compile(rb"(<t[dh][^>]*>(?:\s*<[^>]+>)*\s*)(\d{1,6})(\s*(?:<[^>]+>\s*)*</t[dh]>)")
REGISTRY = """id = "999999-bench"
name = "benchmark portal"
agency = "benchmark agency"
region = "nowhere"
platform = "trs"
columns = ["{column}index.html"]
allowed_hosts = ["{host}"]
"""


def seed_pages() -> list[tuple[bytes, list[tuple[str, str]]]]:
    site = load_site(REPO / "seeds" / "site")
    pages = []
    for resource_ in site.values():
        if resource_.url.endswith(SEED_REPORT_PATHS):
            pages.append((resource_.body, [(k, v) for k, v in resource_.headers if k.lower() != "content-length"]))
    if len(pages) < 5:
        raise SystemExit(f"expected the seed report pages in seeds/site, found {len(pages)}")
    return pages


def build_archive(folder: Path, n_pages: int, rng: random.Random) -> Path:
    """Write list pages and n_pages varied report pages to one WARC; return the registry folder."""
    seeds = seed_pages()
    archive = WarcFile(folder / "archive" / "bench.warc.gz", software="govcrawl replay benchmark")
    when = dt.datetime(2024, 3, 1)
    list_pages = (n_pages + PER_LIST_PAGE - 1) // PER_LIST_PAGE
    for page_no in range(list_pages):
        items = range(page_no * PER_LIST_PAGE, min(n_pages, (page_no + 1) * PER_LIST_PAGE))
        lis = "".join(f'<li><a href="./2024{(i % 12) + 1:02d}/t2024{(i % 12) + 1:02d}15_{100000 + i}.html">'
                      f"单位{i}2023年政府信息公开工作年度报告</a><span>2024-01-15</span></li>" for i in items)
        name = "index.html" if page_no == 0 else f"index_{page_no}.html"
        body = (f'<html><head><meta charset="utf-8"><title>年度报告</title></head><body><ul class="list">{lis}</ul>'
                f'<script>createPageHTML({list_pages}, {page_no}, "index", "html");</script></body></html>').encode()
        archive.write(Exchange(COLUMN + name, "GET", [], 200, "OK",
                               [("Content-Type", "text/html; charset=utf-8")], body, when))
    for i in range(n_pages):
        body, headers = seeds[i % len(seeds)]
        body = CELL_NUMBER.sub(lambda mt: mt.group(1) + str(rng.randint(0, 999)).encode() + mt.group(3), body)
        url = f"{COLUMN}2024{(i % 12) + 1:02d}/t2024{(i % 12) + 1:02d}15_{100000 + i}.html"
        archive.write(Exchange(url, "GET", [], 200, "OK", headers, body, when + dt.timedelta(seconds=i)))
    robots = b"User-agent: *\nDisallow: /search/\n"
    archive.write(Exchange(f"http://{HOST}/robots.txt", "GET", [], 200, "OK", [("Content-Type", "text/plain")],
                           robots, when))
    archive.close()
    registry = folder / "portals"
    registry.mkdir()
    (registry / "999999-bench.toml").write_text(REGISTRY.format(column=COLUMN, host=HOST), encoding="utf-8")
    return registry


def replay(folder: Path, registry: Path) -> dict:
    database = folder / "bench.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "SCRAPY_SETTINGS_MODULE": "govcrawl.settings"}
    env.pop("GOVCRAWL_DATABASE_URL", None)
    command = [sys.executable, "-m", "scrapy", "crawl", "portals", "-a", f"replay={folder / 'archive'}",
               "-s", f"GOVCRAWL_REGISTRY={registry}", "-s", f"DATABASE_URL=sqlite:///{database}",
               "-s", "MEMUSAGE_CHECK_INTERVAL_SECONDS=1", "-s", "LOG_LEVEL=WARNING"]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"replay failed:\n{result.stderr[-4000:]}")
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        stats = conn.execute(select(m.CrawlRun.stats)).scalar_one()
        reports = conn.execute(select(func.count()).select_from(m.Report)).scalar_one()
        cells = conn.execute(select(func.count()).select_from(m.ReportCell)).scalar_one()
    engine.dispose()
    return {"wall": wall, "stats": stats, "reports": reports, "cells": cells}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--keep", type=Path, help="build and keep the archives and databases here")
    parser.add_argument("--seed", type=int, default=20240301)
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="govcrawl-bench-"))
    last = None
    try:
        for n_pages in args.pages:
            folder = base / f"pages-{n_pages}"
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            t0 = time.perf_counter()
            registry = build_archive(folder, n_pages, random.Random(args.seed))
            build_s = time.perf_counter() - t0
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            run = replay(folder, registry)
            peak_kb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
            stats = run["stats"]
            elapsed = stats["elapsed_time_seconds"]
            documents = stats.get("govcrawl/extract/pages", 0)
            extract_s = stats.get("govcrawl/extract/seconds", 0.0)
            store_s = stats.get("govcrawl/store/seconds", 0.0)
            rate = documents / elapsed
            peak_mb = max(peak_kb / 1024, stats.get("memusage/max", 0) / 2**20)
            print(f"{n_pages} report pages: archive built in {build_s:.1f}s; replayed in {elapsed:.1f}s "
                  f"({run['wall']:.1f}s with interpreter start-up)")
            print(f"  throughput: {rate:.1f} report pages/s; {run['reports']} reports, {run['cells']} cells stored")
            per_page = 1000 / max(documents, 1)
            print(f"  extract: {extract_s:.1f}s worker time ({extract_s * per_page:.1f} ms/page, "
                  f"{stats.get('govcrawl/extract/failed', 0)} failed); store: {store_s:.1f}s in "
                  f"{stats.get('govcrawl/store/batches', 0)} batches ({store_s * per_page:.1f} ms/page)")
            print(f"  peak memory: crawler process {stats.get('memusage/max', 0) / 2**20:.0f} MB, "
                  f"largest process {peak_kb / 1024:.0f} MB")
            last = (rate, peak_mb, documents)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    rate, peak_mb, documents = last
    print(f"pages_per_s={rate:.1f} peak_rss_mb={peak_mb:.0f} pages={documents}")


if __name__ == "__main__":
    main()
