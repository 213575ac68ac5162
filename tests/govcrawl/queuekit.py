"""Helpers for the task-queue tests: a Redis key prefix per test (skipped without Redis, failing under
CI=true), `govcrawl worker` subprocesses, `govcrawl harvest --queue`, and a portal server that logs when each
request started and ended, per host."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from crawlkit import crawl_env
from harvestkit import FAST, Site

REDIS_DEFAULT = "redis://127.0.0.1:6379/15"  # a database number of its own, away from a developer's data


@dataclass
class Queue:
    url: str
    prefix: str

    def env(self, **extra: str) -> dict[str, str]:
        # Short timeouts so that a killed worker's portal comes back within seconds (README: task queue).
        return {"GOVCRAWL_QUEUE_URL": self.url, "GOVCRAWL_QUEUE_PREFIX": self.prefix,
                "GOVCRAWL_QUEUE_VISIBILITY_TIMEOUT": "6", "GOVCRAWL_QUEUE_LOCK_TTL": "5",
                "GOVCRAWL_QUEUE_RETRY_SECONDS": "1", **extra}


def redis_unreachable_reason(url: str) -> str | None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"Redis is not reachable at {url}: {exc}"
    else:
        return None
    finally:
        client.close()


@contextmanager
def fresh_queue() -> Iterator[Queue]:
    """A key prefix of its own on the test Redis, its keys deleted afterwards. Skips when no Redis answers,
    unless CI=true."""
    import redis

    url = os.environ.get("GOVCRAWL_TEST_REDIS_URL", REDIS_DEFAULT)
    reason = redis_unreachable_reason(url)
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires Redis: {reason}")
        pytest.skip(f"{reason} (set GOVCRAWL_TEST_REDIS_URL, or CI=true to make this a failure)")
    queue = Queue(url, f"govcrawl-test-{uuid.uuid4().hex[:12]}:")
    try:
        yield queue
    finally:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{queue.prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


class LoggedSite(Site):
    """The seed site with a delay per answer and a log of (host, url, start, end) of every request."""

    def __init__(self, root: Path, delay: float = 0.0, slow: dict[str, float] | None = None) -> None:
        super().__init__(root)
        from govcrawl.seedsite.server import _Handler

        log: list[tuple[str, str, float, float]] = []
        started: list[str] = []
        lock = threading.Lock()

        class LoggingHandler(_Handler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                start = time.monotonic()
                started.append(self.path)
                time.sleep(delay + sum(v for k, v in (slow or {}).items() if self.path.endswith(k)))
                with suppress(BrokenPipeError, ConnectionResetError):  # a crawl killed while waiting for its answer
                    super().do_GET()
                # as a proxy the server sees absolute URLs; directly, the Host header names the host
                host = (self.path.split("://", 1)[1].split("/", 1)[0] if "://" in self.path
                        else self.headers.get("Host", ""))
                with lock:
                    log.append((host, self.path, start, time.monotonic()))

        self.log = log
        self.started = started  # paths of the requests that arrived, answered or not
        self.server.RequestHandlerClass = LoggingHandler

    def max_concurrency(self) -> dict[str, int]:
        """The most requests any host had in flight at once."""
        peaks: dict[str, int] = {}
        for host in {h for h, *_ in self.log}:
            events = sorted([(s, 1) for h, _, s, _ in self.log if h == host]
                            + [(e, -1) for h, _, _, e in self.log if h == host])
            level = peak = 0
            for _, step in events:
                level += step
                peak = max(peak, level)
            peaks[host] = peak
        return peaks


def queue_env(site: Site, queue: Queue) -> dict[str, str]:
    env = crawl_env(http_proxy=site.server.url, **queue.env())
    env.pop("SCRAPY_SETTINGS_MODULE")
    return env


def start_worker(tmp_path: Path, site: Site, queue: Queue, database_url: str, name: str, *args: str,
                 registry: str = "demo") -> subprocess.Popen:
    command = [sys.executable, "-W", "error", "-m", "govcrawl.cli", "worker", "--db", database_url,
               "--data", str(tmp_path / "data"), "--name", name, "--registry", registry, *FAST, *args]
    # Its own process group, so the test can stop it with everything it started.
    with open(tmp_path / f"worker-{name}.log", "w", encoding="utf-8") as log:
        return subprocess.Popen(command, cwd=tmp_path, env=queue_env(site, queue), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def queued_harvest_command(queue: Queue, database_url: str, *args: str, registry: str = "demo",
                           wait_timeout: float = 150) -> list[str]:
    return [sys.executable, "-W", "error", "-m", "govcrawl.cli", "harvest", "--queue", queue.url,
            "--db", database_url, "--registry", registry, "--wait-timeout", str(wait_timeout), *args]


def queued_harvest(tmp_path: Path, site: Site, queue: Queue, database_url: str, *args: str,
                   registry: str = "demo", timeout: float = 180) -> subprocess.CompletedProcess:
    command = queued_harvest_command(queue, database_url, *args, registry=registry, wait_timeout=timeout - 30)
    return subprocess.run(command, cwd=tmp_path, env=queue_env(site, queue), capture_output=True, text=True,
                          timeout=timeout, check=False)


def worker_log(tmp_path: Path, name: str) -> str:
    return (tmp_path / f"worker-{name}.log").read_text(encoding="utf-8", errors="replace")


def crawl_children(worker_name: str) -> list[int]:
    """Pids of crawl processes (govcrawl.queue.child) running for the named worker."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"govcrawl.queue.child" in argv and worker_name.encode() in argv:
            pids.append(int(proc.name))
    return pids
