"""Import runs: the admin's imports of places and persons (a dry run or a load) with every
row's outcome, and a dry run's file kept encrypted until loaded.

Revision ID: c4e1a7d2b9f3
Revises: b4e1f0c2a9d7
Create Date: 2026-12-02 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c4e1a7d2b9f3'
down_revision: str | None = 'b4e1f0c2a9d7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'import_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('uploaded_by', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('file_format', sa.String(length=10), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('rows_created', sa.Integer(), nullable=False),
        sa.Column('rows_updated', sa.Integer(), nullable=False),
        sa.Column('rows_unchanged', sa.Integer(), nullable=False),
        sa.Column('rows_refused', sa.Integer(), nullable=False),
        sa.Column('outcomes', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('pending_file', sa.Text(), nullable=True),
        sa.Column('loaded_as', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['loaded_as'], ['import_run.id'],
                                name=op.f('fk_import_run_loaded_as_import_run')),
        sa.ForeignKeyConstraint(['uploaded_by'], ['app_user.id'],
                                name=op.f('fk_import_run_uploaded_by_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_run')),
    )
    op.create_index(op.f('ix_import_run_uploaded_by'), 'import_run', ['uploaded_by'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_import_run_uploaded_by'), table_name='import_run')
    op.drop_table('import_run')
