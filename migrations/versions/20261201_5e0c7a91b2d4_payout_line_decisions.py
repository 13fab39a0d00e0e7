"""A payout line the bank's return file disagrees with: flagged for finance's decision (who
decided what, when), and the amount actually paid.

Revision ID: 5e0c7a91b2d4
Revises: 67752eceb833
Create Date: 2026-12-01 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5e0c7a91b2d4'
down_revision: str | None = '099ac5c7fd4b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('payout_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid_amount', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('bank_amount', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('bank_serial', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('flag_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('flagged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('decision', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('decision_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('decided_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(), nullable=True))
    # Lines paid before this revision were paid in full.
    op.execute("UPDATE payout_line SET paid_amount = amount WHERE status = 'paid'")


def downgrade() -> None:
    with op.batch_alter_table('payout_line', schema=None) as batch_op:
        for column in ('decided_at', 'decided_by', 'decision_note', 'decision', 'flagged_at',
                       'flag_reason', 'bank_serial', 'bank_amount', 'paid_amount'):
            batch_op.drop_column(column)
