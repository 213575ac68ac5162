"""`govcrawl reextract`: the current extractor over archived pages, new versions only where the result
changed."""

from __future__ import annotations

import shutil
import subprocess
import sys

from crawlkit import SEEDS, run_crawl
from harvestkit import query

ELHT_REPORT = "http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/201503/t20150318_1290521.html"


def _reextract(database_url: str, *args: str) -> str:
    result = subprocess.run([sys.executable, "-W", "error", "-m", "govcrawl.cli", "reextract", "--db", database_url,
                             "--workers", "2", *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stdout + result.stderr
    return result.stdout


def _versions(database_url: str, url: str) -> list[tuple]:
    return query(database_url, "select r.title, r.is_current, r.extractor_version from reports r join pages p "
                               "on p.id = r.page_id where p.url = :u order by r.id", u=url)


def test_reextract_stores_new_versions_only_where_the_result_changed(tmp_path, database_url):
    run_crawl(tmp_path, "-a", f"replay={SEEDS}", "-s", f"DATABASE_URL={database_url}")
    reports = query(database_url, "select count(*) from reports")[0][0]
    cells = query(database_url, "select count(*) from report_cells")[0][0]

    out = _reextract(database_url)
    # every report as stored, the attachment-only page (a report by the crawl's judgement) included
    assert " unchanged, 0 no longer taken for a report" in out, out
    assert "0 new version(s)" in out and "0 failed" in out and "0 not in the archive" in out
    assert query(database_url, "select count(*) from reports")[0][0] == reports

    # One report as an older extractor read it (another title): the current extractor's result differs.
    title = _versions(database_url, ELHT_REPORT)[0][0]
    query_update = ("update reports set title = '旧版提取的标题', extractor_version = '0.9', result_hash = 'older' "
                    "where page_id in (select id from pages where url = :u)")
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(query_update), {"u": ELHT_REPORT})
    engine.dispose()

    out = _reextract(database_url)

    assert "1 new version(s)" in out
    assert [(t, bool(c), v) for t, c, v in _versions(database_url, ELHT_REPORT)] == [
        ("旧版提取的标题", False, "0.9"), (title, True, "1.0")]
    assert query(database_url, "select count(*) from reports")[0][0] == reports + 1
    assert query(database_url, "select count(*) from reports where is_current")[0][0] == reports
    new_cells = query(database_url, "select count(*) from report_cells")[0][0]
    assert new_cells >= cells  # the old version keeps its cells; the new one has its own
    assert "0 new version(s)" in _reextract(database_url)  # nothing changed since


def test_reextract_reads_a_moved_archive_and_one_portal(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'govcrawl.db'}"
    run_crawl(tmp_path, "-a", f"replay={SEEDS}", "-s", f"DATABASE_URL={database_url}")
    moved = tmp_path / "moved"
    shutil.copytree(SEEDS / "archive", moved)

    out = _reextract(database_url, "--archive", str(moved), "--portal", "152501-szf")
    assert out.startswith("reextract: 1 page(s)") and "1 unchanged" in out and "0 not in the archive" in out

    (tmp_path / "empty").mkdir()
    result = subprocess.run([sys.executable, "-W", "error", "-m", "govcrawl.cli", "reextract", "--db", database_url,
                             "--archive", str(tmp_path / "empty")], capture_output=True, text=True, check=False)
    # an archive folder with nothing to read is a configuration mistake: one line, exit 2 (README: the CLI)
    assert result.returncode == 2 and f"{tmp_path / 'empty'}: no WARC files" in result.stderr
