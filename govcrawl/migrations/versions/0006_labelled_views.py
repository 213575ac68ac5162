"""Labels of the data dictionary as a table (cell_labels) and views for plain SQL: cells_labelled (each cell
with its report, agency, year, region and Chinese labels) and reports_overview (each report with its checks'
status and whether it was published after the legal deadline).

Revision ID: 0006
Revises: 0005 (the views read reports.format and report_cells.document_page_id, which 0005 adds)
Create Date: 2026-11-27 13:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govcrawl.db.views import DROP_VIEWS, create_views_sql

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'cell_labels',
        sa.Column('table_name', sa.String(length=32), nullable=False),
        sa.Column('row_key', sa.String(length=128), nullable=False),
        sa.Column('col_key', sa.String(length=64), nullable=False),
        sa.Column('table_title', sa.Text(), nullable=False),
        sa.Column('row_label', sa.Text(), nullable=False),
        sa.Column('col_label', sa.Text(), nullable=False),
        sa.Column('unit', sa.String(length=16), nullable=True),
        sa.Column('generations', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('table_name', 'row_key', 'col_key', name=op.f('pk_cell_labels')),
    )
    for statement in create_views_sql(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_VIEWS:
        op.execute(statement)
    op.drop_table('cell_labels')
