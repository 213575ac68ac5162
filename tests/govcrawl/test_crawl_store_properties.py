"""Idempotency as a property: however a stream of fetched pages is split into batches, and however often it
is written again, the database ends up with one row per distinct page version and one report per report page."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.model import Cell, Report
from govcrawl.db.engine import make_engine, upgrade
from govcrawl.db.store import Store
from govcrawl.items import FetchedPage

PAGE = st.tuples(st.integers(0, 4), st.integers(0, 2), st.booleans(), st.booleans())  # url, version, report?, failed?


def fetched(url_no: int, version: int, is_report: bool, failed: bool) -> FetchedPage:  # noqa: FBT001 - drawn tuples
    url = f"http://www.jlcity.gov.cn/zwgk/ndbg/t2020011{url_no}_{url_no}.html"
    if failed:
        return FetchedPage(portal_id=None, kind="document", url=url, error="TimeoutError: took too long")
    report = Report(url=url, title=f"{url_no}号年度报告", report_year=2019, is_report=is_report,
                    cells=[Cell("applications", "new", "total", version, str(version), "件")] if is_report else [])
    return FetchedPage(portal_id=None, kind="document", url=url, status=200,
                       body=f"{url_no}/{version}/{is_report}".encode(), report=report)


@settings(max_examples=25, deadline=None)
@given(stream=st.lists(PAGE, max_size=30), cuts=st.lists(st.integers(1, 30), max_size=5),
       repeats=st.integers(1, 3))
def test_any_batching_of_any_stream_stores_each_version_once(stream, cuts, repeats):
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'p.db'}")
        upgrade(engine)
        store = Store(engine)
        bounds = sorted({0, len(stream), *[c for c in cuts if c < len(stream)]})
        for _ in range(repeats):
            for start, end in itertools.pairwise(bounds):
                store.write_pages([fetched(*page) for page in stream[start:end]])
        counts = store.table_counts()
        engine.dispose()
    versions = {(u, f"{u}/{v}/{r}" if not failed else "") for u, v, r, failed in stream}
    report_versions = {(u, v) for u, v, r, failed in stream if r and not failed}
    assert counts["pages"] == len(versions)
    assert counts["reports"] == len(report_versions) == counts["report_cells"]
