"""`govcrawl browse`: the labelled views (migration 0006) on both databases, and Datasette answering real HTTP
requests with the dictionary's metadata, facets and canned queries."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import replace

import pytest
from crawlkit import SEEDS, crawl_env
from sqlalchemy import text
from test_crawl_store import document, report_2019

from extractors.model import Cell, Check
from govcrawl.browse import free_port
from govcrawl.cli import main
from govcrawl.db.engine import make_engine, upgrade
from govcrawl.db.store import Store
from govcrawl.registry import load_registry


def _fill(database_url: str) -> None:
    """Three reports of one agency: 2018 (carried 2 forward), 2019 (carried 0 over, a failed check, on time) and
    2020 (published 2021-02-15, after the 1-31 deadline of a department)."""
    engine = make_engine(database_url)
    upgrade(engine)
    store = Store(engine)
    store.upsert_portals(load_registry(SEEDS / "portals").values())
    base = report_2019()
    last_year = replace(base, url="http://www.jlcity.gov.cn/2018.html", report_year=2018, published_date="2019-03-20",
                        generation="pre2019", cells=[Cell("applications", "carried_forward", "total", 2, "2", "件")],
                        checks=[], attachments=[], sections=[])
    late = replace(base, url="http://www.jlcity.gov.cn/2020.html", report_year=2020, published_date="2021-02-15",
                   checks=[Check("appeals.sum", "review", "pass", "0 = 0 + 0 + 0 + 0")], attachments=[], sections=[])
    store.write_pages([document(r.url, r.url.encode(), r) for r in (last_year, base, late)])
    engine.dispose()


def test_labelled_views_answer_plain_sql(database_url):
    _fill(database_url)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        overview = {row.report_year: row for row in conn.execute(text("SELECT * FROM reports_overview"))}
        cell = conn.execute(text(
            "SELECT agency, report_year, table_title, row_label, col_label, value, unit FROM cells_labelled "
            "WHERE report_year = 2019 AND table_name = 'applications' AND row_key = 'new' AND col_key = 'total'")).one()
    engine.dispose()
    assert tuple(cell) == ("吉林市科技局", 2019, "三、收到和处理政府信息公开申请情况", "本年新收政府信息公开申请数量",
                           "总计", 3, "件")
    assert (overview[2019].check_status, overview[2019].checks_failed, overview[2019].published_late) == ("fail", 1, 0)
    assert (overview[2020].check_status, overview[2020].published_late) == ("pass", 1)
    assert str(overview[2020].deadline) == "2021-01-31" and overview[2020].organ_kind == "department"
    assert str(overview[2018].deadline) == "2019-03-31" and overview[2018].published_late == 0  # old 条例: 3-31
    assert overview[2019].region == "吉林省吉林市"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test's own http:// URLs
        return response.read()


def test_browse_serves_the_database_in_datasette_with_dictionary_metadata(tmp_path):
    db = tmp_path / "govcrawl.db"
    _fill(f"sqlite:///{db}")
    port = free_port("127.0.0.1")
    server = subprocess.Popen([sys.executable, "-m", "govcrawl.cli", "browse", "--db", f"sqlite:///{db}",
                               "--port", str(port)], cwd=tmp_path, env=crawl_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/govcrawl"
    try:
        for _ in range(300):  # until Datasette listens (bounded)
            try:
                _get(f"http://127.0.0.1:{port}/-/versions.json")
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None:
                    pytest.fail(f"browse exited: {server.stderr.read().decode()}")
                with contextlib.suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=0.1)  # a pause that also notices the server exiting
        else:
            pytest.fail("Datasette did not start")
        late = json.loads(_get(f"{base}/published_late.json?_shape=array"))
        assert [(r["agency"], r["report_year"], r["deadline"]) for r in late] == [("吉林市科技局", 2020, "2021-01-31")]
        failing = json.loads(_get(f"{base}/failing_checks.json?_shape=array"))
        assert [(r["report_year"], r["rule"], r["detail"]) for r in failing] == [(2019, "applications.balance",
                                                                                  "3 + 0 ≠ 2 + 0")]
        carried = json.loads(_get(f"{base}/carried_over_vs_last_year.json?_shape=array"))
        assert [(r["report_year"], r["col_label"], r["carried_over"], r["last_years_carried_forward"])
                for r in carried] == [(2019, "总计", 0, 2)]
        cells = json.loads(_get(f"{base}/cells_labelled.json?_shape=array&row_key=new&report_year=2019"))
        assert {(c["row_label"], c["col_label"], c["value"]) for c in cells} == {
            ("本年新收政府信息公开申请数量", "总计", 3)}
        assert type(cells[0]["value"]) is int  # 3, not 3.0: the cell's own integer-ness
        assert cells[0]["document_url"] == "http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/202001/t20200114_687214.html"
        page = _get(f"{base}/reports_overview").decode()
        for facet in ("region", "report_year", "generation", "check_status"):
            assert f'id="facet-{facet}" data-column="{facet}"' in page, facet
        assert "吉林省吉林市" in page and "published after the legal deadline" in page
        table = _get(f"{base}/cells_labelled").decode()
        assert "the data dictionary&#39;s Chinese labels" in table or "data dictionary's Chinese labels" in table
        metadata = json.loads(_get(f"http://127.0.0.1:{port}/-/metadata.json"))
        columns = metadata["databases"]["govcrawl"]["tables"]["reports"]["columns"]
        assert columns["report_year"].startswith("the year the report covers")
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()
        server.stderr.close()


def test_browse_refuses_postgresql_in_one_line(capsys):
    assert main(["browse", "--db", "postgresql+psycopg://user:s3cret@db.example/govcrawl"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "s3cret" not in err
    assert "Datasette reads SQLite files only" in err and "govcrawl export" in err


def test_browse_names_a_missing_database(tmp_path, capsys):
    assert main(["browse", "--db", f"sqlite:///{tmp_path / 'none.db'}"]) == 2
    assert "no database at sqlite:///" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


LATER_MIGRATION = '''"""A later migration that rebuilds the tables the views read, as SQLite batch mode does for most changes."""
import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    for table in ("reports", "report_cells"):
        with op.batch_alter_table(table, recreate=recreate) as batch:
            batch.add_column(sa.Column("later", sa.String(16)))


def downgrade():
    pass
'''  # noqa: E501 - a migration file's text


def test_a_later_migration_can_rebuild_the_tables_the_views_read(database_url, tmp_path, monkeypatch):
    import shutil

    from alembic.script import ScriptDirectory

    import govcrawl.db.engine as db_engine

    _fill(database_url)
    migrations = tmp_path / "migrations"
    shutil.copytree(db_engine.MIGRATIONS_DIR, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    head = ScriptDirectory.from_config(db_engine.alembic_config()).get_current_head()
    (migrations / "versions" / "9999_later.py").write_text(LATER_MIGRATION.replace("{head}", head), encoding="utf-8")
    monkeypatch.setattr(db_engine, "MIGRATIONS_DIR", migrations)  # the shipped migrations plus one more
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM cells_labelled WHERE row_label IS NOT NULL")).scalar_one() > 0
        assert conn.execute(text("SELECT count(*) FROM reports_overview")).scalar_one() == 3
    engine.dispose()
