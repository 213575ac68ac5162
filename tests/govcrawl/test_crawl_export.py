"""`govcrawl export`: JSON Lines in extract-output.md's shape plus portal/fetched_at, and the headline CSV."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from extractors.model import Cell, Report
from govcrawl.cli import main
from govcrawl.db.engine import make_engine, upgrade
from govcrawl.db.store import Store
from govcrawl.export import CSV_COLUMNS
from govcrawl.registry import load_registry

from crawlkit import REPO, SEEDS, crawl_env
from test_crawl_store import FETCHED, document, report_2019

EXTRACT_OUTPUT_KEYS = list(Report().to_dict(path=None))


@pytest.fixture
def filled_database(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    store = Store(engine)
    store.upsert_portals(load_registry(SEEDS / "portals").values())
    legacy = Report(url="http://www.jlgxj.gov.cn/r.html", title="吉林市工业和信息化局2014年度政府信息公开工作年度报告",
                    report_year=2014, generation="pre2019", is_report=True, text="……",
                    cells=[Cell("legacy", "active.total", "value", 0, "0", "条")])
    store.write_pages([document("http://www.jlcity.gov.cn/r.html", b"a", report_2019()),
                       document("http://www.jlgxj.gov.cn/r.html", b"b", legacy)])
    engine.dispose()
    return database_url


def test_jsonl_has_the_extract_output_shape(filled_database, tmp_path):
    out = tmp_path / "reports.jsonl"
    assert main(["export", "--db", filled_database, "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2
    for record in records:
        assert list(record) == EXTRACT_OUTPUT_KEYS + ["portal", "fetched_at", "withdrawn_at"]
        assert record["portal"] == "220200-szf" and record["fetched_at"] == FETCHED.isoformat() + "Z"
    report = next(r for r in records if r["report_year"] == 2019)
    assert report["published_date"] == "2020-01-14" and report["is_report"] is True
    cells = {(c["table"], c["row"], c["col"]): c for c in report["cells"]}
    assert cells[("applications", "new", "total")] == {"table": "applications", "row": "new", "col": "total",
                                                       "value": 3, "raw": "3", "unit": "件"}
    assert isinstance(cells[("applications", "new", "total")]["value"], int)
    assert cells[("active", "procurement", "procurement_amount")]["value"] == 25.1
    assert cells[("applications", "carried_forward", "natural_person")]["value"] is None
    assert report["checks"][0] == {"rule": "applications.balance", "scope": "total", "status": "fail",
                                   "detail": "3 + 0 ≠ 2 + 0"}
    assert report["sections"][1] == {"heading": "二、主动公开政府信息情况", "text": "见下表"}
    assert report["attachments"] == [{"url": "http://www.jlcity.gov.cn/a.pdf", "text": "附件：年报.pdf"}]
    assert "吉林市科技局" in out.read_text(encoding="utf-8")  # Chinese not escaped


def test_csv_is_one_row_per_report_with_headline_cells_and_a_bom(filled_database, tmp_path):
    out = tmp_path / "reports.csv"
    assert main(["export", "--db", filled_database, "--format", "csv", "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == CSV_COLUMNS
    by_year = {row["report_year"]: row for row in rows}
    assert by_year["2019"]["applications_new"] == "3" and by_year["2019"]["applications_carried_over"] == "0"
    assert by_year["2019"]["checks_failed"] == "1" and by_year["2019"]["title"].startswith("吉林市科技局")
    assert by_year["2014"]["legacy_active_total"] == "0" and by_year["2014"]["applications_new"] == ""


def test_export_to_stdout_via_the_console_entry_point(filled_database):
    result = subprocess.run([sys.executable, "-m", "govcrawl.cli", "export", "--db", filled_database],
                            cwd=REPO, env=crawl_env(), capture_output=True, timeout=60, check=True)
    assert len(result.stdout.decode("utf-8").splitlines()) == 2
    assert b"exported 2 report(s)" in result.stderr


def test_export_names_a_missing_database(tmp_path, capsys):
    assert main(["export", "--db", f"sqlite:///{tmp_path / 'nothing.db'}"]) == 1
    assert "no database at sqlite:///" in capsys.readouterr().err
    assert not (tmp_path / "nothing.db").exists()  # exporting never creates an empty database


@pytest.mark.postgres
def test_export_names_an_unreachable_postgres_database_in_one_line(postgres_url, capsys):
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url).set(database="nonexist_db", password="s3cret")
    assert main(["export", "--db", url.render_as_string(hide_password=False)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("govcrawl export: cannot use database postgresql+psycopg://")
    assert "nonexist_db" in err and "s3cret" not in err and "***" in err
    assert 'database "nonexist_db" does not exist' in err


@pytest.mark.parametrize("url, cause", [("bogus://x", "Can't load plugin: sqlalchemy.dialects:bogus"),
                                        ("bogus://u:s3cret@h/db", "Can't load plugin"),
                                        ("not a url", "Could not parse SQLAlchemy URL")])
def test_export_names_an_unusable_database_url_in_one_line(url, cause, capsys):
    assert main(["export", "--db", url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "s3cret" not in err
    assert err.startswith("govcrawl export: cannot use database ") and cause in err


def test_export_console_entry_point_prints_no_traceback_for_a_bad_database():
    result = subprocess.run([sys.executable, "-m", "govcrawl.cli", "export", "--db", "bogus://x"],
                            cwd=REPO, env=crawl_env(), capture_output=True, timeout=60)
    assert result.returncode == 1 and result.stdout == b""
    assert result.stderr.decode().strip() == ("govcrawl export: cannot use database bogus://x: "
                                              "Can't load plugin: sqlalchemy.dialects:bogus")


def test_jsonl_compares_carried_over_with_the_same_agencys_previous_report(database_url, tmp_path):
    engine = make_engine(database_url)
    upgrade(engine)
    store = Store(engine)
    store.upsert_portals(load_registry(SEEDS / "portals").values())
    last_year = Report(url="http://www.jlcity.gov.cn/2018.html", title="吉林市科技局2018年政府信息公开工作年度报告",
                       agency="吉林市科技局", report_year=2018, generation="pre2019", is_report=True, text="……",
                       cells=[Cell("applications", "carried_forward", "total", 2, "2", "件")])
    store.write_pages([document("http://www.jlcity.gov.cn/2018.html", b"c", last_year),
                       document("http://www.jlcity.gov.cn/r.html", b"a", report_2019())])
    engine.dispose()
    out = tmp_path / "reports.jsonl"
    assert main(["export", "--db", database_url, "--out", str(out)]) == 0
    by_year = {r["report_year"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    (finding,) = [c for c in by_year[2019]["checks"] if c["rule"] == "applications.carried_over_vs_last_year"]
    assert finding == {"rule": "applications.carried_over_vs_last_year", "scope": "total", "status": "warn",
                       "detail": "上年结转 0 ≠ last year's 结转下年度 2"}
    assert not [c for c in by_year[2018]["checks"] if c["rule"] == "applications.carried_over_vs_last_year"]
