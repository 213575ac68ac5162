"""Which database, how to connect, and bringing its schema to the latest migration."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url, text

from govcrawl.db.views import refresh_labels

DEFAULT_DATABASE_URL = "sqlite:///govcrawl.db"
ENV_VAR = "GOVCRAWL_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
MIGRATION_LOCK_KEY = 0x60C7A11  # any constant unique to govcrawl's migrations


def resolve_database_url(setting: str | None = None) -> str:
    """The DATABASE_URL setting, else $GOVCRAWL_DATABASE_URL, else SQLite in the working directory."""
    url = setting or os.environ.get(ENV_VAR) or DEFAULT_DATABASE_URL
    # Plain `postgresql://` would make SQLAlchemy look for psycopg2, which is not a dependency.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return url


# libpq connection options for PostgreSQL: a server that went away must fail a write within seconds (so the
# store retries it, govcrawl.db.outage) rather than hang on a dead TCP connection for the kernel's 15 minutes.
POSTGRES_CONNECT_ARGS = {
    "connect_timeout": 10,  # seconds to establish a connection
    "tcp_user_timeout": 30_000,  # ms that sent data may stay unacknowledged
    "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3,
}


def make_engine(url: str) -> Engine:
    postgres = url.startswith("postgresql")
    # pre-ping: after an outage, pooled connections are dead; test each at checkout instead of failing a write.
    engine = create_engine(url, pool_pre_ping=True, connect_args=POSTGRES_CONNECT_ARGS if postgres else {})
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets `govcrawl export` read while a crawl writes; NORMAL sync is safe under WAL and much faster.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema through the Alembic migrations shipped in the package."""
    config = alembic_config()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # SQLite alters a table by copying it and dropping the original, which enforced foreign keys
            # referring to it forbid; the pragma only takes effect outside a transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            # The same copy-and-rename would fail on the views that name the table (migration 0006): with
            # legacy renames SQLite leaves the views alone, and they find the renamed copy by its name.
            connection.exec_driver_sql("PRAGMA legacy_alter_table=ON")
            connection.commit()
        try:
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    # Two crawls starting together on one database: the second waits, then finds the schema
                    # current.
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if revision == "head":
                    refresh_labels(connection)  # the dictionary's labels, for the views (govcrawl.db.views)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left rows with dangling foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA legacy_alter_table=OFF")
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def describe(url: str) -> str:
    """The URL without its password, for logs."""
    return make_url(url).render_as_string(hide_password=True)
