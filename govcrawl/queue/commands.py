"""`govcrawl worker` (a Celery worker taking portal tasks) and `govcrawl harvest --queue` (enqueue, wait,
summarise)."""

from __future__ import annotations

import logging
import os
import socket
import sys
import warnings

EXIT_FAILED = 1


def add_worker_command(commands) -> dict:
    worker = commands.add_parser("worker", help="take portals of distributed harvests from the task queue "
                                                "(one Celery worker; start one or more per machine)")
    worker.add_argument("--queue", help="Redis broker URL (default: $GOVCRAWL_QUEUE_URL)")
    worker.add_argument("--db", help="SQLAlchemy URL of the shared database (default: $GOVCRAWL_DATABASE_URL)")
    worker.add_argument("--data", help="data folder; archives go to archive/<batch>/<name>/ "
                                       "(default: $GOVCRAWL_DATA_DIR or ./govcrawl-data)")
    worker.add_argument("--name", help="this worker's name, for its archive folder and the runs it records "
                                       "(default: the host name)")
    worker.add_argument("--concurrency", type=int, default=1,
                        help="portals crawled at once by this worker, each in its own process (default: 1)")
    worker.add_argument("--registry", help="portal registry folder (default: $GOVCRAWL_REGISTRY; `demo` names the "
                                           "demo portals); the same on every worker")
    worker.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for every crawl of this worker (repeatable)")
    worker.add_argument("-L", "--loglevel", default="INFO", help="log level (default: INFO)")
    return {"worker": run_worker}


def parse_settings(items: list[str]) -> dict[str, str]:
    settings = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set {item!r}: expected NAME=VALUE")
        settings[name] = value
    return settings


def run_worker(args) -> int:
    from celery.signals import worker_process_init

    from govcrawl.db.engine import make_engine, resolve_database_url, upgrade
    from govcrawl.harvest.runner import data_dir
    from govcrawl.queue import tasks
    from govcrawl.queue.child import die_with_parent
    from govcrawl.queue.config import QUEUE_NAME, QueueConfig, make_app

    if args.concurrency < 1:
        raise ValueError(f"--concurrency {args.concurrency}: must be at least 1")
    config = QueueConfig.from_env(args.queue)
    database_url = resolve_database_url(args.db)
    name = args.name or socket.gethostname()
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"--name {name!r}: must be a plain folder name")
    from govcrawl.config import resolve_registry
    from govcrawl.registry import load_registry

    load_registry(resolve_registry(args.registry, None))  # a registry mistake stops the worker, in one line
    # The schema once here, before any crawl: N workers' first crawls then do not all migrate at once.
    engine = make_engine(database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    logging.basicConfig(level=args.loglevel.upper(), format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    for note in tasks.repair_killed_crawls(data_dir(args.data), name):
        logging.getLogger(__name__).warning("%s", note)
    tasks.SETUP = tasks.WorkerSetup(config=config, database_url=database_url, data=data_dir(args.data), name=name,
                                    registry=args.registry, settings=parse_settings(args.set))
    parent = os.getpid()

    @worker_process_init.connect(weak=False)
    def _die_with_the_worker(**_):
        # A pool process, and through govcrawl.queue.child the crawl it runs, dies with the worker, also on
        # `kill -9`: nothing keeps crawling a portal whose message goes back to the queue.
        die_with_parent(parent)

    from celery.exceptions import SecurityWarning

    # Celery's advice against running as root stays a printed warning even under `python -W error`, where it
    # would stop the worker: containers and CI run as root; the systemd unit runs as its own user.
    warnings.filterwarnings("always", category=SecurityWarning)
    app = make_app(config)
    tasks.register(app)
    app.worker_main(["worker", f"--loglevel={args.loglevel.upper()}", f"--concurrency={args.concurrency}",
                     "--pool=prefork", f"--hostname={name}@{socket.gethostname()}", f"--queues={QUEUE_NAME}",
                     # Nothing in this design uses gossip, mingle or events; they only add broker traffic.
                     "--without-gossip", "--without-mingle", "--without-heartbeat"])
    return 0


def run_queued_harvest(args, settings: dict[str, str]) -> int:
    """`govcrawl harvest --queue URL`: the portals of the registry as one batch, then (unless --no-wait) the
    summary of all workers' runs."""
    from govcrawl.config import resolve_registry
    from govcrawl.db.engine import describe, make_engine, resolve_database_url, upgrade
    from govcrawl.queue.batch import enqueue, print_summary, summarise, wait
    from govcrawl.queue.config import QueueConfig
    from govcrawl.registry import load_registry, select_portals

    config = QueueConfig.from_env(args.queue)
    if settings:
        raise ValueError("--set applies to the crawls: give it to `govcrawl worker`, not to harvest --queue")
    portals = [p.id for p in select_portals(load_registry(resolve_registry(args.registry, None)), args.portal)]
    config.check_reachable()
    database_url = resolve_database_url(args.db)
    engine = make_engine(database_url)
    try:
        # The summary reads the runs from this database: check it before any worker starts on the batch.
        upgrade(engine)
    finally:
        engine.dispose()
    batch = enqueue(config, portals, full=args.full)
    print(f"enqueued batch {batch}: {len(portals)} portal(s) on {config.masked_url}", flush=True)
    if args.no_wait:
        return 0
    records = wait(config, batch, portals, args.wait_timeout)
    engine = make_engine(database_url)
    try:
        summary = summarise(engine, batch, portals, records)
    finally:
        engine.dispose()
    print_summary(summary, describe(database_url))
    sys.stdout.flush()
    return 0 if summary.ok else EXIT_FAILED
