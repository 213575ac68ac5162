"""Report versions: which stored report is a URL's current one and which URLs were withdrawn (two extractions
of the same page are told apart by `Report.fingerprint()`, stored as reports.result_hash).

Called inside the store's write transaction, so the current version and the withdrawn marks are always
consistent with the rows written (plain `scrapy crawl`, replay, harvest and reextract alike).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from govcrawl.db import models as m

if TYPE_CHECKING:
    from govcrawl.items import FetchedPage

GONE = (404, 410)  # the portal says the URL is permanently (410) or at least now (404) not there
CHUNK = 500  # bound the size of IN (...) lists


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    values = sorted(set(values))
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def refresh_current(conn, url_hashes: Iterable[str]) -> None:
    """Make the newest report of each URL (newest fetch, then newest extraction) its only current one."""
    for chunk in _chunks(url_hashes):
        rows = conn.execute(
            select(m.Report.id, m.Page.url_hash)
            .join(m.Page, m.Page.id == m.Report.page_id)
            .where(m.Page.url_hash.in_(chunk))
            .order_by(m.Page.fetched_at, m.Page.id, m.Report.id)
        ).all()
        newest = {h: report_id for report_id, h in rows}  # the last row per URL wins
        current = set(newest.values())
        stale = [report_id for report_id, _ in rows if report_id not in current]
        if stale:
            conn.execute(update(m.Report).where(m.Report.id.in_(stale), m.Report.is_current).values(is_current=False))
        if current:
            conn.execute(update(m.Report).where(m.Report.id.in_(current), ~m.Report.is_current)
                         .values(is_current=True))


def mark_withdrawn(conn, pages: Sequence[FetchedPage], url_hash) -> None:
    """A report URL that now answers 404/410 is withdrawn as of that day (its rows stay); one that answers
    again is not."""
    gone: dict[str, dt.date] = {}
    back: list[str] = []
    for page in pages:
        if page.status in GONE:
            gone[url_hash(page.url)] = (page.fetched_at or dt.datetime.now(dt.UTC)).date()
        elif page.status is not None and 200 <= page.status < 300 and page.error is None:
            back.append(url_hash(page.url))
    for day in set(gone.values()):
        for chunk in _chunks(h for h, d in gone.items() if d == day):
            conn.execute(
                update(m.Report)
                .where(m.Report.page_id.in_(select(m.Page.id).where(m.Page.url_hash.in_(chunk))),
                       m.Report.withdrawn_at.is_(None))
                .values(withdrawn_at=day)
            )
    for chunk in _chunks(back):
        conn.execute(
            update(m.Report)
            .where(m.Report.page_id.in_(select(m.Page.id).where(m.Page.url_hash.in_(chunk))),
                   m.Report.withdrawn_at.is_not(None))
            .values(withdrawn_at=None)
        )
