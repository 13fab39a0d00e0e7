"""The inbox's indexes end in its keyset order (due_at, id): the subsidy type's gains the id,
a verifier's villages get one by type, and the person's (a search by name or ID digits) gains
the state, due time and id (docs/benchmarks.md, the inbox at a million claims).

Revision ID: 7a4618df9ed7
Revises: ccf61fc84440
Create Date: 2026-12-02 02:45:00.000000
"""
from collections.abc import Sequence

from alembic import op


revision: str = '7a4618df9ed7'
down_revision: str | None = 'ccf61fc84440'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_type_state_due')
        batch_op.create_index('ix_claim_type_state_due', ['subsidy_type', 'state', 'due_at', 'id'], unique=False)
        batch_op.create_index(
            'ix_claim_village_state_type_due', ['village_id', 'state', 'subsidy_type', 'due_at', 'id'], unique=False
        )
        batch_op.drop_index('ix_claim_person_id')
        batch_op.create_index('ix_claim_person_state_due', ['person_id', 'state', 'due_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_person_state_due')
        batch_op.create_index('ix_claim_person_id', ['person_id'], unique=False)
        batch_op.drop_index('ix_claim_village_state_type_due')
        batch_op.drop_index('ix_claim_type_state_due')
        batch_op.create_index('ix_claim_type_state_due', ['subsidy_type', 'state', 'due_at'], unique=False)
