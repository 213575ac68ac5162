"""`govcrawl harvest` against the saved portal site served locally: incremental nights, versions,
withdrawals, new reports, the lock, and the monitors."""

from __future__ import annotations

import json
import os
import socket

import pytest
from harvestkit import Site, query, row_counts, run_harvest
from sqlalchemy import create_engine

from govcrawl.export import iter_reports

ELHT_LIST = "http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/"
ELHT_REPORT = "http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/201503/t20150318_1290521.html"
ELHT_NEW = "http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/202601/t20260115_2000001.html"
LINQU_REPORT = "http://www.linqu.gov.cn/zwgk/zfxxgknb/202301/t20230120_6152847.html"
JLGXJ_REPORT = "http://www.jlgxj.gov.cn/zwgk/ndbg/201501/t20150120_1129.html"
# The seed reports are of 2014-2022: counting them as recent makes every one revalidated nightly.
ALL_RECENT = ("-s", "GOVCRAWL_RECENT_YEARS=30")


@pytest.fixture
def site(tmp_path):
    served = Site(tmp_path / "site")
    yield served
    served.stop()


def _ok(result) -> str:
    assert result.returncode == 0, f"harvest failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-5000:]}"
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    return result.stdout


def _last_run(database_url: str) -> tuple:
    return query(database_url, "select id, mode, finish_reason, portal_counts, monitors, stats "
                               "from crawl_runs order by id desc limit 1")[0]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def test_second_night_fetches_only_lists_and_revalidations_and_adds_no_rows(tmp_path, site, database_url):
    first = _ok(run_harvest(tmp_path, site, database_url))
    assert "harvest succeeded" in first
    first_requests = list(site.server.requests_seen)
    counts = row_counts(database_url)
    assert counts["reports"] >= 6 and counts["report_cells"] > 100
    assert "total" in first and "new" in first.splitlines()[1]
    list_pages = {u for (u,) in query(database_url, "select url from pages where kind = 'list'")}
    site.reload()

    second = _ok(run_harvest(tmp_path, site, database_url))

    assert row_counts(database_url) == counts
    fetched = set(site.server.requests_seen)
    # every list page again (conditionally), robots.txt, and no report or attachment
    assert list_pages <= fetched
    assert {u for u in fetched if not u.endswith("robots.txt")} == list_pages
    assert len(site.server.requests_seen) < len(first_requests)
    run_id, mode, reason, portal_counts, monitors, stats = _last_run(database_url)
    stats, portal_counts = _json(stats), _json(portal_counts)
    assert (mode, reason) == ("harvest", "finished")
    assert stats["govcrawl/incremental/not_modified"] >= 1  # list pages with validators answered 304
    assert sum(c["new"] + c["changed"] for c in portal_counts.values()) == 0
    assert portal_counts["152501-szf"]["unchanged"] == 1
    assert all(m["status"] in ("ok", "skipped") for m in _json(monitors))
    assert "152501-szf" in second and "harvest succeeded" in second
    # archives are per night, under the data folder; the night's job state is gone once it finished
    nights = list((tmp_path / "data" / "archive").iterdir())
    assert len(nights) == 1 and len(list(nights[0].glob("*.warc.gz"))) == 2
    assert not any((tmp_path / "data" / "jobs").iterdir())

    runs = __import__("subprocess").run(
        [__import__("sys").executable, "-W", "error", "-m", "govcrawl.cli", "runs", "--db", database_url],
        capture_output=True, text=True, check=True).stdout
    assert f"run {run_id} (harvest)" in runs and "152501-szf" in runs and "withdrawn" in runs


def test_recent_reports_are_revalidated_and_changes_become_versions(tmp_path, site):
    database_url = f"sqlite:///{tmp_path / 'govcrawl.db'}"
    _ok(run_harvest(tmp_path, site, database_url, *ALL_RECENT))
    before = row_counts(database_url)
    old_title = query(database_url, "select r.title, r.id from reports r join pages p on p.id = r.page_id "
                                    "where p.url = :u", u=ELHT_REPORT)
    children = ("select (select count(*) from report_cells where report_id = :r), "
                "(select count(*) from report_sections where report_id = :r)")
    old_children = query(database_url, children, r=old_title[0][1])
    assert old_children[0][1] > 0
    # a correction of a report, a report taken down, and a new report in a column
    site.edit(ELHT_REPORT, "二连浩特市2014年度政府信息公开年度报告", "二连浩特市2014年度政府信息公开年度报告（修订）")
    site.remove(JLGXJ_REPORT)
    site.add(ELHT_NEW, copy_of=LINQU_REPORT)
    site.edit(ELHT_LIST, '<li><span class="date">2015-03-18</span>',
              '<li><span class="date">2026-01-15</span><a href="./202601/t20260115_2000001.html">临朐县2022年'
              '政府信息公开工作年度报告</a></li>\n      <li><span class="date">2015-03-18</span>')
    site.reload()

    out = _ok(run_harvest(tmp_path, site, database_url, *ALL_RECENT))

    versions = query(database_url, "select r.title, r.is_current, r.extractor_version from reports r "
                                   "join pages p on p.id = r.page_id where p.url = :u order by r.id", u=ELHT_REPORT)
    assert [(t, bool(c)) for t, c, _ in versions] == [(old_title[0][0], False), (versions[1][0], True)]
    assert "修订" in versions[1][0] and all(v == "1.0" for *_, v in versions)
    assert query(database_url, children, r=old_title[0][1]) == old_children  # the old version keeps its rows
    withdrawn = query(database_url, "select r.withdrawn_at, r.is_current from reports r join pages p "
                                    "on p.id = r.page_id where p.url = :u", u=JLGXJ_REPORT)
    assert len(withdrawn) == 1 and withdrawn[0][0] is not None and withdrawn[0][1]
    assert query(database_url, "select count(*) from reports r join pages p on p.id = r.page_id "
                               "where p.url = :u", u=ELHT_NEW)[0][0] == 1
    assert row_counts(database_url)["reports"] == before["reports"] + 2
    counts = _json(_last_run(database_url)[3])
    assert (counts["152501-szf"]["new"], counts["152501-szf"]["changed"]) == (1, 1)
    assert counts["220200-szf"]["withdrawn"] == 1 and counts["220200-szf"]["failed"] == 0
    assert "harvest succeeded" in out
    # exports show the current versions only, withdrawn ones marked
    current = query(database_url, "select count(*) from reports where is_current")[0][0]
    assert current == before["reports"] + 1
    engine = create_engine(database_url)
    exported = {r["url"]: r for r in iter_reports(engine)}
    engine.dispose()
    assert len(exported) == current
    assert "修订" in exported[ELHT_REPORT]["title"] and exported[ELHT_REPORT]["withdrawn_at"] is None
    assert exported[JLGXJ_REPORT]["withdrawn_at"] == withdrawn[0][0][:10]


def test_full_revalidates_old_reports_conditionally(tmp_path, site):
    database_url = f"sqlite:///{tmp_path / 'govcrawl.db'}"
    _ok(run_harvest(tmp_path, site, database_url))
    site.remove(JLGXJ_REPORT)
    site.reload()
    _ok(run_harvest(tmp_path, site, database_url))  # a 2014 report: not revalidated on a normal night
    assert JLGXJ_REPORT not in site.server.requests_seen
    assert query(database_url, "select count(*) from reports where withdrawn_at is not null")[0][0] == 0
    site.reload()
    _ok(run_harvest(tmp_path, site, database_url, "--full"))
    assert JLGXJ_REPORT in site.server.requests_seen
    assert query(database_url, "select count(*) from reports where withdrawn_at is not null")[0][0] == 1


def test_a_portal_whose_column_layout_changed_fails_its_monitor(tmp_path, site):
    database_url = f"sqlite:///{tmp_path / 'govcrawl.db'}"
    _ok(run_harvest(tmp_path, site, database_url))
    # the column is redesigned: the report links are now inside a script-rendered widget
    site.edit(ELHT_LIST, '<a href="./201503/t20150318_1290521.html"', '<a data-href="./201503/t20150318_1290521.html"')
    site.reload()

    result = run_harvest(tmp_path, site, database_url)

    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    row = next(line for line in result.stdout.splitlines() if line.startswith("152501-szf"))
    assert row.split()[-1] == "FAILED"
    assert "no report links from 152501-szf" in result.stdout and "harvest FAILED" in result.stdout
    other = next(line for line in result.stdout.splitlines() if line.startswith("370724-xzf"))
    assert other.split()[-1] == "ok"
    monitors = _json(_last_run(database_url)[4])
    silent = next(m for m in monitors if m.get("portals"))
    assert silent["portals"] == ["152501-szf"] and silent["status"] == "fail"


def test_the_lock_refuses_an_overlapping_harvest(tmp_path, site):
    from govcrawl.harvest.lock import HarvestLock

    database_url = f"sqlite:///{tmp_path / 'govcrawl.db'}"
    with HarvestLock(tmp_path / "data" / "harvest.lock"):
        result = run_harvest(tmp_path, site, database_url)
    assert result.returncode == 2
    assert f"pid {os.getpid()} on {socket.gethostname()}, started 20" in result.stderr
    assert site.server.requests_seen == []
    assert not (tmp_path / "govcrawl.db").exists()


def test_a_stale_lock_of_a_dead_harvest_is_taken_over(tmp_path):
    from govcrawl.harvest.lock import HarvestLock, HarvestLocked

    path = tmp_path / "harvest.lock"
    path.write_text(json.dumps({"pid": 999999999, "host": socket.gethostname(), "started": "2026-01-01T00:00:00"}))
    with HarvestLock(path):
        assert json.loads(path.read_text())["pid"] == os.getpid()
        with pytest.raises(HarvestLocked, match=f"pid {os.getpid()}"):
            HarvestLock(path).acquire()
    with HarvestLock(path):  # released on exit
        pass


def test_a_harvest_that_cannot_start_exits_non_zero(tmp_path, site):
    database_url = f"sqlite:///{tmp_path / 'govcrawl.db'}"
    result = run_harvest(tmp_path, site, database_url, "--portal", "999999-nosuch")
    assert result.returncode == 1
    assert "999999-nosuch" in result.stdout and "harvest FAILED" in result.stdout
