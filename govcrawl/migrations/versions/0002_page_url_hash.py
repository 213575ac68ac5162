"""Key pages on sha256(url) instead of the URL itself; hash-index parent_url on PostgreSQL.

A btree entry on PostgreSQL is limited to ~2.7 KB, so the unique key (url, content_hash) and the
parent_url index made any page with a URL of a few KB (long query strings exist) fail its whole batch.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 07:30:00

"""
import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 1000


def _backfill(bind) -> None:
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text(
            "UPDATE pages SET url_hash = encode(sha256(convert_to(url, 'UTF8')), 'hex') WHERE url_hash IS NULL"))
        return
    pages = sa.table("pages", sa.column("id", sa.Integer), sa.column("url", sa.Text),
                     sa.column("url_hash", sa.String))
    last_id = None
    while True:
        query = sa.select(pages.c.id, pages.c.url).order_by(pages.c.id).limit(CHUNK)
        if last_id is not None:
            query = query.where(pages.c.id > last_id)
        rows = bind.execute(query).all()
        if not rows:
            return
        bind.execute(
            pages.update().where(pages.c.id == sa.bindparam("page_id")).values(url_hash=sa.bindparam("hash")),
            [{"page_id": page_id, "hash": hashlib.sha256(url.encode("utf-8")).hexdigest()} for page_id, url in rows],
        )
        last_id = rows[-1][0]


# On SQLite the batch operations copy `pages` and drop the original, which needs foreign keys off while
# they run (reports.page_id refers to pages): govcrawl.db.engine.upgrade() does that.


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('url_hash', sa.String(length=64), nullable=True))
    _backfill(bind)
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.alter_column('url_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint('uq_pages_url', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_pages_url_hash'), ['url_hash', 'content_hash'])
        batch_op.drop_index('ix_pages_parent_url')
        batch_op.create_index('ix_pages_parent_url', ['parent_url'], unique=False, postgresql_using='hash')


def downgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_index('ix_pages_parent_url')
        batch_op.create_index('ix_pages_parent_url', ['parent_url'], unique=False)
        batch_op.drop_constraint(batch_op.f('uq_pages_url_hash'), type_='unique')
        batch_op.create_unique_constraint('uq_pages_url', ['url', 'content_hash'])
        batch_op.drop_column('url_hash')
