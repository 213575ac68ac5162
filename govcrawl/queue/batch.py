"""`govcrawl harvest --queue URL`: enqueue the night's portals as one batch, wait for every portal's done
record, and print one summary of all workers' runs (the same table as a single-machine harvest).

The batch id names the night and the moment it was enqueued; each worker's crawl of a portal is a run in
`crawl_runs` carrying the batch id and the worker's name (migration 0008), with its own per-portal figures and
monitor results. The summary merges them: a monitor fails when it failed for any portal (the detail names
the portal), a portal whose done record never came is reported lost, and either makes the exit status 1.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import redis
from sqlalchemy import select

from govcrawl.harvest.figures import FAILING, format_table
from govcrawl.queue.config import TASK_NAME, QueueConfig, make_app
from govcrawl.queue.tasks import BATCH_KEEP_SECONDS, done_key

# The worst status of a monitor over the portals wins (spidermon's others count as a failure).
STATUS_ORDER = {"skipped": 0, "ok": 1, "fail": 2, "error": 3}
RATIO_MONITOR = "failed pages/"  # govcrawl.harvest.monitors.FailedPagesMonitor


def new_batch_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y-%m-%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def enqueue(config: QueueConfig, portals: list[str], *, full: bool = False, batch: str | None = None) -> str:
    batch = batch or new_batch_id()
    client = redis.Redis.from_url(config.url)
    try:
        key = config.key("batch", batch, "portals")
        client.rpush(key, *portals)
        client.expire(key, BATCH_KEEP_SECONDS)
    finally:
        client.close()
    app = make_app(config)
    try:
        for portal in portals:
            # The task id names the batch and portal, so a worker's log says which portal a message is.
            app.send_task(TASK_NAME, args=[batch, portal, full], task_id=f"{batch}/{portal}")
    finally:
        app.close()
    return batch


def wait(config: QueueConfig, batch: str, portals: list[str], timeout: float | None,
         poll: float = 1.0) -> dict[str, dict[str, Any]]:
    """The done records of the batch once every portal has one, or whatever is there at the timeout."""
    client = redis.Redis.from_url(config.url)
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            records = {k.decode(): json.loads(v) for k, v in client.hgetall(done_key(config, batch)).items()}
            if all(p in records for p in portals) or (deadline is not None and time.monotonic() >= deadline):
                return records
            time.sleep(poll)
    finally:
        client.close()


@dataclass
class BatchSummary:
    batch: str
    figures: dict[str, dict[str, int]] = field(default_factory=dict)
    monitors: list[dict[str, Any]] = field(default_factory=list)
    workers: dict[str, str] = field(default_factory=dict)  # portal -> worker
    failed: dict[str, str] = field(default_factory=dict)  # portal -> why
    lost: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.lost and not any(r["status"] in FAILING for r in self.monitors)


def summarise(engine, batch: str, portals: list[str], records: dict[str, dict[str, Any]]) -> BatchSummary:
    from govcrawl.db import models as m

    summary = BatchSummary(batch)
    run_ids = {r["run_id"] for r in records.values() if r.get("run_id") is not None}
    with engine.connect() as conn:
        runs = {row.id: row for row in conn.execute(
            select(m.CrawlRun.id, m.CrawlRun.portal_counts, m.CrawlRun.monitors, m.CrawlRun.stats)
            .where(m.CrawlRun.batch == batch, m.CrawlRun.id.in_(run_ids or {-1})))}
    merged: dict[str, dict[str, Any]] = {}
    failed_pages = handled = 0
    limits = []
    for portal in portals:
        record = records.get(portal)
        if record is None:
            summary.lost.append(portal)
            continue
        summary.workers[portal] = record.get("worker") or "?"
        if record.get("error"):
            summary.failed[portal] = record["error"]
        run = runs.get(record.get("run_id"))
        if run is None:
            continue
        summary.figures.update(run.portal_counts or {})
        stats = run.stats or {}
        failed_pages += stats.get("govcrawl/failed_pages", 0)
        handled += stats.get("govcrawl/failed_pages", 0) + stats.get("item_scraped_count", 0)
        limits.append(record.get("max_failed_ratio", 0.2))
        for result in run.monitors or []:
            if result["name"].startswith(RATIO_MONITOR):
                continue  # a ratio over the night, not over each portal: below
            into = merged.setdefault(result["name"], {"name": result["name"], "status": "skipped", "details": [],
                                                      "portals": []})
            if STATUS_ORDER.get(result["status"], 2) > STATUS_ORDER.get(into["status"], 2):
                into["status"] = result["status"]
            if result["status"] in FAILING:
                into["details"].append(f"{portal}: {result.get('detail') or result['status']}")
                into["portals"].append(portal)
    summary.monitors = [{"name": r["name"], "status": r["status"], "detail": "; ".join(r["details"]),
                         **({"portals": r["portals"]} if r["portals"] else {})} for r in merged.values()]
    if limits:
        # The single-machine harvest's limit on failed pages applies to the whole night, as it does there.
        limit = min(limits)
        ratio = failed_pages / handled if handled else 0.0
        summary.monitors.append({
            "name": f"{RATIO_MONITOR}failed-page ratio (all portals)", "status": "fail" if ratio > limit else "ok",
            "detail": f"{failed_pages} of {handled} pages failed ({ratio:.0%} > {limit:.0%})" if ratio > limit else ""})
    return summary


def print_summary(summary: BatchSummary, database: str, out=sys.stdout) -> None:
    workers = sorted(set(summary.workers.values()))
    print(f"harvest batch {summary.batch}: {len(summary.workers)} portal(s) on {len(workers)} worker(s) "
          f"({', '.join(workers) or 'none'}), database {database}", file=out)
    if summary.figures or summary.monitors:
        print(format_table(summary.figures, summary.monitors), file=out)
    for portal, why in sorted(summary.failed.items()):
        print(f"portal {portal} FAILED on {summary.workers.get(portal, '?')}: {why}", file=out)
    if summary.lost:
        print(f"LOST: no worker finished {', '.join(summary.lost)} (see the workers' logs)", file=out)
    print("harvest " + ("succeeded" if summary.ok else "FAILED"), file=out)
