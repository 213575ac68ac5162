"""Fixtures: databases (SQLite always, PostgreSQL when reachable or required by CI=true) and the saved
portal site served over HTTP."""

from __future__ import annotations

import os
import uuid

import pytest
from crawlkit import SEEDS
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL database for one test, dropped afterwards."""
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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'govcrawl.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def portal_server():
    """The saved site (seeds/site) served on 127.0.0.1 at an ephemeral port, also usable as an HTTP proxy."""
    from govcrawl.seedsite.server import serve

    server = serve(SEEDS / "site")
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop()
