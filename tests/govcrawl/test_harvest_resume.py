"""A harvest stopped mid-run (killed with `kill -9`, or stopped gracefully) and started again ends with the
rows of an uninterrupted night, fetches nothing twice, and leaves WARC files that read to their end."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter

import pytest
from harvestkit import Site, harvest_command, query, row_counts, run_harvest

from govcrawl.archive.warc import (
    ArchiveIndex,
    iter_responses,
    read_response,
    warc_files,
)
from govcrawl.items import WarcLocation

STORED = "select p.url, p.content_hash, p.status from pages p where p.kind != 'list' and p.error is null"
VERSIONS = "select p.url, r.result_hash, r.is_current from reports r join pages p on p.id = r.page_id"


@pytest.fixture(scope="module")
def reference_db(tmp_path_factory) -> str:
    """The database of an uninterrupted night."""
    base = tmp_path_factory.mktemp("reference")
    site = Site(base / "site")
    try:
        database_url = f"sqlite:///{base / 'reference.db'}"
        result = run_harvest(base, site, database_url)
        assert result.returncode == 0, result.stderr[-3000:]
    finally:
        site.stop()
    return database_url


def _interrupt(tmp_path, reference_db: str, stop) -> tuple[Site, str, int, str]:
    """Start a slow night, let it store a few pages, then `stop` it while the document that links the PDF
    report is still being answered; returns the site, the database, the exit status and the output."""
    site = Site(tmp_path / "site", delay=0.2, slow={"t20210125_780413.html": 8.0})
    database_url = f"sqlite:///{tmp_path / 'govcrawl.db'}"
    # rows are written page by page, so the stop finds some stored and some not
    process = subprocess.Popen(**harvest_command(tmp_path / "night", site, database_url,
                                                 "-s", "GOVCRAWL_DB_BATCH_SIZE=1"),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        for _ in range(600):  # at most 60 s
            time.sleep(0.1)
            if (tmp_path / "govcrawl.db").exists() and _stored(database_url) >= 3:
                break
        stop(process)
        out, _ = process.communicate(timeout=120)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        site.stop()
        raise
    stopped_at = _stored(database_url)
    assert 3 <= stopped_at < len(query(reference_db, STORED)), "the stop did not land mid-run"
    return site, database_url, process.returncode, out


def _assert_same_night(tmp_path, database_url: str, reference_db: str) -> None:
    assert set(query(database_url, STORED)) == set(query(reference_db, STORED))
    assert set(query(database_url, VERSIONS)) == set(query(reference_db, VERSIONS))
    counts, expected = row_counts(database_url), row_counts(reference_db)
    assert {k: counts[k] for k in counts if k != "pages"} == {k: expected[k] for k in expected if k != "pages"}
    # every WARC file reads to its end, every stored page's record is there, and no page (beyond the list
    # pages, asked again when a night starts again) was fetched and archived twice
    files = warc_files(tmp_path / "night" / "data" / "archive")
    index = ArchiveIndex(files)
    assert index.truncated == []
    index.close()
    lists = {url for (url,) in query(database_url, "select url from pages where kind = 'list'")}
    fetched = Counter(r.url for path in files for r in iter_responses(path))
    assert {url for url, n in fetched.items() if n > 1 and url not in lists and not url.endswith("robots.txt")} == set()
    for file, offset, length, record_id, url in query(
            database_url, "select warc_file, warc_offset, warc_length, warc_record_id, url from pages "
                          "where warc_file is not null"):
        assert read_response(WarcLocation(file, offset, length, record_id)).url == url


def test_a_harvest_killed_mid_run_resumes_to_the_same_rows(tmp_path, reference_db):
    # the whole process group, extraction workers included, as `systemctl kill -s KILL` does
    site, database_url, _, _ = _interrupt(tmp_path, reference_db, lambda p: os.killpg(p.pid, signal.SIGKILL))
    try:
        assert query(database_url, "select finished_at from crawl_runs") == [(None,)]
        # as if the kill had landed while a record was being written
        last = warc_files(tmp_path / "night" / "data" / "archive")[-1]
        first_record = next(iter_responses(last)).location
        with open(last, "rb") as fh:
            fh.seek(first_record.offset)
            partial = fh.read(first_record.length // 2)
        with open(last, "ab") as fh:
            fh.write(partial)

        result = run_harvest(tmp_path / "night", site, database_url)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert "previous run of this night was killed" in result.stderr
        assert "cut off by the kill" in result.stderr
    finally:
        site.stop()
    _assert_same_night(tmp_path, database_url, reference_db)


def test_a_harvest_stopped_gracefully_resumes_from_its_jobdir(tmp_path, reference_db):
    site, database_url, status, out = _interrupt(tmp_path, reference_db, lambda p: p.send_signal(signal.SIGINT))
    try:
        assert status == 1 and "finish reason shutdown" in out
        jobs = list((tmp_path / "night" / "data" / "jobs").iterdir())
        assert len(jobs) == 1 and (jobs[0] / "spider.state").is_file()

        result = run_harvest(tmp_path / "night", site, database_url)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert "killed" not in result.stderr
        assert not any((tmp_path / "night" / "data" / "jobs").iterdir())  # finished: the job state is gone
    finally:
        site.stop()
    _assert_same_night(tmp_path, database_url, reference_db)


def _stored(database_url: str) -> int:
    try:
        return len(query(database_url, STORED))
    except Exception:  # noqa: BLE001 - the database is being created
        return 0
