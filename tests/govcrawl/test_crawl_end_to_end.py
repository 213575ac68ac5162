"""The main job end to end: crawl the saved portal site live over HTTP, then replay what that crawl archived
into a second database with the server gone, and compare."""

from __future__ import annotations

import pytest
from crawlkit import SEEDS, crawl_env, run_crawl
from dbstate import snapshot
from seedfacts import assert_seed_reports_stored

from govcrawl.archive.warc import iter_responses, warc_files

# The site answers at once; the politeness delays would only make the test slow (they stay on otherwise).
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "AUTOTHROTTLE_MAX_DELAY=1",
        # The portals' real names do not resolve here and the test proxy connects nowhere: it answers from the
        # saved site, so it is the proxy that keeps the crawl off private addresses (govcrawl.netguard).
        "-s", "GOVCRAWL_PROXY_CHECKS_ADDRESSES=True"]


@pytest.fixture
def second_database_url(request, database_url, tmp_path):
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'replayed.db'}"
    return request.getfixturevalue("postgres_url_2")


@pytest.fixture
def postgres_url_2(postgres_url):
    """Another fresh PostgreSQL database (postgres_url is the first)."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(postgres_url)
    engine = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"govcrawl_test_{uuid.uuid4().hex[:16]}"
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def test_live_crawl_then_offline_replay_give_the_same_rows(tmp_path, portal_server, database_url,
                                                           second_database_url):
    crawl_dir = tmp_path / "crawl"
    crawl_dir.mkdir()
    common = ["-s", f"GOVCRAWL_REGISTRY={SEEDS / 'portals'}"]
    crawled = run_crawl(crawl_dir, *common, *FAST, "-s", f"DATABASE_URL={database_url}",
                        env=crawl_env(http_proxy=portal_server.url))
    seen = set(portal_server.requests_seen)
    live = snapshot(database_url)

    # crawling the same site again into the same database adds no rows (its archive goes elsewhere)
    run_crawl(crawl_dir, *common, *FAST, "-s", f"DATABASE_URL={database_url}",
              "-s", f"GOVCRAWL_ARCHIVE_DIR={tmp_path / 'second-archive'}", env=crawl_env(http_proxy=portal_server.url))
    portal_server.stop()
    assert snapshot(database_url)["counts"] == {**live["counts"], "crawl_runs": 2}

    assert "http://www.jlcity.gov.cn/robots.txt" in seen  # robots.txt asked for before the pages
    assert "Crawl finished: 7 portal(s)" in crawled.stderr and "archive:" in crawled.stderr
    [archive] = warc_files(crawl_dir / "archive")
    archived_urls = {r.url for r in iter_responses(archive)}
    assert archived_urls == seen  # every response the crawl received, robots.txt and 404s included
    assert_seed_reports_stored(live)

    replayed = run_crawl(tmp_path, "-a", f"replay={crawl_dir / 'archive'}", *common,
                         "-s", f"DATABASE_URL={second_database_url}")
    assert "0 replay miss(es)" in replayed.stderr
    offline = snapshot(second_database_url)
    assert offline["pages"] == live["pages"]
    assert offline["reports"] == live["reports"]
    assert offline["counts"] == {**live["counts"], "crawl_runs": 1}


def test_the_archive_rolls_over_to_new_files_and_replays_as_one(tmp_path, portal_server):
    crawl_dir = tmp_path / "crawl"
    crawl_dir.mkdir()
    common = ["-s", f"GOVCRAWL_REGISTRY={SEEDS / 'portals'}", "-a", "portal=220200-szf,220303-qzf"]
    live_db, replay_db = f"sqlite:///{tmp_path / 'live.db'}", f"sqlite:///{tmp_path / 'replay.db'}"
    result = run_crawl(crawl_dir, *common, *FAST, "-s", "GOVCRAWL_ARCHIVE_MAX_BYTES=4000",
                       "-s", f"DATABASE_URL={live_db}", env=crawl_env(http_proxy=portal_server.url))
    files = warc_files(crawl_dir / "archive")
    assert len(files) >= 3 and f"({len(files)} WARC file(s) written)" in result.stderr
    assert sum(1 for path in files for _ in iter_responses(path)) == len(portal_server.requests_seen)
    portal_server.stop()
    run_crawl(tmp_path, *common, "-a", f"replay={crawl_dir / 'archive'}", "-s", f"DATABASE_URL={replay_db}")
    live, offline = snapshot(live_db), snapshot(replay_db)
    assert offline["pages"] == live["pages"] and offline["reports"] == live["reports"]
