"""Fixtures: databases (SQLite always, PostgreSQL when reachable or required by CI=true) and the saved
portal site served over HTTP."""

from __future__ import annotations

import pytest
from crawlkit import SEEDS, fresh_postgres_database


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    with fresh_postgres_database() as url:
        yield url


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
