"""`govcrawl browse`: the SQLite database in Datasette, described from the data dictionary.

Datasette reads SQLite files only: a PostgreSQL URL is refused with a line saying so (export with `govcrawl
export`, or crawl into SQLite). The schema is brought to the latest migration first, so the labelled views
(govcrawl.db.views) exist.
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from extractors.dictionary import CELL_FIELDS, REPORT_FIELDS, dictionary

FACETS = {
    "reports_overview": ["region", "report_year", "generation", "check_status", "organ_kind", "published_late"],
    "cells_labelled": ["region", "report_year", "generation", "table_name"],
    "check_results": ["status", "rule"],
    "reports": ["generation", "report_year"],
}
TABLES = {
    "reports_overview": ("Each report with its region, its checks' status (fail, warn, pass, none) and whether it "
                         "was published after the legal deadline (1-31 of the next year for departments, 3-31 for "
                         "people's governments and for every report before 2019)."),
    "cells_labelled": "Every cell with its report, agency, year, region, and the data dictionary's Chinese labels.",
    "reports": "One row per annual report (data dictionary §2).",
    "report_cells": "One number of a statistics table (data dictionary §3); labelled in cells_labelled.",
    "check_results": "Consistency checks (勾稽关系) of each report: a fail or warn is a finding, never dropped data.",
    "cell_labels": "The data dictionary's canonical cells: Chinese labels, unit and generations.",
    "portals": "The registry's portals: region, agency, platform and the annual-report column URLs.",
    "pages": "Every fetched (or failed) URL, with its WARC record and, for a failure, the reason.",
    "report_attachments": "Links to attached files as each report page lists them.",
    "report_sections": "Each report's top-level sections in order.",
    "crawl_runs": "One row per crawl or replay, with Scrapy's stats.",
}
CANNED_QUERIES = {
    "failing_checks": {
        "title": "Reports whose checks fail",
        "description": "Every failed consistency check, with its report.",
        "sql": """SELECT o.region, o.agency, o.report_year, o.generation, k.rule, k.scope, k.detail, o.title, o.url
FROM check_results k JOIN reports_overview o ON o.report_id = k.report_id
WHERE k.status = 'fail' ORDER BY o.region, o.agency, o.report_year, k.position""",
    },
    "carried_over_vs_last_year": {
        "title": "上年结转 vs last year's 结转下年度",
        "description": ("This year's carried_over against the same agency's carried_forward of the year before "
                        "(rule applications.carried_over_vs_last_year): rows where they differ."),
        "sql": """SELECT now.region, now.agency, now.report_year, now.col_label,
       now.value AS carried_over, before.value AS last_years_carried_forward,
       now.report_id, before.report_id AS last_years_report_id
FROM cells_labelled now
JOIN cells_labelled before
  ON before.portal_id = now.portal_id AND before.agency = now.agency
 AND before.report_year = now.report_year - 1 AND before.col_key = now.col_key
 AND before.table_name = 'applications' AND before.row_key = 'carried_forward'
WHERE now.table_name = 'applications' AND now.row_key = 'carried_over'
  AND (now.value IS NULL OR before.value IS NULL OR now.value <> before.value)
ORDER BY now.region, now.agency, now.report_year""",
    },
    "published_late": {
        "title": "Reports published after the legal deadline",
        "description": ("1-31 of the year after the report year for departments, 3-31 for people's governments "
                        "(条例 第五十条); 3-31 for every report before 2019 (old 条例)."),
        "sql": """SELECT region, agency, organ_kind, report_year, published_date, deadline, title, url
FROM reports_overview WHERE published_late = 1 ORDER BY published_date""",
    },
}


def _cell_column_descriptions() -> dict[str, str]:
    keys = {"table_name": "table", "row_key": "row", "col_key": "col"}
    described = {column: CELL_FIELDS[field] for column, field in keys.items()}
    described.update({k: v for k, v in CELL_FIELDS.items() if k in ("value", "raw", "unit")})
    return described


def metadata(database_name: str) -> dict:
    """Datasette metadata: descriptions and facets per table, the canned queries, labels from the dictionary."""
    cells = _cell_column_descriptions()
    labels = {"table_title": "the table's heading in the official template",
              "row_label": "the row's Chinese label (data dictionary)",
              "col_label": "the column's Chinese label (data dictionary)"}
    columns = {
        "reports": dict(REPORT_FIELDS),
        "report_cells": cells,
        "cells_labelled": {**cells, **labels, "region": "the portal's region (registry)",
                           "document_url": "the page or attached file the number was read from"},
        "cell_labels": {**cells, **labels, "generations": "report generations that have this cell"},
        "reports_overview": {
            "organ_kind": "government (agency name ends in 政府) or department: decides the deadline",
            "check_status": "fail if any check fails, else warn if any warns, pass, or none (no check made)",
            "deadline": "the legal publication deadline", "published_late": "1 when published after the deadline",
            "checks_failed": "number of failed checks", "checks_warned": "number of warnings (soft findings)",
            "format": REPORT_FIELDS["format"], "attachments": "number of attached files the report page links",
        },
    }
    tables = {}
    for table, description in TABLES.items():
        entry: dict = {"description": description}
        if table in columns:
            entry["columns"] = columns[table]
        if table in FACETS:
            entry["facets"] = FACETS[table]
        tables[table] = entry
    tables["reports"]["label_column"] = "title"
    tables["portals"]["label_column"] = "name"
    n_cells = len(dictionary()["cells"])
    return {
        "title": "govcrawl: 政府信息公开工作年度报告",
        "description": (f"Annual reports harvested by govcrawl. Cells are named by the data dictionary "
                        f"({n_cells} canonical cells; docs/data-dictionary.md); start with reports_overview or "
                        f"cells_labelled."),
        "databases": {database_name: {"tables": tables, "queries": CANNED_QUERIES}},
    }


def sqlite_path(url_arg: str | None) -> Path:
    from govcrawl.db.engine import describe, resolve_database_url

    url = resolve_database_url(url_arg)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise ValueError(f"--db {describe(url)}: Datasette reads SQLite files only; browse an SQLite database "
                         f"(crawl with --db sqlite:///FILE) or use `govcrawl export` for this one")
    if not parsed.database or parsed.database == ":memory:" or not Path(parsed.database).is_file():
        raise ValueError(f"no database at {describe(url)} (run a crawl first, or pass --db)")
    return Path(parsed.database).resolve()


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def browse(url_arg: str | None, *, host: str = "127.0.0.1", port: int = 8001) -> int:
    from datasette.cli import cli

    from govcrawl.cli import open_engine
    from govcrawl.db.engine import upgrade

    path = sqlite_path(url_arg)
    engine = open_engine(f"sqlite:///{path}", must_exist=True)
    upgrade(engine)  # the labelled views and the current labels
    engine.dispose()
    port = port or free_port(host)
    with tempfile.TemporaryDirectory(prefix="govcrawl-browse-") as folder:
        meta = Path(folder) / "metadata.json"
        meta.write_text(json.dumps(metadata(path.stem), ensure_ascii=False), encoding="utf-8")
        print(f"browsing {path} at http://{host}:{port}/{path.stem} (Ctrl-C stops)", file=sys.stderr, flush=True)
        cli.main(["serve", str(path), "--metadata", str(meta), "--host", host, "--port", str(port)],
                 prog_name="datasette", standalone_mode=False)
    return 0
