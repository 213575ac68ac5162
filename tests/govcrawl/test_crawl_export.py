"""`govcrawl export`: JSON Lines in extract-output.md's shape plus portal/region/fetched_at; long and wide CSV
and Parquet labelled from the data dictionary, with the checks' findings and the attachments."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from crawlkit import REPO, SEEDS, crawl_env, run_crawl
from test_crawl_store import FETCHED, document, report_2019

from extractors.model import Cell, Report
from govcrawl.cli import main
from govcrawl.db.engine import make_engine, upgrade
from govcrawl.db.store import Store
from govcrawl.registry import load_registry
from govcrawl.tabular import LONG_COLUMNS, wide_columns

EXTRACT_OUTPUT_KEYS = [key for key in Report().to_dict() if key != "path"]


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
        assert list(record) == [*EXTRACT_OUTPUT_KEYS, "portal", "region", "fetched_at", "withdrawn_at"]
        assert record["portal"] == "220200-szf" and record["fetched_at"] == FETCHED.isoformat() + "Z"
        assert record["region"] == "吉林省吉林市"
    report = next(r for r in records if r["report_year"] == 2019)
    assert report["published_date"] == "2020-01-14" and report["is_report"] is True
    cells = {(c["table"], c["row"], c["col"]): c for c in report["cells"]}
    assert cells[("applications", "new", "total")] == {"table": "applications", "row": "new", "col": "total",
                                                       "value": 3, "raw": "3", "unit": "件",
                                                       "document": "http://www.jlcity.gov.cn/r.html"}
    assert isinstance(cells[("applications", "new", "total")]["value"], int)
    assert cells[("active", "procurement", "procurement_amount")]["value"] == 25.1
    assert cells[("applications", "carried_forward", "natural_person")]["value"] is None
    assert report["checks"][0] == {"rule": "applications.balance", "scope": "total", "status": "fail",
                                   "detail": "3 + 0 ≠ 2 + 0"}
    assert report["sections"][1] == {"heading": "二、主动公开政府信息情况", "text": "见下表"}
    assert report["attachments"] == [{"url": "http://www.jlcity.gov.cn/a.pdf", "text": "附件：年报.pdf"}]
    assert "吉林市科技局" in out.read_text(encoding="utf-8")  # Chinese not escaped


def _csv_rows(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the Chinese
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_long_csv_is_one_row_per_cell_with_chinese_labels_and_findings(filled_database, tmp_path):
    out = tmp_path / "cells.csv"
    assert main(["export", "--db", filled_database, "--format", "csv", "--out", str(out)]) == 0
    header, *rows = _csv_rows(out)
    assert header == LONG_COLUMNS
    rows = [dict(zip(header, row, strict=True)) for row in rows]
    cell = next(r for r in rows if (r["table"], r["row"], r["col"]) == ("applications", "new", "total"))
    assert (cell["table_title"], cell["row_label"], cell["col_label"], cell["value"], cell["raw"]) == (
        "三、收到和处理政府信息公开申请情况", "本年新收政府信息公开申请数量", "总计", "3", "3")
    assert (cell["agency"], cell["report_year"], cell["region"], cell["portal"]) == (
        "吉林市科技局", "2019", "吉林省吉林市", "220200-szf")
    assert cell["checks_failed"] == "1" and "fail applications.balance [total]: 3 + 0 ≠ 2 + 0" in cell["findings"]
    assert cell["attachments"] == "附件：年报.pdf <http://www.jlcity.gov.cn/a.pdf>"
    money = next(r for r in rows if r["col"] == "procurement_amount")
    assert (money["value"], money["unit"], money["col_label"]) == ("25.1", "万元", "采购总金额")
    blank = next(r for r in rows if (r["row"], r["col"]) == ("carried_forward", "natural_person"))
    assert blank["value"] == "" and blank["row_label"] == "结转下年度继续办理"
    unitless = next(r for r in rows if (r["row"], r["col"]) == ("licensing", "items_change"))
    assert (unitless["value"], unitless["unit"]) == ("-18", "项")  # the dictionary's unit when the page gave none
    assert cell["warnings"] == "encoding guessed"
    legacy = [r for r in rows if r["report_year"] == "2014"]
    assert len(legacy) == 1 and legacy[0]["row_label"] == "主动公开政府信息数" and legacy[0]["value"] == "0"


def test_wide_csv_is_one_row_per_report_with_every_canonical_cell_and_a_label_row(filled_database, tmp_path):
    out = tmp_path / "reports.csv"
    assert main(["export", "--db", filled_database, "--format", "csv-wide", "--labels", "--out", str(out)]) == 0
    header, labels, *rows = _csv_rows(out)
    assert header == list(wide_columns()) and len(header) > 350
    named = dict(zip(header, labels, strict=True))
    assert named["agency"] == "机关"
    assert named["applications.new.total"].endswith("｜本年新收政府信息公开申请数量｜总计（件）")
    by_year = {row[header.index("report_year")]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_year["2019"]["applications.new.total"] == "3"
    assert by_year["2019"]["applications.carried_over.total"] == "0"
    assert by_year["2019"]["checks_failed"] == "1" and by_year["2019"]["title"].startswith("吉林市科技局")
    assert by_year["2014"]["legacy.active.total.value"] == "0" and by_year["2014"]["applications.new.total"] == ""


def test_parquet_is_the_typed_long_table(filled_database, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "cells.parquet"
    assert main(["export", "--db", filled_database, "--format", "parquet", "--out", str(out)]) == 0
    table = pq.read_table(out)
    assert table.column_names == LONG_COLUMNS
    assert str(table.schema.field("value").type) == "double" and str(table.schema.field("report_year").type) == "int32"
    rows = table.to_pylist()
    (new,) = [r for r in rows if (r["table"], r["row"], r["col"]) == ("applications", "new", "total")]
    assert new["value"] == 3 and new["row_label"] == "本年新收政府信息公开申请数量"
    assert main(["export", "--db", filled_database, "--format", "parquet"]) == 2  # needs --out


def test_the_seed_reports_prose_warning_is_visible_in_the_spreadsheets(tmp_path):
    database = f"sqlite:///{tmp_path / 'seeds.db'}"
    run_crawl(tmp_path, "-a", "replay=demo", "-s", f"DATABASE_URL={database}")
    for fmt in ("csv", "csv-wide"):
        out = tmp_path / f"{fmt}.csv"
        assert main(["export", "--db", database, "--format", fmt, "--out", str(out)]) == 0
        header, *rows = _csv_rows(out)
        (row,) = {r[header.index("url")]: dict(zip(header, r, strict=True)) for r in rows
                  if r[header.index("url")].endswith("t20150120_1129.html")}.values()
        assert row["checks_warned"] == "1", fmt
        assert row["findings"] == ("warn prose_vs_table [legacy.active.total.value]: prose '共公开政府信息总数为427条' "
                                   "says 427, the table says 0"), fmt


def test_export_to_stdout_via_the_console_entry_point(filled_database):
    result = subprocess.run([sys.executable, "-m", "govcrawl.cli", "export", "--db", filled_database],
                            cwd=REPO, env=crawl_env(), capture_output=True, timeout=60, check=True)
    assert len(result.stdout.decode("utf-8").splitlines()) == 2
    assert b"exported 2 report(s)" in result.stderr


def test_export_names_a_missing_database(tmp_path, capsys):
    assert main(["export", "--db", f"sqlite:///{tmp_path / 'nothing.db'}"]) == 2
    assert "no database at sqlite:///" in capsys.readouterr().err
    assert not (tmp_path / "nothing.db").exists()  # exporting never creates an empty database


@pytest.mark.postgres
def test_export_names_an_unreachable_postgres_database_in_one_line(postgres_url, capsys):
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url).set(database="nonexist_db", password="s3cret")  # noqa: S106 - must not be shown
    assert main(["export", "--db", url.render_as_string(hide_password=False)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("govcrawl export: cannot use database postgresql+psycopg://")
    assert "nonexist_db" in err and "s3cret" not in err and "***" in err
    assert 'database "nonexist_db" does not exist' in err


@pytest.mark.parametrize(("url", "cause"), [("bogus://x", "Can't load plugin: sqlalchemy.dialects:bogus"),
                                        ("bogus://u:s3cret@h/db", "Can't load plugin"),
                                        ("not a url", "Could not parse SQLAlchemy URL")])
def test_export_names_an_unusable_database_url_in_one_line(url, cause, capsys):
    assert main(["export", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "s3cret" not in err
    assert err.startswith("govcrawl export: cannot use database ") and cause in err


def test_export_console_entry_point_prints_no_traceback_for_a_bad_database():
    result = subprocess.run([sys.executable, "-m", "govcrawl.cli", "export", "--db", "bogus://x"],
                            cwd=REPO, env=crawl_env(), capture_output=True, timeout=60, check=False)
    assert result.returncode == 2 and result.stdout == b""
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
