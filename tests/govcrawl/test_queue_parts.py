"""The queue's parts against the real Redis and PostgreSQL: the host lock, two processes storing the same
reports at once, and how the Redis tests behave on a machine without Redis."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time

import pytest
from crawlkit import REPO
from queuekit import fresh_queue


@pytest.fixture
def client():
    import redis

    with fresh_queue() as queue:
        connection = redis.Redis.from_url(queue.url)
        connection.test_prefix = queue.prefix
        yield connection
        connection.close()


def _lock(client, hosts, ttl=5.0, owner="test"):
    from govcrawl.queue.hostlock import HostLock

    return HostLock(client, client.test_prefix, hosts, ttl, owner)


def test_a_portal_takes_all_its_hosts_or_none(client):
    first = _lock(client, ["www.a.gov.cn", "www.b.gov.cn"], owner="first")
    assert first.acquire() is None
    # overlapping on one host: refused, naming the holder, and holding nothing (no deadlock possible)
    second = _lock(client, ["www.c.gov.cn", "WWW.B.GOV.CN"], owner="second")
    holder = second.acquire()
    assert holder is not None and '"owner": "first"' in holder
    assert not second.held and client.get(f"{client.test_prefix}host:www.c.gov.cn") is None
    # a disjoint portal runs at once
    third = _lock(client, ["www.c.gov.cn"])
    assert third.acquire() is None
    third.release()
    first.release()
    assert second.acquire() is None
    second.release()
    assert list(client.scan_iter(match=f"{client.test_prefix}host:*")) == []


def test_only_the_holder_renews_or_releases_and_a_dead_holders_lock_expires(client):
    holder = _lock(client, ["www.a.gov.cn"], ttl=0.5)
    assert holder.acquire() is None
    other = _lock(client, ["www.a.gov.cn"], ttl=0.5)
    assert other.acquire() is not None
    other.held = True
    other.release()  # not its token: nothing happens
    assert holder.renew()
    # the holder stops renewing (it died): the lock is free after its TTL, and the old holder cannot renew
    deadline = time.monotonic() + 5
    while other.acquire() is not None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert not holder.renew()
    holder.release()  # the old holder's release leaves the new holder's lock alone
    assert client.get(f"{client.test_prefix}host:www.a.gov.cn").decode() == other.token


def _store_reports(database_url: str, barrier, count: int, reverse: bool) -> None:  # noqa: FBT001 - Process args
    from test_crawl_store import document, report_2019

    from govcrawl.db.engine import make_engine
    from govcrawl.db.outage import RetryPolicy
    from govcrawl.db.store import Store

    engine = make_engine(database_url)
    store = Store(engine)
    pages = [document(f"http://www.jlcity.gov.cn/r{i}.html", f"<html>{i}</html>".encode(), report_2019())
             for i in range(count)]
    if reverse:
        pages.reverse()
    barrier.wait()
    # What the store pipeline does: batches of pages, a deadlock or other transient error retried.
    retry = RetryPolicy(60, 0.1, 1)
    for start in range(0, count, 5):
        retry.call(lambda batch=pages[start:start + 5]: store.write_pages(batch), "writing")
    engine.dispose()


def test_two_processes_storing_the_same_reports_at_once_store_each_once(postgres_url):
    from crawlkit import SEEDS

    from govcrawl.db.engine import make_engine, upgrade
    from govcrawl.db.store import Store
    from govcrawl.registry import load_registry

    engine = make_engine(postgres_url)
    upgrade(engine)
    Store(engine).upsert_portals(load_registry(SEEDS / "portals").values())
    engine.dispose()
    count = 40
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    workers = [context.Process(target=_store_reports, args=(postgres_url, barrier, count, reverse))
               for reverse in (False, False, True, True)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    from harvestkit import query

    assert query(postgres_url, "select count(*), count(distinct url) from pages") == [(count, count)]
    assert query(postgres_url, "select count(*), count(distinct page_id) from reports") == [(count, count)]
    assert query(postgres_url, "select count(*) from report_cells")[0][0] == count * 5
    assert query(postgres_url, "select count(*) from check_results")[0][0] == count * 2
    assert query(postgres_url, "select count(*) from reports where is_current")[0][0] == count


@pytest.mark.parametrize("ci", [None, "true"])
def test_without_redis_the_queue_tests_skip_with_the_reason_unless_ci(ci):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["GOVCRAWL_TEST_REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    if ci:
        env["CI"] = ci
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-W", "error", "-rsf", "-p", "no:cacheprovider",
         "tests/govcrawl/test_queue_parts.py::test_a_portal_takes_all_its_hosts_or_none"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    if ci:
        assert result.returncode == 1 and "1 error" in result.stdout, result.stdout[-3000:]
        assert "CI=true requires Redis: Redis is not reachable at redis://127.0.0.1:1/0" in result.stdout
    else:
        assert result.returncode == 0 and "1 skipped" in result.stdout, result.stdout[-3000:]
        assert "Redis is not reachable at redis://127.0.0.1:1/0" in result.stdout
        assert "or CI=true to make this a failure" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["harvest", "--queue", "http://127.0.0.1:6379", "--registry", "demo"],
     "govcrawl harvest: --queue 'http://127.0.0.1:6379': expected a Redis URL (redis://HOST:PORT/DB)"),
    (["harvest", "--queue", "redis://127.0.0.1:1/0", "--registry", "demo"],
     "govcrawl harvest: --queue redis://127.0.0.1:1/0: Redis is not reachable: "),
    (["harvest", "--queue", "redis://127.0.0.1:1/0", "--registry", "demo", "--portal", "999999-nosuch"],
     "govcrawl harvest: unknown portal id(s) 999999-nosuch"),
    (["worker", "--queue", "redis://127.0.0.1:1/0", "--concurrency", "0"],
     "govcrawl worker: --concurrency 0: must be at least 1"),
    (["worker", "--queue", "redis://127.0.0.1:1/0", "--registry", "no-such-folder"],
     "govcrawl worker: "),
])
def test_queue_commands_refuse_bad_input_in_one_line(tmp_path, args, message):
    # The source tree's govcrawl, as in every CLI test: `demo` names the portals next to the source, which a
    # non-editable install (CI's) does not carry.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVCRAWL_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-W", "error", "-m", "govcrawl.cli", *args], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1, result.stderr
    if "no-such-folder" in args:
        assert f"{tmp_path / 'no-such-folder'}: registry not found" in result.stderr
