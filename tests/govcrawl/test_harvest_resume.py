"""A harvest killed with `kill -9` and started again ends with the rows of an uninterrupted night, and its
WARC files stay readable."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter

from harvestkit import Site, harvest_command, query, row_counts, run_harvest

from govcrawl.archive.warc import (
    ArchiveIndex,
    iter_responses,
    read_response,
    warc_files,
)
from govcrawl.items import WarcLocation

STORED = ("select p.url, p.content_hash, p.status from pages p where p.kind != 'list' and p.error is null")
VERSIONS = "select p.url, r.result_hash, r.is_current from reports r join pages p on p.id = r.page_id"


def _night_files(workdir):
    return warc_files(workdir / "data" / "archive")


def test_a_harvest_killed_mid_run_resumes_to_the_same_rows(tmp_path):
    reference = Site(tmp_path / "site-ref")
    try:
        reference_db = f"sqlite:///{tmp_path / 'reference.db'}"
        result = run_harvest(tmp_path / "reference", reference, reference_db)
        assert result.returncode == 0, result.stderr[-3000:]
    finally:
        reference.stop()

    site = Site(tmp_path / "site", delay=0.3)
    try:
        database_url = f"sqlite:///{tmp_path / 'govcrawl.db'}"
        night = tmp_path / "night"
        # rows are written page by page, so the kill finds some stored and some not
        process = subprocess.Popen(**harvest_command(night, site, database_url, "-s", "GOVCRAWL_DB_BATCH_SIZE=1",
                                                     "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            for _ in range(600):  # at most 60 s
                time.sleep(0.1)
                if (tmp_path / "govcrawl.db").exists() and _stored(database_url) >= 3:
                    break
            # the whole process group, extraction workers included, as `systemctl kill -s KILL` does
            os.killpg(process.pid, signal.SIGKILL)
        finally:
            process.wait(timeout=30)
        killed_at = _stored(database_url)
        assert 3 <= killed_at < len(query(reference_db, STORED)), "the kill did not land mid-run"
        assert query(database_url, "select finished_at from crawl_runs") == [(None,)]
        # as if the kill had landed while a record was being written
        last = _night_files(night)[-1]
        first_record = next(iter_responses(last)).location
        with open(last, "rb") as fh:
            fh.seek(first_record.offset)
            partial = fh.read(first_record.length // 2)
        with open(last, "ab") as fh:
            fh.write(partial)

        result = run_harvest(night, site, database_url)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert "previous run of this night was killed" in result.stderr
        assert "cut off by the kill" in result.stderr
    finally:
        site.stop()

    assert set(query(database_url, STORED)) == set(query(reference_db, STORED))
    assert set(query(database_url, VERSIONS)) == set(query(reference_db, VERSIONS))
    counts, expected = row_counts(database_url), row_counts(reference_db)
    assert {k: counts[k] for k in counts if k != "pages"} == {k: expected[k] for k in expected if k != "pages"}
    # every WARC file reads to its end, and every stored page's record is there
    files = _night_files(night)
    lists = {url for (url,) in query(database_url, "select url from pages where kind = 'list'")}
    index = ArchiveIndex(files)
    assert index.truncated == []
    index.close()
    # a page stored before the kill was not fetched (nor archived) again
    fetched = Counter(r.url for path in files for r in iter_responses(path))
    twice = {url for url, n in fetched.items() if n > 1 and url not in lists and not url.endswith("robots.txt")}
    assert twice == set()
    for file, offset, length, record_id, url in query(
            database_url, "select warc_file, warc_offset, warc_length, warc_record_id, url from pages "
                          "where warc_file is not null"):
        assert read_response(WarcLocation(file, offset, length, record_id)).url == url


def _stored(database_url: str) -> int:
    try:
        return len(query(database_url, STORED))
    except Exception:
        return 0
