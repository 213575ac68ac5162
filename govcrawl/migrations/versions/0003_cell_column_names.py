"""Rename report_cells.table/row/col to table_name/row_key/col_key.

`table` and `row` are reserved words: `select table, row from report_cells` fails in sqlite3 and psql, so
every user query had to quote them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:40:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMES = (("table", "table_name", sa.String(length=32)), ("row", "row_key", sa.Text()),
           ("col", "col_key", sa.String(length=64)))


def upgrade() -> None:
    with op.batch_alter_table('report_cells', schema=None) as batch_op:
        for old, new, type_ in RENAMES:
            batch_op.alter_column(old, new_column_name=new, existing_type=type_, existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('report_cells', schema=None) as batch_op:
        for old, new, type_ in RENAMES:
            batch_op.alter_column(new, new_column_name=old, existing_type=type_, existing_nullable=False)
