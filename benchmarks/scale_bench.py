"""Distributed harvest: the same generated night harvested by 1 and by 2 `govcrawl worker`s on the task queue.

    python benchmarks/scale_bench.py [--portals 8] [--hosts 4] [--reports 40] [--delay 0.3] [--latency 0.5]

The site: `--portals` portals spread over `--hosts` hosts (two portals per host by default: departments'
columns on one platform), each a column of `--reports` report pages made from the seed reports with their
numbers varied, served on loopback by govcrawl's portal server, which takes `--latency` seconds to answer
each request and logs when every request started and ended, per host. The crawls are polite as in
production: at most CONCURRENT_REQUESTS_PER_DOMAIN of govcrawl/settings.py in flight per host (`host_limit`)
and a per-host `--delay` between requests (DOWNLOAD_DELAY; AutoThrottle off so that the delay is fixed).

Each arm gets a fresh PostgreSQL database and its own Redis key prefix: workers are started and ready first,
then `govcrawl harvest --queue` is timed from enqueueing to its summary. The reference is the one-worker
run; the single-process `govcrawl harvest` of the same night is printed too. `max_host_concurrency` is the
most requests any host had in flight at once during the two-worker run, from the server's log; peak memory is
the most resident memory the worker process trees (worker, pool processes, crawls, extraction processes) held
at once, sampled every 0.5 s. Two crawls at once compete for the CPU with whatever else runs: each arm prints
the load average at its end. The last line reads
`speedup=<..> max_host_concurrency=<..> host_limit=<..>`.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from corpus import seed_report_pages, vary_numbers
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from govcrawl import settings as project_settings
from govcrawl.seedsite.server import _Handler, serve

POSTGRES_ADMIN = os.environ.get("GOVCRAWL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("GOVCRAWL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
HOST_LIMIT = project_settings.CONCURRENT_REQUESTS_PER_DOMAIN


def build(root: Path, portals: int, hosts: int, reports: int, rng: random.Random) -> list[str]:
    """Write the site under root/site and the registry under root/portals; returns the portal ids."""
    import json

    seeds = seed_report_pages()
    ids = []
    for p in range(portals):
        host = f"www.scale{p % hosts}.gov.cn"
        column = f"http://{host}/bm{p // hosts}/ndbg/"
        links = "".join(f'<li><a href="./t2024011{i % 9}_{p * 1000 + i}.html">单位{p}-{i}政府信息公开工作年度报告</a>'
                        f"</li>" for i in range(reports))
        pages = {column + "index.html": (f'<html><head><meta charset="utf-8"><title>年度报告</title></head><body>'
                                         f'<ul class="list">{links}</ul></body></html>').encode(),
                 **{f"{column}t2024011{i % 9}_{p * 1000 + i}.html": vary_numbers(seeds[(p + i) % len(seeds)].body, rng)
                    for i in range(reports)}}
        for url, body in pages.items():
            path = root / "site" / host / url.split(host + "/", 1)[1]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            meta = {"url": url, "status": 200, "headers": {"Content-Type": "text/html; charset=utf-8"}, "gzip": True}
            Path(f"{path}.headers.json").write_text(json.dumps(meta), encoding="utf-8")
        robots = root / "site" / host / "robots.txt"
        robots.write_bytes(b"User-agent: *\nDisallow:\n")
        Path(f"{robots}.headers.json").write_text(json.dumps(
            {"url": f"http://{host}/robots.txt", "status": 200, "headers": {"Content-Type": "text/plain"}}))
        portal = f"99{p:04d}-scale"
        ids.append(portal)
        (root / "portals").mkdir(exist_ok=True)
        (root / "portals" / f"{portal}.toml").write_text(
            f'id = "{portal}"\nname = "scale {p}"\nagency = "单位{p}"\nregion = "nowhere"\nplatform = "generic"\n'
            f'columns = ["{column}index.html"]\nallowed_hosts = ["{host}"]\n', encoding="utf-8")
    return ids


class Server:
    """The portal server with a latency per answer and a log of (host, start, end) per request."""

    def __init__(self, site: Path, latency: float) -> None:
        self.log: list[tuple[str, float, float]] = []
        log = self.log

        class Slow(_Handler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                start = time.monotonic()
                time.sleep(latency)
                super().do_GET()
                host = self.path.split("://", 1)[1].split("/", 1)[0] if "://" in self.path else self.headers["Host"]
                log.append((host, start, time.monotonic()))

        self.server = serve(site)
        self.server.RequestHandlerClass = Slow
        self.server.start_in_thread()

    def max_concurrency(self, since: float) -> int:
        peak = 0
        for host in {h for h, *_ in self.log}:
            events = sorted([(s, 1) for h, s, e in self.log if h == host and s >= since]
                            + [(e, -1) for h, s, e in self.log if h == host and s >= since])
            level = 0
            for _, step in events:
                level += step
                peak = max(peak, level)
        return peak


class MemorySampler(threading.Thread):
    """Peak summed RSS of the process trees under the given pids."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peak, self.stopped = pids, 0, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            self.peak = max(self.peak, sum(_rss(p) for p in _tree(self.pids)))


def _tree(roots: list[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(proc.name))
    seen, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            todo.extend(children.get(pid, []))
    return seen


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def fresh_database() -> str:
    name = f"govcrawl_scale_{uuid.uuid4().hex[:12]}"
    engine = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(POSTGRES_ADMIN).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    engine = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def crawl_settings(delay: float) -> list[str]:
    return ["-s", f"DOWNLOAD_DELAY={delay}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING",
            "-s", "GOVCRAWL_EXTRACT_WORKERS=1",  # two crawls on a 2-core machine: one extraction process each
            # the portal server answers every host itself (as a proxy): there is no address for the guard to check
            "-s", "GOVCRAWL_PROXY_CHECKS_ADDRESSES=True"]


def env(proxy: str, prefix: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    out.update(PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
               http_proxy=proxy, GOVCRAWL_QUEUE_URL=REDIS, GOVCRAWL_QUEUE_PREFIX=prefix,
               GOVCRAWL_QUEUE_RETRY_SECONDS="1", GOVCRAWL_QUEUE_LOCK_TTL="10")
    out.pop("GOVCRAWL_DATABASE_URL", None)
    return out


def queued_night(base: Path, server: Server, workers: int, delay: float) -> dict:
    import redis

    prefix = f"govcrawl-scale-{uuid.uuid4().hex[:8]}:"
    database = fresh_database()
    folder = base / f"workers-{workers}"
    folder.mkdir()
    environment = env(server.server.url, prefix)
    procs = []
    try:
        for n in range(workers):
            with open(folder / f"w{n}.log", "w") as log:
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "govcrawl.cli", "worker", "--db", database, "--data", str(folder / "data"),
                     "--name", f"w{n}", "--registry", str(base / "portals"), *crawl_settings(delay)],
                    cwd=folder, env=environment, stdout=log, stderr=subprocess.STDOUT))
        for n in range(workers):
            while " ready." not in (folder / f"w{n}.log").read_text():
                if procs[n].poll() is not None:
                    raise SystemExit((folder / f"w{n}.log").read_text()[-3000:])
                time.sleep(0.2)
        sampler = MemorySampler([p.pid for p in procs])
        sampler.start()
        since = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "govcrawl.cli", "harvest", "--queue", REDIS, "--db", database,
                                 "--registry", str(base / "portals")], cwd=folder, env=environment,
                                capture_output=True, text=True, check=False)
        wall = time.monotonic() - since
        sampler.stopped.set()
        if result.returncode != 0:
            raise SystemExit(f"queued harvest failed:\n{result.stdout}\n{result.stderr[-3000:]}")
        return {"wall": wall, "table": result.stdout, "peak": sampler.peak,
                "max_host": server.max_concurrency(since), "load": os.getloadavg()[0]}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()
        drop_database(database)
        client = redis.Redis.from_url(REDIS)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def single_night(base: Path, server: Server, delay: float) -> float:
    database = fresh_database()
    try:
        since = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "govcrawl.cli", "harvest", "--db", database, "--data",
                                 str(base / "single"), "--registry", str(base / "portals"), *crawl_settings(delay)],
                                cwd=base, env=env(server.server.url, "unused:"), capture_output=True, text=True,
                                check=False)
        if result.returncode != 0:
            raise SystemExit(f"single-process harvest failed:\n{result.stdout}\n{result.stderr[-3000:]}")
        return time.monotonic() - since
    finally:
        drop_database(database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portals", type=int, default=8)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--reports", type=int, default=40, help="report pages per portal")
    parser.add_argument("--delay", type=float, default=0.3, help="DOWNLOAD_DELAY: seconds between requests to a host")
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the server takes to answer")
    parser.add_argument("--seed", type=int, default=20240115)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="govcrawl-scale-bench-"))
    try:
        portals = build(base, args.portals, args.hosts, args.reports, random.Random(args.seed))
        server = Server(base / "site", args.latency)
        try:
            runs = {n: queued_night(base, server, n, args.delay) for n in (1, 2)}
            single = single_night(base, server, args.delay)
        finally:
            server.server.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"{len(portals)} portals on {args.hosts} hosts, {args.reports} reports each; per-host delay "
          f"{args.delay} s, server latency {args.latency} s, host_limit {HOST_LIMIT}")
    for n, run in runs.items():
        print(f"{n} worker(s): {run['wall']:.1f} s, peak memory of the workers {run['peak'] / 2**20:.0f} MiB, "
              f"most requests in flight on one host {run['max_host']}, load average at the end {run['load']:.2f} "
              f"on {os.cpu_count()} cores")
    print(f"one process, no queue (govcrawl harvest): {single:.1f} s")
    print("  " + runs[2]["table"].strip().replace("\n", "\n  "))
    speedup = runs[1]["wall"] / runs[2]["wall"]
    print(f"peak memory ratio 2/1 workers: {runs[2]['peak'] / max(runs[1]['peak'], 1):.2f}")
    print(f"speedup={speedup:.2f} max_host_concurrency={runs[2]['max_host']} host_limit={HOST_LIMIT}")


if __name__ == "__main__":
    main()
