"""The short human summary a crawl ends with."""

from __future__ import annotations


def format_summary(*, portals: int, run, counts: dict[str, int], database: str, archive: str | None,
                   replay: bool, replay_misses: int = 0, archive_files: int = 0) -> str:
    mode = "Replay" if replay else "Crawl"
    lines = [
        f"{mode} finished: {portals} portal(s), {run.pages} page(s), {run.reports} report(s), "
        f"{run.cells} cell(s), {run.failed_checks} failed check(s), {run.failed_pages} failed page(s)"
        + (f", {replay_misses} replay miss(es)" if replay else ""),
        f"  database: {database} (now holds {counts.get('reports', 0)} report(s), "
        f"{counts.get('report_cells', 0)} cell(s), {counts.get('pages', 0)} page(s))",
        f"  archive:  {archive or '(none)'} ({archive_files} WARC file(s) written)" if not replay
        else f"  replayed from: {archive}",
    ]
    return "\n".join(lines)
