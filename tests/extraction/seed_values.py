"""The values the five real reports state (issue acceptance), checked against every rendering of them."""

from extractors import Report


def values(report: Report, table: str) -> dict[str, int | float | None]:
    return {f"{c.row}:{c.col}" if table != "legacy" else c.row: c.value for c in report.cells if c.table == table}


def assert_seed_000(report: Report) -> None:
    assert report.generation == "pre2019"
    assert report.report_year == 2014
    assert "吉林市工业和信息化局" in report.agency
    legacy = {c.row: c.value for c in report.cells if c.table == "legacy" and c.col == "value"}
    expected = {
        "active.total": 0, "active.normative_docs": 1, "active.normative_docs_issued": 1, "active.via.website": 17,
        "active.via.other": 381, "response.hot_topics": 94, "response.online_interviews": 1,
        "response.interpretations": 26, "requests.received": 0, "review.total": 0, "litigation.total": 0,
        "meetings.trainees": 0,
    }
    assert {k: legacy.get(k, "absent") for k in expected} == expected
    warns = [c for c in report.checks if c.status == "warn" and c.scope == "legacy.active.total.value"]
    assert len(warns) == 1 and "427" in warns[0].detail and "0" in warns[0].detail


def assert_seed_001(report: Report) -> None:
    assert report.title == "吉林市科技局2019年政府信息公开工作年度报告"
    assert report.published_date == "2020-01-14"
    assert report.generation == "2019"
    assert report.report_year == 2019
    active = {(c.row, c.col): c.value for c in report.cells if c.table == "active"}
    assert active[("normative_docs", "made")] == 5
    assert active[("normative_docs", "published")] == 5
    assert active[("normative_docs", "published_total")] == 7
    assert (active[("licensing", "items_prev_year")], active[("licensing", "items_change")],
            active[("licensing", "decisions")]) == (0, 1, 79)
    assert (active[("other_services", "items_prev_year")], active[("other_services", "items_change")],
            active[("other_services", "decisions")]) == (8, 0, 365)
    assert active[("procurement", "procurement_items")] == 0
    for chrome in ("登录", "注册", "点击数"):
        assert chrome not in report.text


def assert_seed_002(report: Report) -> None:
    assert report.title == "二连浩特市2014年度政府信息公开年度报告"
    assert report.published_date == "2015-03-18"
    assert report.source == "二连浩特市政务公开领导小组办公室"
    assert report.generation == "pre2019"
    assert report.report_year == 2014
    assert report.cells == []
    for chrome in ("【打印】", "字体", "分享到", "政府信息公开_32"):
        assert chrome not in report.text
    assert "累计主动公开政府各类信息6748条" in report.text


def assert_seed_003(report: Report) -> None:
    assert report.report_year == 2017
    assert report.generation == "pre2019"
    legacy = {c.row: c for c in report.cells if c.table == "legacy" and c.col == "value"}
    expected = {
        "active": 98, "active.via": 98, "active.via.website": 36, "active.via.other": 62, "response.interpretations": 1,
        "org.units": 1, "org.reading_points": 1, "org.staff": 2, "org.staff.part_time": 2, "meetings.conferences": 2,
        "meetings.trainings": 5, "meetings.trainees": 350,
    }
    assert {k: legacy[k].value for k in expected} == expected
    for blank in ("active.total", "org.staff.full_time", "complaints.total"):
        assert legacy[blank].value is None and legacy[blank].raw == ""


def assert_seed_004(report: Report) -> None:
    assert report.generation == "2019"
    assert report.report_year == 2020
    active = {(c.row, c.col): c.value for c in report.cells if c.table == "active"}
    assert active[("other_services", "items_prev_year")] == 1
    assert active[("fees", "items_prev_year")] == 1
    applications = [c for c in report.cells if c.table == "applications"]
    assert len(applications) == 161 and {c.value for c in applications} == {0}
    appeals = {(c.row, c.col): c for c in report.cells if c.table == "appeals"}
    assert len(appeals) == 15
    # The report's data row holds 14 zeros and one empty cell (see the seed text): blank stays blank.
    assert [c.value for c in appeals.values()].count(0) == 14
    assert appeals[("litigation_after_review", "total")].raw == ""
    balance = [c for c in report.checks if c.rule == "applications.balance"]
    assert len(balance) == 7 and {c.status for c in balance} == {"pass"}


SEEDS = {"000": assert_seed_000, "001": assert_seed_001, "002": assert_seed_002, "003": assert_seed_003,
         "004": assert_seed_004}
