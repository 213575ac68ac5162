"""Replay throughput of the whole command: build a large archive, replay it through the real spider and
pipelines into SQLite or PostgreSQL, and compare the rate with the bound the machine allows.

    python benchmarks/replay_bench.py [--pages 1000 5000] [--db URL] [--workers N] [--keep DIR]
                                      [--reference DIR --rounds N]

The archive holds one generated portal (TRS platform): a column of list pages (50 items each, paged by
createPageHTML) and N document pages, taken in turn from every HTML layout the repository keeps (fixture pages,
layout variants, the seed site's pages; about three in four are reports, the others notices, letters and
lists) but the three that link report files, each with every table number varied and every URL distinct. Each
run is `python -m scrapy crawl portals -a replay=...` in a fresh subprocess, as in production, against a fresh
database (`--db`: a PostgreSQL server URL; each run creates and drops its own database there; default SQLite).

Figures per run:
- rate: document pages / wall time of the whole command (interpreter start-up, archive indexing, migrations,
  crawl, final flush), not the crawl's own elapsed time;
- extraction CPU per page, summed over the worker processes (`govcrawl/extract/cpu_seconds`);
- bound: what the extraction workers allow if they never wait (workers x 1000 / extraction CPU ms per page)
  and the ratio of the rate to it; and the CPU bound: what the cores allow for all the run's CPU per page
  (crawler process included), which on a machine with as many workers as cores is the lower of the two;
- CPU per page of the crawler process (reading the archive, scheduling, storing) and of the worker processes;
- memory: the peak of the run's whole process tree (crawler, fork server, workers; RSS summed, sampled every
  0.2 s) and its largest process, for this run alone;
- the machine's load average before and after (other work on the machine slows every figure but the CPU).
Each size ends with `pages_per_s=<..> bound_ratio=<..> peak_rss_mb=<..> pages=<n>` of this tree's last run; the
script's last line is that of the last size. With `--reference DIR` each round also replays the same archive with
the govcrawl source tree in DIR (an older commit, say), the two sides alternating which goes first, and the
speed-up is the ratio of the two sides' median rates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import REPO, layouts_without_files, vary_numbers
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from govcrawl.archive.warc import Exchange, WarcFile
from govcrawl.db import models as m

HOST = "www.bench.gov.cn"
COLUMN = f"http://{HOST}/zwgk/ndbg/"
PER_LIST_PAGE = 50
REGISTRY = """id = "999999-bench"
name = "benchmark portal"
agency = "benchmark agency"
region = "nowhere"
platform = "trs"
columns = ["{column}index.html"]
allowed_hosts = ["{host}"]
"""


def build_archive(folder: Path, n_pages: int, rng: random.Random) -> tuple[Path, int]:
    """Write list pages and n_pages varied document pages to one WARC; return the registry folder and the
    number of layouts."""
    layouts = layouts_without_files()
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
        layout = layouts[i % len(layouts)]
        url = f"{COLUMN}2024{(i % 12) + 1:02d}/t2024{(i % 12) + 1:02d}15_{100000 + i}.html"
        headers = [(k, v) for k, v in layout.headers.items() if k.lower() != "content-length"]  # numbers varied
        archive.write(Exchange(url, "GET", [], 200, "OK", headers, vary_numbers(layout.body, rng),
                               when + dt.timedelta(seconds=i)))
    robots = b"User-agent: *\nDisallow: /search/\n"
    archive.write(Exchange(f"http://{HOST}/robots.txt", "GET", [], 200, "OK", [("Content-Type", "text/plain")],
                           robots, when))
    archive.close()
    registry = folder / "portals"
    registry.mkdir()
    (registry / "999999-bench.toml").write_text(REGISTRY.format(column=COLUMN, host=HOST), encoding="utf-8")
    return registry, len(layouts)


def _tree(root: int) -> list[int]:
    """`root` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):  # noqa: PTH208 - the names are the pids
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        tree += children
        frontier += children
    return tree


def _sample(pid: int) -> tuple[int, float] | None:
    """(RSS KiB, CPU seconds so far) of one process, None when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    rss = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return rss, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_command(command: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """Run to the end, sampling its process tree every 0.2 s: wall seconds, CPU seconds of the command's own
    process and of the others (fork server, extraction workers: the last sample of each), peak RSS KiB of the
    whole tree and of its largest process."""
    log = cwd / "replay.log"
    started = time.perf_counter()
    cpu_seen: dict[int, float] = {}
    peak_sum = peak_one = 0
    with log.open("w") as err:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        while True:
            # wait4: the exit status with the CPU time of the command's own process
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            samples = {p: s for p in _tree(proc.pid) if (s := _sample(p)) is not None}
            cpu_seen.update((p, cpu) for p, (_, cpu) in samples.items())
            peak_sum = max(peak_sum, sum(rss for rss, _ in samples.values()))
            peak_one = max([peak_one, *(rss for rss, _ in samples.values())])
            time.sleep(0.2)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"replay failed (exit {proc.returncode}):\n{log.read_text()[-4000:]}")
    cpu_seen.pop(proc.pid, None)
    return {"wall": wall, "main_cpu": usage.ru_utime + usage.ru_stime, "other_cpu": sum(cpu_seen.values()),
            "peak_kb": peak_sum, "largest_kb": peak_one}


class Database:
    """A fresh database for one run: a new SQLite file in the run's folder, or a new database on the PostgreSQL
    server that `server_url` names; dropped afterwards."""

    def __init__(self, server_url: str | None, folder: Path) -> None:
        self.admin = None
        if server_url is None:
            self.file = folder / f"bench-{uuid.uuid4().hex[:12]}.db"
            self.url = f"sqlite:///{self.file}"
            return
        self.admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.name = f"govcrawl_bench_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = make_url(server_url).set(database=self.name).render_as_string(hide_password=False)

    def counts(self) -> tuple[dict, int, int]:
        engine = create_engine(self.url)
        with engine.connect() as conn:
            stats = conn.execute(select(m.CrawlRun.stats)).scalar_one()
            reports = conn.execute(select(func.count()).select_from(m.Report)).scalar_one()
            cells = conn.execute(select(func.count()).select_from(m.ReportCell)).scalar_one()
        engine.dispose()
        return stats, reports, cells

    def drop(self) -> None:
        if self.admin is None:
            for path in self.file.parent.glob(self.file.name + "*"):  # with its -wal and -shm files
                path.unlink()
        else:
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


def replay(folder: Path, registry: Path, server_url: str | None, workers: int, code: Path = REPO) -> tuple[float, str]:
    """One run of the govcrawl source tree `code`; prints its figures, returns its rate and its summary line."""
    database = Database(server_url, folder)
    try:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")])),
               "SCRAPY_SETTINGS_MODULE": "govcrawl.settings"}
        env.pop("GOVCRAWL_DATABASE_URL", None)
        command = [sys.executable, "-m", "scrapy", "crawl", "portals", "-a", f"replay={folder / 'archive'}",
                   "-s", f"GOVCRAWL_REGISTRY={registry}", "-s", f"DATABASE_URL={database.url}",
                   "-s", f"GOVCRAWL_EXTRACT_WORKERS={workers}", "-s", "LOG_LEVEL=WARNING"]
        load_before = os.getloadavg()[0]
        run = run_command(command, folder, env)
        load_after = os.getloadavg()[0]
        stats, reports, cells = database.counts()
    finally:
        database.drop()
    pages = stats.get("govcrawl/extract/pages", 0)
    cpu_ms = stats.get("govcrawl/extract/cpu_seconds", 0.0) * 1000 / max(pages, 1)
    worker_wall_ms = stats.get("govcrawl/extract/seconds", 0.0) * 1000 / max(pages, 1)
    store_ms = stats.get("govcrawl/store/seconds", 0.0) * 1000 / max(pages, 1)
    store_cpu_ms = stats.get("govcrawl/store/cpu_seconds", 0.0) * 1000 / max(pages, 1)
    wall, peak_sum_kb = run["wall"], run["peak_kb"]
    rate = pages / wall
    bound = workers * 1000 / cpu_ms if cpu_ms else float("nan")
    print(f"  {pages} pages in {wall:.1f}s for the whole command (crawl alone {stats['elapsed_time_seconds']:.1f}s); "
          f"{reports} reports, {cells} cells stored; {stats.get('govcrawl/extract/failed', 0)} failed")
    print(f"  extraction: {cpu_ms:.2f} ms CPU/page in the workers ({worker_wall_ms:.2f} ms wall); "
          f"store: {store_ms:.2f} ms/page ({store_cpu_ms:.2f} ms CPU, writer thread) "
          f"in {stats.get('govcrawl/store/batches', 0)} batches")
    main_ms, other_ms = (run[k] * 1000 / max(pages, 1) for k in ("main_cpu", "other_cpu"))
    print(f"  CPU per page: crawler process {main_ms:.2f} ms, worker processes {other_ms:.2f} ms (extraction "
          f"and pickling); {(run['main_cpu'] + run['other_cpu']) / wall:.2f} of {os.cpu_count()} cores busy "
          f"with this run")
    print(f"  rate {rate:.1f} pages/s; bound {workers} workers x 1000 / {cpu_ms:.2f} ms = {bound:.1f} pages/s; "
          f"ratio {rate / bound:.2f}")
    # The bound above leaves out the crawler's own CPU; where workers x cores, the cores cannot give more than
    # this (every process of the run busy all the time).
    cores = min(os.cpu_count() or 1, workers + 1)
    cpu_bound = cores * 1000 / (main_ms + other_ms)
    print(f"  CPU bound: {cores} cores x 1000 / {main_ms + other_ms:.2f} ms (all processes' CPU per page) = "
          f"{cpu_bound:.1f} pages/s; ratio {rate / cpu_bound:.2f}")
    print(f"  memory: process tree peak {peak_sum_kb / 1024:.0f} MB, "
          f"largest process {run['largest_kb'] / 1024:.0f} MB; "
          f"load average {load_before:.2f} before, {load_after:.2f} after")
    return rate, (f"pages_per_s={rate:.1f} bound_ratio={rate / bound:.2f} peak_rss_mb={peak_sum_kb / 1024:.0f} "
                  f"pages={pages}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--db", help="PostgreSQL server URL (a fresh database is made per run); default SQLite")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="extraction worker processes")
    parser.add_argument("--keep", type=Path, help="build and keep the archives here")
    parser.add_argument("--seed", type=int, default=20240301)
    parser.add_argument("--reference", type=Path,
                        help="another govcrawl source tree (e.g. `git worktree add /tmp/ref <commit>`): each round "
                             "replays the same archive with it and with this tree, in alternating order")
    parser.add_argument("--rounds", type=int, default=1, help="runs per side and archive size")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="govcrawl-bench-"))
    database = make_url(args.db).render_as_string() if args.db else "SQLite"
    try:
        for n_pages in args.pages:
            folder = base / f"pages-{n_pages}"
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            started = time.perf_counter()
            registry, layouts = build_archive(folder, n_pages, random.Random(args.seed))
            print(f"{n_pages} document pages of {layouts} layouts into {database}, {args.workers} extraction workers "
                  f"(archive built in {time.perf_counter() - started:.1f}s, not counted)")
            sides = {"this tree": REPO, f"reference {args.reference}": args.reference} if args.reference else {
                "this tree": REPO}
            rates: dict[str, list[float]] = {name: [] for name in sides}
            line = ""
            for round_no in range(args.rounds):
                # alternate which side goes first, so that a slower machine moment costs both alike
                for name in (list(sides) if round_no % 2 == 0 else list(reversed(sides))):
                    print(f" {name}, round {round_no + 1}:")
                    rate, summary = replay(folder, registry, args.db, args.workers, sides[name])
                    rates[name].append(rate)
                    line = summary if name == "this tree" else line
            if args.reference:
                mine, theirs = (statistics.median(r) for r in rates.values())
                print(f"  median rate: this tree {mine:.1f} pages/s, reference {theirs:.1f} pages/s; "
                      f"speed-up {mine / theirs:.2f}x")
            print(line)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
