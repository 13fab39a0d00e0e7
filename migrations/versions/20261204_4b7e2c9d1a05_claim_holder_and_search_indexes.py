"""A claim's holder (认领: who holds it, since when, at which version, assigned by whom), the
index of a reviewer's own cases in the inbox, and the search's claimant and list indexes, which
end in the id (newest first) and take the place of the single-column ones.

Revision ID: 4b7e2c9d1a05
Revises: c4e1a7d2b9f3
Create Date: 2026-12-03 09:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '4b7e2c9d1a05'
down_revision: str | None = 'c4e1a7d2b9f3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no foreign key, as verified_by): no table copy on SQLite.
    op.add_column('claim', sa.Column('holder_id', sa.Integer(), nullable=True))
    op.add_column('claim', sa.Column('held_at', sa.DateTime(), nullable=True))
    op.add_column('claim', sa.Column('held_version', sa.Integer(), nullable=True))
    op.add_column('claim', sa.Column('assigned_by', sa.Integer(), nullable=True))
    op.create_index('ix_claim_holder_state_due', 'claim', ['holder_id', 'state', 'due_at', 'id'], unique=False)
    op.create_index('ix_claim_claimant', 'claim', ['claimant_org_id', 'id'], unique=False)
    op.drop_index('ix_claim_claimant_org_id', table_name='claim')
    op.create_index('ix_claim_batch', 'claim', ['batch_ref', 'id'], unique=False)
    op.drop_index('ix_claim_batch_ref', table_name='claim')


def downgrade() -> None:
    op.create_index('ix_claim_batch_ref', 'claim', ['batch_ref'], unique=False)
    op.drop_index('ix_claim_batch', table_name='claim')
    op.create_index('ix_claim_claimant_org_id', 'claim', ['claimant_org_id'], unique=False)
    op.drop_index('ix_claim_claimant', table_name='claim')
    op.drop_index('ix_claim_holder_state_due', table_name='claim')
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_column('assigned_by')
        batch_op.drop_column('held_version')
        batch_op.drop_column('held_at')
        batch_op.drop_column('holder_id')
