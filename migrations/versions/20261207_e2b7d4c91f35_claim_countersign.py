"""A large amount is approved by two HR reviewers: the claim records the second one.

Revision ID: e2b7d4c91f35
Revises: 7a3f9c1e5b20
Create Date: 2026-12-02 10:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'e2b7d4c91f35'
down_revision: str | None = '7a3f9c1e5b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('claim', sa.Column('countersigned_by', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('claim') as batch:
        batch.drop_column('countersigned_by')
