"""What one harvest did, per portal: new, changed, unchanged, withdrawn and failed, from the rows the run
wrote and the counters the crawl kept; and the table a person reads at the end of a night."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import aliased

from govcrawl.db import models as m
from govcrawl.db.versions import GONE
from govcrawl.harvest.incremental import report_links_stat, unchanged_stat

FAILING = ("fail", "error")  # spidermon's statuses of a monitor that failed or broke (not ok/skipped)
COLUMNS = ("new", "changed", "unchanged", "withdrawn", "failed", "report_links")


def failed_stat(portal: str | None) -> str:
    return f"govcrawl/harvest/failed/{portal}"


def portal_figures(engine: Engine, run_id: int, portal_ids: Sequence[str], stats: dict[str, Any]) -> dict:
    figures = {p: dict.fromkeys(COLUMNS, 0) for p in portal_ids}
    earlier = aliased(m.Page)
    older = aliased(m.Report)
    with engine.connect() as conn:
        # Report versions this run stored (first extraction of a page fetched in this run): a version of a URL
        # that already had one is a change, otherwise new.
        rows = conn.execute(
            select(m.Page.portal_id, m.Page.url_hash,
                   select(older.id).join(earlier, earlier.id == older.page_id)
                   .where(earlier.url_hash == m.Page.url_hash, earlier.id < m.Page.id).limit(1)
                   .scalar_subquery())
            .join(m.Report, m.Report.page_id == m.Page.id)
            .where(m.Page.run_id == run_id).distinct())
        for portal, _, previous in rows:
            if portal in figures:
                figures[portal]["changed" if previous is not None else "new"] += 1
        # Newly withdrawn: a 404/410 this run recorded for a URL that has a report.
        reported = aliased(m.Page)
        rows = conn.execute(
            select(m.Page.portal_id, m.Page.url_hash)
            .where(m.Page.run_id == run_id, m.Page.status.in_(GONE),
                   select(m.Report.id).join(reported, reported.id == m.Report.page_id)
                   .where(reported.url_hash == m.Page.url_hash).exists()).distinct())
        withdrawn: dict[str, int] = defaultdict(int)
        for portal, _ in rows:
            withdrawn[portal] += 1
    for portal, counts in figures.items():
        counts["withdrawn"] = withdrawn.get(portal, 0)
        counts["unchanged"] = stats.get(unchanged_stat(portal), 0)
        counts["report_links"] = stats.get(report_links_stat(portal), 0)
        counts["failed"] = max(0, stats.get(failed_stat(portal), 0) - counts["withdrawn"])
    return figures


def format_table(figures: dict[str, dict[str, int]], monitors: list[dict[str, Any]]) -> str:
    """The per-portal table and totals, with each portal's monitor status (a portal-level monitor names the
    portal in its result; run-level monitors are listed below the table)."""
    failed_portals = {p for r in monitors if r["status"] in FAILING for p in r.get("portals", [])}
    header = ("portal", *COLUMNS[:-1], "monitor")
    rows = [
        (portal, *(str(c[k]) for k in COLUMNS[:-1]), "FAILED" if portal in failed_portals else "ok")
        for portal, c in sorted(figures.items())
    ]
    totals = ("total", *(str(sum(c[k] for c in figures.values())) for k in COLUMNS[:-1]),
              "FAILED" if any(r["status"] in FAILING for r in monitors) else "ok")
    widths = [max(len(str(r[i])) for r in (header, *rows, totals)) for i in range(len(header))]

    def line(cells) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    out = [line(header), *(line(r) for r in rows), line(totals)]
    for result in monitors:
        mark = result["status"].upper() if result["status"] in FAILING else result["status"]
        out.append(f"monitor {result['name']}: {mark}" + (f" - {result['detail']}" if result.get("detail") else ""))
    return "\n".join(out)
