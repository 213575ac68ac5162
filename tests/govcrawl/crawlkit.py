"""Helpers shared by the crawler's tests: where things are, and running `scrapy crawl` in a subprocess so
reactors never leak between tests. (Not in conftest.py: test modules import these by a unique name.)"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
FIXTURE_PAGES = REPO / "tests" / "fixtures" / "pages"
# Test portals are served by a server on 127.0.0.1: their registry entries open the door the production default
# keeps shut (govcrawl.netguard).
TEST_SERVER_DOOR = 'private_addresses = {allow = true, reason = "served by the test suite\'s server on 127.0.0.1"}\n'
POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "all_proxy",
              "ALL_PROXY")


def crawl_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS and k != "GOVCRAWL_DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env["SCRAPY_SETTINGS_MODULE"] = "govcrawl.settings"
    env.update(extra)
    return env


def run_crawl(cwd: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m scrapy crawl portals ARGS` in `cwd`; fails the test with the log if the crawl fails."""
    command = [sys.executable, "-W", "error", "-m", "scrapy", "crawl", "portals", *args]
    result = subprocess.run(command, cwd=cwd, env=env or crawl_env(), capture_output=True, text=True,
                            timeout=timeout, check=False)
    if result.returncode != 0 or "Traceback" in result.stderr:
        pytest.fail(f"crawl failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-6000:]}")
    return result


def crawl_one_portal(tmp_path: Path, site: Path, column: str, host: str, *settings: str,
                     handler=None) -> tuple[str, object, subprocess.CompletedProcess]:
    """Serve `site` on loopback, crawl a one-portal registry whose column is `column`, live, without delays.
    Returns (database URL, the stopped server with its request log, the crawl's result)."""
    from govcrawl.seedsite.server import serve

    registry = tmp_path / "portals"
    registry.mkdir()
    (registry / "220200-test.toml").write_text(
        f'id = "220200-test"\nname = "测试"\nagency = "测试局"\nregion = "吉林省吉林市"\nplatform = "generic"\n'
        f'columns = ["{column}"]\nallowed_hosts = ["{host}"]\n{TEST_SERVER_DOOR}', encoding="utf-8")
    server = serve(site)
    if handler is not None:
        server.RequestHandlerClass = handler
    server.start_in_thread()
    database_url = f"sqlite:///{tmp_path / 'govcrawl.db'}"
    try:
        result = run_crawl(tmp_path, "-s", f"GOVCRAWL_REGISTRY={registry}", "-s", f"DATABASE_URL={database_url}",
                           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_START_DELAY=0", *settings,
                           env=crawl_env(http_proxy=server.url))
    finally:
        server.stop()
    return database_url, server, result


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new PostgreSQL database (its URL), dropped afterwards. Skips when no server answers, unless CI=true."""
    admin_url = os.environ.get("GOVCRAWL_TEST_POSTGRES_URL", POSTGRES_DEFAULT)
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        conn = engine.connect()
    except OperationalError as exc:
        engine.dispose()
        reason = f"PostgreSQL is not reachable at {make_url(admin_url).render_as_string()}: {exc.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires PostgreSQL: {reason}")
        pytest.skip(f"{reason} (set GOVCRAWL_TEST_POSTGRES_URL, or CI=true to make this a failure)")
    name = f"govcrawl_test_{uuid.uuid4().hex[:16]}"
    conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.close()
        engine.dispose()
