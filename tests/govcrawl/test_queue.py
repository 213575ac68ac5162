"""Distributed harvest on the task queue (Celery + Redis) into one PostgreSQL database, with real `govcrawl
worker` subprocesses crawling the seed site served locally."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from harvestkit import query, row_counts, run_harvest
from queuekit import (
    LoggedSite,
    crawl_children,
    fresh_queue,
    queue_env,
    queued_harvest,
    queued_harvest_command,
    start_worker,
    stop_worker,
    worker_log,
)

pytestmark = pytest.mark.postgres
HOST_LIMIT = 2  # CONCURRENT_REQUESTS_PER_DOMAIN of govcrawl/settings.py

ELHT_LIST = "http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/"
ELHT_REPORT = "http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/201503/t20150318_1290521.html"
# A second portal on the elht host (a department's column on the county's platform).
BM_LIST = "http://www.elht.gov.cn/bm/xxgknb/"
BM_REPORT = "http://www.elht.gov.cn/bm/xxgknb/201503/t20150318_1290521.html"
BM_ENTRY = """id = "152501-bm"
name = "二连浩特市某部门 年度报告"
agency = "二连浩特市某部门"
region = "内蒙古自治区锡林郭勒盟二连浩特市"
platform = "generic"
columns = ["http://www.elht.gov.cn/bm/xxgknb/"]
allowed_hosts = ["www.elht.gov.cn"]
"""


@pytest.fixture
def queue():
    with fresh_queue() as fresh:
        yield fresh


@pytest.fixture
def registry(tmp_path):
    """The demo registry plus a portal sharing the elht host."""
    from crawlkit import SEEDS

    folder = tmp_path / "portals"
    folder.mkdir()
    for entry in (SEEDS / "portals").glob("*.toml"):
        (folder / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "152501-bm.toml").write_text(BM_ENTRY, encoding="utf-8")
    return str(folder)


def _shared_host_site(root, **kwargs) -> LoggedSite:
    site = LoggedSite(root, **kwargs)
    site.add(BM_LIST, copy_of=ELHT_LIST)
    site.add(BM_REPORT, copy_of=ELHT_REPORT)
    site.reload()
    return site


def _stable_rows(database_url: str) -> dict[str, list[tuple]]:
    """What a harvest stored, without ids, run ids and times."""
    return {
        "pages": sorted(query(database_url, "select portal_id, kind, url, status, content_hash, error is null "
                                            "from pages")),
        "reports": sorted(query(database_url, "select p.url, r.title, r.report_year, r.is_current from reports r "
                                              "join pages p on p.id = r.page_id")),
        "cells": sorted(query(database_url, "select p.url, c.table_name, c.row_key, c.col_key, c.value "
                                            "from report_cells c join reports r on r.id = c.report_id "
                                            "join pages p on p.id = r.page_id")),
    }


def _ok(result) -> str:
    assert result.returncode == 0, f"exit {result.returncode}:\n{result.stdout}\n{result.stderr[-5000:]}"
    return result.stdout


def test_two_workers_crawl_every_portal_once_and_store_what_one_process_stores(tmp_path, queue, registry,
                                                                              postgres_url):
    from crawlkit import fresh_postgres_database

    site = _shared_host_site(tmp_path / "site", delay=0.05)
    workers = [start_worker(tmp_path, site, queue, postgres_url, name, registry=registry) for name in ("w1", "w2")]
    try:
        out = _ok(queued_harvest(tmp_path, site, queue, postgres_url, registry=registry))
    finally:
        for worker in workers:
            stop_worker(worker)
    portals = sorted(p.stem for p in (tmp_path / "portals").glob("*.toml"))
    assert len(portals) == 8
    # one run per portal, all of the batch, spread over both workers
    runs = query(postgres_url, "select batch, worker, portal_ids, finish_reason from crawl_runs")
    assert sorted(json.loads(ids)[0] if isinstance(ids, str) else ids[0] for *_, ids, _ in runs) == portals
    assert len({batch for batch, *_ in runs}) == 1 and all(reason == "finished" for *_, reason in runs)
    assert {worker for _, worker, *_ in runs} == {"w1", "w2"}, worker_log(tmp_path, "w1")[-3000:]
    # every page fetched once: no URL of a column or report twice
    fetched = [path for _, path, *_ in site.log if not path.endswith("robots.txt")]
    assert len(fetched) == len(set(fetched))
    assert "harvest succeeded" in out and "152501-bm" in out and "total" in out
    # the two portals on the elht host were never crawled at the same time (robots.txt is both crawls')
    spans = {"bm": [], "szf": []}
    for host, path, start, end in site.log:
        if host == "www.elht.gov.cn" and not path.endswith("robots.txt"):
            spans["bm" if "/bm/" in path else "szf"].append((start, end))
    (bm_start, bm_end), (szf_start, szf_end) = ((min(s for s, _ in spans[k]), max(e for _, e in spans[k]))
                                                for k in ("bm", "szf"))
    assert bm_end <= szf_start or szf_end <= bm_start, spans
    # and no host ever had more requests in flight than one process allows
    assert max(site.max_concurrency().values()) <= HOST_LIMIT
    # archives per batch and worker; reextract reads the whole tree: every stored page is in it, none changed
    batch = runs[0][0]
    assert {p.name for p in (tmp_path / "data" / "archive" / batch).iterdir()} == {"w1", "w2"}
    reextracted = subprocess.run([sys.executable, "-W", "error", "-m", "govcrawl.cli", "reextract",
                                  "--db", postgres_url, "--archive", str(tmp_path / "data" / "archive"),
                                  "--workers", "1"],
                                 capture_output=True, text=True, check=False)
    assert reextracted.returncode == 0, reextracted.stderr[-3000:]
    assert ": 0 new version(s)," in reextracted.stdout and ", 0 not in the archive, 0 failed" in reextracted.stdout

    # the same night in one process, into another database: the same rows
    site.reload()
    with fresh_postgres_database() as single_url:
        single = run_harvest(tmp_path / "single", site, single_url, "--registry", registry)
        assert single.returncode == 0, single.stdout + single.stderr[-3000:]
        assert row_counts(single_url) == row_counts(postgres_url)
        assert _stable_rows(single_url) == _stable_rows(postgres_url)


LINQU_FILE = "P020230119385216704223.docx"


def test_a_worker_killed_in_the_middle_of_a_portal_has_it_finished_by_another(tmp_path, queue, postgres_url):
    site = LoggedSite(tmp_path / "site", slow={LINQU_FILE: 4})
    first = start_worker(tmp_path, site, queue, postgres_url, "w1")
    harvest = subprocess.Popen([*queued_harvest_command(queue, postgres_url, "--portal", "370724-xzf")],
                               cwd=tmp_path, env=queue_env(site, queue), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    second = None
    try:
        deadline = time.monotonic() + 90
        while not any(p.endswith(LINQU_FILE) for p in site.started):  # the list and the report are fetched
            assert time.monotonic() < deadline and first.poll() is None, worker_log(tmp_path, "w1")[-3000:]
            time.sleep(0.1)
        assert crawl_children("w1")
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        deadline = time.monotonic() + 10
        while crawl_children("w1"):  # the crawl dies with its worker: nothing crawls on without a lock
            assert time.monotonic() < deadline, "the killed worker's crawl is still running"
            time.sleep(0.1)
        second = start_worker(tmp_path, site, queue, postgres_url, "w2")
        out, err = harvest.communicate(timeout=150)
    finally:
        for worker in (first, second):
            if worker is not None:
                stop_worker(worker)
        if harvest.poll() is None:
            harvest.kill()
            harvest.communicate()
    assert harvest.returncode == 0, out + err[-3000:]
    assert "harvest succeeded" in out and "370724-xzf" in out
    runs = query(postgres_url, "select worker, finish_reason from crawl_runs order by id")
    assert runs == [("w1", None), ("w2", "finished")]
    # finished by w2: the report page and its attached file, each one report, once
    reports = query(postgres_url, "select p.url, count(*) from reports r join pages p on p.id = r.page_id "
                                  "group by p.url order by p.url")
    assert [(url.rsplit("/", 1)[1], n) for url, n in reports] == [(LINQU_FILE, 1), ("t20230120_6152847.html", 1)]
    assert query(postgres_url, "select count(*) from report_cells")[0][0] > 50
    assert sum(p.endswith(LINQU_FILE) for p in site.started) == 2  # w1's cut short, w2's whole

    # w1's crawl left its folder marked; started again, w1 repairs its WARC files before taking work
    from govcrawl.archive.warc import ArchiveIndex, warc_files

    (killed,) = (tmp_path / "data" / "archive").glob("*/w1/370724-xzf")
    assert (killed / ".crawling").exists() and warc_files(killed)
    again = start_worker(tmp_path, site, queue, postgres_url, "w1")
    try:
        deadline = time.monotonic() + 60
        while " ready." not in worker_log(tmp_path, "w1"):
            assert time.monotonic() < deadline and again.poll() is None, worker_log(tmp_path, "w1")[-3000:]
            time.sleep(0.2)
    finally:
        stop_worker(again)
    assert not (killed / ".crawling").exists()
    index = ArchiveIndex(warc_files(tmp_path / "data" / "archive"))
    assert not index.truncated and len(index) > 0
    index.close()


def test_a_portal_no_worker_can_crawl_fails_the_batch_and_one_never_taken_is_lost(tmp_path, queue, registry,
                                                                                 postgres_url):
    site = LoggedSite(tmp_path / "site")
    # nobody takes the queue: the portal is lost when the wait ends
    lost = queued_harvest(tmp_path, site, queue, postgres_url, "--portal", "152501-szf", timeout=35)
    assert lost.returncode == 1, lost.stdout + lost.stderr[-3000:]
    assert "LOST: no worker finished 152501-szf" in lost.stdout and "harvest FAILED" in lost.stdout
    # a worker whose registry lacks the portal says so, and the batch fails naming it (the lost portal stays
    # queued: this worker crawls it too)
    worker = start_worker(tmp_path, site, queue, postgres_url, "w1")  # the demo registry: no 152501-bm
    try:
        result = queued_harvest(tmp_path, site, queue, postgres_url, "--portal", "152501-bm", registry=registry)
    finally:
        stop_worker(worker)
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert ("portal 152501-bm FAILED on w1: portal '152501-bm' is not in this worker's registry"
            in result.stdout), result.stdout
    assert not [path for _, path, *_ in site.log if "/bm/" in path]
