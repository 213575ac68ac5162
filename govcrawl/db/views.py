"""SQL that makes the stored rows pleasant to query by hand: the dictionary's labels as a table, and views
joining them to the cells and summarising each report (its checks, its legal publication deadline).

The views are created by migration 0006; the labels are rewritten from the data dictionary after every
upgrade (refresh_labels), so a label added to extractors/templates.py reaches the database on the next crawl.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert

from extractors.dictionary import dictionary

# 条例 (2019) 第五十条: an agency publishes its report by 1-31 of the following year, a people's government by
# 3-31; under the old 条例 (reports for 2008-2018) every report was due by 3-31.
# A people's government is an agency whose name ends in 政府 (XX市人民政府, XX区政府); 政府办公室 is a department.
GOVERNMENT = "(r.agency LIKE '%政府')"


def _deadline(dialect: str) -> str:
    month = f"CASE WHEN {GOVERNMENT} OR r.report_year < 2019 THEN 3 ELSE 1 END"
    if dialect == "postgresql":
        return f"make_date(r.report_year + 1, {month}, 31)"
    return f"printf('%04d-%02d-31', r.report_year + 1, {month})"


def create_views_sql(dialect: str) -> list[str]:
    status = ("CASE WHEN k.failed > 0 THEN 'fail' WHEN k.warned > 0 THEN 'warn' "
              "WHEN k.total > 0 THEN 'pass' ELSE 'none' END")
    return [
        # Labels and value first: what a reader looks for; the keys after, for joins and filters.
        """CREATE VIEW cells_labelled AS
        SELECT c.report_id, r.agency, r.report_year, l.table_title, l.row_label, l.col_label,
               CASE WHEN c.value_is_integer THEN CAST(c.value AS INTEGER) ELSE c.value END AS value,
               COALESCE(c.unit, l.unit) AS unit, c.raw,
               c.table_name, c.row_key, c.col_key, r.generation, p.region, r.portal_id, d.url AS document_url
        FROM report_cells c
        JOIN reports r ON r.id = c.report_id
        LEFT JOIN portals p ON p.id = r.portal_id
        LEFT JOIN pages d ON d.id = c.document_page_id
        LEFT JOIN cell_labels l
               ON l.table_name = c.table_name AND l.row_key = c.row_key AND l.col_key = c.col_key""",
        # What a reader compares first; the long title and URL last, so they do not squeeze the rest.
        f"""CREATE VIEW reports_overview AS
        SELECT r.id AS report_id, p.region, r.agency, r.report_year, r.generation, r.published_date,
               {_deadline(dialect)} AS deadline,
               CASE WHEN r.published_date IS NULL OR r.report_year IS NULL THEN NULL
                    WHEN r.published_date > {_deadline(dialect)} THEN 1 ELSE 0 END AS published_late,
               {status} AS check_status,
               COALESCE(k.failed, 0) AS checks_failed, COALESCE(k.warned, 0) AS checks_warned,
               r.format,
               (SELECT COUNT(*) FROM report_attachments a WHERE a.report_id = r.id) AS attachments,
               CASE WHEN r.agency IS NULL THEN NULL WHEN {GOVERNMENT} THEN 'government' ELSE 'department' END
                   AS organ_kind,
               r.title, r.portal_id, r.url
        FROM reports r
        LEFT JOIN portals p ON p.id = r.portal_id
        LEFT JOIN (SELECT report_id, COUNT(*) AS total,
                          SUM(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) AS failed,
                          SUM(CASE WHEN status = 'warn' THEN 1 ELSE 0 END) AS warned
                   FROM check_results GROUP BY report_id) k ON k.report_id = r.id""",  # noqa: S608 - constant SQL
    ]


DROP_VIEWS = ["DROP VIEW IF EXISTS reports_overview", "DROP VIEW IF EXISTS cells_labelled"]


def refresh_labels(connection: Connection) -> None:
    """Rewrite cell_labels from the data dictionary (in the caller's transaction)."""
    from govcrawl.db.models import CellLabel

    connection.execute(delete(CellLabel))
    connection.execute(insert(CellLabel), [
        {"table_name": c["table"], "row_key": c["row"], "col_key": c["col"], "table_title": c["table_title"],
         "row_label": c["row_label"], "col_label": c["col_label"], "unit": c["unit"],
         "generations": ",".join(c["generations"])}
        for c in dictionary()["cells"]])
