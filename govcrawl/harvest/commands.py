"""The harvest's subcommands of `govcrawl`: harvest, runs, reextract."""

from __future__ import annotations

import sys

EXIT_FAILED = 1  # the crawl did not start or finish, or a monitor failed
EXIT_LOCKED = 2  # another harvest holds the data folder


def add_commands(commands) -> dict:
    harvest = commands.add_parser("harvest", help="one night's incremental, monitored harvest (for a scheduler)")
    harvest.add_argument("--db", help="SQLAlchemy URL (default: $GOVCRAWL_DATABASE_URL or sqlite:///govcrawl.db)")
    harvest.add_argument("--data", help="data folder for archives, job state and the lock "
                                        "(default: $GOVCRAWL_DATA_DIR or ./govcrawl-data)")
    harvest.add_argument("--portal", help="only these portals (comma-separated ids)")
    harvest.add_argument("--full", action="store_true", help="revalidate every stored URL, not only recent ones")
    harvest.add_argument("--registry",
                         help="portal registry folder (default: $GOVCRAWL_REGISTRY; `demo` names the demo portals)")
    harvest.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                         help="a Scrapy setting for this run (repeatable)")
    harvest.add_argument("--queue", metavar="URL", help="distributed: put the portals on this Redis task queue "
                         "for `govcrawl worker`s, wait for them and print the summary of all their runs")
    harvest.add_argument("--no-wait", action="store_true", help="with --queue: enqueue and exit")
    harvest.add_argument("--wait-timeout", type=float, metavar="SECONDS",
                         help="with --queue: stop waiting after this long; unfinished portals count as lost "
                              "(default: wait until all are done)")

    runs = commands.add_parser("runs", help="recent runs with their per-portal figures and monitor results")
    runs.add_argument("--db", help="SQLAlchemy URL (default: $GOVCRAWL_DATABASE_URL or sqlite:///govcrawl.db)")
    runs.add_argument("--limit", type=int, default=10, help="how many recent runs (default: 10)")

    reextract = commands.add_parser("reextract", help="run the current extractor over archived pages (no network) "
                                                      "and store new versions where the result changed")
    reextract.add_argument("--db", help="SQLAlchemy URL (default: $GOVCRAWL_DATABASE_URL or sqlite:///govcrawl.db)")
    reextract.add_argument("--archive", help="read the pages from this WARC file or folder (default: where the "
                                             "database says each page was archived)")
    reextract.add_argument("--portal", help="only these portals (comma-separated ids)")
    reextract.add_argument("--workers", type=int, default=0, help="extraction processes (default: one per core)")
    from govcrawl.queue.commands import add_worker_command

    return {"harvest": _harvest, "runs": _runs, "reextract": _reextract, **add_worker_command(commands)}


def _harvest(args) -> int:
    from govcrawl.harvest.lock import HarvestLocked
    from govcrawl.harvest.runner import data_dir, harvest, report

    settings = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set {item!r}: expected NAME=VALUE")
        settings[name] = value
    if args.queue:
        from govcrawl.queue.commands import run_queued_harvest

        return run_queued_harvest(args, settings)
    if args.registry:
        settings["GOVCRAWL_REGISTRY"] = args.registry
    try:
        outcome = harvest(data=data_dir(args.data), database_url=args.db, portals=args.portal, full=args.full,
                          settings=settings)
    except HarvestLocked as exc:
        print(f"govcrawl harvest: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    report(outcome, args.db)
    return 0 if outcome.ok else EXIT_FAILED


def _runs(args) -> int:
    from sqlalchemy import select

    from govcrawl.cli import open_engine as _engine
    from govcrawl.db import models as m
    from govcrawl.harvest.figures import format_table

    engine = _engine(args.db, must_exist=True)
    with engine.connect() as conn:
        runs = conn.execute(select(m.CrawlRun).order_by(m.CrawlRun.id.desc()).limit(args.limit)).all()
    engine.dispose()
    for run in runs:
        finished = f"{run.finished_at:%Y-%m-%d %H:%M:%S}" if run.finished_at else "-"
        print(f"run {run.id} ({run.mode}) started {run.started_at:%Y-%m-%d %H:%M:%S}, finished {finished}, "
              f"finish reason {run.finish_reason or '(none)'}")
        if run.portal_counts is not None:
            print("  " + format_table(run.portal_counts, run.monitors or []).replace("\n", "\n  "))
    if not runs:
        print("no runs recorded", file=sys.stderr)
    return 0


def _reextract(args) -> int:
    from govcrawl.harvest.reextract import reextract

    portals = [p.strip() for p in args.portal.split(",") if p.strip()] if args.portal else None
    result = reextract(args.db, archive=args.archive, portals=portals, workers=args.workers)
    print(f"reextract: {result.pages} page(s) in {result.seconds:.1f} s ({result.pages_per_second:.1f}/s): "
          f"{result.new_versions} new version(s), {result.unchanged} unchanged, {result.not_report} no longer "
          f"taken for a report, {result.not_in_archive} not in the archive, {result.failed} failed")
    return 1 if result.failed else 0
