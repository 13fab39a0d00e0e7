"""One number per document version: a case document keeps the hash of what it shows and the
site its QR code leads to; a unique index allows one current number per version.

Revision ID: 7a3f9c1e5b20
Revises: d03d62e6a8cf
Create Date: 2026-12-02 08:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '7a3f9c1e5b20'
down_revision: str | None = 'd03d62e6a8cf'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text("superseded_at IS NULL AND context_sha256 IS NOT NULL")


def upgrade() -> None:
    op.add_column('document', sa.Column('context_sha256', sa.String(length=64), nullable=True))
    op.add_column('document', sa.Column('verify_base', sa.String(length=200), nullable=True))
    op.create_index(
        'uq_document_current_version',
        'document',
        ['kind', 'subject_type', 'subject_id', 'context_sha256'],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )


def downgrade() -> None:
    op.drop_index('uq_document_current_version', table_name='document')
    with op.batch_alter_table('document') as batch:
        batch.drop_column('verify_base')
        batch.drop_column('context_sha256')
