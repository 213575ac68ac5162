"""The stored reports as tables for spreadsheets and analysts, labelled from the data dictionary.

* long CSV / Parquet: one row per cell (report, agency, year, table, row, column, Chinese labels, value, raw,
  unit); a report without cells still gets one row, so no report is missing;
* wide CSV: one row per report, every canonical cell of the dictionary a column named `table.row.col`,
  optionally with a second header row of Chinese labels.

Every row carries the report's failed and warned checks (`findings`) and the extractor's warnings, so a `warn`
such as a prose figure contradicting the table is visible in a spreadsheet, and its attachments. CSV is UTF-8
with a BOM (the caller opens the file with encoding='utf-8-sig') so that Excel reads the Chinese.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import IO, Any

from sqlalchemy import Engine

from extractors.dictionary import cell_labels, dictionary
from govcrawl.export import iter_reports

# Report columns of every shape, with their Chinese header.
REPORT_COLUMNS: dict[str, str] = {
    "portal": "门户", "region": "地区", "agency": "机关", "report_year": "报告年度", "generation": "报告版本",
    "published_date": "发布日期", "title": "标题", "url": "网址", "format": "格式", "source": "来源",
    "fetched_at": "抓取时间", "checks_failed": "勾稽不符数", "checks_warned": "提示数", "findings": "勾稽与提示",
    "warnings": "抽取警告", "attachments": "附件",
}
CELL_COLUMNS: dict[str, str] = {
    "table": "表", "table_title": "表名", "row": "行", "row_label": "行名", "col": "列", "col_label": "列名",
    "value": "数值", "raw": "原文", "unit": "单位", "document": "来源文件",
}
LONG_COLUMNS = list(REPORT_COLUMNS) + list(CELL_COLUMNS)


def _findings(checks: Iterable[dict]) -> tuple[int, int, str]:
    """(failed, warned, one line per finding): what a reader must see next to the numbers."""
    failed = [c for c in checks if c["status"] == "fail"]
    warned = [c for c in checks if c["status"] == "warn"]
    text = "\n".join(f"{c['status']} {c['rule']} [{c['scope']}]: {c['detail']}" for c in failed + warned)
    return len(failed), len(warned), text


def report_row(record: dict[str, Any]) -> dict[str, Any]:
    failed, warned, findings = _findings(record["checks"])
    row = {name: record.get(name) for name in REPORT_COLUMNS}
    row.update(
        checks_failed=failed, checks_warned=warned, findings=findings,
        warnings="\n".join(record["warnings"]),
        attachments="\n".join(f"{a['text']} <{a['url']}>" for a in record["attachments"]),
    )
    return row


def long_rows(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    labels = cell_labels()
    titles = {t["key"]: t["title"] for t in dictionary()["tables"]}
    for record in records:
        report = report_row(record)
        if not record["cells"]:
            yield {**report, **dict.fromkeys(CELL_COLUMNS)}
        for cell in record["cells"]:
            entry = labels.get((cell["table"], cell["row"], cell["col"]), {})
            yield {**report, "table": cell["table"], "table_title": titles.get(cell["table"]),
                   "row": cell["row"], "row_label": entry.get("row_label"), "col": cell["col"],
                   "col_label": entry.get("col_label"), "value": cell["value"], "raw": cell["raw"],
                   "unit": cell["unit"] or entry.get("unit"), "document": cell.get("document")}


def wide_columns() -> dict[str, str]:
    """Column name -> Chinese label: the report columns, a count of cells, then every canonical cell."""
    columns = dict(REPORT_COLUMNS)
    columns["cells"] = "单元格数"
    for cell in dictionary()["cells"]:
        unit = f"（{cell['unit']}）" if cell["unit"] else ""
        columns[cell["column"]] = f"{cell['table_title']}｜{cell['row_label']}｜{cell['col_label']}{unit}"
    return columns


def write_long_csv(engine: Engine, out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=LONG_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for record in iter_reports(engine):
        writer.writerows(long_rows([record]))
        count += 1
    return count


def write_wide_csv(engine: Engine, out: IO[str], *, labels: bool = False) -> int:
    """Cells the dictionary does not name (legacy `unmapped.*` rows) are only in the long shapes."""
    columns = wide_columns()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    if labels:
        writer.writerow(columns)
    count = 0
    for record in iter_reports(engine):
        row = report_row(record)
        row["cells"] = len(record["cells"])
        for cell in record["cells"]:
            name = f"{cell['table']}.{cell['row']}.{cell['col']}"
            if name in columns:
                row[name] = cell["value"] if cell["value"] is not None else cell["raw"]
        writer.writerow(row)
        count += 1
    return count


def write_parquet(engine: Engine, path: str, *, batch_rows: int = 50_000) -> int:
    """The long shape, typed (value float64, report_year int32), written in row groups of `batch_rows`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"report_year": pa.int32(), "checks_failed": pa.int32(), "checks_warned": pa.int32(),
             "value": pa.float64()}
    schema = pa.schema([pa.field(name, types.get(name, pa.string())) for name in LONG_COLUMNS])
    count, batch = 0, []
    with pq.ParquetWriter(path, schema) as writer:
        for record in iter_reports(engine):
            batch.extend(long_rows([record]))
            count += 1
            if len(batch) >= batch_rows:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch or not count:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return count
