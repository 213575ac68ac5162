"""Migration 0007 (report versions, url validators, run figures) creates exactly what the models declare,
and keeps the rows of a database created before it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from govcrawl.db.engine import make_engine, upgrade
from govcrawl.db.models import Base


def test_models_match_the_migrations(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_reports_stored_before_the_migration_become_current_versions(database_url):
    engine = make_engine(database_url)
    upgrade(engine, "0003")
    with engine.begin() as conn:
        conn.execute(text("insert into pages (kind, url, url_hash, content_hash) values "
                          "('document', 'http://a.gov.cn/1.html', 'h1', 'c1')"))
        page_id = conn.execute(text("select id from pages")).scalar_one()
        conn.execute(text("insert into reports (page_id, text, warnings) values (:p, 'x', '[]')"), {"p": page_id})
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("select is_current, withdrawn_at, extractor_version from reports")).one() == (
            True, None, None)
    engine.dispose()
