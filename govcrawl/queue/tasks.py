"""The portal task: the single-machine harvest crawl of one portal, guarded so that no host is crawled by two
workers at once and no portal twice in one batch.

Redis hands a message out again when it was not acknowledged within the visibility timeout: after its worker
died (the point of late acknowledgement), but also while a long crawl is still running. So every copy of a
task, first or redelivered, runs the same guard:

1. the batch's done record names the portal: it was crawled; nothing to do;
2. take the host lock on all of the portal's hosts (govcrawl.queue.hostlock); busy: a crawl of this or another
   portal on one of those hosts is running, so give the slot back and retry later;
3. holding the lock, look at the done record again (the portal may have finished while this copy waited);
4. crawl in a child process, renewing the lock; write the done record, then release the lock.

A killed worker stops renewing: its hosts are free after the lock's TTL, its message comes back after the
visibility timeout, and the next worker crawls the portal (pages the killed crawl stored are skipped by the
incremental harvest like any stored page).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from celery import Celery
from celery.exceptions import Retry

from govcrawl.queue.config import TASK_NAME, QueueConfig
from govcrawl.queue.hostlock import HostLock

logger = logging.getLogger(__name__)

BATCH_KEEP_SECONDS = 14 * 24 * 3600  # a batch's Redis records outlive any wait for its summary
CRAWLING_MARK = ".crawling"  # in a crawl's archive folder while it runs: left behind, the crawl was killed


@dataclass
class WorkerSetup:
    """What `govcrawl worker` was started with; the same for every task of the worker."""

    config: QueueConfig
    database_url: str
    data: Path
    name: str
    registry: str | None
    settings: dict[str, Any] = field(default_factory=dict)


SETUP: WorkerSetup | None = None  # set by `govcrawl worker` before the pool forks


def done_key(config: QueueConfig, batch: str) -> str:
    return config.key("batch", batch, "done")


def archive_folder(data: Path, batch: str, worker: str) -> Path:
    """A folder per batch and worker (workers on one machine may share the data folder), in it one per portal
    (a killed crawl's files are repaired without touching the files of crawls still running)."""
    return data / "archive" / batch / worker


def register(app: Celery) -> None:
    app.task(bind=True, name=TASK_NAME, max_retries=None)(crawl_portal)


def crawl_portal(task, batch: str, portal: str,
                 full: bool = False) -> str:  # noqa: FBT001, FBT002 - Celery sends the arguments positionally
    setup = SETUP
    if setup is None:
        raise RuntimeError("the portal task runs only in `govcrawl worker`")
    config = setup.config
    client = redis.Redis.from_url(config.url)
    try:
        return _guarded(task, setup, client, batch, portal, full=full)
    except Retry:
        raise
    except Exception as exc:
        # A task that breaks is acknowledged and never comes back: say so in the done record, or the
        # enqueuer would wait for the portal forever.
        logger.exception("Portal %s of batch %s: the task failed", portal, batch)
        try:
            _record(client, config, batch, portal, {"ok": False, "worker": setup.name,
                                                    "error": f"the task failed: {type(exc).__name__}: {exc}"})
        except redis.RedisError:
            logger.exception("Could not record the failure of portal %s", portal)
        raise
    finally:
        client.close()


def _guarded(task, setup: WorkerSetup, client: redis.Redis, batch: str, portal: str, *, full: bool) -> str:
    config = setup.config
    if client.hexists(done_key(config, batch), portal):
        logger.info("Portal %s of batch %s was crawled already; not again", portal, batch)
        return "done before"
    try:
        hosts = _hosts(setup.registry, portal)
    except ValueError as exc:
        _record(client, config, batch, portal, {"ok": False, "error": str(exc), "worker": setup.name})
        return "failed"
    lock = HostLock(client, config.prefix, hosts, config.lock_ttl, owner=f"{setup.name} {batch} {portal}")
    holder = lock.acquire()
    if holder is not None:
        logger.info("Portal %s waits: its hosts are being crawled (%s); retrying in %.0f s", portal, holder,
                    config.retry_seconds)
        raise task.retry(countdown=config.retry_seconds)
    try:
        if client.hexists(done_key(config, batch), portal):
            return "done before"
        result = _crawl(setup, lock, batch, portal, full=full)
        _record(client, config, batch, portal, result)
    finally:
        lock.release()
    return "crawled" if result["ok"] else "failed"


def _hosts(registry: str | None, portal: str) -> list[str]:
    from govcrawl.config import resolve_registry
    from govcrawl.registry import RegistryError, load_registry

    try:
        entries = load_registry(resolve_registry(registry, None))
    except RegistryError as exc:
        raise ValueError(f"registry {registry}: {exc}") from None
    if portal not in entries:
        raise ValueError(f"portal {portal!r} is not in this worker's registry ({registry or 'GOVCRAWL_REGISTRY'})")
    return list(entries[portal].allowed_hosts)


def _record(client: redis.Redis, config: QueueConfig, batch: str, portal: str, result: dict[str, Any]) -> None:
    key = done_key(config, batch)
    client.hset(key, portal, json.dumps(result, default=str))
    client.expire(key, BATCH_KEEP_SECONDS)


def repair_killed_crawls(data: Path, worker: str) -> list[str]:
    """Repair the archives of this worker's crawls that never ended (killed with their worker)."""
    notes = []
    for mark in sorted((data / "archive").glob(f"*/{worker}/*/{CRAWLING_MARK}")):
        notes += _repair(mark)
    return notes


def _repair(mark: Path) -> list[str]:
    """Truncate the WARC files of a killed crawl after their last complete record, so that replay and
    reextract read them (as the single-machine harvest does when it resumes a killed night)."""
    from govcrawl.archive.warc import warc_files
    from govcrawl.harvest.resume import repair_warc

    notes = []
    for path in warc_files(mark.parent):
        cut = repair_warc(path)
        if cut:
            notes.append(f"{path}: removed {cut} byte(s) of a record cut off when its crawl was killed")
    mark.unlink()
    return notes


def _crawl(setup: WorkerSetup, lock: HostLock, batch: str, portal: str, *, full: bool) -> dict[str, Any]:
    archive = archive_folder(setup.data, batch, setup.name) / portal
    archive.mkdir(parents=True, exist_ok=True)
    mark = archive / CRAWLING_MARK
    mark.touch()
    settings = {**setup.settings, **({"GOVCRAWL_REGISTRY": setup.registry} if setup.registry else {})}
    with tempfile.TemporaryDirectory(prefix="govcrawl-task-") as tmp:
        outcome_file = Path(tmp) / "outcome.json"
        # The child inherits how warnings are treated (`python -W error`), like the rest of the worker.
        command = [sys.executable, *(f"-W{w}" for w in sys.warnoptions), "-m", "govcrawl.queue.child",
                   "--parent", str(os.getpid()), "--db", setup.database_url, "--archive", str(archive),
                   "--portal", portal, "--batch", batch, "--worker", setup.name, "--outcome", str(outcome_file),
                   "--settings", json.dumps(settings), *(["--full"] if full else [])]
        started = time.monotonic()
        logger.info("Crawling portal %s of batch %s (hosts %s)", portal, batch, ", ".join(lock.hosts))
        child = subprocess.Popen(command)
        lost = _wait_renewing(child, lock)
        seconds = time.monotonic() - started
        if child.returncode in (0, 1):  # ended by itself (1: a monitor failed); else killed: repair its files
            mark.unlink()
        else:
            for note in _repair(mark):
                logger.warning(note)
        if outcome_file.is_file():
            result = json.loads(outcome_file.read_text(encoding="utf-8"))
        else:
            result = {"ok": False, "error": f"the crawl process died (exit status {child.returncode})"}
    if lost:
        result.update(ok=False, error=lost)
    result.update(worker=setup.name, seconds=round(seconds, 1))
    verdict = ("ok" if result["ok"] else f"FAILED: {result['error']}" if result.get("error")
               else "a monitor failed (the batch summary judges the failed-page ratio over all portals)")
    logger.info("Portal %s of batch %s: %s in %.1f s", portal, batch, verdict, seconds)
    return result


def _wait_renewing(child: subprocess.Popen, lock: HostLock) -> str | None:
    """Wait for the crawl, renewing the host lock every third of its TTL. If the lock was lost (Redis
    unreachable for longer than the TTL, so another worker may hold the hosts now), the crawl is stopped:
    politeness comes before completeness. Returns why it was stopped, or None."""
    interval = lock.ttl_ms / 3000
    while True:
        try:
            child.wait(timeout=interval)
        except subprocess.TimeoutExpired:
            pass
        else:
            return None
        try:
            if lock.renew():
                continue
            reason = "the host lock was lost while crawling (taken over after its TTL); the crawl was stopped"
        except redis.RedisError as exc:
            logger.warning("Could not renew the host lock (%s); trying again", exc)
            continue  # the keys live on for the rest of their TTL; a lost lock shows at the next renewal
        logger.error(reason)
        child.terminate()
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return reason
