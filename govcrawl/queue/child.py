"""The crawl of one portal for a queue task, in a process of its own (`python -m govcrawl.queue.child`).

A fresh process per portal because Twisted's reactor cannot be started twice in one process. The child asks
the kernel to kill it when its parent (the worker's pool process) dies, so `kill -9` of a worker leaves no
crawl running on without its host lock being renewed. It writes its outcome as JSON for the task.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """SIGKILL this process when its parent dies (Linux); exit now if the parent is already gone."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the prctl took effect
        os._exit(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govcrawl.queue.child")
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--archive", required=True)
    parser.add_argument("--portal", required=True)
    parser.add_argument("--batch", required=True)
    parser.add_argument("--worker", required=True)
    parser.add_argument("--outcome", required=True)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--settings", default="{}", help="JSON object of Scrapy settings")
    args = parser.parse_args(argv)
    die_with_parent(args.parent)

    from govcrawl.harvest.runner import crawl

    settings = {**json.loads(args.settings), "GOVCRAWL_RUN_BATCH": args.batch, "GOVCRAWL_RUN_WORKER": args.worker}
    outcome = crawl(database_url=args.db, archive=Path(args.archive), portals=args.portal, full=args.full,
                    settings=settings)
    Path(args.outcome).write_text(json.dumps({
        "max_failed_ratio": _max_failed_ratio(settings), "run_id": outcome.run_id,
        "finish_reason": outcome.finish_reason, "figures": outcome.figures,
        "monitors": outcome.monitors, "error": outcome.error, "ok": outcome.ok}, default=str), encoding="utf-8")
    return 0 if outcome.ok else 1


def _max_failed_ratio(settings: dict) -> float:
    """The failed-page limit this crawl ran with: the batch summary applies it to the whole batch."""
    from scrapy.settings import Settings

    effective = Settings()
    effective.setmodule("govcrawl.settings", priority="project")
    effective.update(settings, priority="cmdline")
    return effective.getfloat("GOVCRAWL_MONITOR_MAX_FAILED_RATIO")


if __name__ == "__main__":
    sys.exit(main())
