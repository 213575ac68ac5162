"""Read stored reports back out, one record per report: extract-output.md's fields (without the `path` of a
local file; each cell with the `document` it was read from) plus where it came from (`portal`, `region`,
`fetched_at`). JSON Lines here; the spreadsheet and
Parquet shapes of the same records in govcrawl.tabular."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from extractors.checks import carried_over_against_last_year
from extractors.model import Attachment, Cell, Check, Section
from extractors.model import Report as ReportRecord
from govcrawl.db import models as m

CHUNK = 200

def _value(value: float | None, is_integer: bool | None) -> int | float | None:  # noqa: FBT001 - a stored value
    if value is None:
        return None
    return int(value) if is_integer else value


def iter_reports(engine: Engine) -> Iterator[dict[str, Any]]:
    """One dict per stored report, its current version only: extract-output.md's object (no `path`) plus
    `portal`, `region`, `fetched_at` and `withdrawn_at`. Reads in chunks, so exporting a large database takes
    the memory of one chunk."""
    with Session(engine) as session:
        order = session.execute(
            select(m.Report.id, m.Page.fetched_at)
            .join(m.Page, m.Page.id == m.Report.page_id)
            .where(m.Report.is_current)
            .order_by(m.Report.portal_id, m.Report.report_year, m.Report.url, m.Report.id)
        ).all()
        carried_forward = _carried_forward_by_year(session)
        regions = dict(session.execute(select(m.Portal.id, m.Portal.region)).all())
        for start in range(0, len(order), CHUNK):
            yield from _chunk(session, order[start : start + CHUNK], carried_forward, regions)
            session.expunge_all()


def _carried_forward_by_year(session: Session) -> dict[tuple[str | None, str | None, int], list[Cell]]:
    """Every stored report's 结转下年度 cells by (portal, agency, report year), the newest version winning:
    the other half of the cross-year check, which only a store of many reports can make."""
    found: dict[tuple[str | None, str | None, int], list[Cell]] = {}
    rows = session.execute(
        select(m.Report.id, m.Report.portal_id, m.Report.agency, m.Report.report_year, m.ReportCell)
        .join(m.ReportCell, m.ReportCell.report_id == m.Report.id)
        .where(m.ReportCell.table_name == "applications", m.ReportCell.row_key == "carried_forward",
               m.Report.report_year.is_not(None), m.Report.is_current)
        .order_by(m.Report.id)
    )
    latest: dict[tuple[str | None, str | None, int], int] = {}
    for report_id, portal, agency, year, c in rows:
        key = (portal, agency, year)
        if latest.get(key) != report_id:
            latest[key], found[key] = report_id, []
        found[key].append(Cell(c.table_name, c.row_key, c.col_key, _value(c.value, c.value_is_integer), c.raw, c.unit))
    return found


CHILDREN = (
    ("cells", m.ReportCell, m.ReportCell.id),
    ("sections", m.ReportSection, m.ReportSection.position),
    ("checks", m.CheckResult, m.CheckResult.position),
    ("attachments", m.ReportAttachment, m.ReportAttachment.position),
)


def _chunk(session: Session, chunk, carried_forward, regions) -> Iterator[dict[str, Any]]:
    ids = [report_id for report_id, _ in chunk]
    reports = {r.id: r for r in session.scalars(select(m.Report).where(m.Report.id.in_(ids)))}
    children: dict[str, dict[int, list]] = {name: defaultdict(list) for name, *_ in CHILDREN}
    for name, model, order in CHILDREN:
        for child in session.scalars(select(model).where(model.report_id.in_(ids)).order_by(model.report_id, order)):
            children[name][child.report_id].append(child)
    document_ids = {c.document_page_id for cells in children["cells"].values() for c in cells}
    documents = dict(session.execute(select(m.Page.id, m.Page.url).where(m.Page.id.in_(document_ids))).all())
    for report_id, fetched_at in chunk:
        report = reports[report_id]
        cells = [Cell(c.table_name, c.row_key, c.col_key, _value(c.value, c.value_is_integer), c.raw, c.unit)
                 for c in children["cells"][report_id]]
        last_year = carried_forward.get((report.portal_id, report.agency, (report.report_year or 0) - 1), [])
        record = ReportRecord(
            url=report.url,
            title=report.title,
            agency=report.agency,
            report_year=report.report_year,
            published_date=report.published_date.isoformat() if report.published_date else None,
            source=report.source,
            generation=report.generation,
            is_report=True,
            format=report.format,
            text=report.text,
            sections=[Section(s.heading, s.text) for s in children["sections"][report_id]],
            attachments=[Attachment(a.url, a.text) for a in children["attachments"][report_id]],
            cells=cells,
            checks=[Check(c.rule, c.scope, c.status, c.detail) for c in children["checks"][report_id]]
            + carried_over_against_last_year(cells, last_year),
            warnings=list(report.warnings or []),
        )
        out = record.to_dict()
        del out["path"]  # a local file's path in `python -m extractors`; a stored report has its url
        out["portal"] = report.portal_id
        out["region"] = regions.get(report.portal_id)
        out["fetched_at"] = fetched_at.isoformat() + "Z" if fetched_at else None
        for cell, row in zip(out["cells"], children["cells"][report_id], strict=True):
            cell["document"] = documents.get(row.document_page_id)  # the page or file the number was read from
        out["withdrawn_at"] = report.withdrawn_at.isoformat() if report.withdrawn_at else None
        yield out


def write_jsonl(engine: Engine, out: IO[str]) -> int:
    count = 0
    for record in iter_reports(engine):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
