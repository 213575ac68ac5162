"""A database that goes away mid-run loses nothing: writes wait it out; a longer outage spools the pages, and
the next run writes them before crawling; pages neither stored nor spooled make the crawl exit non-zero."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from typing import Self

import pytest
from crawlkit import REPO, crawl_env
from dbstate import snapshot
from seedfacts import SEED_REPORTS, assert_seed_reports_stored
from sqlalchemy import select
from tcpproxy import CuttableProxy

from govcrawl.db import models as m
from govcrawl.db.engine import make_engine
from govcrawl.db.spool import Spool

FAST_RETRY = ("-s", "GOVCRAWL_DB_RETRY_BACKOFF_BASE=0.2", "-s", "GOVCRAWL_DB_RETRY_BACKOFF_MAX=1")


def replay(cwd, database_url: str, *settings: str) -> subprocess.CompletedProcess:
    """The documented replay of the seeds with the crawl's exit status and log (not failing on errors)."""
    command = [sys.executable, "-W", "error", "-m", "scrapy", "crawl", "portals", "-a", f"replay={REPO / 'seeds'}",
               "-s", f"DATABASE_URL={database_url}", "-s", f"GOVCRAWL_SPOOL_DIR={cwd / 'spool'}", *FAST_RETRY,
               *settings]
    return subprocess.run(command, cwd=cwd, env=crawl_env(), capture_output=True, text=True, timeout=300,
                          check=False)


def stored_runs(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        runs = dict(conn.execute(select(m.Page.url, m.Page.run_id)).all())
    engine.dispose()
    return runs


@pytest.mark.postgres
def test_postgresql_cut_for_seconds_mid_run_loses_no_report(postgres_url, tmp_path):
    # The line is cut when the crawl sends its first page: that write dies mid-transaction, and every
    # connection attempt for the next 6 s is refused.
    proxy = CuttableProxy(5432, cut_on=b"INSERT INTO pages", cut_seconds=6).start()
    try:
        result = replay(tmp_path, proxy.url(postgres_url), "-s", "GOVCRAWL_DB_BATCH_SIZE=1")
    finally:
        proxy.stop()
    assert proxy.cut_at is not None and proxy.refused > 0, "the outage did not happen during the run"
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Database unavailable while writing 1 page(s)" in result.stderr
    assert "spooled to" not in result.stderr and "NOT stored" not in result.stderr
    assert "page(s) LOST" not in result.stderr  # the summary names lost pages (the stats are not dumped)
    assert_seed_reports_stored(snapshot(postgres_url))
    assert Spool(tmp_path / "spool", proxy.url(postgres_url)).files() == []


@pytest.mark.postgres
def test_a_longer_outage_spools_the_pages_and_the_next_run_writes_them_first(postgres_url, tmp_path):
    # The outage outlasts the 2 s the crawl is allowed to wait; every page is a batch of its own.
    proxy = CuttableProxy(5432, cut_on=b"INSERT INTO pages", cut_seconds=float("inf")).start()
    try:
        url = proxy.url(postgres_url)
        first = replay(tmp_path, url, "-s", "GOVCRAWL_DB_RETRY_SECONDS=2", "-s", "GOVCRAWL_DB_BATCH_SIZE=1")
        proxy.restore()
        assert proxy.cut_at is not None
        assert first.returncode == 0, first.stderr[-4000:]  # nothing lost: the pages are on disk
        assert "page(s) are spooled in" in first.stderr
        # only the first batch waited for the database; the others were spooled at once
        assert first.stderr.count("Database unavailable while writing 1 page(s) (attempt 1,") == 1
        assert first.stderr.count("1 page(s) spooled to") > 10
        spooled = Spool(tmp_path / "spool", url).files()
        assert len(spooled) == 1 and snapshot(postgres_url)["counts"]["pages"] == 0

        second = replay(tmp_path, url, "-a", "portal=152501-szf")  # another portal: only the spool has the rest
    finally:
        proxy.stop()
    assert second.returncode == 0, second.stderr[-4000:]
    assert "spooled by an earlier run" in second.stderr
    assert Spool(tmp_path / "spool", url).files() == []
    assert_seed_reports_stored(snapshot(postgres_url))
    runs = stored_runs(postgres_url)
    assert {runs[report] for report in SEED_REPORTS} == {1}  # written from the spool, as the first run's pages


class SqliteLock:
    """Another process's write lock on the crawl's SQLite file, taken as soon as the crawl has started its run
    (its migrations done) and held for `seconds`."""

    def __init__(self, database, seconds: float) -> None:
        self.connection = sqlite3.connect(database, timeout=60, isolation_level=None, check_same_thread=False)
        self.seconds = seconds
        self.held = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        for _ in range(1200):  # at most a minute for the crawl to start
            try:
                if self.connection.execute("select count(*) from crawl_runs").fetchone()[0]:
                    break
            except sqlite3.OperationalError:
                pass  # not migrated yet
            time.sleep(0.05)
        self.connection.execute("BEGIN EXCLUSIVE")
        self.held.set()
        time.sleep(self.seconds)
        self.connection.execute("COMMIT")

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.thread.join()
        self.connection.close()


def test_pages_neither_stored_nor_spooled_fail_the_run(tmp_path):
    database = tmp_path / "govcrawl.db"
    (tmp_path / "not-a-folder").write_text("a file where the spool folder should be")
    with SqliteLock(database, seconds=12) as lock:
        result = replay(tmp_path, f"sqlite:///{database}", "-s", "GOVCRAWL_DB_RETRY_SECONDS=1",
                        "-s", f"GOVCRAWL_SPOOL_DIR={tmp_path / 'not-a-folder' / 'spool'}")
    assert lock.held.is_set()
    assert result.returncode == 1, result.stderr[-4000:]
    assert "database is locked" in result.stderr
    assert "page(s) NOT stored (neither in the database nor in the spool)" in result.stderr
    assert " page(s) LOST" in result.stderr  # in the summary's first line


def test_sqlite_locked_for_longer_than_its_busy_timeout_loses_no_report(tmp_path):
    database = tmp_path / "govcrawl.db"
    # longer than sqlite3's 5 s busy timeout: the crawl's write fails with "database is locked", and is retried
    with SqliteLock(database, seconds=8) as lock:
        result = replay(tmp_path, f"sqlite:///{database}", "-s", "GOVCRAWL_DB_BATCH_SIZE=1")
    assert lock.held.is_set()
    assert result.returncode == 0, result.stderr[-4000:]
    assert "database is locked" in result.stderr
    assert_seed_reports_stored(snapshot(f"sqlite:///{database}"))


def test_an_unreadable_spool_file_is_set_aside_and_does_not_block_the_crawl(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'govcrawl.db'}"
    spool = Spool(tmp_path / "spool", database_url)
    spool.folder.mkdir(parents=True)
    garbage = spool.folder / "run-1-1.spool"
    garbage.write_bytes(len(b"not a pickle").to_bytes(8, "big") + b"not a pickle")
    result = replay(tmp_path, database_url)
    assert result.returncode == 0, result.stderr[-4000:]
    assert f"Spool file {garbage} cannot be read; moved to {garbage.with_suffix('.unreadable')}" in result.stderr
    assert not garbage.exists() and garbage.with_suffix(".unreadable").exists()
    assert_seed_reports_stored(snapshot(database_url))
