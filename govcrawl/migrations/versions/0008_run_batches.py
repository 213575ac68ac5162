"""Distributed harvests: a run belongs to a batch (one night enqueued on the task queue, one run per portal,
on any worker) and names the worker that ran it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 16:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('worker', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_crawl_runs_batch'), ['batch'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crawl_runs_batch'))
        batch_op.drop_column('worker')
        batch_op.drop_column('batch')
