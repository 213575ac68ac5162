"""Reports read from attached files: attachment bytes live only in the WARC; each report records the format
it was read from and each cell the document (page) it came from.

* attachment_files: drop `content` (the bytes are in the WARC the page row points at); add `format` and
  `extracted`, the extractor's record of the file, from which the reports that link the file take their
  cells whatever order the page and the file arrive in.
* reports.format: html | text | pdf | docx | doc | wps | xlsx | xls (data-dictionary.md §2).
* report_cells.document_page_id: the pages row whose bytes the cell was read from; existing cells came from
  their report's own page.
* an index on report_attachments.url: a file read in a batch finds the reports that link it.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-27 13:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table('attachment_files', schema=None) as batch_op:
        batch_op.drop_column('content')
        batch_op.add_column(sa.Column('format', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('extracted', sa.JSON(), nullable=True))
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('format', sa.String(length=16), nullable=False, server_default='html'))
    with op.batch_alter_table('report_cells', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_page_id', BigId, nullable=True))
    op.execute("UPDATE report_cells SET document_page_id = "
               "(SELECT reports.page_id FROM reports WHERE reports.id = report_cells.report_id)")
    with op.batch_alter_table('report_cells', schema=None) as batch_op:
        batch_op.alter_column('document_page_id', existing_type=BigId, nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_report_cells_document_page_id_pages'), 'pages',
                                    ['document_page_id'], ['id'])
    with op.batch_alter_table('report_attachments', schema=None) as batch_op:
        batch_op.create_index('ix_report_attachments_url', ['url'], unique=False, postgresql_using='hash')


def downgrade() -> None:
    with op.batch_alter_table('report_attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_report_attachments_url')
    with op.batch_alter_table('report_cells', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_report_cells_document_page_id_pages'), type_='foreignkey')
        batch_op.drop_column('document_page_id')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('format')
    with op.batch_alter_table('attachment_files', schema=None) as batch_op:
        batch_op.drop_column('extracted')
        batch_op.drop_column('format')
        # The bytes are not restored: they are in the WARC files.
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=True))
