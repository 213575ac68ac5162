"""The short human summary a crawl ends with: what this run saw, what of it was new to the database, per
portal, and where the rows and the archive are."""

from __future__ import annotations

from govcrawl.progress import portal_counts

TABLES = (("reports", "report(s)"), ("report_cells", "cell(s)"), ("pages", "page(s)"))
UNSTORED = (("govcrawl/spooled_pages", "page(s) spooled"), ("govcrawl/lost_pages", "page(s) LOST"))


def format_summary(*, portals, run, before: dict[str, int], after: dict[str, int], stats, database: str,
                   archive: str | None, replay: bool, replay_misses: int = 0, archive_files: int = 0,
                   reason: str = "finished") -> str:
    # Scrapy's own "Spider closed (reason)" line is hidden at the default log level: the summary says it.
    mode = ("Replay" if replay else "Crawl") + (" finished" if reason == "finished" else f" stopped ({reason})")
    new = {table: after.get(table, 0) - before.get(table, 0) for table, _ in TABLES}
    seen = {"reports": run.reports, "report_cells": run.cells, "pages": run.pages}
    lines = [
        f"{mode}: {len(portals)} portal(s), {run.pages} page(s), {run.reports} report(s), "
        f"{run.cells} cell(s), {run.failed_checks} failed check(s), {run.failed_pages} failed page(s)"
        + (f", {replay_misses} replay miss(es)" if replay else "")
        # Pages the store could not write now (spooled for the next run) or at all (lost: the exit status is 1).
        + "".join(f", {stats.get_value(key)} {label}" for key, label in UNSTORED if stats.get_value(key, 0)),
        "  new rows: " + ", ".join(f"{new[t]} {label}" for t, label in TABLES)
        + "; already stored: " + ", ".join(f"{max(seen[t] - new[t], 0)} {label}" for t, label in TABLES),
    ]
    width = max((len(p.id) for p in portals), default=0)
    for portal in portals:
        counts = portal_counts(stats, portal.id)
        lines.append(f"  {portal.id:<{width}}  {counts['pages']} page(s), {counts['reports']} report(s), "
                     f"{counts['failed']} failed  {portal.name}")
    lines.append(f"  database: {database} (now holds " + ", ".join(f"{after.get(t, 0)} {label}" for t, label in TABLES)
                 + ")")
    lines.append(f"  archive:  {archive or '(none)'} ({archive_files} WARC file(s) written)" if not replay
                 else f"  replayed from: {archive}")
    return "\n".join(lines)
