"""Nightly harvest: report versions (current, withdrawn, extractor version), conditional-request validators
per URL, and each run's per-portal figures and monitor results.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 13:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'url_validators',
        sa.Column('url_hash', sa.String(length=64), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('etag', sa.Text(), nullable=True),
        sa.Column('last_modified', sa.Text(), nullable=True),
        sa.Column('checked_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('url_hash', name=op.f('pk_url_validators')),
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_current', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('withdrawn_at', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('extractor_version', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('result_hash', sa.String(length=64), nullable=True))
        # A page re-extracted by a newer extractor gets a second report when the result differs.
        batch_op.drop_constraint('uq_reports_page_id', type_='unique')
        batch_op.create_unique_constraint(op.f('uq_reports_page_id'), ['page_id', 'result_hash'])
        batch_op.create_index(batch_op.f('ix_reports_is_current'), ['is_current'], unique=False)
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('portal_counts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('monitors', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.drop_column('monitors')
        batch_op.drop_column('portal_counts')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_is_current'))
        batch_op.drop_constraint('uq_reports_page_id', type_='unique')
        batch_op.create_unique_constraint(op.f('uq_reports_page_id'), ['page_id'])
        batch_op.drop_column('result_hash')
        batch_op.drop_column('extractor_version')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('is_current')
    op.drop_table('url_validators')
