"""The data dictionary, generated from the code that reads the reports (templates.py, checks.py, model.py).

    python -m extractors.dictionary [--out docs/]

writes `data-dictionary.md` (for people) and `data-dictionary.json` (for the exports and the browser). The
test suite regenerates both and fails when the committed files and the code disagree.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from functools import cache
from pathlib import Path

from . import templates as T  # noqa: N812 - T.ACTIVE_ROW_INDEX: a namespace of constants
from .checks import CHECK_RULES
from .model import Cell, Report

# Report-level and cell fields (dictionary §2, §3); a field of model.Report or model.Cell missing here fails the
# test suite (tests/extraction/test_dictionary.py).
REPORT_FIELDS: dict[str, str] = {
    "url": "where the page was fetched (null for a local file with no URL given)",
    "title": "the report's title as the page gives it (null when it has none)",
    "agency": "the reporting organ (发布机构 / 填报单位 / the organ named in the title), as the page writes it",
    "report_year": "the year the report covers (统计年度), not the year it was published",
    "published_date": "publication date on the page (发布日期, PubDate meta, 公开日期, 信息索引表), ISO YYYY-MM-DD",
    "source": "the 来源 line when present",
    "generation": "report generation: pre2019 (2008-2018), 2019 (2019-2020), 2021 (2021 onward); by labels first",
    "is_report": "false for a document that is not an annual report (a 函, a notice, a list page, a template)",
    "format": "what the report was read from: html, text, pdf, docx, doc, wps, xlsx, xls",
    "text": "the cleaned main text, without portal chrome",
    "sections": "the report's top-level sections in order: heading as written plus its text",
    "attachments": "links to attached files (PDF, DOC, DOCX, WPS, XLS, OFD, images) with their link text",
    "cells": "every number of the statistics tables: table, row, col, value, raw, unit (see below)",
    "checks": "consistency checks (勾稽关系): rule, scope, status (pass, fail, warn, not_assessable), detail",
    "warnings": "short notes on what the extractor could not do (no content container, table not recognised, ...)",
}
CELL_FIELDS: dict[str, str] = {
    "table": "statistics table key (active, applications, appeals, legacy)",
    "row": "canonical row key", "col": "canonical column key",
    "value": "the number read from raw, or null (blank, /, -, 无); money in 万元; blank and 0 stay different",
    "raw": "the cell text as found (after NFKC and trimming)",
    "unit": "unit of value (件, 条, 项, 次, 万元 ...)",
}


def _described(model, descriptions: dict[str, str], skip: frozenset[str] | set[str] = frozenset()) -> list[dict]:
    """Every field of a model class, in its order, with its description (the test suite fails on an empty one)."""
    return [{"key": f.name, "description": descriptions.get(f.name, "")} for f in fields(model) if f.name not in skip]


def _first(labels: tuple[str, ...]) -> str:
    return labels[0]


def _application_row_label(row: str) -> str:
    group, _, _ = row.partition(".")
    if row == "other.other":
        return f"{_first(T.APPLICATION_GROUPS['other'])}：{T.OTHER_OTHER_LABEL}"
    label = _first(T.APPLICATION_ROWS[row])
    if "." in row and group in T.APPLICATION_GROUPS:
        return f"{_first(T.APPLICATION_GROUPS[group])}：{label}"
    return label


def _rows_and_cols() -> dict[str, tuple[list[dict], list[dict]]]:
    """Per table: its rows and columns, each with key, label, all labels it is read under, generations."""
    active_rows = [{"key": k, "label": _first(v), "labels": list(v),
                    "generations": [g for g, layout in T.ACTIVE_LAYOUT.items() if k in layout]}
                   for k, v in T.ACTIVE_ROWS.items()]
    active_cols = [{"key": k, "label": _first(v), "labels": list(v), "unit": T.ACTIVE_UNITS[k],
                    "generations": [g for g, layout in T.ACTIVE_LAYOUT.items() if any(k in c for c in layout.values())],
                    "rows": [r for r in T.ACTIVE_ROWS
                             if any(k in layout.get(r, ()) for layout in T.ACTIVE_LAYOUT.values())]}
                   for k, v in T.ACTIVE_COLS.items()]
    app_rows = []
    keys = list(T.APPLICATION_ROWS)
    keys.insert(keys.index("other.unpaid_fee") + 1, "other.other")  # 3.其他 under （六）, read by its group
    for key in keys:
        labels = list(T.APPLICATION_ROWS.get(key, (T.OTHER_OTHER_LABEL,)))
        app_rows.append({"key": key, "label": _application_row_label(key), "labels": labels,
                         "generations": [g for g, order in T.APPLICATION_ROW_ORDER.items() if key in order]})
    app_cols = [{"key": k, "label": _first(v), "labels": list(v), "unit": T.APPLICATIONS_UNIT,
                 "generations": list(T.TABLES["applications"][1])} for k, v in T.APPLICANT_COLS.items()]
    appeal_rows = [{"key": k, "label": _first(v), "labels": list(v), "generations": list(T.TABLES["appeals"][1])}
                   for k, v in T.APPEAL_ROWS.items()]
    appeal_cols = [{"key": k, "label": _first(v), "labels": list(v), "unit": T.APPEALS_UNIT,
                    "generations": list(T.TABLES["appeals"][1])} for k, v in T.APPEAL_COLS.items()]
    # In table order: each section's heading row, then its rows.
    sections = [section for section, *_ in T.LEGACY_SECTIONS]
    in_order = sorted(T.LEGACY_ROWS, key=lambda r: (sections.index(r.section), r.key not in T.LEGACY_SECTION_KEYS))
    legacy_rows = [{"key": r.key, "label": _first(r.labels), "labels": list(r.labels), "section": r.section,
                    "unit": r.unit, "generations": ["pre2019"]} for r in in_order]
    legacy_cols = [{"key": k, "label": v, "labels": [v], "generations": ["pre2019"]} for k, v in T.LEGACY_COLS.items()]
    return {"active": (active_rows, active_cols), "applications": (app_rows, app_cols),
            "appeals": (appeal_rows, appeal_cols), "legacy": (legacy_rows, legacy_cols)}


def _cells(tables: dict[str, tuple[list[dict], list[dict]]]) -> list[dict]:
    """Every canonical cell, in table order: the columns of a wide export and the labels of the browser."""
    out: list[dict] = []

    def add(table: str, row: dict, col: dict, unit: str | None, generations: list[str]) -> None:
        out.append({"column": f"{table}.{row['key']}.{col['key']}", "table": table, "row": row["key"],
                    "col": col["key"], "table_title": T.TABLES[table][0], "row_label": row["label"],
                    "col_label": col["label"], "unit": unit, "generations": generations})

    rows, cols = tables["active"]
    for row in rows:
        for col in cols:
            gens = [g for g, layout in T.ACTIVE_LAYOUT.items() if col["key"] in layout.get(row["key"], ())]
            if gens:
                add("active", row, col, col["unit"], gens)
    for table in ("applications", "appeals"):
        rows, cols = tables[table]
        for row in rows:
            for col in cols:
                add(table, row, col, col["unit"], row["generations"])
    rows, cols = tables["legacy"]
    for row in rows:
        for col in cols:
            add("legacy", row, col, row["unit"], ["pre2019"])
    return out


@cache
def dictionary() -> dict:
    """The whole dictionary as plain data (also what data-dictionary.json holds)."""
    tables = _rows_and_cols()
    return {
        "generations": [{"key": g, "years": years,
                         "tables": [t for t, (_, gens) in T.TABLES.items() if g in gens]}
                        for g, years in T.GENERATIONS.items()],
        "report_fields": _described(Report, REPORT_FIELDS, skip={"encoding"}),
        "cell_fields": _described(Cell, CELL_FIELDS),
        "tables": [{"key": t, "title": title, "generations": list(gens),
                    "rows": tables[t][0], "cols": tables[t][1]} for t, (title, gens) in T.TABLES.items()],
        "cells": _cells(tables),
        "checks": [{"rule": rule, "statement": statement, "generations": list(gens), "mismatch": mismatch}
                   for rule, (statement, gens, mismatch) in CHECK_RULES.items()],
    }


def cell_labels() -> dict[tuple[str, str, str], dict]:
    """(table, row, col) -> the cell's dictionary entry (labels, unit, generations)."""
    return {(c["table"], c["row"], c["col"]): c for c in dictionary()["cells"]}


# ---------------------------------------------------------------- the readable document


def _md_cell(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|")


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows), ""]


def render_markdown(data: dict | None = None) -> str:
    data = data or dictionary()
    out = ["# Data dictionary: 政府信息公开工作年度报告", "",
           ("<!-- Generated by `python -m extractors.dictionary --out docs/` from extractors/templates.py, "
            "extractors/checks.py and extractors/dictionary.py. Do not edit by hand: tests/extraction/"
            "test_dictionary.py fails when this file and the code disagree. -->"), "",
           ("The canonical names of everything read out of an annual report. The JSON output, the SQL rows, the "
           "exports and the browser use these keys; the Chinese labels are the official ones (real reports vary "
           "them: the extractor matches a normalised label, and `labels` lists every wording it reads). "
           "The same content as data: [`data-dictionary.json`](data-dictionary.json). The extractor's JSON "
           "record: [`extract-output.md`](extract-output.md)."), "",
           "## 1. Report generations (`generation`)", ""]
    out += _table(["generation", "report years", "tables"],
                  [[f"`{g['key']}`", g["years"], ", ".join(f"`{t}`" for t in g["tables"])]
                   for g in data["generations"]])
    out += ["## 2. Report-level fields", ""]
    out += _table(["field", "meaning"], [[f"`{f['key']}`", f["description"]] for f in data["report_fields"]])
    out += ["## 3. Cells", "", "Every number of a statistics table is one cell:", ""]
    out += _table(["field", "meaning"], [[f"`{f['key']}`", f["description"]] for f in data["cell_fields"]])
    out += [("A cell that a generation's table does not have is absent (no row, no null). A legacy row that "
             "matches no key is kept as `unmapped.<normalised label>`."), ""]
    for n, table in enumerate(data["tables"], 1):
        out += [f"### 3.{n} Table `{table['key']}`: {table['title']} ({', '.join(table['generations'])})", ""]
        has_section = any("section" in r for r in table["rows"])
        header = ["row", "label", "also read as", "generations"] + (["section", "unit"] if has_section else [])
        out += _table(header, [[f"`{r['key']}`", r["label"], " / ".join(r["labels"][1:]), ", ".join(r["generations"])]
                               + ([r["section"], r["unit"]] if has_section else []) for r in table["rows"]])
        has_rows = any("rows" in c for c in table["cols"])
        header = ["col", "label", "also read as", "generations"] + (["unit"] if "unit" in table["cols"][0] else [])
        header += ["rows"] if has_rows else []
        out += _table(header, [[f"`{c['key']}`", c["label"], " / ".join(c["labels"][1:]), ", ".join(c["generations"])]
                               + ([c["unit"]] if "unit" in c else [])
                               + ([", ".join(c.get("rows", []))] if has_rows else []) for c in table["cols"]])
    counts = {t["key"]: sum(c["table"] == t["key"] for c in data["cells"]) for t in data["tables"]}
    out += [(f"In all {len(data['cells'])} canonical cells (" + ", ".join(f"{t} {n}" for t, n in counts.items())
            + "): the columns of `govcrawl export --format csv-wide`, named `table.row.col`."), ""]
    out += ["## 4. Consistency checks (勾稽关系)", "",
            ("Each check has a `rule`, a `scope` (the column, row or cell it is about), a `status` (`pass`, `fail`, "
            "`warn`, `not_assessable` when an operand is missing) and a `detail` with the numbers. A failed check "
            "never drops data: it is a finding about the report. `warn` marks soft findings that agencies' "
            "re-counts explain as often as errors."), ""]
    out += _table(["rule", "statement", "generations", "when the numbers disagree"],
                  [[f"`{c['rule']}`", c["statement"], ", ".join(c["generations"]), f"`{c['mismatch']}`"]
                   for c in data["checks"]])
    return "\n".join(out).rstrip() + "\n"


def write(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / "data-dictionary.md", out_dir / "data-dictionary.json"
    md.write_text(render_markdown(), encoding="utf-8")
    js.write_text(json.dumps(dictionary(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return [md, js]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m extractors.dictionary", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs",
                        help="folder to write data-dictionary.md and .json into (default: docs)")
    args = parser.parse_args(argv)
    for path in write(Path(args.out)):
        print(f"wrote {path}", file=sys.stderr)  # noqa: T201 - the command line's report
    return 0


if __name__ == "__main__":
    sys.exit(main())
